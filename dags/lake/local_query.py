"""`npm run query -- "<SQL>"`: SQL over the local lake's silver and gold, with DuckDB.

Each table is a view over its folder's Parquet (`.local/lake/{silver,gold}/<table>/**/*.parquet`; the
scratch folders `_staging`, `_quarantine` and `_reports` are not read), named as the Glue catalog names
it: the views live in a schema named after the stage's Glue database (`purchases_local_lake`, as
`purchases_<stage>_lake` on AWS), which is also the default one. So a query written here, such as
`SELECT ... FROM gold_daily_product_sales`, runs unchanged in the stage's Athena workgroup.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TextIO

import duckdb
from lake_jobs import layout

from lake.local_run import REPO, stack_names

# Hive partition folders hold text: each partition column gets the contract's type, as in Glue, rather
# than DuckDB's guess (which would read bronze_hour=2024-11-05T13 as a timestamp).
_DUCKDB_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "date": "DATE"}


def connect(lake_root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table that has data under `lake_root`."""
    from schemas import contract  # the contract's Spark schemas, for the partition columns' types

    database = stack_names()["glueDatabase"]
    connection = duckdb.connect()
    connection.execute(f"ATTACH ':memory:' AS {database}")
    connection.execute(f"USE {database}")
    tables = [("silver", t) for t in layout.SILVER_TABLES.values()] + [
        ("gold", t) for t in layout.GOLD_TABLES.values()
    ]
    for layer, table in tables:
        folder = lake_root / layer / table
        if not any(folder.rglob("*.parquet")):
            continue  # not written yet: like a table that no crawler has cataloged
        schema = getattr(contract, table)
        keys = layout.PARTITIONS[table]
        hive_types = {k: _DUCKDB_TYPES[schema[k].dataType.simpleString()] for k in keys}
        source = str(folder / "**" / "*.parquet").replace("'", "''")
        options = (
            f"hive_partitioning = true, hive_types = {hive_types}" if keys else "hive_partitioning = false"
        )
        # The names come from the layout and the folder from the command line: nothing of a query's.
        view = f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{source}', {options})"  # noqa: S608
        connection.execute(view)
    return connection


def run(sql: str, lake_root: Path, output_format: str, out: TextIO = sys.stdout) -> None:
    # DuckDB's stubs leave out the None that a statement without a result gives.
    relation: duckdb.DuckDBPyRelation | None = connect(lake_root).sql(sql)
    if relation is None:  # a statement without a result, such as SET
        return
    if output_format == "table":
        relation.show(max_rows=1000, max_width=200)
        return
    columns, rows = relation.columns, relation.fetchall()
    if output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(["" if v is None else str(v) for v in row] for row in rows)
    else:
        # Decimals and dates as their exact text: JSON numbers would be binary floats.
        json.dump([dict(zip(columns, row, strict=True)) for row in rows], out, default=str, indent=2)
        out.write("\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="SQL over the local lake's silver and gold (DuckDB).")
    parser.add_argument("sql", help='e.g. "SELECT * FROM gold_daily_product_sales LIMIT 5"')
    parser.add_argument("--lake-root", default=str(REPO / ".local" / "lake"))
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    args = parser.parse_args(argv)
    try:
        run(args.sql, Path(args.lake_root).resolve(), args.format)
    except duckdb.Error as e:
        print(f"query failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
