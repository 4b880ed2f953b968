"""Benchmark: bronze to silver to gold with the gates, Spark local mode against DuckDB in the same run.

    bash bench/lake-bench.sh [ROWS ...]        (default: 100000 1000000)

For each size it writes one bronze hour of generated purchases (DynamoDB JSON lines, with 1% redelivered
copies and 0.5% records that break the contract), then times:

- spark: the lake's own jobs (lake_jobs.pipeline.run_silver and run_gold: validate, quarantine, dedupe,
  enrich, stage Parquet, the Soda gates generated from the contract plus the hand-written ones, publish);
- duckdb: the same transformations in DuckDB SQL (same validation rules, dedupe, enrichment, partitioned
  Parquet, the three gold tables) with the gates' set-level checks as SQL assertions.

It prints wall time and rows per second for each, the Spark / DuckDB ratio, and where each engine's time
went per layer: stage (transform, write, counts), gate and publish (Spark's from its run reports).

For reference it also times Spark's floor: the bronze lines read with the same line schema, each field
cast to its silver type and written as Parquet, and nothing else (no validation, quarantine, dedupe,
enrichment, partitioning, gates or gold), against DuckDB's whole pipeline in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "spark"), str(REPO / "dags")]

HOUR = datetime(2024, 11, 5, 13, tzinfo=UTC)
FILES = 8


def generate(bronze: Path, rows: int, seed: int = 7) -> int:
    """Bronze lines for `rows` purchases in HOUR; returns the number of lines written."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    folder = bronze / f"purchases/year={HOUR:%Y}/month={HOUR:%m}/day={HOUR:%d}/hour={HOUR:%H}"
    folder.mkdir(parents=True)
    handles = [open(folder / f"part-{i:02d}", "w") for i in range(FILES)]  # noqa: SIM115
    written = 0
    try:
        for i in range(rows):
            stored = HOUR + timedelta(milliseconds=rng.randrange(3_600_000))
            cents = rng.randrange(24, 500_000)  # a cent for each of up to 24 installments
            total = f"{cents // 100}.{cents % 100:02d}"
            if i % 200 == 0:
                total = f"{total}5"  # a third decimal place: quarantined
            day = (HOUR - timedelta(days=rng.randrange(30))).date().isoformat()
            image = {
                "purchase_id": {
                    "S": f"{rng.getrandbits(32):08x}-{i >> 16:04x}-4{i & 0xFFF:03x}-8000-{i:012x}"
                },
                "buyer_id": {"N": str(rng.randrange(1, 50_000))},
                "product_id": {"N": str(rng.randrange(1, 2_000))},
                "number_of_installments": {"N": str(rng.randrange(1, 25))},
                "total_amount": {"N": total},
                "purchase_date": {"S": day},
                "received_at": {
                    "S": (stored - timedelta(milliseconds=200)).isoformat(timespec="milliseconds")[:-6] + "Z"
                },
                "stored_at": {"S": stored.isoformat(timespec="milliseconds")[:-6] + "Z"},
                "ingest_hour": {"S": f"{HOUR:%Y-%m-%dT%H}"},
            }
            line = json.dumps({"Keys": {"purchase_id": image["purchase_id"]}, "NewImage": image}) + "\n"
            copies = 2 if i % 100 == 0 else 1  # a redelivered purchase
            for _ in range(copies):
                handles[written % FILES].write(line)
                written += 1
    finally:
        for h in handles:
            h.close()
    return written


def run_spark(spark, root: Path) -> tuple[float, dict, dict]:
    from lake_jobs.pipeline import Interval, run_gold, run_silver

    interval = Interval(HOUR, HOUR + timedelta(hours=1))
    soda = REPO / "soda"
    silver_checks = [str(soda / "generated/silver_purchases.yml"), str(soda / "checks/silver_purchases.yml")]
    gold_checks = [
        str(soda / f"generated/{t}.yml")
        for t in ("gold_daily_product_sales", "gold_buyer_summary", "gold_installment_mix")
    ] + [str(soda / "checks/gold.yml")]
    started = time.perf_counter()
    silver = run_silver(
        spark, interval, (root / "bronze").as_uri(), "*", (root / "spark-silver").as_uri(), silver_checks
    )
    gold = run_gold(
        spark, interval, (root / "spark-silver").as_uri(), (root / "spark-gold").as_uri(), gold_checks
    )
    elapsed = time.perf_counter() - started
    assert silver.published, silver.gate
    assert gold.published, gold.gate
    counts = {"silver_rows": silver.counts["rows"], "quarantined": silver.counts["quarantined"]}
    return elapsed, counts, {"silver": silver.seconds, "gold": gold.seconds}


def run_spark_floor(spark, root: Path) -> float:
    """Seconds Spark takes to read the bronze lines into typed columns and write them as Parquet."""
    from lake_jobs import silver
    from pyspark.sql import functions as F
    from schemas import contract, json_schemas

    schemas = (json_schemas.purchases, json_schemas.silver_purchases, contract.silver_purchases)
    rules = silver.field_rules(*schemas)
    started = time.perf_counter()
    fields = [r.name for r in rules]
    lines = spark.read.schema(silver.line_schema(fields)).json(str(root / "bronze/purchases/*/*/*/*/*"))
    # Each field's text as the silver job reads it, cast to its type without any check.
    image = F.col("NewImage")
    typed = lines.select(*[silver._text(image, r).cast(r.data_type).alias(r.name) for r in rules])
    typed.write.mode("overwrite").parquet((root / "spark-floor").as_uri())
    return time.perf_counter() - started


DUCKDB_SILVER = """
CREATE OR REPLACE TEMP TABLE raw AS
SELECT NewImage AS i,
       regexp_extract(filename,
                      'year=([0-9]{{4}})/month=([0-9]{{2}})/day=([0-9]{{2}})/hour=([0-9]{{2}})/',
                      ['y','m','d','h']) AS p
FROM read_json('{bronze}/purchases/*/*/*/*/*', format='newline_delimited', filename=true,
               columns={{'Keys': 'JSON', 'NewImage': 'MAP(VARCHAR, STRUCT(S VARCHAR, N VARCHAR))'}});

CREATE OR REPLACE TEMP TABLE typed AS
SELECT *,
  list_filter([
    CASE WHEN purchase_id IS NULL THEN 'purchase_id: required but missing' END,
    CASE WHEN NOT regexp_full_match(purchase_id,
                                    '[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}')
         THEN 'purchase_id: does not match' END,
    CASE WHEN buyer_id IS NULL OR buyer_id < 1 THEN 'buyer_id: invalid' END,
    CASE WHEN product_id IS NULL OR product_id < 1 THEN 'product_id: invalid' END,
    CASE WHEN number_of_installments IS NULL OR number_of_installments NOT BETWEEN 1 AND 24
         THEN 'number_of_installments: invalid' END,
    CASE WHEN total_amount IS NULL OR total_amount_exact IS DISTINCT FROM total_amount
              OR total_amount <= 0 OR total_amount > 1000000 THEN 'total_amount: invalid' END,
    CASE WHEN purchase_date IS NULL THEN 'purchase_date: invalid' END,
    CASE WHEN received_at IS NULL THEN 'received_at: invalid' END,
    CASE WHEN stored_at IS NULL THEN 'stored_at: invalid' END,
    CASE WHEN NOT regexp_full_match(ingest_hour, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}')
         THEN 'ingest_hour: does not match' END
  ], lambda x: x IS NOT NULL) AS reasons
FROM (
  SELECT
    p.y || '-' || p.m || '-' || p.d || 'T' || p.h AS bronze_hour,
    i['purchase_id'].S AS purchase_id,
    TRY_CAST(CASE WHEN regexp_full_match(i['buyer_id'].N, '-?[0-9]+') THEN i['buyer_id'].N END AS BIGINT)
      AS buyer_id,
    TRY_CAST(CASE WHEN regexp_full_match(i['product_id'].N, '-?[0-9]+') THEN i['product_id'].N END AS BIGINT)
      AS product_id,
    TRY_CAST(CASE WHEN regexp_full_match(i['number_of_installments'].N, '-?[0-9]+')
             THEN i['number_of_installments'].N END AS INTEGER) AS number_of_installments,
    TRY_CAST(i['total_amount'].N AS DECIMAL(12,2)) AS total_amount,
    TRY_CAST(i['total_amount'].N AS DECIMAL(38,18)) AS total_amount_exact,
    TRY_CAST(i['purchase_date'].S AS DATE) AS purchase_date,
    TRY_CAST(i['received_at'].S AS TIMESTAMPTZ) AS received_at,
    TRY_CAST(i['stored_at'].S AS TIMESTAMPTZ) AS stored_at,
    i['ingest_hour'].S AS ingest_hour
  FROM raw
);

CREATE OR REPLACE TEMP TABLE deduped AS
SELECT purchase_id, buyer_id, product_id, number_of_installments, total_amount,
       round(total_amount / number_of_installments, 2)::DECIMAL(12,2) AS installment_amount,
       purchase_date, year(purchase_date) AS purchase_year, month(purchase_date) AS purchase_month,
       day(purchase_date) AS purchase_day, isodow(purchase_date) AS purchase_weekday,
       received_at, stored_at, ingest_hour, bronze_hour
FROM typed WHERE len(reasons) = 0
QUALIFY row_number() OVER (PARTITION BY purchase_id ORDER BY stored_at DESC, received_at DESC) = 1;

CREATE OR REPLACE TEMP TABLE silver AS SELECT * FROM deduped WHERE installment_amount > 0;
CREATE OR REPLACE TEMP TABLE quarantine AS
SELECT bronze_hour, array_to_string(reasons, '; ') AS reason FROM typed WHERE len(reasons) > 0
UNION ALL
SELECT bronze_hour, 'installment_amount: not above 0' FROM deduped WHERE installment_amount <= 0;

COPY quarantine TO '{out}/quarantine' (FORMAT json, PARTITION_BY (bronze_hour), OVERWRITE_OR_IGNORE);
COPY silver TO '{out}/silver' (FORMAT parquet, PARTITION_BY (bronze_hour, purchase_year, purchase_month),
  OVERWRITE_OR_IGNORE);
"""

DUCKDB_GATE_SILVER = [
    "SELECT count(*) = 0 FROM silver WHERE purchase_id IS NULL OR buyer_id IS NULL OR total_amount IS NULL",
    "SELECT count(*) = count(DISTINCT purchase_id) FROM silver",
    "SELECT count(*) = 0 FROM silver WHERE installment_amount <= 0"
    " OR number_of_installments NOT BETWEEN 1 AND 24",
    "SELECT count(*) = 0 FROM silver"
    " WHERE strftime(stored_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H') <> ingest_hour",
    "SELECT count(*) = 0 FROM silver WHERE stored_at < received_at",
    "SELECT count(*) = 0 FROM silver WHERE abs(installment_amount * number_of_installments - total_amount)"
    " > number_of_installments * 0.005",
    "SELECT count(*) > 0 FROM silver",
]

DUCKDB_GOLD = """
-- As the gold job: a ratio in whole units of its last place, rounded once half up (DuckDB's decimal
-- division gives a DOUBLE).
CREATE OR REPLACE TEMP MACRO ratio_units(num, den, unit) AS
  (2 * (num * 100)::HUGEINT * unit + (den * 100)::HUGEINT) // (2 * (den * 100)::HUGEINT);
CREATE OR REPLACE TEMP TABLE daily AS
SELECT purchase_date AS sale_date, product_id, count(*) AS purchases_count,
       count(DISTINCT buyer_id) AS buyers_count,
       sum(total_amount)::DECIMAL(18,2) AS total_amount,
       (ratio_units(sum(total_amount), count(*), 100)::DECIMAL(38,0) * 0.01)::DECIMAL(18,2)
         AS average_ticket
FROM silver GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE buyers AS
SELECT buyer_id, count(*) AS purchases_count, sum(total_amount)::DECIMAL(18,2) AS total_spent,
       (ratio_units(sum(number_of_installments), count(*), 100)::DECIMAL(38,0) * 0.01)::DECIMAL(6,2)
         AS average_installments,
       min(purchase_date) AS first_purchase_date, max(purchase_date) AS last_purchase_date
FROM silver GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE mix AS
SELECT sale_month, number_of_installments, purchases_count, total_amount,
       (ratio_units(total_amount, sum(total_amount) OVER (PARTITION BY sale_month), 1000000)::DECIMAL(38,0)
         * 0.000001)::DECIMAL(7,6) AS share_of_month_amount
FROM (SELECT strftime(purchase_date, '%Y-%m') AS sale_month, number_of_installments,
             count(*) AS purchases_count,
             sum(total_amount)::DECIMAL(18,2) AS total_amount FROM silver GROUP BY ALL);
COPY daily TO '{out}/gold_daily' (FORMAT parquet, PARTITION_BY (sale_date), OVERWRITE_OR_IGNORE);
COPY buyers TO '{out}/gold_buyers.parquet' (FORMAT parquet);
COPY mix TO '{out}/gold_mix' (FORMAT parquet, PARTITION_BY (sale_month), OVERWRITE_OR_IGNORE);
"""

DUCKDB_GATE_GOLD = [
    "SELECT (SELECT sum(total_amount) FROM daily) = (SELECT sum(total_amount) FROM silver)",
    "SELECT (SELECT sum(purchases_count) FROM daily) = (SELECT count(*) FROM silver)",
    "SELECT count(*) = count(DISTINCT buyer_id) FROM buyers",
    "SELECT count(*) = 0 FROM daily WHERE buyers_count > purchases_count",
    "SELECT bool_and(abs(s - 1) <= n * 0.0000005) FROM (SELECT sum(share_of_month_amount) s, count(*) n "
    "FROM mix GROUP BY sale_month)",
]


def _gate(con, queries: list[str]) -> None:
    failed = [q for q in queries if not con.sql(q).fetchall()[0][0]]
    assert not failed, failed


def run_duckdb(root: Path) -> tuple[float, dict, dict]:
    import duckdb

    out = root / "duckdb"
    out.mkdir()
    seconds: dict = {"silver": {}, "gold": {}}
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    steps = [
        ("silver", "stage", lambda: con.execute(DUCKDB_SILVER.format(bronze=root / "bronze", out=out))),
        ("silver", "gate", lambda: _gate(con, DUCKDB_GATE_SILVER)),
        ("gold", "stage", lambda: con.execute(DUCKDB_GOLD.format(out=out))),
        ("gold", "gate", lambda: _gate(con, DUCKDB_GATE_GOLD)),
    ]
    for layer, phase, step in steps:
        step_started = time.perf_counter()
        step()
        seconds[layer][phase] = time.perf_counter() - step_started
    elapsed = time.perf_counter() - started
    counts = {
        "silver_rows": con.sql("SELECT count(*) FROM silver").fetchall()[0][0],
        "quarantined": con.sql("SELECT count(*) FROM quarantine").fetchall()[0][0],
    }
    con.close()
    return elapsed, counts, seconds


def phases(seconds: dict) -> str:
    """`silver stage 1.0 gate 0.2 publish 0.0 | gold ...`: where an engine's time went."""
    return " | ".join(
        f"{layer} " + " ".join(f"{phase} {s:.1f}" for phase, s in by_phase.items())
        for layer, by_phase in seconds.items()
    )


def main(sizes: list[int]) -> int:
    import duckdb
    import pyspark
    from lake_jobs.local_spark import LOCAL_SPARK_CONF
    from lake_jobs.session import spark_session

    spark = spark_session(
        "lake-bench",
        # The lake's local settings, with room for a million rows in one driver.
        {**LOCAL_SPARK_CONF, "spark.ui.showConsoleProgress": "false", "spark.driver.memory": "4g"},
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    print(
        f"python {platform.python_version()}, pyspark {pyspark.__version__} (local[2]),"
        f" duckdb {duckdb.__version__}"
    )
    warmup = Path(tempfile.mkdtemp(prefix="lake-bench-warmup-"))
    generate(warmup / "bronze", 1000)
    run_spark(spark, warmup)  # JIT, Soda and Spark start-up are not what is measured
    run_spark_floor(spark, warmup)
    run_duckdb(warmup)
    shutil.rmtree(warmup)
    results = []
    for rows in sizes:
        root = Path(tempfile.mkdtemp(prefix=f"lake-bench-{rows}-"))
        try:
            lines = generate(root / "bronze", rows)
            spark_s, spark_counts, spark_phases = run_spark(spark, root)
            floor_s = run_spark_floor(spark, root)
            duck_s, duck_counts, duck_phases = run_duckdb(root)
        finally:
            shutil.rmtree(root)
        assert spark_counts == duck_counts, (spark_counts, duck_counts)
        results.append((rows, lines, spark_s, duck_s, spark_counts))
        print(
            f"{rows:>9} purchases ({lines} bronze lines, {spark_counts['silver_rows']} silver rows, "
            f"{spark_counts['quarantined']} quarantined): "
            f"spark {spark_s:7.1f} s ({lines / spark_s:>9,.0f} rows/s)  "
            f"duckdb {duck_s:6.1f} s ({lines / duck_s:>9,.0f} rows/s)  spark/duckdb {spark_s / duck_s:4.1f}x"
        )
        print(f"{'':>10}spark  (s): {phases(spark_phases)}")
        print(f"{'':>10}duckdb (s): {phases(duck_phases)}")
        print(
            f"{'':>10}for reference, spark bronze to typed Parquet and nothing else: {floor_s:.1f} s"
            f" ({floor_s / duck_s:.1f}x duckdb's whole pipeline)"
        )
    if len(results) > 1:
        (r0, _, s0, d0, _), (r1, _, s1, d1, _) = results[0], results[-1]
        print(
            f"growth {r0} -> {r1} rows ({r1 / r0:.0f}x):"
            f" spark time {s1 / s0:.1f}x, duckdb time {d1 / d0:.1f}x"
        )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]))
