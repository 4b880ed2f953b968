"""DAG integrity: every DAG imports under both engines, follows the team's policies, does no I/O on import."""

from __future__ import annotations

import socket
from datetime import UTC
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

COMMON = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "LAKE_PURCHASES_TABLE": "purchases-test-purchases",
    "LAKE_BRONZE_BUCKET": "purchases-test-123456789012-bronze",
    "LAKE_SILVER_BUCKET": "purchases-test-123456789012-silver",
    "LAKE_GOLD_BUCKET": "purchases-test-123456789012-gold",
    "LAKE_GLUE_DATABASE": "purchases_test_lake",
    "LAKE_ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:purchases-test-alerts",
}
ENGINES = {
    "local": {"LAKE_ENGINE": "local", "LAKE_LOCAL_ROOT": "/tmp/lake-tests"},
    "emr-serverless": {
        "LAKE_ENGINE": "emr-serverless",
        "LAKE_EMR_APPLICATION_ID": "00fabcdef1234567",
        "LAKE_EMR_JOB_ROLE_ARN": "arn:aws:iam::123456789012:role/purchases-test-spark",
        "LAKE_JOBS_URI": "s3://purchases-test-123456789012-artifacts/spark",
        "LAKE_PYTHON_ARCHIVE_URI": "s3://purchases-test-123456789012-artifacts/spark/lake-python.tar.gz",
        "LAKE_EMR_LOGS_URI": "s3://purchases-test-123456789012-artifacts/emr-logs/",
        "LAKE_EMR_PYTHON": "/usr/bin/python3.11",
        "LAKE_SILVER_CRAWLER": "purchases-test-silver",
        "LAKE_GOLD_CRAWLER": "purchases-test-gold",
    },
}


class ImportTimeIOError(AssertionError):
    pass


@pytest.fixture(params=sorted(ENGINES))
def dagbag(request, monkeypatch):
    for name, value in {**COMMON, **ENGINES[request.param]}.items():
        monkeypatch.setenv(name, value)

    def no_network(*args, **kwargs):
        raise ImportTimeIOError(f"network call at import time: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"), include_examples=False)
    bag.engine = request.param
    return bag


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "purchases_lake" in dagbag.dags


def test_every_task_retries_and_has_an_owner_and_every_dag_has_tags(dagbag):
    for dag in dagbag.dags.values():
        assert dag.tags, dag.dag_id
        assert dag.doc_md, dag.dag_id
        for t in dag.tasks:
            assert t.retries >= 2, t.task_id
            assert t.owner, t.task_id
            assert t.owner != "airflow", t.task_id
            assert t.on_failure_callback, t.task_id


def test_the_lake_dag_chains_bronze_silver_gold(dagbag):
    dag = dagbag.dags["purchases_lake"]
    upstream = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    assert "bronze.export_hour" in upstream["silver.run_job"]
    assert "silver.run_job" in upstream["silver.gate"]
    assert "silver.gate" in upstream["gold.run_job"]
    assert "gold.gate" in upstream["gold.catalog"]


def test_the_engine_decides_the_operators_not_the_dag_file(dagbag):
    dag = dagbag.dags["purchases_lake"]
    kinds = {t.task_id: type(t).__name__ for t in dag.tasks}
    if dagbag.engine == "local":
        assert kinds["silver.run_job"] == "_PythonDecoratedOperator"
        assert kinds["gold.catalog"] == "_PythonDecoratedOperator"
    else:
        assert kinds["silver.run_job"] == "EmrServerlessStartJobOperator"
        assert kinds["gold.catalog"] == "GlueCrawlerOperator"
        job = dag.get_task("silver.run_job").job_driver["sparkSubmit"]
        assert job["entryPoint"] == "s3://purchases-test-123456789012-artifacts/spark/silver_job.py"
        assert "AWSDynamoDB/*/data/*" in job["entryPointArguments"]
    assert kinds["bronze.export_hour"] == "MappedOperator"


def test_a_missing_setting_is_named():
    from lake.config import load_config
    from lake.errors import LakeConfigError

    env = {**COMMON, **ENGINES["emr-serverless"]}
    del env["LAKE_EMR_JOB_ROLE_ARN"]
    with pytest.raises(LakeConfigError, match="LAKE_EMR_JOB_ROLE_ARN"):
        load_config(env)
    with pytest.raises(LakeConfigError, match="LAKE_ENGINE must be one of"):
        load_config({**COMMON, "LAKE_ENGINE": "emr"})


def test_mwaa_hands_the_settings_as_airflow_options():
    from lake.config import load_config

    # resources/mwaa.yml sets lake.<key>; MWAA exports each as AIRFLOW__LAKE__<KEY>.
    settings = {**COMMON, **ENGINES["emr-serverless"]}
    env = {
        (f"AIRFLOW__LAKE__{name.removeprefix('LAKE_')}" if name.startswith("LAKE_") else name): value
        for name, value in settings.items()
    }
    assert load_config(env) == load_config(settings)
    assert load_config(env).emr.python == "/usr/bin/python3.11"


def test_bronze_exports_follow_the_engine():
    from datetime import datetime

    from lake.bronze import hour_exports
    from lake.config import load_config

    start = datetime(2024, 11, 5, 13, tzinfo=UTC)
    end = datetime(2024, 11, 5, 15, tzinfo=UTC)
    local = hour_exports(load_config({**COMMON, **ENGINES["local"]}), start, end)
    assert [e["s3_key_prefix"] for e in local] == [
        "purchases/year=2024/month=11/day=05/hour=13/",
        "purchases/year=2024/month=11/day=05/hour=14/",
    ]
    assert local[1]["dynamodb_scan_kwargs"]["ExpressionAttributeValues"] == {":hour": "2024-11-05T14"}
    [aws, _] = hour_exports(load_config({**COMMON, **ENGINES["emr-serverless"]}), start, end)
    spec = aws["export_table_to_point_in_time_kwargs"]
    assert spec["ExportType"] == "INCREMENTAL_EXPORT"
    assert spec["IncrementalExportSpecification"]["ExportFromTime"] == start
