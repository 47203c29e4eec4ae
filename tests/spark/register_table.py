"""`python register_table.py <settings json> <schema.table> <parquet folder> [<schema.table> <folder> ...]`:
Parquet folders as tables in the Spark catalog of the `spark` target (its session settings:
warehouse dir, metastore), in one JVM.

Run as a process of its own: the Derby metastore admits one JVM at a time, and dbt's comes next."""

from __future__ import annotations

import json
import sys


def main(settings: str, *tables_and_paths: str) -> None:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in json.loads(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        for table, path in zip(tables_and_paths[::2], tables_and_paths[1::2], strict=True):
            spark.sql(f"create schema if not exists {table.split('.')[0]}")
            spark.sql(f"create table {table} using parquet options (path '{path}')")
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
