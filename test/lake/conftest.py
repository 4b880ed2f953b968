"""Shared fixtures of the lake tests: import paths, an isolated Airflow home, one SparkSession, moto."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Airflow reads its settings on first import: a throwaway home keeps the tests off ~/airflow.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="lake-tests-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
for path in (REPO / "spark", REPO / "dags"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

MOTO_SERVER = REPO / ".tools" / "venv-emulator" / "bin" / "moto_server"
# py4j logs at INFO while the interpreter shuts down, after pytest has closed its log streams.
logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def spark():
    from lake_jobs.session import spark_session

    # Small data: two cores and two shuffle partitions keep each action to a few tasks.
    session = spark_session(
        "lake-tests",
        {"spark.master": "local[2]", "spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false"},
    )
    yield session
    session.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server on a free loopback port, for the whole session."""
    port = _free_port()
    log = tempfile.TemporaryFile(prefix="moto-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)  # noqa: S310
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"moto_server did not start on {endpoint}") from None
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)
    log.close()
