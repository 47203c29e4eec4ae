"""Report builders (HTML + xlsx from the marts), headline KPIs, charts and the CJK font."""
