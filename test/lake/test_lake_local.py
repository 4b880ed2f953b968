"""The whole lake locally: moto server, the DAG through dag.test() (`npm run lake`), Spark local mode.

The DAG, its modules, the Spark jobs and the Soda checks run from what `npm run deploy` uploaded to the
emulator's artifacts bucket (the `deployed_code` fixture), not from this repository: a file the deploy
leaves out fails these tests.

One module-scoped emulator and lake; the tests run in order: a first run, a rerun of the same hour under
a real Airflow scheduler with the settings MWAA hands over, a bad batch that fails the silver gate. The
hour is the current one, so the contract's freshness SLA holds when `datacontract test` reads the outputs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import boto3
import duckdb
import pytest
from conftest import recorded_pythonpath
from lake.local_run import ACCOUNT_ID, stack_names

REPO = Path(__file__).resolve().parents[2]
DATACONTRACT = REPO / ".tools" / "bin" / "datacontract"
NAMES = stack_names()
REGION = "us-east-1"
GOOD = 12


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def purchase(hour: datetime, i: int, **overrides) -> dict:
    stored = hour + timedelta(seconds=i)
    item = {
        "purchase_id": str(uuid.UUID(int=i + 1, version=4)),
        "buyer_id": Decimal(1 + i % 4),
        "product_id": Decimal(100 + i % 3),
        "number_of_installments": Decimal(1 + i % 6),
        "total_amount": Decimal("19.99") + i,
        "purchase_date": hour.date().isoformat(),
        "received_at": _iso(stored - timedelta(milliseconds=250)),
        "stored_at": _iso(stored),
        "ingest_hour": hour.strftime("%Y-%m-%dT%H"),
    }
    item.update(overrides)
    return item


@pytest.fixture(scope="module")
def lake(moto_endpoint, deployed_code, tmp_path_factory):
    """The emulated stack (table, buckets, alerts topic with a queue on it) and a lake folder."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    kwargs = {"region_name": REGION, "endpoint_url": moto_endpoint}
    dynamodb = boto3.resource("dynamodb", **kwargs)
    table = dynamodb.create_table(
        TableName=NAMES["purchasesTable"],
        KeySchema=[{"AttributeName": "purchase_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "purchase_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3 = boto3.client("s3", **kwargs)
    for bucket in ("bronzeBucket", "silverBucket", "goldBucket"):
        s3.create_bucket(Bucket=NAMES[bucket])
    sns, sqs = boto3.client("sns", **kwargs), boto3.client("sqs", **kwargs)
    topic = sns.create_topic(Name=NAMES["alertsTopic"])["TopicArn"]
    queue = sqs.create_queue(QueueName="lake-alerts-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    root = tmp_path_factory.mktemp("lake")
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return {
        "endpoint": moto_endpoint,
        "table": table,
        "s3": s3,
        "sqs": sqs,
        "queue": queue,
        "glue": boto3.client("glue", **kwargs),
        "root": root,
        "lake_root": root / ".local" / "lake",
        "hour": hour,
        "code": deployed_code,
    }


def run_lake(lake) -> tuple[int, list[dict], str]:
    """`npm run lake -- --interval <hour>/<hour + 1h>` against the emulator; (exit code, runs, output)."""
    summary = lake["root"] / "summary.json"
    summary.unlink(missing_ok=True)
    interval = f"{lake['hour'].isoformat()}/{(lake['hour'] + timedelta(hours=1)).isoformat()}"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "lake.local_run",
            "--interval",
            interval,
            "--lake-root",
            str(lake["lake_root"]),
            "--airflow-home",
            str(lake["root"] / "airflow"),
            "--json",
            str(summary),
        ],
        env={
            **os.environ,
            "AWS_ENDPOINT_URL": lake["endpoint"],
            "PYTHONPATH": recorded_pythonpath(lake["code"] / "dags"),
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=lake["code"],
    )
    runs = json.loads(summary.read_text()) if summary.exists() else []
    return completed.returncode, runs, completed.stdout + completed.stderr[-5000:]


def silver_rows(lake) -> list[tuple]:
    pattern = lake["lake_root"] / "silver" / "silver_purchases" / "**" / "*.parquet"
    relation = duckdb.read_parquet(str(pattern), hive_partitioning=True)
    return relation.select("purchase_id, total_amount, stored_at").order("purchase_id").fetchall()


def gold_rows(lake) -> list[tuple]:
    pattern = lake["lake_root"] / "gold" / "gold_daily_product_sales" / "**" / "*.parquet"
    relation = duckdb.read_parquet(str(pattern), hive_partitioning=True)
    return relation.select("product_id, purchases_count, total_amount").order("product_id").fetchall()


def test_a_run_moves_the_hour_through_bronze_silver_and_gold(lake):
    table, hour = lake["table"], lake["hour"]
    for i in range(GOOD):
        table.put_item(Item=purchase(hour, i))
    # A redelivered purchase: the table keeps one item, stored again a second later.
    table.put_item(Item=purchase(hour, 0, stored_at=_iso(hour + timedelta(seconds=30))))
    # A purchase that breaks the contract: a third decimal place in the amount.
    table.put_item(Item=purchase(hour, 99, total_amount=Decimal("5.005")))
    # Another hour's purchase: not this run's.
    table.put_item(
        Item=purchase(
            hour - timedelta(hours=3), 50, ingest_hour=(hour - timedelta(hours=3)).strftime("%Y-%m-%dT%H")
        )
    )

    code, runs, output = run_lake(lake)
    assert code == 0, output
    [run] = runs
    silver, gold = run["layers"]["silver"], run["layers"]["gold"]
    assert silver["counts"]["bronze_records"] == GOOD + 1
    assert silver["counts"]["rows"] == GOOD
    assert silver["counts"]["quarantined"] == 1
    assert (silver["gate"], gold["gate"]) == ("passed", "passed")
    assert silver["published"]
    assert gold["published"]
    assert "silver gate: passed" in output

    key = hour.strftime("%Y-%m-%dT%H")
    silver_dir = lake["lake_root"] / "silver" / "silver_purchases" / f"bronze_hour={key}"
    assert sorted(p.name for p in silver_dir.iterdir()) == [f"purchase_year={hour.year}"]
    rows = silver_rows(lake)
    assert len(rows) == GOOD == len({r[0] for r in rows})
    assert sum(r[1] for r in rows) == sum(Decimal("19.99") + i for i in range(GOOD))

    [quarantined] = [
        json.loads(line)
        for f in (lake["lake_root"] / "silver" / "_quarantine" / "silver_purchases").rglob("*.json")
        for line in f.read_text().splitlines()
    ]
    assert quarantined["reason"] == "total_amount: not a valid decimal(12,2)"
    assert '"5.005"' in quarantined["record"]

    gold_daily = lake["lake_root"] / "gold" / "gold_daily_product_sales" / "**" / "*.parquet"
    gold_total = (
        duckdb.read_parquet(str(gold_daily), hive_partitioning=True)
        .aggregate("sum(total_amount), sum(purchases_count)")
        .fetchall()[0]
    )
    assert gold_total == (sum(r[1] for r in rows), GOOD)

    glue = lake["glue"]
    database = NAMES["glueDatabase"]
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}
    assert set(tables) == {
        "silver_purchases",
        "gold_daily_product_sales",
        "gold_buyer_summary",
        "gold_installment_mix",
    }
    assert [k["Name"] for k in tables["silver_purchases"]["PartitionKeys"]] == [
        "bronze_hour",
        "purchase_year",
        "purchase_month",
    ]
    partitions = glue.get_partitions(DatabaseName=database, TableName="silver_purchases")["Partitions"]
    assert [p["Values"] for p in partitions] == [[key, str(hour.year), str(hour.month)]]
    bronze = lake["s3"].list_objects_v2(Bucket=NAMES["bronzeBucket"])["Contents"]
    assert {o["Key"].rsplit("/", 1)[0] for o in bronze} == {
        f"purchases/year={hour:%Y}/month={hour:%m}/day={hour:%d}/hour={hour:%H}"
    }
    assert ACCOUNT_ID in NAMES["bronzeBucket"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mwaa_like_environment(lake, options: dict[str, str], home: Path, port: int) -> dict[str, str]:
    """The lake's settings only as MWAA hands them over: AIRFLOW__LAKE__<KEY> for each option lake.<key>
    of the packaged template. The emulator needs the local engine and its folder, and the endpoint.
    """
    lake_settings = {name: value for name, value in options.items() if name.startswith("lake.")}
    lake_settings |= {"lake.engine": "local", "lake.local_root": str(lake["lake_root"])}
    code = lake["code"]
    return {
        # Nothing of the test's own environment that names a lake or Airflow setting.
        **{k: v for k, v in os.environ.items() if not k.startswith(("LAKE_", "AIRFLOW"))},
        **{"AIRFLOW__LAKE__" + name.removeprefix("lake.").upper(): v for name, v in lake_settings.items()},
        "AWS_ENDPOINT_URL": lake["endpoint"],
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(code / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # Task processes reach Airflow through the API server's execution API, as on MWAA.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        # Only the run the test triggers: no scheduled run of the latest hour next to it.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        # As in local_run.local_environment: the deployed jobs' packages for the local catalog.
        "PYTHONPATH": os.pathsep.join(
            [str(code / "dags"), str(code / "spark" / "lake_jobs.zip"), str(code / "spark")]
        ),
    }


class Airflow:
    """API server, scheduler and DAG processor of one Airflow home, each its own process group."""

    def __init__(self, env: dict[str, str], home: Path, port: int) -> None:
        self.env, self.home, self.port = env, home, port
        self.url = f"http://127.0.0.1:{port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.token = ""

    def start(self) -> None:
        airflow = str(Path(sys.executable).with_name("airflow"))
        self.home.mkdir(parents=True, exist_ok=True)
        migrate = subprocess.run(
            [airflow, "db", "migrate"], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        commands = {
            "api-server": [airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.port), "-w", "1"],
            "scheduler": [airflow, "scheduler"],
            "dag-processor": [airflow, "dag-processor"],
        }
        for name, command in commands.items():
            log = (self.home / f"{name}.log").open("w")
            self.processes[name] = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.token = self._wait(lambda: self._get("/auth/token", auth=False)["access_token"], "API server")

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n" + (self.home / f"{name}.log").read_text()[-3000:] for name in self.processes
        )

    def _request(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        request = urllib.request.Request(  # noqa: S310 - the test's own API server on loopback
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {self.token}"} if auth else {}),
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def _get(self, path: str, auth: bool = True) -> dict:
        return self._request("GET", path, auth=auth)

    def _wait(self, probe, what: str, timeout: float = 180):
        deadline = time.monotonic() + timeout
        while True:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited\n{self.logs()}"
            try:
                result = probe()
                if result:
                    return result
            except (OSError, KeyError):
                pass
            assert time.monotonic() < deadline, f"no {what} after {timeout}s\n{self.logs()}"
            time.sleep(1)

    def run_hour(self, dag_id: str, hour: datetime, timeout: float = 600) -> tuple[dict, list[dict]]:
        """Triggers a run for [hour, hour + 1h) through the REST API; waits until it ends."""

        def parsed():
            errors = self._get("/api/v2/importErrors")["import_errors"]
            assert errors == [], errors
            return self._get(f"/api/v2/dags/{dag_id}")

        self._wait(parsed, f"DAG {dag_id}")
        end = hour + timedelta(hours=1)
        # Airflow 3.0's CLI trigger infers the interval from the trigger time; the API takes it. The
        # scheduler starts no run whose logical date is in the future: the hour's start is the one.
        run = self._request(
            "POST",
            f"/api/v2/dags/{dag_id}/dagRuns",
            {
                "logical_date": hour.isoformat(),
                "data_interval_start": hour.isoformat(),
                "data_interval_end": end.isoformat(),
            },
        )
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}"

        def ended():
            state = self._get(path)
            return state if state["state"] in ("success", "failed") else None

        final = self._wait(ended, f"end of run {run['dag_run_id']}", timeout)
        tasks = self._get(f"{path}/taskInstances?limit=100")["task_instances"]
        return final, tasks


def test_a_rerun_under_the_scheduler_with_mwaa_settings_replaces_the_hour(lake, mwaa_environment):
    """A real Airflow (scheduler, DAG processor, API server, LocalExecutor) reruns the hour of the first
    test with the lake's settings given only as the MWAA environment's configuration options: a setting
    the DAG reads that production does not set fails the DAG's import. The rerun replaces the hour and
    leaves silver and gold as `npm run lake` wrote them."""
    before = silver_rows(lake), gold_rows(lake)
    home, port = lake["root"] / "scheduler-airflow", _free_port()
    options = mwaa_environment["AirflowConfigurationOptions"]
    airflow = Airflow(mwaa_like_environment(lake, options, home, port), home, port)
    started = time.monotonic()
    try:
        airflow.start()
        run, tasks = airflow.run_hour("purchases_lake", lake["hour"])
    finally:
        airflow.stop()
    states = {t["task_id"]: t["state"] for t in tasks}
    assert run["state"] == "success", (states, airflow.logs())
    print(f"scheduler run in {time.monotonic() - started:.0f}s")
    assert states["gold.catalog"] == "success"
    assert run["data_interval_start"].startswith(lake["hour"].strftime("%Y-%m-%dT%H:00:00"))

    assert (silver_rows(lake), gold_rows(lake)) == before
    assert len(before[0]) == GOOD
    assert sum(row[1] for row in before[1]) == GOOD
    bronze = lake["s3"].list_objects_v2(Bucket=NAMES["bronzeBucket"])["Contents"]
    assert len(bronze) == 1, "the rerun's export replaced the hour's bronze objects"


@pytest.mark.parametrize(
    "server_schema",
    [
        ("local-silver", "silver_purchases", "all"),
        ("local-gold", "gold_daily_product_sales", "properties,quality"),
        ("local-gold", "gold_buyer_summary", "properties,quality"),
        ("local-gold", "gold_installment_mix", "properties,quality"),
    ],
)
def test_datacontract_test_passes_on_the_local_outputs(lake, server_schema):
    server, schema, checks = server_schema
    # The contract's local servers read ./.local/lake relative to the working directory. Gold skips
    # the SLA category: the freshness SLA is declared on silver_purchases.stored_at.
    command = [
        str(DATACONTRACT),
        "test",
        "--server",
        server,
        "--schema-name",
        schema,
        str(REPO / "datacontract.yaml"),
    ]
    if checks != "all":
        command += ["--checks", checks]
    completed = subprocess.run(
        command, cwd=lake["root"], capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stdout[-6000:]
    assert "invalid" not in completed.stdout
    # Warnings only say that datacontract-cli does not compare Parquet types; the data checks ran.
    assert completed.stdout.count("│ passed") >= 10, completed.stdout[-6000:]


def query(lake, sql: str) -> list[dict]:
    """`npm run query -- --format json "<sql>"` over the test's lake."""
    completed = subprocess.run(
        [
            "npm",
            "run",
            "--silent",
            "query",
            "--",
            "--lake-root",
            str(lake["lake_root"]),
            "--format",
            "json",
            sql,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def test_the_query_command_reads_the_lake_under_the_catalogs_names(lake):
    database = NAMES["glueDatabase"]
    glue_tables = {t["Name"] for t in lake["glue"].get_tables(DatabaseName=database)["TableList"]}
    tables = query(lake, "SELECT table_catalog, table_name FROM information_schema.tables")
    assert {(t["table_catalog"], t["table_name"]) for t in tables} == {(database, t) for t in glue_tables}

    columns = "product_id, purchases_count, total_amount, average_ticket, sale_date"
    daily = query(lake, f"SELECT {columns} FROM {database}.gold_daily_product_sales ORDER BY 1")  # noqa: S608
    expected = {}
    for i in range(GOOD):
        item = purchase(lake["hour"], i)
        count, total = expected.get(int(item["product_id"]), (0, Decimal(0)))
        expected[int(item["product_id"])] = (count + 1, total + item["total_amount"])
    assert [
        (r["product_id"], r["purchases_count"], Decimal(r["total_amount"]), Decimal(r["average_ticket"]))
        for r in daily
    ] == [
        (product, count, total, (total / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        for product, (count, total) in sorted(expected.items())
    ]
    assert {r["sale_date"] for r in daily} == {lake["hour"].date().isoformat()}
    [silver] = query(lake, "SELECT count(*) AS n, max(bronze_hour) AS hour FROM silver_purchases")
    assert silver == {"n": GOOD, "hour": lake["hour"].strftime("%Y-%m-%dT%H")}


def test_a_bad_batch_fails_the_silver_gate_keeps_silver_and_alerts(lake):
    before = silver_rows(lake)
    hour = lake["hour"]
    # Stored three days before the hour it claims: the consumer's clock or code is broken.
    stale = hour - timedelta(days=3)
    lake["table"].put_item(Item=purchase(hour, 70, stored_at=_iso(stale), received_at=_iso(stale)))

    code, runs, output = run_lake(lake)
    assert code == 1, output
    silver = runs[0]["layers"]["silver"]
    assert silver["gate"] == "failed"
    assert not silver["published"]
    assert silver["failed_checks"] == ["silver_purchases: stored_at falls in its ingest_hour"]
    assert runs[0]["layers"]["gold"]["gate"] == "not run"
    assert silver_rows(lake) == before

    messages = lake["sqs"].receive_message(QueueUrl=lake["queue"], MaxNumberOfMessages=10, WaitTimeSeconds=2)
    bodies = [m["Body"] for m in messages.get("Messages", [])]
    assert any(
        "purchases_lake.silver.gate failed" in b and hour.strftime("%Y-%m-%d %H:00") in b for b in bodies
    ), bodies
