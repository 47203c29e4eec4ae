"""docs/sources.md is the contract YAMLs rendered: regenerate it whenever a contract changes."""

from __future__ import annotations

from jd_pipeline.contracts import load_contracts
from jd_pipeline.contracts.docs import DOC_PATH, render_sources_doc


def test_sources_doc_is_generated_from_the_contracts():
    assert DOC_PATH.read_text(encoding="utf-8") == render_sources_doc(), (
        "docs/sources.md is out of date: run `python -m jd_pipeline.contracts.docs`"
    )


def test_sources_doc_lists_every_source_and_its_personal_columns():
    text = render_sources_doc()
    for source in load_contracts():
        assert f"## `{source}`" in text
    assert "| 客户姓名 | — | — | personal: never read into the warehouse |" in text
    assert "salted SHA-256" in text
