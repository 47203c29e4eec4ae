"""What the dbt project says about each published table: description, column labels and grain.

Read from the dbt manifest (`dbt_project/target/manifest.json`, written by every dbt run and by
`dbt parse`). Used by the PostgreSQL publish for `COMMENT ON` and the keys on each mart's grain.

- Column comment: the Chinese label `config: meta: label_zh` when the yml has one, then the
  description (`<label> — <description>`), else just the description.
- Grain: the `unique_combination_of_columns` test of the model, else a single-column `unique`
  test, else a `primary_key` constraint. Tables dbt does not build (schema `ops`) have none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from jd_pipeline.config import DBT_PROJECT_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


@dataclass(frozen=True)
class TableDoc:
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # column -> comment
    grain: tuple[str, ...] = ()


def load_table_docs(manifest_path: Path | None = None) -> dict[tuple[str, str], TableDoc]:
    """`(schema, table) -> TableDoc` for every dbt model; {} when there is no manifest yet."""
    path = manifest_path or MANIFEST_PATH
    if not path.exists():
        return {}
    manifest = json.loads(path.read_text(encoding="utf-8"))
    nodes: dict[str, dict] = manifest.get("nodes", {})
    grains = _grains_by_model(nodes)
    docs: dict[tuple[str, str], TableDoc] = {}
    for unique_id, node in nodes.items():
        if node.get("resource_type") != "model":
            continue
        name = node.get("alias") or node["name"]
        docs[(node.get("schema", ""), name)] = TableDoc(
            description=_clean(node.get("description", "")),
            columns={
                c: comment for c, col in node.get("columns", {}).items() if (comment := column_comment(col))
            },
            grain=grains.get(unique_id) or _primary_key_constraint(node),
        )
    return docs


def column_comment(column: dict) -> str:
    label = _label_zh(column)
    description = _clean(column.get("description", ""))
    if label and description and label != description:
        return f"{label} — {description}"
    return label or description


def _label_zh(column: dict) -> str:
    for meta in ((column.get("config") or {}).get("meta") or {}, column.get("meta") or {}):
        if meta.get("label_zh"):
            return str(meta["label_zh"]).strip()
    return ""


def _grains_by_model(nodes: dict[str, dict]) -> dict[str, tuple[str, ...]]:
    combos: dict[str, tuple[str, ...]] = {}
    singles: dict[str, tuple[str, ...]] = {}
    for node in nodes.values():
        test = node.get("test_metadata") or {}
        model = node.get("attached_node")
        if node.get("resource_type") != "test" or not model:
            continue
        kwargs = test.get("kwargs") or {}
        if test.get("name") == "unique_combination_of_columns" and kwargs.get("combination_of_columns"):
            combos[model] = tuple(kwargs["combination_of_columns"])
        elif test.get("name") == "unique" and kwargs.get("column_name"):
            singles.setdefault(model, (kwargs["column_name"],))
    return {**singles, **combos}


def _primary_key_constraint(node: dict) -> tuple[str, ...]:
    for constraint in node.get("constraints") or []:
        if constraint.get("type") == "primary_key" and constraint.get("columns"):
            return tuple(constraint["columns"])
    for name, column in (node.get("columns") or {}).items():
        if any(c.get("type") == "primary_key" for c in column.get("constraints") or []):
            return (name,)
    return ()


def _clean(text: str) -> str:
    return " ".join((text or "").split())
