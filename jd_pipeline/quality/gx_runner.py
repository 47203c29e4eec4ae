"""One Great Expectations 1.x runner, driven by the suite files in `great_expectations/suites/`.

GX validates a pandas DataFrame of the batch just loaded (the rows of `raw.<source>` whose
`_period` falls in the partition window), never the whole history and never through
SQLAlchemy (GX on DuckDB through SQLAlchemy returns wrong results). Large windows are split
into chunks of whole periods so memory stays bounded (~480 bytes per row in GX on pandas).

The runner adds four columns derived from `_period` so suites can say "date within the file's
period" with stock expectations: `_period_start`, `_period_end` (DATE, end exclusive) and
`_period_first_month`, `_period_last_month` (`YYYY-MM`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from jd_pipeline.config import GX_DIR
from jd_pipeline.ingest.plausibility import ACCEPT_NOTE, low_day_share
from jd_pipeline.quality.results import CheckOutcome, Severity, to_json
from jd_pipeline.quality.windows import Window, period_end_sql, period_start_sql
from jd_pipeline.warehouse import table_exists

log = logging.getLogger(__name__)

SUITES_DIR = GX_DIR / "suites"
MAX_BATCH_ROWS = 200_000  # ~850 MB peak RSS measured with GX on pandas
EXAMPLE_ROWS = 3
MAX_FAILURES_REPORTED = 20
# Never shown in examples even though hashed / coarse (personal data policy).
EXAMPLE_EXCLUDED_COLUMNS = frozenset({"buyer_key", "buyer_account", "customer_name", "phone", "address"})
DERIVED_COLUMNS = ("_period_start", "_period_end", "_period_first_month", "_period_last_month")
INDEX_COLUMNS = ["_load_id", "_row_number"]
ROW_COUNT_HISTORY = 30
ROW_COUNT_HIGH = 5.0  # a warning: promotion days (618, 11.11) legitimately run high


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file: the GX suite dict plus the runner's settings from its `meta`."""

    source: str
    path: Path
    suite: dict[str, Any]

    @property
    def meta(self) -> dict[str, Any]:
        return self.suite.get("meta", {})

    @property
    def asset(self) -> str:
        return f"raw/{self.source}"

    @property
    def period_kind(self) -> str:
        return self.meta["period_kind"]

    @property
    def blocking(self) -> bool:
        return bool(self.meta.get("blocking", True))

    @property
    def check_name(self) -> str:
        return f"gx_{self.source}"

    @property
    def column_types(self) -> dict[str, str]:
        """Stored column -> pandas dtype name (`str`, `int64`, `int32`, `float64`, `datetime64`)."""
        return dict(self.meta.get("column_types", {}))

    @property
    def expectation_count(self) -> int:
        """The GX expectations plus the runner's column-types check."""
        return len(self.suite.get("expectations", [])) + (1 if self.column_types else 0)


def suite_path(source: str) -> Path:
    return SUITES_DIR / f"{source}.json"


@cache
def load_suite_spec(source: str) -> SuiteSpec:
    path = suite_path(source)
    return SuiteSpec(source=source, path=path, suite=json.loads(path.read_text(encoding="utf-8")))


def available_suites() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


# ---------------------------------------------------------------- batch extraction


def _window_filter() -> str:
    start = period_start_sql("_period")
    return f"{start} >= ? AND {start} < ?"


def period_row_counts(conn: duckdb.DuckDBPyConnection, source: str, window: Window) -> list[tuple[str, int]]:
    if not table_exists(conn, "raw", source):
        return []
    sql = f"SELECT _period, count(*) FROM raw.{source} WHERE {_window_filter()} GROUP BY 1 ORDER BY 1"
    return [(p, int(n)) for p, n in conn.execute(sql, [window.start, window.end]).fetchall()]


def chunk_periods(counts: list[tuple[str, int]], max_rows: int = MAX_BATCH_ROWS) -> list[list[str]]:
    """Group whole periods into chunks of at most `max_rows` rows (a bigger period is alone)."""
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for period, n in counts:
        if current and size + n > max_rows:
            chunks.append(current)
            current, size = [], 0
        current.append(period)
        size += n
    if current:
        chunks.append(current)
    return chunks


def fetch_batch(conn: duckdb.DuckDBPyConnection, source: str, periods: list[str]) -> pd.DataFrame:
    """The rows of `raw.<source>` for these `_period` labels, plus the derived period columns."""
    start, end = period_start_sql("_period"), period_end_sql("_period")
    sql = (
        f"SELECT *, {start} AS _period_start, {end} AS _period_end, "
        f"strftime({start}, '%Y-%m') AS _period_first_month, "
        f"strftime({end} - INTERVAL 1 DAY, '%Y-%m') AS _period_last_month "
        f"FROM raw.{source} WHERE _period IN (SELECT unnest(?)) ORDER BY _load_id, _row_number"
    )
    return conn.execute(sql, [periods]).df()


def row_count_parameters(
    conn: duckdb.DuckDBPyConnection, source: str, load_ids: list[str]
) -> dict[str, int | None]:
    """Bounds for the batch row count: per delivery of the batch, the median rows of the last
    ROW_COUNT_HISTORY deliveries of its (brand, store) (a small brand is not measured against a
    big one), times `JD_HOLD_LOW_DAY` (the loader's near-empty share, plausibility.py) for the
    minimum and ROW_COUNT_HIGH for the maximum, summed over the batch. A delivery the operator
    accepted after a hold sets no minimum (its volume was judged by a person); one without three
    earlier deliveries sets none either, and leaves the maximum open."""
    default: dict[str, int | None] = {"min_rows": 1 if load_ids else 0, "max_rows": None}
    if not load_ids or not table_exists(conn, "ops", "load_manifest"):
        return default
    rows = conn.execute(
        """WITH batch AS (
               SELECT load_id, brand, store, contains(coalesce(reason, ''), ?) AS accepted FROM ops.load_manifest
               WHERE load_id IN (SELECT unnest(?))),
           history AS (
               SELECT brand, store, rows_loaded,
                      row_number() OVER (PARTITION BY brand, store ORDER BY delivered_at DESC) AS n
               FROM ops.load_manifest
               WHERE source = ? AND status IN ('loaded', 'replaced') AND rows_loaded > 0
                 AND load_id NOT IN (SELECT unnest(?)))
           SELECT b.load_id, b.accepted, (SELECT median(h.rows_loaded) FROM history h WHERE h.brand = b.brand
                     AND h.store IS NOT DISTINCT FROM b.store AND h.n <= ?),
                  (SELECT count(*) FROM history h WHERE h.brand = b.brand
                     AND h.store IS NOT DISTINCT FROM b.store AND h.n <= ?)
           FROM batch b""",
        [ACCEPT_NOTE, load_ids, source, load_ids, ROW_COUNT_HISTORY, ROW_COUNT_HISTORY],
    ).fetchall()
    share = low_day_share()
    judged = [(float(median), accepted) for _, accepted, median, n in rows if n >= 3]
    minimum = sum(median * share for median, accepted in judged if not accepted)
    unaccepted = len(load_ids) - sum(1 for _, accepted, _, _ in rows if accepted)
    return {
        "min_rows": max(1, math.floor(minimum)) if unaccepted else 0,
        "max_rows": math.ceil(sum(m for m, _ in judged) * ROW_COUNT_HIGH)
        if len(judged) == len(load_ids)
        else None,
    }


def load_paths(conn: duckdb.DuckDBPyConnection, load_ids: list[str]) -> dict[str, str]:
    if not load_ids or not table_exists(conn, "ops", "load_manifest"):
        return {}
    rows = conn.execute(
        "SELECT load_id, path FROM ops.load_manifest WHERE load_id IN (SELECT unnest(?))", [load_ids]
    ).fetchall()
    return {str(k): str(v) for k, v in rows}


# ---------------------------------------------------------------- validation


@lru_cache(maxsize=1)
def _batch_definition() -> Any:
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("raw_batches").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole_batch")


@cache
def _gx_suite(source: str) -> Any:
    from great_expectations.core import ExpectationSuite

    spec = load_suite_spec(source).suite
    return ExpectationSuite(name=spec["name"], expectations=spec["expectations"], meta=spec.get("meta", {}))


DETAIL_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": MAX_FAILURES_REPORTED,
    "unexpected_index_column_names": INDEX_COLUMNS,
}


def _validation_definition(suite: Any) -> Any:
    """A ValidationDefinition of `suite` on the DataFrame batch, saved in the ephemeral context.

    Run through a ValidationDefinition, GX builds the batch once. `Batch.validate` builds it
    twice (the batch, then its validator's own), and building one hashes every cell of the
    DataFrame for GX's batch fingerprint: a quarter of a suite's time at 200k rows."""
    import great_expectations as gx

    batch_definition = _batch_definition()
    context = batch_definition.data_asset.datasource.data_context
    saved = context.suites.add_or_update(suite)
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"validate {suite.name}", data=batch_definition, suite=saved)
    )


@cache
def _suite_validation(source: str) -> Any:
    return _validation_definition(_gx_suite(source))


def _validate(
    definition: Any, df: pd.DataFrame, parameters: dict[str, Any], result_format: dict[str, Any]
) -> Any:
    return definition.run(
        batch_parameters={"dataframe": df}, expectation_parameters=parameters, result_format=result_format
    )


def _failed_suite(source: str, validation: Any) -> Any:
    """A suite of the expectations that failed, to re-run with detailed results."""
    from great_expectations.core import ExpectationSuite

    configs = []
    for res in validation.results:
        if not res.success:
            config = res.expectation_config.to_json_dict()
            config.pop("id", None)
            config["kwargs"] = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
            configs.append(config)
    return ExpectationSuite(name=f"{source}.failed", expectations=configs)


def validate_dataframe(source: str, df: pd.DataFrame, parameters: dict[str, Any]) -> list[Any]:
    """Run the source's suite on a DataFrame; returns the failed ExpectationValidationResults.

    Two passes: the whole suite with BOOLEAN_ONLY results (measured 2-3x cheaper), then only
    the failed expectations again with SUMMARY results, failing rows' index and examples.
    """
    quick = _validate(_suite_validation(source), df, parameters, {"result_format": "BOOLEAN_ONLY"})
    if quick.success:
        return []
    detailed = _validate(_validation_definition(_failed_suite(source, quick)), df, parameters, DETAIL_FORMAT)
    return [res for res in detailed.results if not res.success]


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy (numpy scalars to Python, dates to ISO strings)."""
    return json.loads(to_json(value))


def _example_rows(df: pd.DataFrame, result: dict[str, Any]) -> list[dict[str, Any]]:
    """A few failing rows, identified by (_load_id, _row_number), without personal columns."""
    keys = []
    for item in result.get("partial_unexpected_index_list") or []:
        if isinstance(item, dict) and "_load_id" in item and "_row_number" in item:
            keys.append((item["_load_id"], item["_row_number"]))
        if len(keys) >= EXAMPLE_ROWS:
            break
    if not keys:
        return []
    shown = [c for c in df.columns if c not in EXAMPLE_EXCLUDED_COLUMNS and c not in DERIVED_COLUMNS]
    rows = []
    for load_id, row_number in keys:
        match = df[(df["_load_id"] == load_id) & (df["_row_number"] == row_number)]
        if not match.empty:
            row = match.iloc[0][shown]
            rows.append({c: (None if pd.isna(v) else _jsonable(v)) for c, v in row.items()})
    return rows


def _observed(result: dict[str, Any]) -> Any:
    if "observed_value" in result:
        return _jsonable(result["observed_value"])
    return {
        "unexpected_count": result.get("unexpected_count"),
        "unexpected_percent": result.get("unexpected_percent"),
        "sample": _jsonable((result.get("partial_unexpected_list") or [])[:5]),
    }


# Python types a value of an object-dtype column may have, by expected dtype (pandas leaves a column
# as object when it is all NULL or mixes types; GX then checks the values one by one, and so do we).
_VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int64": (int, np.integer),
    "int32": (int, np.integer),
    "float64": (float, np.floating),
    "datetime64": (datetime, date, pd.Timestamp),
}
COLUMN_TYPES_CHECK = "expect_column_dtypes_to_match_contract"


def _dtype_matches(series: pd.Series, expected: str) -> bool:
    dtype = series.dtype
    if dtype == object:
        return bool(series.dropna().map(lambda v: isinstance(v, _VALUE_TYPES[expected])).all())
    if expected == "str":
        return pd.api.types.is_string_dtype(dtype)
    if expected == "datetime64":
        return pd.api.types.is_datetime64_dtype(dtype)
    return dtype == np.dtype(expected)


def column_type_failures(df: pd.DataFrame, spec: SuiteSpec) -> list[dict[str, Any]]:
    """The batch's columns whose dtype is not the contract's, as one critical failure (the suite's
    column-list expectation reports missing or extra columns)."""
    wrong = {
        column: str(df[column].dtype)
        for column, expected in spec.column_types.items()
        if column in df.columns and not _dtype_matches(df[column], expected)
    }
    if not wrong:
        return []
    return [
        {
            "expectation": COLUMN_TYPES_CHECK,
            "kwargs": {
                "column_list": sorted(wrong),
                "expected": {c: spec.column_types[c] for c in sorted(wrong)},
            },
            "severity": "critical",
            "observed": wrong,
            "exception": None,
            "examples": [],
            "load_ids": [],
        }
    ]


def summarize_failures(df: pd.DataFrame, failed: list[Any]) -> list[dict[str, Any]]:
    """Structured failures: expectation, column(s), severity, observed value, example rows."""
    failures = []
    for res in failed:
        config = res.expectation_config
        kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
        result = res.result or {}
        failures.append(
            {
                "expectation": config.type,
                "kwargs": _jsonable(kwargs),
                "severity": str(getattr(config.severity, "value", config.severity) or "critical"),
                "observed": _observed(result),
                "exception": (res.exception_info or {}).get("exception_message")
                if (res.exception_info or {}).get("raised_exception")
                else None,
                "examples": _example_rows(df, result),
                "load_ids": sorted(
                    {
                        str(i["_load_id"])
                        for i in result.get("partial_unexpected_index_list") or []
                        if isinstance(i, dict) and "_load_id" in i
                    }
                ),
            }
        )
    return failures


def _severity(failures: list[dict[str, Any]]) -> Severity:
    return "error" if any(f["severity"] == "critical" for f in failures) else "warn"


def batch_fingerprint(conn: duckdb.DuckDBPyConnection, spec: SuiteSpec, window: Window) -> str:
    """What a validation of the window depends on: the deliveries loaded in it and the suite."""
    load_ids: list[str] = []
    if table_exists(conn, "raw", spec.source):
        load_ids = [
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT _load_id FROM raw.{spec.source} WHERE {_window_filter()} ORDER BY 1",
                [window.start, window.end],
            ).fetchall()
        ]
    digest = hashlib.sha256(spec.path.read_bytes())
    digest.update("\n".join(map(str, load_ids)).encode())
    return digest.hexdigest()[:32]


def _previous_result(
    conn: duckdb.DuckDBPyConnection, spec: SuiteSpec, window: Window, fingerprint: str
) -> tuple | None:
    """The latest result of this suite on this window, if it validated exactly this batch."""
    if not table_exists(conn, "ops", "dq_results"):
        return None
    row = conn.execute(
        "SELECT passed, severity, observed_value, run_id, details FROM ops.dq_results "
        'WHERE check_name = ? AND asset = ? AND "partition" IS NOT DISTINCT FROM ? '
        "ORDER BY checked_at DESC LIMIT 1",
        [spec.check_name, spec.asset, window.partition],
    ).fetchone()
    if row is None or json.loads(row[4] or "{}").get("batch_fingerprint") != fingerprint:
        return None
    return row


def run_suite_on_window(conn: duckdb.DuckDBPyConnection, source: str, window: Window) -> CheckOutcome:
    """Validate the batch(es) of `raw.<source>` in `window` against the source's suite.

    A batch validated before (same deliveries, same suite file: `batch_fingerprint`) is not
    validated again: its last result stands. Yearly and monthly sources are re-run by every
    nightly run for the period in progress (the year's budget: 1.1 s a night at --scale 1) while
    their files change a few times a period. Only the row-count bounds, which follow the
    source's newest deliveries, could have moved since; the batch itself has not.
    """
    spec = load_suite_spec(source)
    started = time.perf_counter()
    fingerprint = batch_fingerprint(conn, spec, window)
    previous = _previous_result(conn, spec, window, fingerprint)
    if previous is not None:
        passed, severity, observed, run_id, details_json = previous
        details = json.loads(details_json or "{}")
        # a reused result names the run that validated the batch, not the last run that reused it
        validated_in = details.get("reused_from_run", run_id)
        validated_observed = details.get("validated_observed_value", observed)
        return CheckOutcome(
            check_name=spec.check_name,
            asset=spec.asset,
            passed=passed,
            severity=severity,
            observed_value=f"batch unchanged since run {str(validated_in)[:8]}: {validated_observed}",
            window=window,
            description=f"Great Expectations suite {spec.path.name}: the result of the unchanged batch",
            details={
                **details,
                "reused_from_run": validated_in,
                "validated_observed_value": validated_observed,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
    counts = period_row_counts(conn, source, window)
    failures: list[dict[str, Any]] = []
    rows = files = 0
    batches: list[dict[str, Any]] = []
    for periods in chunk_periods(counts):
        t0 = time.perf_counter()
        df = fetch_batch(conn, source, periods)
        load_ids = sorted(df["_load_id"].dropna().astype(str).unique().tolist())
        params = row_count_parameters(conn, source, load_ids)
        chunk_failures = column_type_failures(df, spec) + summarize_failures(
            df, validate_dataframe(source, df, params)
        )
        paths = load_paths(conn, sorted({i for f in chunk_failures for i in f["load_ids"]}))
        for f in chunk_failures:
            f["files"] = [paths.get(i, i) for i in f["load_ids"]]
        failures.extend(chunk_failures)
        rows += len(df)
        files += len(load_ids)
        batches.append(
            {
                "periods": [periods[0], periods[-1]],
                "rows": len(df),
                "files": len(load_ids),
                "row_count_bounds": params,
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
        del df
    elapsed = round(time.perf_counter() - started, 3)
    passed = not failures
    severity = _severity(failures) if failures else ("error" if spec.blocking else "warn")
    observed = (
        f"{rows} rows in {files} files: all {spec.expectation_count} expectations met"
        if passed
        else f"{len(failures)} of {spec.expectation_count} expectations failed on {rows} rows: "
        + "; ".join(_failure_label(f) for f in failures[:5])
    )
    return CheckOutcome(
        check_name=spec.check_name,
        asset=spec.asset,
        passed=passed,
        severity=severity,
        observed_value=observed,
        window=window,
        description=f"Great Expectations suite {spec.path.name} on the loaded batch",
        details={
            "suite": spec.path.name,
            "rows": rows,
            "files": files,
            "seconds": elapsed,
            "batches": batches,
            "failures": failures[:MAX_FAILURES_REPORTED],
            "batch_fingerprint": fingerprint,
        },
    )


def _failure_label(failure: dict[str, Any]) -> str:
    kwargs = failure.get("kwargs", {})
    target = (
        kwargs.get("column")
        or kwargs.get("column_list")
        or (f"{kwargs.get('column_A')}>{kwargs.get('column_B')}" if "column_A" in kwargs else "table")
    )
    files = failure.get("files") or []
    where = f" in {', '.join(Path(f).name for f in files[:2])}" if files else ""
    return f"{failure['expectation']}({target}) observed {json.dumps(failure['observed'], ensure_ascii=False, default=str)[:160]}{where}"
