"""The Glue catalog after a publish: crawlers on AWS, table and partition entries locally.

On AWS the crawlers read what was published and keep the tables in step with it. The emulator has no
crawler that reads files, so locally the entries are written with the Glue API from the contract's
schema and the partition folders on disk: same database, tables, columns and partition keys.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator
from airflow.sdk import XComArg, task
from lake_jobs import layout

from lake.config import LakeConfig
from lake.reports import read_report

if TYPE_CHECKING:  # MWAA has no PySpark
    from pyspark.sql.types import StructField, StructType

_PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


def catalog_task(config: LakeConfig, layer: str) -> GlueCrawlerOperator | XComArg:
    if not config.is_local:
        emr = config.require_emr()
        crawler = emr.silver_crawler if layer == "silver" else emr.gold_crawler
        return GlueCrawlerOperator(
            task_id="catalog",
            config={"Name": crawler},
            wait_for_completion=True,
            aws_conn_id=config.aws_conn_id,
        )

    @task(task_id="catalog")
    def catalog_locally(data_interval_start: datetime, data_interval_end: datetime) -> dict[str, int]:
        report = read_report(config, layer, data_interval_start, data_interval_end)
        return write_entries(config, layer, report.get("partitions", {}))

    # Airflow passes the data interval from the run's context.
    return catalog_locally()  # type: ignore[call-arg, misc]


def glue_columns(
    schema: StructType, partition_keys: list[str]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(columns, partition keys) of a Spark StructType in Glue's (Hive's) type names."""
    by_name = {f.name: f for f in schema.fields}

    def column(field: StructField) -> dict[str, str]:
        comment = (field.metadata or {}).get("comment", "")
        return {"Name": field.name, "Type": field.dataType.simpleString(), "Comment": comment[:255]}

    columns = [column(f) for f in schema.fields if f.name not in partition_keys]
    return columns, [column(by_name[k]) for k in partition_keys]


def _partition_folders(table_dir: Path, keys: list[str], replaced: list[str]) -> list[Path]:
    """Partition folders (one per full set of keys) below the top-level folders just replaced."""
    folders: list[Path] = []
    for top in replaced:
        base = table_dir / top
        if not base.is_dir():
            continue
        depth = len(keys) - 1
        folders.extend(
            p for p in ([base] if depth == 0 else base.glob("/".join(["*"] * depth))) if p.is_dir()
        )
    return sorted(folders)


def write_entries(config: LakeConfig, layer: str, replaced: dict[str, list[str]]) -> dict[str, int]:
    """Create or update the layer's tables and the partitions of the partition folders this run replaced."""
    from schemas import contract  # the contract's Spark schemas; local runs have PySpark installed

    glue = boto3.client("glue", region_name=config.region)
    try:
        glue.get_database(Name=config.glue_database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": config.glue_database})
    tables = layout.SILVER_TABLES if layer == "silver" else layout.GOLD_TABLES
    root = config.require_local().root / layer
    written = {}
    for table, folder in tables.items():
        keys = layout.PARTITIONS[table]
        columns, partition_keys = glue_columns(getattr(contract, table), keys)
        location = (root / folder).as_uri()
        table_input = {
            "Name": table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": partition_keys,
            "StorageDescriptor": {"Columns": columns, "Location": location, **_PARQUET},
        }
        try:
            glue.get_table(DatabaseName=config.glue_database, Name=table)
            glue.update_table(DatabaseName=config.glue_database, TableInput=table_input)
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=config.glue_database, TableInput=table_input)
        if not keys:
            written[table] = 0
            continue
        tops = {p.split("=", 1)[1] for p in replaced.get(table, [])}
        existing = glue.get_partitions(DatabaseName=config.glue_database, TableName=table).get(
            "Partitions", []
        )
        stale = [{"Values": p["Values"]} for p in existing if p["Values"][0] in tops]
        for chunk in range(0, len(stale), 25):
            glue.batch_delete_partition(
                DatabaseName=config.glue_database,
                TableName=table,
                PartitionsToDelete=stale[chunk : chunk + 25],
            )
        folders = _partition_folders(root / folder, keys, sorted(replaced.get(table, [])))
        for path in folders:
            values = [part.split("=", 1)[1] for part in path.relative_to(root / folder).parts]
            glue.create_partition(
                DatabaseName=config.glue_database,
                TableName=table,
                PartitionInput={
                    "Values": values,
                    "StorageDescriptor": {"Columns": columns, "Location": path.as_uri(), **_PARQUET},
                },
            )
        written[table] = len(folders)
    return written
