"""The DAG as MWAA runs it (`LAKE_ENGINE=emr-serverless`), through dag.test(), against a moto server.

The emulator stands in for every service the AWS engine calls: DynamoDB's export to the bronze bucket,
EMR Serverless (a job run succeeds at once, without running Spark), the Glue crawlers, the alerts
topic. Spark does not run, so each layer's run report is put where the job writes it, saying the gate
passed. What these tests show is the work of the DAG's own tasks and of the Amazon provider's
operators: the hour is exported, each job is started on the application with the job role, each crawl
is started and waited for, and a rerun of the hour replaces its bronze export. The calls they make are
recorded (conftest.recorded_pythonpath) and checked against the MWAA role by test/iac.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from conftest import REPO, moto_server, recorded_pythonpath
from lake.local_run import ACCOUNT_ID, stack_names
from lake_jobs import layout

NAMES = stack_names()
REGION = "us-east-1"
# As resources/emr.yml names the job role for the stage `local`.
JOB_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/purchases-local-spark-{REGION}"
# dag.test() for the hour, in a process of its own (Airflow reads its settings when first imported);
# prints each task instance's state as JSON.
RUN_HOUR = """
import json, os, sys
from datetime import datetime
from pathlib import Path
from lake.local_run import testable_dag
dag = testable_dag(Path(os.environ["AIRFLOW_HOME"]))
run = dag.test(logical_date=datetime.fromisoformat(sys.argv[1]))
print(json.dumps({ti.task_id: str(ti.state) for ti in run.get_task_instances()}))
"""


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    """A fresh emulator with the stage `local`'s lake resources as the stack creates them on AWS."""
    with moto_server(crawler_metrics=True) as endpoint:
        # A crawl ends when it is next looked at (the emulator's default waits for a manual step).
        request = urllib.request.Request(  # noqa: S310 - the emulator on loopback
            f"{endpoint}/moto-api/state-manager/set-transition",
            data=json.dumps(
                {"model_name": "glue::crawl", "transition": {"progression": "immediate"}}
            ).encode(),
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - the emulator on loopback
        clients = {
            name: boto3.client(
                name,
                region_name=REGION,
                endpoint_url=endpoint,
                aws_access_key_id="test",
                aws_secret_access_key="test",  # noqa: S106 - the emulator's dummy key
            )
            for name in ("dynamodb", "s3", "emr-serverless", "glue", "sns")
        }
        clients["dynamodb"].create_table(
            TableName=NAMES["purchasesTable"],
            KeySchema=[{"AttributeName": "purchase_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "purchase_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # The stack turns point-in-time recovery on: DynamoDB exports only from it.
        clients["dynamodb"].update_continuous_backups(
            TableName=NAMES["purchasesTable"],
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        for bucket in ("bronzeBucket", "silverBucket", "goldBucket", "artifactsBucket"):
            clients["s3"].create_bucket(Bucket=NAMES[bucket])
        application = clients["emr-serverless"].create_application(
            name=NAMES["emrApplication"], releaseLabel="emr-7.11.0", type="SPARK"
        )["applicationId"]
        clients["glue"].create_database(DatabaseInput={"Name": NAMES["glueDatabase"]})
        for layer in ("silver", "gold"):
            clients["glue"].create_crawler(
                Name=NAMES[f"{layer}Crawler"],
                Role=f"arn:aws:iam::{ACCOUNT_ID}:role/purchases-local-crawler",
                DatabaseName=NAMES["glueDatabase"],
                Targets={"S3Targets": [{"Path": f"s3://{NAMES[f'{layer}Bucket']}/"}]},
            )
        topic = clients["sns"].create_topic(Name=NAMES["alertsTopic"])["TopicArn"]
        artifacts = f"s3://{NAMES['artifactsBucket']}"
        # What resources/mwaa.yml gives MWAA as the lake.* Airflow options, with the local names.
        env = {
            "LAKE_ENGINE": "emr-serverless",
            "LAKE_PURCHASES_TABLE": NAMES["purchasesTable"],
            "LAKE_BRONZE_BUCKET": NAMES["bronzeBucket"],
            "LAKE_SILVER_BUCKET": NAMES["silverBucket"],
            "LAKE_GOLD_BUCKET": NAMES["goldBucket"],
            "LAKE_GLUE_DATABASE": NAMES["glueDatabase"],
            "LAKE_ALERTS_TOPIC_ARN": topic,
            "LAKE_EMR_APPLICATION_ID": application,
            "LAKE_EMR_JOB_ROLE_ARN": JOB_ROLE_ARN,
            "LAKE_JOBS_URI": f"{artifacts}/spark",
            "LAKE_PYTHON_ARCHIVE_URI": f"{artifacts}/spark/python-env.tar.gz",
            "LAKE_EMR_PYTHON": "/usr/bin/python3.11",
            "LAKE_EMR_LOGS_URI": f"{artifacts}/emr-logs/",
            "LAKE_SILVER_CRAWLER": NAMES["silverCrawler"],
            "LAKE_GOLD_CRAWLER": NAMES["goldCrawler"],
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AIRFLOW_HOME": str(tmp_path_factory.mktemp("airflow")),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "PYTHONPATH": recorded_pythonpath(REPO / "dags", REPO / "spark"),
        }
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        yield {"clients": clients, "env": env, "application": application, "hour": hour}


def run_hour(aws) -> dict[str, str]:
    """One DAG run of the hour on the AWS engine: {task id: state}."""
    end = aws["hour"] + timedelta(hours=1)
    # The report each Spark job writes beside its layer, as a job whose gate passed writes it.
    for layer in ("silver", "gold"):
        uri = layout.report_uri(f"s3://{NAMES[f'{layer}Bucket']}", layer, aws["hour"], end)
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        report = {"layer": layer, "gate": {"passed": True, "checks": []}, "published": True}
        aws["clients"]["s3"].put_object(Bucket=bucket, Key=key, Body=json.dumps(report).encode())
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAKE_", "AIRFLOW"))}
    completed = subprocess.run(
        [sys.executable, "-c", RUN_HOUR, end.isoformat()],
        env={**environment, **aws["env"], "AWS_CALL_LOG_DIR": os.environ.get("AWS_CALL_LOG_DIR", "")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def bronze_keys(aws) -> list[str]:
    prefix = layout.bronze_hour_prefix(aws["hour"])
    listing = aws["clients"]["s3"].list_objects_v2(Bucket=NAMES["bronzeBucket"], Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


def test_a_run_exports_the_hour_runs_both_jobs_and_both_crawls(aws):
    aws["clients"]["dynamodb"].put_item(
        TableName=NAMES["purchasesTable"],
        Item={"purchase_id": {"S": "p-1"}, "total_amount": {"N": "19.99"}},
    )

    states = run_hour(aws)
    assert states == {
        task: "success"
        for task in [
            "bronze.hours",
            "bronze.empty_hours",
            "bronze.export_hour",
            *(f"{layer}.{step}" for layer in ("silver", "gold") for step in ("run_job", "gate", "catalog")),
        ]
    }

    [export] = bronze_keys(aws)
    # Right below the hour, where silver's glob (AWSDynamoDB/*/data/*) looks: no empty path segment.
    assert export.startswith(f"{layout.bronze_hour_prefix(aws['hour'])}AWSDynamoDB/"), export
    assert "/data/" in export, export
    runs = aws["clients"]["emr-serverless"].list_job_runs(applicationId=aws["application"])["jobRuns"]
    assert sorted(r["name"] for r in runs) == [
        f"purchases-{layer}-{aws['hour']:%Y%m%dT%H}" for layer in ("gold", "silver")
    ]
    assert {r["executionRole"] for r in runs} == {JOB_ROLE_ARN}
    for layer in ("silver", "gold"):
        crawler = aws["clients"]["glue"].get_crawler(Name=NAMES[f"{layer}Crawler"])["Crawler"]
        # Crawled once, and finished (the emulator says COMPLETED where Glue says SUCCEEDED).
        assert crawler["State"] == "READY", crawler
        assert crawler["LastCrawl"]["Status"] != "FAILED", crawler


def test_a_rerun_of_the_hour_replaces_its_export(aws):
    before = bronze_keys(aws)
    states = run_hour(aws)
    assert set(states.values()) == {"success"}, states
    after = bronze_keys(aws)
    assert len(after) == 1
    assert after != before, "the rerun deleted the first export's objects before exporting again"
