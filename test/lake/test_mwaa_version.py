"""The Airflow that MWAA runs is the Airflow the lake is tested with, and a version MWAA accepts."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The SDK `npm run deploy` runs with (requirements/deploy.txt).
DEPLOY_PYTHON = REPO / ".tools" / "venv-deploy" / "bin" / "python"
# Prints botocore's version and the AirflowVersion values its MWAA model accepts in CreateEnvironment:
# an enum where the model has one, else the values its documentation lists.
MWAA_MODEL = """
import json, re, botocore
from botocore.loaders import create_loader
model = create_loader().load_service_model("mwaa", "service-2")
member = model["shapes"]["CreateEnvironmentInput"]["members"]["AirflowVersion"]
values = model["shapes"][member["shape"]].get("enum")
if values is None:
    listed = member["documentation"].split("Valid values:", 1)[1].split("</p>", 1)[0]
    values = re.findall(r"<code>([0-9][0-9a-z.]*)</code>", listed)
print(json.dumps({"botocore": botocore.__version__, "versions": values}))
"""


def locked_version(lock: Path, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==(\S+)", lock.read_text(), re.MULTILINE)
    assert match, f"{name} is not in {lock.name}"
    return match.group(1)


def test_the_template_pins_the_airflow_the_lake_runs(mwaa_environment):
    assert mwaa_environment["AirflowVersion"] == importlib.metadata.version("apache-airflow")


def test_mwaa_accepts_the_pinned_airflow_per_the_pinned_sdk(mwaa_environment):
    completed = subprocess.run(
        [str(DEPLOY_PYTHON), "-c", MWAA_MODEL], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    model = json.loads(completed.stdout)
    assert model["botocore"] == locked_version(REPO / "requirements" / "deploy.txt", "botocore")
    assert len(model["versions"]) >= 2, model
    assert mwaa_environment["AirflowVersion"] in model["versions"], model
