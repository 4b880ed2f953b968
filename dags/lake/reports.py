"""Run reports: what a layer's job wrote beside its output (counts, gate verdict, what was published)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from airflow.exceptions import AirflowFailException
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.sdk import Asset, XComArg, task
from lake_jobs import layout

from lake.config import LakeConfig
from lake.errors import GateFailedError

log = logging.getLogger(__name__)


def read_report(config: LakeConfig, layer: str, start: datetime, end: datetime) -> dict[str, Any]:
    uri = layout.report_uri(config.layer_root(layer), layer, start, end)
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        text = Path(parsed.path).read_text()
    else:
        text = S3Hook(aws_conn_id=config.aws_conn_id).read_key(parsed.path.lstrip("/"), parsed.netloc)
    report: dict[str, Any] = json.loads(text)
    return report


def failed_checks(report: dict[str, Any]) -> list[str]:
    gate = report.get("gate", {})
    failed = [
        f"{c['table']}: {c['name']}" for c in gate.get("checks", []) if c["outcome"] not in ("pass", "warn")
    ]
    return failed + [f"scan error: {e}" for e in gate.get("errors", [])]


def summary(report: dict[str, Any]) -> dict[str, Any]:
    gate = report.get("gate", {})
    return {
        "layer": report["layer"],
        "counts": report.get("counts", {}),
        "gate": "skipped" if gate.get("skipped") else ("passed" if gate.get("passed") else "failed"),
        "checks": len(gate.get("checks", [])),
        "failed_checks": failed_checks(report),
        "published": report.get("published", False),
    }


def gate_task(config: LakeConfig, layer: str, tables: list[str]) -> XComArg:
    """Reads the job's report; fails the run (without retries) when the gate blocked publishing."""
    outlets = [Asset(config.asset_uri(layer, table)) for table in tables]

    @task(task_id="gate", outlets=outlets)
    def gate(data_interval_start: datetime, data_interval_end: datetime) -> dict[str, Any]:
        report = read_report(config, layer, data_interval_start, data_interval_end)
        result = summary(report)
        log.info("%s gate: %s", layer, json.dumps(result, indent=2))
        if not report.get("gate", {}).get("passed"):
            error = GateFailedError(layer, result["failed_checks"])
            # The same data fails the same checks again: retrying would only delay the alert.
            raise AirflowFailException(str(error)) from error
        return result

    # Airflow passes the data interval from the run's context.
    return gate()  # type: ignore[call-arg, misc]
