"""The Soda gate between layers: SodaCL checks over Spark DataFrames, the verdict as plain data."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession

_DATA_SOURCE = "lake"


def _without_telemetry() -> None:
    # Soda Core sends usage statistics unless its config says otherwise; jobs must not call out.
    from soda.common.config_helper import ConfigHelper

    ConfigHelper.get_instance().config["send_anonymous_usage_stats"] = False


def run_gate(
    spark: SparkSession, tables: dict[str, DataFrame], checks: list[str], now: datetime, name: str
) -> dict[str, Any]:
    """Run SodaCL `checks` (YAML texts) over `tables` (view name -> DataFrame).

    `now` is the end of the run's interval: freshness is judged against the interval, so rerunning
    an old interval gives the same verdict as its first run.
    Returns {"passed": bool, "checks": [{"table", "name", "outcome", "value"}], "errors": [...],
    "queries": the number of SQL queries Soda ran for them} (what a gate costs: bench/README.md).
    """
    _without_telemetry()
    from soda.scan import Scan

    for view, frame in tables.items():
        frame.createOrReplaceTempView(view)
    scan = Scan()
    scan.set_scan_definition_name(name)
    scan.set_data_source_name(_DATA_SOURCE)
    scan.add_spark_session(spark, data_source_name=_DATA_SOURCE)
    scan.add_variables({"NOW": now.isoformat()})
    for text in checks:
        scan.add_sodacl_yaml_str(text)
    scan.execute()
    results = scan.get_scan_results()
    checks_out = [
        {
            "table": c.get("table"),
            "name": c.get("name"),
            "outcome": c.get("outcome"),
            "value": _value(c),
        }
        for c in results.get("checks", [])
    ]
    errors = [log["message"] for log in results.get("logs", []) if log.get("level") == "ERROR"]
    failed = [c for c in checks_out if c["outcome"] not in ("pass", "warn")]
    for c in failed:
        logging.getLogger(__name__).error("check failed: %s.%s (%s)", c["table"], c["name"], c["value"])
    return {
        "passed": not failed and not errors and bool(checks_out),
        "checks": checks_out,
        "errors": errors,
        "queries": len(results.get("queries", [])),
    }


def _value(check: dict[str, Any]) -> str | None:
    diagnostics = check.get("diagnostics") or {}
    value = diagnostics.get("value")
    return None if value is None else str(value)
