"""Demo and benchmark data: every source of sources.md, consistent across sources, with quirks
and planted faults. Entry point: `generate()` (see docs/generator.md)."""

from jd_pipeline.generate.core import SOURCES, GenerationSummary, generate
from jd_pipeline.generate.faults import KINDS, TOLERATED_KINDS

__all__ = ["KINDS", "SOURCES", "TOLERATED_KINDS", "GenerationSummary", "generate"]
