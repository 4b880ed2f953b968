"""Records every AWS call a lake process makes, as one JSON line each, when AWS_CALL_LOG_DIR is set.

Python imports `sitecustomize` at start from the path: the lake tests put this folder on PYTHONPATH of
the processes that stand for MWAA (the DAG runs), and only those, so the tests' own setup calls are
never recorded. Every botocore client goes through `BaseClient._make_api_call`, boto3's resources and
transfers and Airflow's hooks included, so wrapping it catches the calls made inside libraries too.
Each line names the code that made the call (`origin`: the innermost frame of the deployed dags/ or
spark/ code, else of an Airflow provider; `unknown` in a library's worker thread, e.g. s3transfer's),
which test/iac/test_recorded_calls.py maps to a role.
"""

from __future__ import annotations

import json
import os
import sys
import threading

_DIR = os.environ.get("AWS_CALL_LOG_DIR")
# Request fields are kept when they are strings (names, keys, ARNs), cut to this length; bodies are not.
_MAX_VALUE = 300


def _origin() -> str:
    frame = sys._getframe(2)
    provider = ""
    while frame is not None:
        path = frame.f_code.co_filename.replace(os.sep, "/")
        # `npm run lake` runs the DAG (dag.test()): its frame is below every task's, and no task's own.
        if path.endswith("/dags/lake/local_run.py"):
            break
        for root in ("/dags/", "/spark/"):
            if root in path and "/site-packages/" not in path:
                return f"{root.strip('/')}/{path.rsplit(root, 1)[1]}:{frame.f_code.co_name}"
        if not provider and "/airflow/providers/" in path:
            provider = "airflow/providers/" + path.rsplit("/airflow/providers/", 1)[1]
            provider += f":{frame.f_code.co_name}"
        frame = frame.f_back
    return provider or "unknown"


def _params(params: dict) -> dict:
    kept: dict = {}
    for name, value in params.items():
        if isinstance(value, str):
            kept[name] = value[:_MAX_VALUE]
        elif name == "Delete" and isinstance(value, dict):
            kept["Keys"] = [o.get("Key") for o in value.get("Objects", [])][:20]
        elif isinstance(value, dict) and isinstance(value.get("Name"), str):
            kept[name] = {"Name": value["Name"]}
    return kept


def _install(directory: str) -> None:
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"lake-{os.getpid()}.jsonl")
    lock = threading.Lock()
    make_api_call = BaseClient._make_api_call

    def recording(self: BaseClient, operation_name: str, api_params: dict) -> object:
        model = self.meta.service_model
        line = {
            "source": "lake",
            "origin": _origin(),
            "service": model.signing_name,
            "operation": operation_name,
            "params": _params(api_params),
            "error": None,
        }
        try:
            return make_api_call(self, operation_name, api_params)
        except ClientError as error:
            line["error"] = error.response.get("Error", {}).get("Code")
            raise
        finally:
            with lock, open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(line, sort_keys=True) + "\n")

    BaseClient._make_api_call = recording  # type: ignore[method-assign]


if _DIR:
    _install(_DIR)
