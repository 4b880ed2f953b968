"""Where a layer's Spark job runs: EMR Serverless on AWS, Spark local mode on a developer's machine.

Both run the same entry files (spark/silver_job.py, spark/gold_job.py) with the same arguments but
for the roots; which one a DAG gets is decided by `LAKE_ENGINE` alone.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
from airflow.sdk import XComArg, task
from lake_jobs import layout
from lake_jobs.local_spark import LOCAL_SPARK_CONF

from lake.config import LakeConfig

if TYPE_CHECKING:  # MWAA has no PySpark
    from pyspark.sql import SparkSession

JOBS = {"silver": "silver_job.py", "gold": "gold_job.py"}
CHECKS = {
    "silver": ["generated/silver_purchases.yml", "checks/silver_purchases.yml"],
    "gold": [
        "generated/gold_daily_product_sales.yml",
        "generated/gold_buyer_summary.yml",
        "generated/gold_installment_mix.yml",
        "checks/gold.yml",
    ],
}


def job_arguments(config: LakeConfig, layer: str, start: str, end: str, checks: list[str]) -> list[str]:
    args = ["--start", start, "--end", end]
    if layer == "silver":
        args += ["--bronze-root", config.layer_root("bronze"), "--bronze-files", config.bronze_files]
        args += ["--silver-root", config.layer_root("silver")]
    else:
        args += ["--silver-root", config.layer_root("silver"), "--gold-root", config.layer_root("gold")]
    return [*args, "--checks", *checks]


def spark_job(config: LakeConfig, layer: str) -> EmrServerlessStartJobOperator | XComArg:
    """The task that runs `layer`'s job for the run's data interval."""
    if config.is_local:
        return _local_job(config, layer)
    return _emr_job(config, layer)


def _emr_job(config: LakeConfig, layer: str) -> EmrServerlessStartJobOperator:
    emr = config.require_emr()
    checks = [f"{emr.jobs_uri}/soda/{c}" for c in CHECKS[layer]]
    start, end = "{{ data_interval_start.isoformat() }}", "{{ data_interval_end.isoformat() }}"
    submit = " ".join(
        [
            f"--conf spark.submit.pyFiles={emr.jobs_uri}/lake_jobs.zip",
            # The release's own Python runs the job, with Soda Core and its dependencies (built for
            # that Python and architecture, no interpreter inside) unpacked to ./environment.
            f"--conf spark.archives={emr.python_archive_uri}#environment",
            f"--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON={emr.python}",
            f"--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON={emr.python}",
            f"--conf spark.executorEnv.PYSPARK_PYTHON={emr.python}",
            "--conf spark.emr-serverless.driverEnv.PYTHONPATH=./environment",
            "--conf spark.executorEnv.PYTHONPATH=./environment",
        ]
    )
    return EmrServerlessStartJobOperator(
        task_id="run_job",
        application_id=emr.application_id,
        execution_role_arn=emr.job_role_arn,
        name=f"purchases-{layer}-{{{{ data_interval_start.strftime('%Y%m%dT%H') }}}}",
        job_driver={
            "sparkSubmit": {
                "entryPoint": f"{emr.jobs_uri}/{JOBS[layer]}",
                "entryPointArguments": job_arguments(config, layer, start, end, checks),
                "sparkSubmitParameters": submit,
            }
        },
        configuration_overrides={
            "monitoringConfiguration": {"s3MonitoringConfiguration": {"logUri": emr.logs_uri}}
        },
        wait_for_completion=True,
        aws_conn_id=config.aws_conn_id,
    )


def _local_job(config: LakeConfig, layer: str) -> XComArg:
    @task(task_id="run_job")
    def run_job_locally(data_interval_start: datetime, data_interval_end: datetime) -> None:
        """Spark local mode: the job file EMR runs, in this process's Spark session."""
        if layer == "silver":
            stage_bronze_locally(config, data_interval_start, data_interval_end)
        checks = [str(config.require_local().soda_dir / c) for c in CHECKS[layer]]
        args = job_arguments(
            config, layer, data_interval_start.isoformat(), data_interval_end.isoformat(), checks
        )
        submit_locally(config, layer, args)

    # Airflow passes the data interval from the run's context.
    return run_job_locally()  # type: ignore[call-arg, misc]


def submit_locally(config: LakeConfig, layer: str, args: list[str]) -> None:
    """Run the job file's `main` in this process, in a Spark session the first job starts.

    The same entry files EMR runs, with the same arguments; their `spark_session()` finds the session
    already there. Locally both jobs of an hour, and every hour of one `npm run lake`, share one Spark
    driver instead of a `spark-submit` each: a JVM start and a cold first run per job was the largest
    fixed cost of a local hour (figures in bench/README.md).
    """
    spark_dir = str(config.require_local().spark_dir)
    # A deployed copy of spark/ holds lake_jobs and schemas as lake_jobs.zip, which EMR puts on the path
    # (spark.submit.pyFiles); the source tree has the packages themselves and no zip.
    paths = (str(Path(spark_dir) / "lake_jobs.zip"), spark_dir)
    for path in reversed(paths):
        if path not in sys.path:
            sys.path.insert(0, path)
    _local_spark(paths)
    spec = importlib.util.spec_from_file_location(f"lake_local_{layer}_job", Path(spark_dir) / JOBS[layer])
    if spec is None or spec.loader is None:
        raise FileNotFoundError(Path(spark_dir) / JOBS[layer])
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    code = job.main(args)
    if code != 0:
        raise RuntimeError(f"{JOBS[layer]} exited with {code}")


@functools.cache
def _local_spark(paths: tuple[str, ...]) -> SparkSession:
    from lake_jobs.session import spark_session

    # Spark's Python workers run this interpreter and import the jobs' modules from spark_dir.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])
    # No progress bars or INFO lines among the run's own output: the run reports say what happened.
    session = spark_session(
        "purchases-lake-local", {**LOCAL_SPARK_CONF, "spark.ui.showConsoleProgress": "false"}
    )
    session.sparkContext.setLogLevel("ERROR")
    atexit.register(session.stop)
    return session


def stage_bronze_locally(config: LakeConfig, start: datetime, end: datetime) -> int:
    """Copy the interval's bronze objects from the emulator's bucket to the local bronze folder.

    Spark local mode has no S3 connector here (PySpark does not bundle hadoop-aws), so the job reads
    the same objects from disk; on EMR it reads them from the bucket.
    """
    s3 = S3Hook(aws_conn_id=config.aws_conn_id)
    root = config.require_local().root / "bronze"
    copied = 0
    for hour in layout.hours_of(start, end):
        prefix = layout.bronze_hour_prefix(hour)
        target = root / prefix
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for key in s3.list_keys(bucket_name=config.bronze_bucket, prefix=prefix) or []:
            destination = root / key
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(s3.get_key(key, config.bronze_bucket).get()["Body"].read())
            copied += 1
    return copied
