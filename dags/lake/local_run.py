"""`npm run lake -- --interval <start>/<end>`: the lake DAG over the local system's data, through dag.test().

Reads what the running local system stored in the emulator (AWS_ENDPOINT_URL, default
http://127.0.0.1:4566), with the names of resources/stack.yml for the stage `local`, runs one DAG run
per hour of the interval (bronze, silver, gold) and prints rows per layer, quarantined rows and the
gate results. Exits non-zero when a run failed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STAGE = "local"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


@functools.cache
def stack_names(stage: str = STAGE, account_id: str = ACCOUNT_ID, region: str = REGION) -> dict[str, str]:
    """resources/stack.yml's names for the stage, as src/stack-names.ts (the one resolver) prints them."""
    tsx = REPO / "node_modules" / ".bin" / "tsx"
    command = [
        str(tsx),
        "src/stack-names.ts",
        "--stage",
        stage,
        "--region",
        region,
        "--account-id",
        account_id,
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"src/stack-names.ts --stage {stage}: {result.stderr.strip()}")
    names: dict[str, str] = json.loads(result.stdout)["names"]
    return names


def local_environment(lake_root: Path, airflow_home: Path, region: str = REGION) -> dict[str, str]:
    """The environment of a local lake run: lake settings, Airflow's home and the emulator's defaults."""
    names = stack_names(region=region)
    return {
        "LAKE_ENGINE": "local",
        "LAKE_LOCAL_ROOT": str(lake_root),
        "LAKE_PURCHASES_TABLE": names["purchasesTable"],
        "LAKE_BRONZE_BUCKET": names["bronzeBucket"],
        "LAKE_SILVER_BUCKET": names["silverBucket"],
        "LAKE_GOLD_BUCKET": names["goldBucket"],
        "LAKE_GLUE_DATABASE": names["glueDatabase"],
        "LAKE_ALERTS_TOPIC_ARN": f"arn:aws:sns:{region}:{ACCOUNT_ID}:{names['alertsTopic']}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL": os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # A deployed copy of spark/ has the jobs' packages (the local catalog reads their schemas) as
        # lake_jobs.zip; the source tree has them as folders.
        "PYTHONPATH": os.pathsep.join(
            [str(REPO / "dags"), str(REPO / "spark" / "lake_jobs.zip"), str(REPO / "spark")]
        ),
    }


def parse_interval(text: str) -> tuple[datetime, datetime]:
    try:
        start_text, end_text = text.split("/")
        start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
    except ValueError as e:
        example = "2024-11-05T13:00Z/2024-11-05T15:00Z"
        raise SystemExit(f"--interval must be <start>/<end> in ISO 8601, e.g. {example}: {e}") from None
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= start:
        raise SystemExit("--interval: the end must be after the start")
    return start, end


def _migrate_database(airflow_home: Path) -> None:
    airflow_home.mkdir(parents=True, exist_ok=True)
    if (airflow_home / "airflow.db").exists():
        return
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True)  # noqa: S603


def _register_as_the_dag_processor_does(dag: Any) -> None:
    """Writes the DAG, its bundle and its assets to the metadata database, as the DAG processor does.

    Airflow 3.0's dag.test() does not mark the assets of the gates' outlets active, so each gate would
    fail as having an inactive outlet (apache/airflow#51644); the scheduler's runs have them registered.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    # The scheduler's DAG model writes to the database; the Task SDK's DAG has no such method.
    from airflow.models.dag import DAG as SchedulerDAG
    from airflow.serialization.serialized_objects import LazyDeserializedDAG, SerializedDAG

    DagBundlesManager().sync_bundles_to_db()  # type: ignore[no-untyped-call]
    # The DAG file sits at the top of the DAG folder (the bundle "dags-folder").
    dag.relative_fileloc = Path(dag.fileloc).name
    serialized = LazyDeserializedDAG(data=SerializedDAG.to_dict(dag))
    SchedulerDAG.bulk_write_to_db("dags-folder", None, [serialized])  # noqa: AIR311


def testable_dag(airflow_home: Path) -> Any:
    """The lake's DAG, ready for dag.test(): the metadata database migrated and the DAG registered."""
    _migrate_database(airflow_home)
    from purchases_lake import dag

    _register_as_the_dag_processor_does(dag)
    return dag


def run_interval(start: datetime, end: datetime, airflow_home: Path) -> list[dict[str, Any]]:
    """One dag.test() per hour of [start, end); returns each run's state and layer reports."""
    from airflow.utils.state import DagRunState, TaskInstanceState
    from lake_jobs import layout

    from lake.config import load_config
    from lake.reports import read_report, summary

    config = load_config()
    dag = testable_dag(airflow_home)
    runs = []
    for hour in layout.hours_of(start, end):
        end_of_hour = hour + timedelta(hours=1)
        # The interval timetable gives a manual run the complete hour that ends at its logical date.
        dag_run = dag.test(logical_date=end_of_hour)
        run: dict[str, Any] = {"hour": layout.hour_key(hour), "state": str(dag_run.state), "layers": {}}
        for layer in ("silver", "gold"):
            job = dag_run.get_task_instance(f"{layer}.run_job")
            # A report from an earlier run of the hour stays beside the data: only this run's counts.
            if job is None or job.state != TaskInstanceState.SUCCESS:
                run["layers"][layer] = {"layer": layer, "gate": "not run"}
            else:
                run["layers"][layer] = summary(read_report(config, layer, hour, end_of_hour))
        run["ok"] = dag_run.state == DagRunState.SUCCESS
        runs.append(run)
    return runs


def render(runs: list[dict[str, Any]]) -> str:
    lines = []
    for run in runs:
        lines.append(f"hour {run['hour']}: run {run['state']}")
        silver = run["layers"].get("silver", {})
        counts = silver.get("counts", {})
        if counts:
            records, files = counts.get("bronze_records", 0), counts.get("bronze_files", 0)
            lines.append(f"  bronze  {records:>8} records in {files} files")
            lines.append(
                f"  silver  {counts.get('rows', 0):>8} rows   quarantined {counts.get('quarantined', 0)}"
                f"   duplicates removed {counts.get('duplicates_removed', 0)}"
            )
        for layer in ("silver", "gold"):
            info = run["layers"].get(layer, {})
            if layer == "gold" and info.get("counts"):
                gold_counts = {
                    k.removesuffix("_rows"): v for k, v in info["counts"].items() if k.endswith("_rows")
                }
                lines.append("  gold    " + ", ".join(f"{k} {v}" for k, v in sorted(gold_counts.items())))
            lines.append(
                f"  {layer} gate: {info.get('gate')} ({info.get('checks', 0)} checks)"
                + (f", published: {info.get('published')}" if "published" in info else "")
            )
            lines.extend(f"    failed: {failure}" for failure in info.get("failed_checks", []))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run the lake DAG locally over an interval.")
    parser.add_argument("--interval", required=True, help="<start>/<end>, ISO 8601 (UTC if no offset)")
    parser.add_argument("--lake-root", default=str(REPO / ".local" / "lake"))
    parser.add_argument("--airflow-home", default=str(REPO / ".local" / "airflow"))
    parser.add_argument("--json", help="also write the run summaries to this file")
    args = parser.parse_args(argv)
    start, end = parse_interval(args.interval)
    airflow_home = Path(args.airflow_home).resolve()
    env = local_environment(Path(args.lake_root).resolve(), airflow_home)
    # Airflow reads its settings when first imported: the environment is complete before that.
    os.environ.update(env)
    sys.path[:0] = env["PYTHONPATH"].split(os.pathsep)
    runs = run_interval(start, end, airflow_home)
    print(render(runs))
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2, default=str))
    return 0 if all(run["ok"] for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
