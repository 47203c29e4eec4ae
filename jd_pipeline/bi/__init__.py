"""BI tools on the published marts: Apache Superset (`make bi`)."""
