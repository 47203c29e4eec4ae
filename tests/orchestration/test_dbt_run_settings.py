"""The run settings the dbt step hands to dbt: the window and the test scope, through the environment."""

import os

import pytest

from jd_pipeline.defs.transform import dbt_run_environment, environment, run_tests_on_whole_tables


def day(iso: str) -> dict[str, str]:
    return {"min_date": iso, "max_date": iso}


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv("JD_DQ_FULL_SCOPE", raising=False)


def test_nightly_window_tests_the_window_on_weekdays():
    assert dbt_run_environment(day("2026-01-01")) == {  # a Thursday
        "JD_DBT_MIN_DATE": "2026-01-01",
        "JD_DBT_MAX_DATE": "2026-01-01",
        "JD_DBT_DQ_FULL_SCOPE": "false",
    }


def test_whole_table_tests_only_when_asked_for():
    assert not run_tests_on_whole_tables(day("2026-01-04"))  # a Sunday like any day: the window
    assert run_tests_on_whole_tables(day("2026-01-04"), requested=True)  # the weekly run's config
    assert dbt_run_environment(day("2026-01-01"), whole_table_tests=True)["JD_DBT_DQ_FULL_SCOPE"] == "true"


def test_no_window_and_the_override_test_whole_tables(monkeypatch):
    assert dbt_run_environment({}) == {
        "JD_DBT_MIN_DATE": "",
        "JD_DBT_MAX_DATE": "",
        "JD_DBT_DQ_FULL_SCOPE": "true",
    }
    monkeypatch.setenv("JD_DQ_FULL_SCOPE", "1")
    assert run_tests_on_whole_tables(day("2026-01-01"))


def test_environment_is_restored_after_the_invocation(monkeypatch):
    monkeypatch.setenv("JD_DBT_MAX_DATE", "before")
    monkeypatch.delenv("JD_DBT_MIN_DATE", raising=False)
    with environment({"JD_DBT_MIN_DATE": "2026-01-01", "JD_DBT_MAX_DATE": "2026-01-01"}):
        assert os.environ["JD_DBT_MIN_DATE"] == os.environ["JD_DBT_MAX_DATE"] == "2026-01-01"
    assert "JD_DBT_MIN_DATE" not in os.environ
    assert os.environ["JD_DBT_MAX_DATE"] == "before"
