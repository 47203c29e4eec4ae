"""Demo and benchmark data: every source of sources.md, consistent across sources, with quirks
and planted faults. Entry point: `generate()` (see docs/generator.md)."""

from jd_pipeline.generate.core import SOURCES, GenerationSummary, generate

__all__ = ["SOURCES", "GenerationSummary", "generate"]
