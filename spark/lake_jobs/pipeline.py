"""Write-audit-publish for one interval: stage a layer's output, gate it, publish only what passed.

Each run replaces whole partitions: silver's `bronze_hour` partitions of the interval, gold's dates
and months that the interval touched (and the buyer summary, rebuilt whole). A rerun of an interval
therefore replaces its data and never adds a second copy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType
from schemas import contract, json_schemas

from lake_jobs import gold, layout, silver, storage
from lake_jobs.gate import run_gate


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    @property
    def hours(self) -> list[datetime]:
        return layout.hours_of(self.start, self.end)

    @property
    def hour_keys(self) -> list[str]:
        return [layout.hour_key(h) for h in self.hours]


@dataclass
class Report:
    layer: str
    interval: Interval
    counts: dict[str, int] = field(default_factory=dict)
    # What run_gate returns: the verdict, each check's outcome, the scan's errors.
    gate: dict[str, Any] = field(default_factory=dict)
    published: bool = False
    partitions: dict[str, list[str]] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)
    # Wall seconds per phase (stage: transform, write, count; gate; publish): where a slow run went.
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = round(self.seconds.get(phase, 0) + time.perf_counter() - started, 3)

    def to_json(self) -> str:
        return json.dumps(
            {
                "layer": self.layer,
                "interval": {"start": self.interval.start.isoformat(), "end": self.interval.end.isoformat()},
                "counts": self.counts,
                "gate": self.gate,
                "published": self.published,
                "partitions": self.partitions,
                "locations": self.locations,
                "seconds": self.seconds,
            },
            indent=2,
            sort_keys=True,
        )


def _read_checks(spark: SparkSession, uris: list[str]) -> list[str]:
    return [storage.read_text(spark, uri) for uri in uris]


def _write_partitioned(
    frame: DataFrame, uri: str, partitions: list[str], file_format: str = "parquet"
) -> None:
    # One file per partition value: the layer's readers pay per file, and hourly batches are small.
    writer = (frame.repartition(*partitions) if partitions else frame.coalesce(1)).write.mode("overwrite")
    if partitions:
        writer = writer.partitionBy(*partitions)
    writer.format(file_format).save(uri)


def _read_table(spark: SparkSession, uri: str, schema: StructType) -> DataFrame:
    # The contract's schema, partition columns included: inference would read a bronze_hour
    # such as 2024-11-05T13 as a timestamp.
    return spark.read.schema(schema).option("basePath", uri).parquet(uri)


def _partition_dir(column: str, value: str) -> str:
    return f"{column}={value}"


def run_silver(
    spark: SparkSession,
    interval: Interval,
    bronze_root: str,
    bronze_files: str,
    silver_root: str,
    check_uris: list[str],
) -> Report:
    """Bronze hours of the interval to silver; returns the run's report (also written beside silver)."""
    report = Report("silver", interval)
    table_root = layout.join(silver_root, layout.TABLES.silver_purchases)
    quarantine_root = layout.quarantine_root(silver_root)
    staging = layout.staging_root(silver_root, interval.start, interval.end)
    staged_table = layout.join(staging, layout.TABLES.silver_purchases)
    staged_quarantine = layout.join(staging, "_quarantine")
    report.locations = {"table": table_root, "quarantine": quarantine_root, "staging": staging}
    storage.delete(spark, staging)

    with report.timed("stage"):
        files = [
            f
            for hour in interval.hours
            for f in storage.glob(
                spark, layout.join(bronze_root, layout.bronze_hour_prefix(hour), bronze_files)
            )
        ]
        schema = contract.silver_purchases
        rules = silver.field_rules(json_schemas.purchases, json_schemas.silver_purchases, schema)
        derived = silver.derived_rules(json_schemas.purchases, json_schemas.silver_purchases, schema)
        row_rules = silver.row_rules(json_schemas.purchases_quality, json_schemas.purchases)
        if files:
            lines = spark.read.text(files).select("value", F.col("_metadata.file_path").alias("file"))
        else:
            lines = spark.createDataFrame([], "value string, file string")
        fields = [r.name for r in rules]
        # Feeds both writes and the counts: computed once, kept for the run.
        settled = silver.settle(
            silver.validate(silver.parse_lines(lines, fields), rules, row_rules), derived, fields
        ).persist(StorageLevel.MEMORY_AND_DISK)
        rows = silver.conform(settled.filter(F.col("fate") == silver.SILVER), schema)

        _write_partitioned(rows, staged_table, layout.PARTITIONS["silver_purchases"])
        _write_partitioned(silver.quarantined(settled), staged_quarantine, ["bronze_hour"], "json")
        fates = silver.fate_counts(settled)
        settled.unpersist()
        # The gate reads the staged files themselves, unpersisted: its two queries over them (one
        # aggregation for every metric, one for duplicates) scan the Parquet faster than caching it costs.
        staged = _read_table(spark, staged_table, schema) if storage.exists(spark, staged_table) else None
        row_count = staged.count() if staged is not None else 0
        report.counts = {
            "bronze_files": len(files),
            "bronze_records": sum(fates.values()),
            "deletes_ignored": fates[silver.DELETE],
            "quarantined": fates[silver.QUARANTINE],
            "duplicates_removed": fates[silver.DUPLICATE],
            "rows": row_count,
        }

    with report.timed("gate"):
        if staged is None or row_count == 0:
            report.gate = {"passed": True, "skipped": "no rows in the interval", "checks": [], "errors": []}
        else:
            report.gate = run_gate(
                spark,
                {"silver_purchases": staged},
                _read_checks(spark, check_uris),
                interval.end,
                f"silver {layout.interval_key(interval.start, interval.end)}",
            )
    with report.timed("publish"):
        if report.gate["passed"]:
            # Replace every hour of the interval, also those that are empty now.
            for key in interval.hour_keys:
                part = _partition_dir("bronze_hour", key)
                for final_root, staged_root in (
                    (table_root, staged_table),
                    (quarantine_root, staged_quarantine),
                ):
                    source = layout.join(staged_root, part)
                    if storage.exists(spark, source):
                        storage.move(spark, source, layout.join(final_root, part))
                    else:
                        storage.delete(spark, layout.join(final_root, part))
            storage.delete(spark, staging)
            report.published = True
            report.partitions = {"silver_purchases": [f"bronze_hour={k}" for k in interval.hour_keys]}
    storage.write_text(
        spark, layout.report_uri(silver_root, "silver", interval.start, interval.end), report.to_json()
    )
    return report


def run_gold(
    spark: SparkSession,
    interval: Interval,
    silver_root: str,
    gold_root: str,
    check_uris: list[str],
) -> Report:
    """Recompute the gold partitions that the interval's silver rows touch; returns the run's report."""
    report = Report("gold", interval)
    silver_table = layout.join(silver_root, layout.TABLES.silver_purchases)
    staging = layout.staging_root(gold_root, interval.start, interval.end)
    report.locations = {"root": gold_root, "staging": staging}
    storage.delete(spark, staging)
    if not storage.exists(spark, silver_table):
        report.gate = {"passed": True, "skipped": "silver is empty", "checks": [], "errors": []}
        report.counts = {"silver_rows_in_interval": 0}
        return _finish_gold(spark, report, gold_root, interval)

    with report.timed("stage"):
        all_silver = _read_table(spark, silver_table, contract.silver_purchases)
        in_interval = all_silver.filter(F.col("bronze_hour").isin(interval.hour_keys))
        dates, months = gold.touched(in_interval)
        report.counts = {"silver_rows_in_interval": in_interval.count()}
        if not dates:
            report.gate = {
                "passed": True,
                "skipped": "no silver rows in the interval",
                "checks": [],
                "errors": [],
            }
            return _finish_gold(spark, report, gold_root, interval)

        years_months = sorted(
            {(d.year, d.month) for d in dates} | {tuple(map(int, m.split("-"))) for m in months}
        )
        month_filter = F.lit(False)
        for year, month in years_months:
            month_filter = month_filter | (
                (F.col("purchase_year") == year) & (F.col("purchase_month") == month)
            )
        # Partition pruning on year and month before the exact filters. Not persisted: each reader
        # scans only the Parquet columns it needs, which is cheaper than caching every column once.
        in_months = all_silver.filter(month_filter)
        on_dates = in_months.filter(F.col("purchase_date").isin(dates))
        on_months = in_months.filter(F.date_format("purchase_date", "yyyy-MM").isin(months))

        outputs = {
            "gold_daily_product_sales": gold.daily_product_sales(on_dates),
            "gold_installment_mix": gold.installment_mix(on_months),
            "gold_buyer_summary": gold.buyer_summary(all_silver),
        }
        staged = {}
        for table, frame in outputs.items():
            schema = getattr(contract, table)
            uri = layout.join(staging, layout.GOLD_TABLES[table])
            _write_partitioned(silver.conform(frame, schema), uri, layout.PARTITIONS[table])
            # Unpersisted for the same reason: the gate's few queries per table scan the small files.
            staged[table] = _read_table(spark, uri, schema)
            report.counts[f"{table}_rows"] = staged[table].count()
    with report.timed("gate"):
        report.gate = run_gate(
            spark,
            {**staged, "silver_purchases": on_dates},
            _read_checks(spark, check_uris),
            interval.end,
            f"gold {layout.interval_key(interval.start, interval.end)}",
        )
    with report.timed("publish"):
        if report.gate["passed"]:
            replaced = {
                "gold_daily_product_sales": [_partition_dir("sale_date", d.isoformat()) for d in dates],
                "gold_installment_mix": [_partition_dir("sale_month", m) for m in months],
                "gold_buyer_summary": [],
            }
            for table, parts in replaced.items():
                folder = layout.GOLD_TABLES[table]
                if parts:
                    for part in parts:
                        source = layout.join(staging, folder, part)
                        target = layout.join(gold_root, folder, part)
                        if storage.exists(spark, source):
                            storage.move(spark, source, target)
                        else:
                            storage.delete(spark, target)
                else:
                    storage.move(spark, layout.join(staging, folder), layout.join(gold_root, folder))
            storage.delete(spark, staging)
            report.published = True
            report.partitions = replaced
    return _finish_gold(spark, report, gold_root, interval)


def _finish_gold(spark: SparkSession, report: Report, gold_root: str, interval: Interval) -> Report:
    storage.write_text(
        spark, layout.report_uri(gold_root, "gold", interval.start, interval.end), report.to_json()
    )
    return report
