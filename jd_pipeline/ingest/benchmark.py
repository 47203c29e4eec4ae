"""Loader throughput vs DuckDB's bare `read_csv` and a naive pandas loader, on a generated CSV.

    python -m jd_pipeline.ingest.benchmark --rows 1000000 [--workdir DIR] [--skip-pandas]

Writes a `jd_pop_orders` export (24 columns, quirks: `¥1,234.50`, `100012345678.0` IDs,
`0001-01-01 00:00:00`, `-` markers) in UTF-8 (with BOM) and in GB18030, then times:
1. `bare`: `CREATE TABLE t AS SELECT * FROM read_csv(<utf-8 file>)` (auto-detected types),
2. `loader_utf8` / `loader_gb18030`: `load_files()` of the contract-driven loader (typed,
   validated, PII hashed, manifest + transaction),
3. `pandas_naive` (gb18030): `pd.read_csv(dtype=str)` + per-value Python parsing + insert.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import cast

import duckdb

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest.landing import scan_landing
from jd_pipeline.ingest.loader import load_files

# One SQL expression per column of the POP export (over `i`, the row number), keyed by header.
_VALUES = {
    "订单号": "CAST(300000000 + i // 2 AS VARCHAR)",
    "商品ID": "CAST(100000000000 + i AS VARCHAR) || '.0'",
    "商品名称": "'商品' || (i % 5000) || ' &amp; 配件'",
    "订购数量": "CAST(1 + i % 3 AS VARCHAR)",
    "支付方式": "CASE WHEN i % 10 = 0 THEN '货到付款' ELSE '在线支付' END",
    "下单时间": "'2026-03-01 ' || lpad(CAST(i % 24 AS VARCHAR), 2, '0') || ':' || lpad(CAST(i % 60 AS VARCHAR), 2, '0') || ':00'",
    "京东价": "'¥' || printf('%,.2f', 1000 + (i % 997) * 1.37)",
    "订单金额": "printf('%,.2f', 2000 + (i % 991) * 2.11)",
    "结算金额": "printf('%.2f', 1900 + (i % 991) * 2.11)",
    "应付金额": "printf('%.2f', 1950 + (i % 991) * 2.11)",
    "余额支付": "CASE WHEN i % 7 = 0 THEN '-' ELSE '0' END",
    "运费金额": "CASE WHEN i % 5 = 0 THEN '10.00' ELSE '0' END",
    "订单状态": "CASE WHEN i % 13 = 0 THEN '已取消' WHEN i % 17 = 0 THEN '(删除)完成' ELSE '完成' END",
    "订单类型": "'普通订单'",
    "下单帐号": "'user_' || (i % 200000)",
    "客户姓名": "'张三'",
    "客户地址": "CASE WHEN i % 2 = 0 THEN '广东省深圳市南山区' ELSE '北京市朝阳区' END || (i % 1000) || '号'",
    "联系电话": "'138' || lpad(CAST(i % 100000000 AS VARCHAR), 8, '0')",
    "订单备注": "''",
    "商家备注": "''",
    "付款确认时间": "CASE WHEN i % 13 = 0 THEN '0001-01-01 00:00:00' ELSE '2026-03-01 23:00:00' END",
    "货号": "'A' || (i % 5000)",
    "订单完成时间": "''",
    "订单来源": "'移动端'",
}


def _gen_sql(rows: int, path: Path) -> str:
    """The POP export as its contract lays it out: the contract's headers, in its column order."""
    headers = [column.header for column in get_contract("jd_pop_orders").columns]
    if list(_VALUES) != headers:
        raise ValueError(f"benchmark columns {list(_VALUES)} differ from the contract's {headers}")
    select = ", ".join(f'{_VALUES[h]} AS "{h}"' for h in headers)
    return f"COPY (SELECT {select} FROM range({rows}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"


def generate(workdir: Path, rows: int) -> tuple[Path, Path]:
    """(utf-8 file with BOM, gb18030 file) under a landing layout in `workdir`."""
    plain = workdir / "plain.csv"
    gen = duckdb.connect()
    gen.execute("SET enable_progress_bar = false")
    gen.execute(_gen_sql(rows, plain))
    utf8 = workdir / "landing_utf8/jd_pop_orders/bench/2026-03-01/orders.csv"
    gb = workdir / "landing_gb/jd_pop_orders/bench/2026-03-01/orders.csv"
    for p in (utf8, gb):
        p.parent.mkdir(parents=True, exist_ok=True)
    with plain.open("rb") as src, utf8.open("wb") as out_u, gb.open("wb") as out_g:
        out_u.write(b"\xef\xbb\xbf")
        while chunk := src.read(4 << 20):
            out_u.write(chunk)
            cut = chunk.rfind(b"\n") + 1  # keep whole lines: never split a UTF-8 character
            rest = chunk[cut:]
            out_g.write(chunk[:cut].decode("utf-8").encode("gb18030"))
            if rest:
                more = src.readline()
                out_u.write(more)
                out_g.write((rest + more).decode("utf-8").encode("gb18030"))
    plain.unlink()
    return utf8, gb


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_bare(workdir: Path, csv_path: Path) -> float:
    db = workdir / "bare.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute("SET enable_progress_bar = false")
    try:
        return _timed(lambda: conn.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')"))
    finally:
        conn.close()
        db.unlink()


def bench_loader(workdir: Path, landing: Path) -> tuple[float, int]:
    db = workdir / "loader.duckdb"
    conn = duckdb.connect(str(db))
    try:
        files = scan_landing(landing, "jd_pop_orders")
        holder: dict[str, int] = {}
        seconds = _timed(
            lambda: holder.update(
                rows=load_files(conn, get_contract("jd_pop_orders"), files, salt="bench-salt").rows_loaded
            )
        )
        return seconds, holder["rows"]
    finally:
        conn.close()
        db.unlink()


def _money(v: object) -> Decimal | None:
    s = str(v).strip().replace(",", "").replace("¥", "").replace("￥", "")
    if s in ("", "-", "--", "—", "N/A", "nan"):
        return None
    try:
        return Decimal(s).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _ts(v: object) -> datetime | None:
    s = str(v).strip()
    if not s or s == "nan" or s.startswith("0001-01-01"):
        return None
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S")


def bench_pandas(workdir: Path, csv_path: Path) -> float:
    """The naive way: pandas reads strings, Python parses every value, DuckDB stores the frame."""
    import hashlib

    import pandas as pd

    db = workdir / "pandas.duckdb"
    conn = duckdb.connect(str(db))
    conn.execute("SET enable_progress_bar = false")

    def run() -> None:
        df = pd.read_csv(csv_path, encoding="gb18030", dtype=str, keep_default_na=False)
        df = df.drop(columns=["客户姓名", "联系电话", "订单备注", "商家备注"])
        for col in ("京东价", "订单金额", "结算金额", "应付金额", "余额支付", "运费金额"):
            df[col] = df[col].map(_money)
        for col in ("下单时间", "付款确认时间", "订单完成时间"):
            df[col] = df[col].map(_ts)
        df["订购数量"] = df["订购数量"].map(int)
        df["商品ID"] = df["商品ID"].map(lambda s: s.removesuffix(".0"))
        df["下单帐号"] = df["下单帐号"].map(lambda s: hashlib.sha256(("bench-salt" + s).encode()).hexdigest())
        df["客户地址"] = df["客户地址"].map(lambda s: s[:2])
        conn.register("df", df)
        conn.execute("CREATE TABLE t AS SELECT * FROM df")

    try:
        return _timed(run)
    finally:
        conn.close()
        db.unlink()


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="jd_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        utf8, gb = generate(workdir, args.rows)
        result: dict[str, object] = {
            "rows": args.rows,
            "date": date.today().isoformat(),
            "mb_utf8": round(utf8.stat().st_size / 1e6, 1),
        }
        result["bare_s"] = bench_bare(workdir, utf8)
        result["loader_utf8_s"], loaded = bench_loader(workdir, workdir / "landing_utf8")
        result["loader_gb18030_s"], _ = bench_loader(workdir, workdir / "landing_gb")
        result["rows_loaded"] = loaded
        if not args.skip_pandas:
            result["pandas_naive_s"] = bench_pandas(workdir, gb)
        seconds = {k: float(cast(float, v)) for k, v in result.items() if k.endswith("_s")}
        for key in ("bare_s", "loader_utf8_s", "loader_gb18030_s", "pandas_naive_s"):
            if key in seconds:
                result[key.replace("_s", "_rows_per_s")] = round(args.rows / seconds[key])
        result["loader_utf8_vs_bare"] = round(seconds["bare_s"] / seconds["loader_utf8_s"], 2)
        result["loader_gb18030_vs_bare"] = round(seconds["bare_s"] / seconds["loader_gb18030_s"], 2)
        if "pandas_naive_s" in seconds:
            result["loader_gb18030_time_vs_pandas"] = round(
                seconds["loader_gb18030_s"] / seconds["pandas_naive_s"], 2
            )
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return result
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
