"""Benchmark: the fixed cost of one hour through `npm run lake`, against bare Spark start-ups.

    bash bench/lake-hour-bench.sh [PURCHASES]        (default: 3000)

It starts a moto server, stores PURCHASES purchases of one hour in the emulated table (as the consumer
would, without the API), and in the same run times:

- baseline: `spark-submit` of an empty job (a SparkSession created and stopped) with the local lake's
  Spark settings, twice, and once more for an empty job that also imports what the lake's jobs import
  (Soda Core, the contract's schemas): the floor under each of the lake's two Spark jobs;
- the hour: `python -m lake.local_run` (what `npm run lake` runs) for that hour, with an Airflow home
  whose database was migrated beforehand (timed apart: only a first `npm run lake` pays it);
- the work: both jobs' pipelines over the same bronze hour in one Spark session, run twice, the second
  timed: what Spark has to do for the hour once it is started and warm;
- Airflow's floor: a fresh interpreter running dag.test() of as many empty tasks as the lake's DAG ran.

Each run is split, from Airflow's task records and the jobs' run reports, into Airflow (everything
outside the two Spark jobs: the process, the DAG's tasks, the database), each job's Spark start-up
and teardown (the job task's time minus the job's own phases), the jobs' own work (stage and publish)
and the gates (Soda), and compared with the goal: the whole hour within twice the time of two bare
Spark start-ups plus the warm work.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / ".tools"
sys.path[:0] = [str(REPO / "spark"), str(REPO / "dags")]

HOUR = datetime(2024, 11, 5, 13, tzinfo=UTC)
REGION = "us-east-1"

EMPTY_JOB = """
from lake_jobs.session import spark_session
spark_session("empty").stop()
"""
# What the lake's jobs import before their first Spark action, with nothing to do.
IMPORTING_JOB = """
from lake_jobs.session import spark_session
from lake_jobs import pipeline
from soda.scan import Scan
spark_session("empty").stop()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = TOOLS / "venv-emulator" / "bin" / "moto_server"
    process = subprocess.Popen(  # noqa: S603
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)  # noqa: S310
            return process, endpoint
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto_server did not start on {endpoint}") from None
            time.sleep(0.2)


def seed(endpoint: str, purchases: int) -> None:
    """The stack the local lake reads, and `purchases` purchases stored in HOUR."""
    import boto3
    from lake.local_run import stack_names

    names = stack_names()
    kwargs = {"region_name": REGION, "endpoint_url": endpoint}
    table = boto3.resource("dynamodb", **kwargs).create_table(
        TableName=names["purchasesTable"],
        KeySchema=[{"AttributeName": "purchase_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "purchase_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3 = boto3.client("s3", **kwargs)
    for bucket in ("bronzeBucket", "silverBucket", "goldBucket"):
        s3.create_bucket(Bucket=names[bucket])
    boto3.client("sns", **kwargs).create_topic(Name=names["alertsTopic"])
    with table.batch_writer() as batch:
        for i in range(purchases):
            stored = HOUR + timedelta(milliseconds=i * 3_600_000 // purchases)
            batch.put_item(
                Item={
                    "purchase_id": f"{i:08x}-0000-4000-8000-{i:012x}",
                    "buyer_id": Decimal(1 + i % 997),
                    "product_id": Decimal(1 + i % 89),
                    "number_of_installments": Decimal(1 + i % 24),
                    "total_amount": Decimal(1999 + 37 * i) / 100,
                    "purchase_date": (HOUR - timedelta(days=i % 3)).date().isoformat(),
                    "received_at": (stored - timedelta(milliseconds=200)).isoformat(timespec="milliseconds")[
                        :-6
                    ]
                    + "Z",
                    "stored_at": stored.isoformat(timespec="milliseconds")[:-6] + "Z",
                    "ingest_hour": f"{HOUR:%Y-%m-%dT%H}",
                }
            )


def bare_submit(code: str, work: Path) -> float:
    """Wall seconds of `spark-submit` of `code` with the local lake's settings and Python."""
    from lake_jobs.local_spark import LOCAL_SPARK_CONF

    job = work / "job.py"
    job.write_text(code)
    python = TOOLS / "venv-lake" / "bin" / "python"
    conf = [item for key, value in LOCAL_SPARK_CONF.items() for item in ("--conf", f"{key}={value}")]
    env = {
        **os.environ,
        "PYTHONPATH": f"{REPO / 'spark'}",
        "PYSPARK_PYTHON": str(python),
        "PYSPARK_DRIVER_PYTHON": str(python),
    }
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [str(python.with_name("spark-submit")), *conf, str(job)], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def interval_key(start: datetime, end: datetime) -> str:
    from lake_jobs import layout

    return layout.interval_key(start, end)


def migrate(root: Path) -> float:
    """Seconds of `airflow db migrate` for a fresh Airflow home: what only a first `npm run lake` pays."""
    from lake.local_run import local_environment

    env = {**os.environ, **local_environment(root / "lake", root / "airflow")}
    (root / "airflow").mkdir(parents=True)
    started = time.perf_counter()
    airflow = TOOLS / "venv-lake" / "bin" / "airflow"
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True)  # noqa: S603
    return time.perf_counter() - started


# Both jobs' pipelines over the hour's bronze in one session, twice: the second run is the work itself,
# in a JVM that has already compiled and loaded everything (no start-up, no first-query costs).
WARM_JOBS = """
import sys, time
from datetime import datetime, timedelta
from pathlib import Path
from lake_jobs.local_spark import LOCAL_SPARK_CONF
from lake_jobs.pipeline import Interval, run_gold, run_silver
from lake_jobs.session import spark_session

bronze, out, soda = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
start = datetime.fromisoformat(sys.argv[4])
interval = Interval(start, start + timedelta(hours=1))
silver_checks = [str(soda / c) for c in ("generated/silver_purchases.yml", "checks/silver_purchases.yml")]
gold_checks = [str(soda / f"generated/{t}.yml")
               for t in ("gold_daily_product_sales", "gold_buyer_summary", "gold_installment_mix")]
gold_checks.append(str(soda / "checks/gold.yml"))
spark = spark_session("warm", LOCAL_SPARK_CONF)
for attempt in range(2):
    root = out / str(attempt)
    started = time.perf_counter()
    s = run_silver(spark, interval, bronze.as_uri(), "*", (root / "silver").as_uri(), silver_checks)
    g = run_gold(spark, interval, (root / "silver").as_uri(), (root / "gold").as_uri(), gold_checks)
    assert s.published and g.published
print(time.perf_counter() - started, s.seconds["gate"] + g.seconds["gate"])
spark.stop()
"""


def warm_jobs(root: Path) -> tuple[float, float]:
    """(seconds of both jobs in a warm session, of which their gates) over the hour's bronze."""
    python = TOOLS / "venv-lake" / "bin" / "python"
    job = root / "warm.py"
    job.write_text(WARM_JOBS)
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'spark'}", "PYSPARK_PYTHON": str(python)}
    args = [str(root / "lake" / "bronze"), str(root / "warm"), str(REPO / "soda"), HOUR.isoformat()]
    completed = subprocess.run(  # noqa: S603
        [str(python.with_name("spark-submit")), str(job), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    total, gates = map(float, completed.stdout.split()[-2:])
    return total, gates


# Airflow's own floor: a DAG of as many empty tasks as the lake's (chained), through dag.test() in a
# fresh interpreter, as `npm run lake` runs its DAG. The DAG file lives in the DAG folder (dag.test()
# runs only DAGs Airflow has parsed from there); the runner imports and tests it.
EMPTY_DAG = """
from datetime import datetime
from airflow.sdk import DAG, task

with DAG(dag_id="empty_tasks", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    @task
    def step(i: int) -> int:
        return i
    previous = step.override(task_id="t0")(0)
    for i in range(1, {tasks}):
        previous = step.override(task_id=f"t{{i}}")(previous)
"""
EMPTY_DAG_RUNNER = """
import sys
sys.path.insert(0, sys.argv[1])
from empty_tasks import dag
dag.test()
"""


def airflow_floor(root: Path, tasks: int) -> float:
    """Wall seconds of a fresh interpreter running dag.test() of `tasks` empty tasks."""
    from lake.local_run import local_environment

    folder = root / "floor-dags"
    folder.mkdir()
    (folder / "empty_tasks.py").write_text(EMPTY_DAG.format(tasks=tasks))
    (root / "floor.py").write_text(EMPTY_DAG_RUNNER)
    env = {**os.environ, **local_environment(root / "lake", root / "airflow")}
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(folder)
    python = TOOLS / "venv-lake" / "bin" / "python"
    started = time.perf_counter()
    command = [str(python), str(root / "floor.py"), str(folder)]
    subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: S603
    return time.perf_counter() - started


def run_hour(endpoint: str, root: Path) -> dict:
    """One `npm run lake` of HOUR; wall seconds, task durations and the jobs' phases."""
    summary = root / "summary.json"
    interval = f"{HOUR.isoformat()}/{(HOUR + timedelta(hours=1)).isoformat()}"
    python = TOOLS / "venv-lake" / "bin" / "python"
    command = [str(python), "-m", "lake.local_run", "--interval", interval, "--lake-root", str(root / "lake")]
    command += ["--airflow-home", str(root / "airflow"), "--json", str(summary)]
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603
        command,
        env={
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "PYTHONPATH": f"{REPO / 'dags'}:{REPO / 'spark'}",
        },
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(completed.stdout + completed.stderr[-5000:])
    [run] = json.loads(summary.read_text())
    with sqlite3.connect(root / "airflow" / "airflow.db") as db:
        rows = db.execute(
            "SELECT ti.task_id, ti.start_date, ti.end_date FROM task_instance ti"
            " JOIN dag_run dr ON ti.run_id = dr.run_id WHERE dr.id = (SELECT max(id) FROM dag_run)"
        ).fetchall()
    tasks = {
        task: (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        for task, start, end in rows
        if start and end
    }
    phases = {}
    for layer in ("silver", "gold"):
        report = root / "lake" / layer / "_reports" / layer
        data = json.loads((report / f"{interval_key(HOUR, HOUR + timedelta(hours=1))}.json").read_text())
        phases[layer] = {
            **data["seconds"],
            "checks": len(data["gate"]["checks"]),
            "queries": data["gate"].get("queries", 0),
        }
    return {"wall": wall, "tasks": tasks, "phases": phases, "rows": run["layers"]["silver"]["counts"]["rows"]}


def describe(label: str, hour: dict, bare: float, warm: tuple[float, float], floor: float) -> None:
    tasks, phases = hour["tasks"], hour["phases"]
    jobs = {layer: tasks[f"{layer}.run_job"] for layer in ("silver", "gold")}
    work = {layer: phases[layer].get("stage", 0) + phases[layer].get("publish", 0) for layer in jobs}
    gates = {layer: phases[layer].get("gate", 0) for layer in jobs}
    startup = {layer: jobs[layer] - work[layer] - gates[layer] for layer in jobs}
    airflow = hour["wall"] - sum(jobs.values())
    print(f"{label}: {hour['wall']:.1f} s for {hour['rows']} silver rows")
    print(
        f"  airflow {airflow:.1f} s (outside the two jobs; tasks: "
        + ", ".join(f"{t} {s:.1f}" for t, s in sorted(tasks.items()) if not t.endswith("run_job"))
        + f"); Airflow alone, the same number of empty tasks: {floor:.1f} s"
    )
    for layer in jobs:
        checks = phases[layer]["checks"]
        print(
            f"  {layer} job {jobs[layer]:.1f} s: spark start-up and teardown {startup[layer]:.1f},"
            f" work {work[layer]:.1f} (stage {phases[layer].get('stage', 0):.1f},"
            f" publish {phases[layer].get('publish', 0):.1f}),"
            f" gate {gates[layer]:.1f} ({checks} checks in {phases[layer]['queries']} Soda queries,"
            f" {1000 * gates[layer] / max(checks, 1):.0f} ms a check)"
        )
    goal = 2 * (2 * bare + warm[0])
    verdict = "within" if hour["wall"] <= goal else "over"
    print(
        f"  goal: 2 x (2 bare start-ups {2 * bare:.1f} + both jobs in a warm session {warm[0]:.1f}"
        f" (gates {warm[1]:.1f})) = {goal:.1f} s: {verdict} ({hour['wall'] / goal:.2f} of it)"
    )


def main(purchases: int) -> int:
    import pyspark

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    airflow_version = subprocess.run(  # noqa: S603
        [str(TOOLS / "venv-lake" / "bin" / "python"), "-c", "import airflow; print(airflow.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"python {platform.python_version()}, pyspark {pyspark.__version__}, airflow {airflow_version}")
    work = Path(tempfile.mkdtemp(prefix="lake-hour-bench-"))
    moto, endpoint = start_moto()
    try:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        seed(endpoint, purchases)
        bare = [bare_submit(EMPTY_JOB, work) for _ in range(2)]
        importing = bare_submit(IMPORTING_JOB, work)
        baseline = sum(bare) / len(bare)
        print(
            f"bare spark-submit, empty job: {' s, '.join(f'{b:.1f}' for b in bare)} s"
            f" (mean {baseline:.1f} s); with the jobs' imports (Soda, lake_jobs): {importing:.1f} s"
        )
        print(f"airflow db migrate of a fresh home (a first npm run lake only): {migrate(work):.1f} s")
        hour = run_hour(endpoint, work)
        warm = warm_jobs(work)
        floor = airflow_floor(work, len(hour["tasks"]))
        describe(f"npm run lake, one hour of {purchases} purchases", hour, baseline, warm, floor)
    finally:
        moto.terminate()
        moto.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
