"""Every report opens (HTML parses, workbook loads), its key numbers equal the marts', and a closed
gate or a failed build leaves the previous reports untouched. Build times are printed (-s)."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest

from jd_pipeline.defs.resources import WarehouseResource
from jd_pipeline.reporting import build as report_build
from jd_pipeline.reporting.build import BuiltReport, build_kind, publish

BRAND = "acme"
MONTH = "2026-03"


class _KeyParser(HTMLParser):
    """Collects data-key/data-value pairs, table names and image sources; fails on nothing (html.parser)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, str] = {}
        self.tables: list[str] = []
        self.images: list[str] = []
        self.cells: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-key" in a:
            self.keys[a["data-key"] or ""] = a.get("data-value") or ""
        if tag == "table" and a.get("data-table"):
            self.tables.append(a["data-table"] or "")
        if tag == "img":
            self.images.append(a.get("src") or "")


def _parse(path: Path) -> _KeyParser:
    parser = _KeyParser()
    parser.feed(path.read_text("utf-8"))
    parser.close()
    return parser


def _value(parser: _KeyParser, key: str) -> float | None:
    raw = parser.keys[key]
    return float(raw) if raw else None


def _db(data_dir: Path) -> Path:
    return data_dir / "warehouse" / "warehouse.duckdb"


def _one(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> float:
    value = conn.execute(sql, params).fetchone()[0]
    return 0.0 if value is None else float(value)


@pytest.fixture(scope="module")
def built(built_reports: dict[str, list[BuiltReport]]) -> dict[str, list[BuiltReport]]:
    return built_reports


@pytest.mark.parametrize("kind", ["monthly_business_review", "campaign_recap", "opex", "agency_scorecard"])
def test_every_report_opens(built: dict[str, list[BuiltReport]], kind: str) -> None:
    assert built[kind], f"no {kind} report built for {BRAND} {MONTH}"
    for b in built[kind]:
        assert b.html_path.exists() and b.xlsx_path.exists()
        assert b.html_path.parent.parent.name == b.report.brand
        parsed = _parse(b.html_path)
        assert parsed.keys and parsed.tables
        assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
        assert not any("http://" in src or "https://" in src for src in parsed.images)
        book = openpyxl.load_workbook(b.xlsx_path, read_only=True)
        assert "说明" in book.sheetnames
        assert set(parsed.tables) <= set(book.sheetnames)
        book.close()


def test_business_review_numbers_equal_marts(
    built: dict[str, list[BuiltReport]], report_warehouse: Path
) -> None:
    (mbr,) = [b for b in built["monthly_business_review"] if b.report.brand == BRAND]
    assert mbr.html_path.parent.name == MONTH
    parsed = _parse(mbr.html_path)
    with duckdb.connect(str(_db(report_warehouse)), read_only=True) as conn:
        gmv = _one(
            conn,
            "select sum(actual_gmv) from marts.fct_plan_vs_actual_monthly where brand = ? and month = ?",
            [BRAND, MONTH],
        )
        sales_gmv = _one(
            conn,
            "select sum(gmv) from marts.fct_sales_daily where brand = ? and "
            "date_day between '2026-03-01' and '2026-03-31'",
            [BRAND],
        )
        plan = _one(
            conn,
            "select sum(plan_gmv) from marts.fct_plan_vs_actual_monthly where brand = ? and month = ?",
            [BRAND, MONTH],
        )
        net = _one(
            conn,
            "select sum(net_sales) from marts.fct_sales_daily where brand = ? and "
            "date_day between '2026-03-01' and '2026-03-31'",
            [BRAND],
        )
        ads = _one(
            conn,
            "select sum(cost) from marts.fct_ads_daily where brand = ? and "
            "date_day between '2026-03-01' and '2026-03-31'",
            [BRAND],
        )
        contribution = _one(
            conn,
            "select sum(contribution) from marts.fct_ecom_pnl_monthly where brand = ? and month = ?",
            [BRAND, MONTH],
        )
    assert gmv > 0 and gmv == pytest.approx(sales_gmv)
    assert _value(parsed, "gmv") == pytest.approx(gmv)
    assert _value(parsed, "plan_gmv") == pytest.approx(plan)
    assert _value(parsed, "achievement_vs_plan") == pytest.approx(gmv / plan)
    assert _value(parsed, "net_sales") == pytest.approx(net)
    assert _value(parsed, "ads_cost") == pytest.approx(ads)
    assert _value(parsed, "contribution") == pytest.approx(contribution)
    sheet = openpyxl.load_workbook(mbr.xlsx_path, read_only=True)["GMV计划达成"]
    rows = list(sheet.iter_rows(values_only=True))
    col = rows[0].index("实际 GMV (元)")  # Chinese headers from the dbt label dictionary
    assert sum(r[col] or 0 for r in rows[1:]) == pytest.approx(gmv)


def test_opex_numbers_equal_marts(built: dict[str, list[BuiltReport]], report_warehouse: Path) -> None:
    by_kind = {b.report.kind: b for b in built["opex"] if b.report.brand == BRAND}
    assert set(by_kind) == {"opex_month", "opex_quarter", "opex_year"}
    assert [by_kind[k].html_path.parent.name for k in ("opex_month", "opex_quarter", "opex_year")] == [
        MONTH,
        "2026Q1",
        "2026",
    ]
    with duckdb.connect(str(_db(report_warehouse)), read_only=True) as conn:
        sums = conn.execute(
            "select sum(actual), sum(budget), sum(qtd_actual), sum(ytd_actual), sum(ytd_budget) "
            "from marts.fct_opex_monthly where brand = ? and month = ?",
            [BRAND, MONTH],
        ).fetchone()
    actual, budget, qtd, ytd, ytd_budget = (0.0 if v is None else float(v) for v in sums)
    assert actual != 0
    month = _parse(by_kind["opex_month"].html_path)
    assert _value(month, "actual") == pytest.approx(actual)
    assert _value(month, "budget") == pytest.approx(budget)
    assert _value(_parse(by_kind["opex_quarter"].html_path), "actual") == pytest.approx(qtd)
    year = _parse(by_kind["opex_year"].html_path)
    assert _value(year, "actual") == pytest.approx(ytd)
    assert _value(year, "budget") == pytest.approx(ytd_budget)


def test_campaign_recap_numbers_equal_marts(
    built: dict[str, list[BuiltReport]], report_warehouse: Path
) -> None:
    recaps = {b.report.file_stem: b for b in built["campaign_recap"] if b.report.brand == BRAND}
    assert "campaign_recap_CSBD" in recaps  # ended 2026-03-02; 618 has not ended in the data
    assert "campaign_recap_C618" not in recaps
    parsed = _parse(recaps["campaign_recap_CSBD"].html_path)
    with duckdb.connect(str(_db(report_warehouse)), read_only=True) as conn:
        during, target, cost = conn.execute(
            "select sum(gmv_during), sum(target_gmv), sum(ads_cost) from marts.fct_campaign_recap "
            "where brand = ? and campaign_code = 'CSBD'",
            [BRAND],
        ).fetchone()
    assert _value(parsed, "gmv_during") == pytest.approx(float(during or 0))
    assert _value(parsed, "target_gmv") == pytest.approx(float(target or 0))
    assert _value(parsed, "ads_cost") == pytest.approx(float(cost or 0))


def test_agency_scorecard_numbers_equal_marts(
    built: dict[str, list[BuiltReport]], report_warehouse: Path
) -> None:
    reports = {b.report.period: b for b in built["agency_scorecard"] if b.report.brand == BRAND}
    assert set(reports) == {"2026Q1", "2026"}
    with duckdb.connect(str(_db(report_warehouse)), read_only=True) as conn:
        for period, b in reports.items():
            expected = dict(
                conn.execute(
                    "select staff_id, max(staff_score) from marts.fct_agency_kpi_scorecard where brand = ? and period = ? "
                    "group by staff_id",
                    [BRAND, period],
                ).fetchall()
            )
            assert expected, period
            parsed = _parse(b.html_path)
            for staff_id, score in expected.items():
                # staff_score is a DECIMAL in the mart (identical runs, identical checksums)
                assert _value(parsed, f"score_{staff_id}") == pytest.approx(
                    None if score is None else float(score)
                )


# ------------------------------------------------------------------------- gate and atomicity


def _snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def _materialize(asset: dg.AssetsDefinition, db: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [asset],
        partition_key=f"{MONTH}-01",
        resources={"warehouse": WarehouseResource(database=str(db))},
        raise_on_error=False,
    )


def test_closed_gate_leaves_previous_reports_untouched(
    report_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jd_pipeline.defs.reports import report_assets
    from jd_pipeline.quality.results import CheckOutcome, write_outcomes
    from jd_pipeline.quality.windows import Window

    data_dir = tmp_path / "data"
    (data_dir / "warehouse").mkdir(parents=True)
    db = _db(data_dir)
    db.write_bytes(_db(report_warehouse).read_bytes())
    monkeypatch.setenv("JD_DATA_DIR", str(data_dir))
    mbr = next(a for a in report_assets if a.key.path[-1] == "monthly_business_review")

    first = _materialize(mbr, db)
    assert first.success
    before = _snapshot(data_dir / "reports")
    assert any(p.suffix == ".html" for p in before) and any(p.suffix == ".xlsx" for p in before)
    meta = first.asset_materializations_for_node(mbr.op.name)[0].metadata
    assert Path(meta["latest_html"].value).exists()

    with duckdb.connect(str(db)) as conn:
        write_outcomes(
            conn,
            [
                CheckOutcome(
                    "recon_test",
                    "raw/jd_pop_orders",
                    False,
                    "error",
                    "planted failure",
                    Window(date(2026, 3, 5), date(2026, 3, 6), "2026-03-05"),
                )
            ],
            "test-run",
        )
    second = _materialize(mbr, db)
    assert not second.success
    assert _snapshot(data_dir / "reports") == before


def test_failed_build_leaves_previous_reports_untouched(
    report_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "reports"
    with duckdb.connect(str(_db(report_warehouse)), read_only=False) as conn:
        publish(build_kind(conn, "opex", MONTH, root))
        before = _snapshot(root)
        calls = {"n": 0}
        real = report_build.render_xlsx

        def flaky(report):  # the second workbook of the run fails
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
            return real(report)

        monkeypatch.setattr(report_build, "render_xlsx", flaky)
        with pytest.raises(RuntimeError):
            publish(build_kind(conn, "opex", MONTH, root))
    assert _snapshot(root) == before
    assert not [p for p in root.rglob("*.tmp")]


def test_rolling_plan_report_numbers_equal_marts(report_warehouse: Path, tmp_path: Path) -> None:
    """The rolling-plan report of the forecast's month: plan and forecast of the next 3 months equal
    fct_rolling_plan_3m, the backtest figures equal fct_demand_forecast, and every section renders."""
    with duckdb.connect(str(_db(report_warehouse))) as conn:
        as_of = conn.execute(
            "select max(as_of_date) from marts.fct_demand_forecast where brand = ?", [BRAND]
        ).fetchone()[0]
        month = as_of.strftime("%Y-%m")
        (built_rp,) = build_kind(conn, "rolling_plan", month, tmp_path)
        plan = _one(
            conn,
            "select sum(plan_gmv) from marts.fct_rolling_plan_3m where brand = ? and as_of_date = ?",
            [BRAND, as_of],
        )
        fc = _one(
            conn,
            "select sum(forecast_gmv) from marts.fct_rolling_plan_3m where brand = ? and as_of_date = ?",
            [BRAND, as_of],
        )
        wape = conn.execute(
            "select max(portfolio_backtest_wape) from marts.fct_demand_forecast where brand = ? and "
            "as_of_date = ?",
            [BRAND, as_of],
        ).fetchone()[0]
        groups = conn.execute(
            "select count(distinct (store_type, category, history_class)) from marts.fct_demand_forecast "
            "where brand = ? and as_of_date = ? and group_backtest_wape is not null",
            [BRAND, as_of],
        ).fetchone()[0]
    publish([built_rp])
    parsed = _parse(built_rp.html_path)
    assert _value(parsed, "plan_gmv_3m") == pytest.approx(plan, abs=0.01)
    assert _value(parsed, "forecast_gmv_3m") == pytest.approx(fc, abs=0.01) and fc > 0
    assert _value(parsed, "backtest_wape") == pytest.approx(wape, abs=1e-6)
    assert {"滚动计划", "预测vs实际", "预测准确度", "弱预测SKU"} <= set(parsed.tables)
    accuracy = next(t for s in built_rp.report.sections for t in s.tables if t.sheet == "预测准确度")
    assert len(accuracy.frame) == groups  # the fixture's few months may leave no backtested group
    assert (accuracy.frame["backtest_wape"] <= accuracy.frame["baseline_wape"] + 1e-12).all()
    book = openpyxl.load_workbook(built_rp.xlsx_path, read_only=True)
    assert "滚动计划" in book.sheetnames
    book.close()
