"""The lake's configuration: read from the environment here and nowhere else.

`LAKE_ENGINE` picks where the Spark steps and the catalog run:

- `emr-serverless` (AWS): Spark jobs on EMR Serverless, Glue crawlers catalog silver and gold, bronze is
  DynamoDB's native incremental export of each hour.
- `local`: the same job files in Spark local mode, catalog entries written with boto3 to the emulator's
  Glue, bronze a scan of the hour from the emulated table. AWS SDK calls go to `AWS_ENDPOINT_URL`.

Reading the environment is the only thing done at import time of the DAG: no network, no database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lake.errors import LakeConfigError

ENGINES = ("emr-serverless", "local")
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class EmrSettings:
    application_id: str
    job_role_arn: str
    # s3://bucket/prefix holding silver_job.py, gold_job.py, lake_jobs.zip and soda/ (see README).
    jobs_uri: str
    # The packages the jobs import beyond Spark (Soda Core), built for the release's Python and the
    # application's architecture: unpacked beside the driver and each executor (spark.archives).
    python_archive_uri: str
    # That Python, which the release ships (e.g. /usr/bin/python3.11).
    python: str
    logs_uri: str
    silver_crawler: str
    gold_crawler: str


@dataclass(frozen=True)
class LocalSettings:
    # Silver, gold and the bronze hours the jobs read live in folders here (Spark local mode reads
    # and writes files; the emulator keeps the bronze objects the export wrote).
    root: Path
    spark_dir: Path
    soda_dir: Path


@dataclass(frozen=True)
class LakeConfig:
    engine: str
    region: str
    aws_conn_id: str | None
    purchases_table: str
    bronze_bucket: str
    silver_bucket: str
    gold_bucket: str
    glue_database: str
    alerts_topic_arn: str
    emr: EmrSettings | None
    local: LocalSettings | None

    @property
    def is_local(self) -> bool:
        return self.engine == "local"

    def require_emr(self) -> EmrSettings:
        if self.emr is None:
            raise LakeConfigError(f"LAKE_ENGINE is {self.engine}: there are no EMR Serverless settings")
        return self.emr

    def require_local(self) -> LocalSettings:
        if self.local is None:
            raise LakeConfigError(f"LAKE_ENGINE is {self.engine}: there are no local settings")
        return self.local

    def layer_root(self, layer: str) -> str:
        """Where Spark reads and writes a layer: the bucket on AWS, a folder locally."""
        if self.local is not None:
            return (self.local.root / layer).as_uri()
        return f"s3://{getattr(self, f'{layer}_bucket')}"

    @property
    def bronze_files(self) -> str:
        """Glob of the data files below one bronze hour, as each engine's export writes them."""
        # The incremental export writes AWSDynamoDB/<export id>/data/*.json.gz next to manifests;
        # the scan writes one object per flush straight under the hour's prefix.
        return "*" if self.is_local else "AWSDynamoDB/*/data/*"

    def asset_uri(self, layer: str, table: str) -> str:
        return f"s3://{getattr(self, f'{layer}_bucket')}/{table}"


def _get(env: Mapping[str, str], name: str) -> str:
    # On MWAA the settings are Airflow configuration options (lake.engine, ..., resources/mwaa.yml),
    # which reach the environment as AIRFLOW__LAKE__ENGINE, ...; locally they are LAKE_ENGINE, ...
    airflow_option = "AIRFLOW__LAKE__" + name.removeprefix("LAKE_")
    value = (env.get(name) or env.get(airflow_option) or "").strip()
    if not value:
        raise LakeConfigError(f"environment variable {name} (or {airflow_option}) is not set")
    return value


def load_config(env: Mapping[str, str] | None = None) -> LakeConfig:
    env = os.environ if env is None else env
    engine = _get(env, "LAKE_ENGINE")
    if engine not in ENGINES:
        raise LakeConfigError(f"LAKE_ENGINE must be one of {', '.join(ENGINES)}, not {engine!r}")
    emr = local = None
    if engine == "local":
        local = LocalSettings(
            root=Path(_get(env, "LAKE_LOCAL_ROOT")).resolve(),
            spark_dir=REPO / "spark",
            soda_dir=REPO / "soda",
        )
    else:
        emr = EmrSettings(
            application_id=_get(env, "LAKE_EMR_APPLICATION_ID"),
            job_role_arn=_get(env, "LAKE_EMR_JOB_ROLE_ARN"),
            jobs_uri=_get(env, "LAKE_JOBS_URI").rstrip("/"),
            python_archive_uri=_get(env, "LAKE_PYTHON_ARCHIVE_URI"),
            python=_get(env, "LAKE_EMR_PYTHON"),
            logs_uri=_get(env, "LAKE_EMR_LOGS_URI"),
            silver_crawler=_get(env, "LAKE_SILVER_CRAWLER"),
            gold_crawler=_get(env, "LAKE_GOLD_CRAWLER"),
        )
    return LakeConfig(
        engine=engine,
        region=env.get("AWS_REGION") or _get(env, "AWS_DEFAULT_REGION"),
        # None: boto3's own credential chain (MWAA's execution role, or the emulator's dummy keys).
        aws_conn_id=env.get("LAKE_AWS_CONN_ID") or None,
        purchases_table=_get(env, "LAKE_PURCHASES_TABLE"),
        bronze_bucket=_get(env, "LAKE_BRONZE_BUCKET"),
        silver_bucket=_get(env, "LAKE_SILVER_BUCKET"),
        gold_bucket=_get(env, "LAKE_GOLD_BUCKET"),
        glue_database=_get(env, "LAKE_GLUE_DATABASE"),
        alerts_topic_arn=_get(env, "LAKE_ALERTS_TOPIC_ARN"),
        emr=emr,
        local=local,
    )
