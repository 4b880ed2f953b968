"""
### Purchases lake: bronze, silver and gold for one hour

Every hour, for the hour that just ended (the run's data interval):

1. **bronze**: the hour's purchases leave DynamoDB as JSON under
   `purchases/year=YYYY/month=MM/day=DD/hour=HH/` of the bronze bucket (DynamoDB's incremental
   export on AWS, a scan of the hour's `ingest_hour` locally). The hour's prefix is emptied first.
2. **silver**: a Spark job validates each record against `datacontract.yaml`, quarantines the ones
   that break it (with the reason), dedupes on `purchase_id`, enriches, stages Parquet, runs the Soda
   gate and publishes the hour's partition only if the gate passed; then the catalog is updated.
3. **gold**: a Spark job recomputes the aggregates the hour touched, gates and publishes them the
   same way.

A rerun of an interval replaces its partitions in every layer and never adds rows twice. A failed
gate fails the run without retries and leaves the published data as it was; any failed task sends an
alert to the alerts topic. `LAKE_ENGINE` says where Spark and the catalog run (see `lake/config.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.providers.amazon.aws.transfers.dynamodb_to_s3 import DynamoDBToS3Operator
from airflow.sdk import DAG, TaskGroup, task
from airflow.timetables.interval import CronDataIntervalTimetable
from lake import alerts, bronze, catalog, engines, reports
from lake.config import load_config
from lake_jobs import layout
from pendulum import UTC

CONFIG = load_config()

with DAG(
    dag_id="purchases_lake",
    doc_md=__doc__,
    # An interval timetable: each run owns [data_interval_start, data_interval_end), the hour before it.
    schedule=CronDataIntervalTimetable("0 * * * *", timezone=UTC),
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    # Gold's buyer summary is rebuilt whole; two runs publishing at once could interleave.
    max_active_runs=1,
    tags=["lake", "purchases", "medallion"],
    default_args={
        "owner": "purchases-team",
        # Two retries ride out throttling and a cold EMR application; a failed gate never retries.
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": alerts.failure_alert(CONFIG),
    },
) as dag:
    with TaskGroup("bronze"):

        @task
        def hours(data_interval_start: datetime, data_interval_end: datetime) -> list[dict[str, Any]]:
            """The export arguments of each hour in the interval."""
            return bronze.hour_exports(CONFIG, data_interval_start, data_interval_end)

        @task
        def empty_hours(exports: list[dict[str, Any]]) -> None:
            """Delete what an earlier run of these hours exported, so the export replaces it."""
            from airflow.providers.amazon.aws.hooks.s3 import S3Hook

            s3 = S3Hook(aws_conn_id=CONFIG.aws_conn_id)
            for export in exports:
                keys = s3.list_keys(bucket_name=CONFIG.bronze_bucket, prefix=export["s3_key_prefix"])
                if keys:
                    s3.delete_objects(bucket=CONFIG.bronze_bucket, keys=keys)

        # Airflow passes the data interval from the run's context.
        exports = hours()  # type: ignore[call-arg, misc]
        exported = DynamoDBToS3Operator.partial(
            task_id="export_hour",
            dynamodb_table_name=CONFIG.purchases_table,
            s3_bucket_name=CONFIG.bronze_bucket,
            process_func=bronze.dynamodb_json_line,
            point_in_time_export=not CONFIG.is_local,
            export_format="DYNAMODB_JSON",
            # Flush a bronze file every 64 MiB of scanned items (local scans only).
            file_size=64 * 1024 * 1024,
            source_aws_conn_id=CONFIG.aws_conn_id,
            dest_aws_conn_id=CONFIG.aws_conn_id,
        ).expand_kwargs(exports)
        # Airflow passes the list that `hours` returned.
        empty_hours(exports) >> exported  # type: ignore[arg-type]

    with TaskGroup("silver"):
        silver_job = engines.spark_job(CONFIG, "silver")
        silver_gate = reports.gate_task(CONFIG, "silver", list(layout.SILVER_TABLES.values()))
        exported >> silver_job >> silver_gate >> catalog.catalog_task(CONFIG, "silver")

    with TaskGroup("gold"):
        gold_job = engines.spark_job(CONFIG, "gold")
        gold_gate = reports.gate_task(CONFIG, "gold", list(layout.GOLD_TABLES.values()))
        silver_gate >> gold_job >> gold_gate >> catalog.catalog_task(CONFIG, "gold")
