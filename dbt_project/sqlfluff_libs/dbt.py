"""dbt's cross-database macros (`dbt.date_trunc(...)`, …) as sqlfluff's jinja templater renders them.

sqlfluff lints the models with its jinja templater rather than the dbt one: the dbt templater
compiles the whole project through dbt for each run and takes minutes, the jinja one seconds. This
module is on the templater's `library_path` only (see `.sqlfluff`); each function returns the SQL
dbt-duckdb renders for the macro, so the linted SQL has the shape dbt runs.
"""

from __future__ import annotations


def bool_or(expression: str) -> str:
    return f"bool_or({expression})"


def concat(fields: list[str]) -> str:
    return f"concat({', '.join(fields)})"


def date_spine(datepart: str, start_date: str, end_date: str) -> str:
    return (
        f"select unnest(generate_series(cast({start_date} as date), cast({end_date} as date), "
        f"interval 1 {datepart})) as date_{datepart}"
    )


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart: str, interval: str | int, from_date_or_timestamp: str) -> str:
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def listagg(
    measure: str,
    delimiter_text: str = "','",
    order_by_clause: str | None = None,
    limit_num: int | None = None,
) -> str:
    return f"string_agg({measure}, {delimiter_text}{' ' + order_by_clause if order_by_clause else ''})"


def replace(field: str, old_chars: str, new_chars: str) -> str:
    return f"replace({field}, {old_chars}, {new_chars})"


def safe_cast(field: str, data_type: str) -> str:
    return f"try_cast({field} as {data_type})"


def type_string() -> str:
    return "varchar"
