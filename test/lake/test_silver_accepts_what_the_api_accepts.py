"""Property: every purchase the API accepts reaches silver; none is quarantined.

test/lake/accepted-purchases.ts draws purchases with fast-check (edges weighted), keeps those the API's
own validator accepts and writes each as the consumer stores it, in the bronze line format. Silver
then runs on them in local Spark, and its rows are written as the silver job writes them.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from conftest import REPO
from lake_jobs import silver
from pyspark.sql import functions as F
from schemas import contract, json_schemas

CASES = 5_000
SEED = 20241105
TSX = REPO / "node_modules" / ".bin" / "tsx"
HOUR = "year=2024/month=11/day=05/hour=13"


@pytest.fixture(scope="module")
def accepted_lines(tmp_path_factory):
    started = time.perf_counter()
    done = subprocess.run(
        [str(TSX), str(REPO / "test" / "lake" / "accepted-purchases.ts"), str(CASES), str(SEED)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    summary = json.loads(done.stderr.strip().splitlines()[0])
    bronze = tmp_path_factory.mktemp("bronze") / HOUR
    bronze.mkdir(parents=True)
    (bronze / "part-0.json").write_text(done.stdout)
    return bronze, summary, time.perf_counter() - started


def test_every_purchase_the_api_accepts_reaches_silver(spark, accepted_lines, tmp_path):
    bronze, summary, generating = accepted_lines
    started = time.perf_counter()
    record = json_schemas.purchases
    rules = silver.field_rules(record, json_schemas.silver_purchases, contract.silver_purchases)
    row_rules = silver.row_rules(json_schemas.purchases_quality, record)
    derived = silver.derived_rules(record, json_schemas.silver_purchases, contract.silver_purchases)
    fields = [r.name for r in rules]
    lines = spark.read.text(str(bronze)).select("value", F.col("_metadata.file_path").alias("file"))
    settled = silver.settle(
        silver.validate(silver.parse_lines(lines, fields), rules, row_rules), derived, fields
    )
    quarantined = silver.quarantined(settled).collect()
    counts = silver.fate_counts(settled)
    rows = silver.conform(settled.filter(F.col("fate") == silver.SILVER), contract.silver_purchases)
    rows.write.parquet(str(tmp_path / "silver"))
    print(
        f"\n{summary['generated']} purchases drawn, {summary['accepted']} accepted by the API "
        f"({generating:.1f} s to draw and map), silver in {time.perf_counter() - started:.1f} s: {counts}"
    )
    assert [(r["reason"], r["record"]) for r in quarantined] == []
    assert summary["accepted"] > CASES // 2
    assert counts == {
        silver.SILVER: summary["accepted"],
        silver.QUARANTINE: 0,
        silver.DUPLICATE: 0,
        silver.DELETE: 0,
    }
    assert spark.read.parquet(str(tmp_path / "silver")).count() == summary["accepted"]
