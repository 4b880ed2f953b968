"""Shared fixtures of the lake tests: import paths, an isolated Airflow home, one SparkSession, moto,
and the MWAA environment's settings as the packaged stack gives them."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
# Airflow reads its settings on first import: a throwaway home keeps the tests off ~/airflow.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="lake-tests-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
# test/iac/cfn.py packages the stack and reads its template.
for path in (REPO / "spark", REPO / "dags", REPO / "scripts", REPO / "test" / "iac"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

MOTO_SERVER = REPO / ".tools" / "venv-emulator" / "bin" / "moto_server"
AWS_CALL_RECORDER = REPO / "test" / "support" / "aws-call-log"
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


@contextlib.contextmanager
def moto_server(crawler_metrics: bool = False) -> Iterator[str]:
    """A moto server on a free loopback port, until the block ends; yields its endpoint.

    With `crawler_metrics`, moto answers Glue's GetCrawlerMetrics too (emulator_with_crawler_metrics.py).
    """
    port = _free_port()
    log = tempfile.TemporaryFile(prefix="moto-", suffix=".log")  # noqa: SIM115
    server = [str(MOTO_SERVER)]
    if crawler_metrics:
        server = [
            str(MOTO_SERVER.with_name("python")),
            str(REPO / "test/lake/emulator_with_crawler_metrics.py"),
        ]
    process = subprocess.Popen(
        [*server, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
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
    try:
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server on a free loopback port, for the whole session."""
    with moto_server() as endpoint:
        yield endpoint


def recorded_pythonpath(*paths: Path) -> str:
    """PYTHONPATH of a process that stands for MWAA: `paths`, then the recorder of its AWS calls.

    The recorder (test/support/aws-call-log/sitecustomize.py) writes only when AWS_CALL_LOG_DIR is set;
    test/iac/test_recorded_calls.py checks what it wrote against the MWAA role.
    """
    return os.pathsep.join([*(str(p) for p in paths), str(AWS_CALL_RECORDER)])


@pytest.fixture(scope="session")
def artifacts_bucket(moto_endpoint):
    """The stage `local`'s artifacts bucket on the emulator, filled by `npm run deploy -- --artifacts-only`.

    CloudFormation cannot run on the emulator, so the bucket is created here as the stack creates it
    (versioned, named by resources/stack.yml); the upload is the deploy command's own.
    """
    from lake.local_run import stack_names

    bucket = stack_names()["artifactsBucket"]
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's dummy key
    )
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    deploy = upload_artifacts(moto_endpoint)
    assert deploy.returncode == 0, deploy.stderr[-5000:]
    return {
        "bucket": bucket,
        "s3": s3,
        "log": deploy.stderr,
        "upload": lambda: upload_artifacts(moto_endpoint),
    }


def upload_artifacts(endpoint: str) -> subprocess.CompletedProcess:
    """`npm run deploy -- --stage local --artifacts-only` against the emulator at `endpoint`."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "PYTHONPATH": str(REPO / "scripts"),
    }
    command = [sys.executable, "-m", "deploy", "deploy", "--stage", "local", "--artifacts-only"]
    return subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="session")
def deployed_code(artifacts_bucket, tmp_path_factory) -> Path:
    """What MWAA and EMR would read from the artifacts bucket, downloaded into a fresh folder.

    The folder holds dags/, spark/ and requirements.txt as uploaded, so running the lake from it fails
    if the artifact set misses a file. Links complete it for a local run: the local engine reads the
    Soda checks from <root>/soda (deployed, they are spark/soda/), and the local runner gets the
    stage's names from src/stack-names.ts through tsx (on AWS, MWAA's configuration carries them).
    """
    from deploy.artifacts import download

    root = tmp_path_factory.mktemp("deployed")
    count = download(
        artifacts_bucket["s3"], artifacts_bucket["bucket"], root, ["dags/", "spark/", "requirements.txt"]
    )
    assert count > 0
    (root / "soda").symlink_to(root / "spark" / "soda", target_is_directory=True)
    (root / "src").symlink_to(REPO / "src", target_is_directory=True)
    (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def mwaa_environment(tmp_path_factory) -> dict:
    """The MWAA environment of the packaged stage `local`: its AirflowVersion and its
    AirflowConfigurationOptions, each value as CloudFormation resolves it in the emulator's account.

    The stage `local` names its resources as the emulated stack does (resources/stack.yml). The one value
    nothing here can know is an id AWS generates when it creates a resource (the EMR Serverless
    application's): it stays a stand-in, which only the emr-serverless engine would read.
    """
    from cfn import Template, package
    from lake.local_run import ACCOUNT_ID

    template_path = package(REPO, "local", tmp_path_factory.mktemp("packaged"), timeout=180)
    template = Template.load(template_path)
    region = "us-east-1"
    pseudo = {"AWS::Region": region, "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws"}

    def sub(text: str) -> str:
        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in pseudo:
                return pseudo[name]
            if "." in name:
                return get_att(*name.split(".", 1))
            return ref(name)

        return re.sub(r"\$\{([^}!]+)\}", variable, text)

    def value(node: object) -> str:
        if isinstance(node, str):
            return node
        assert isinstance(node, dict), node
        [(function, argument)] = node.items()
        if function == "Ref":
            return pseudo.get(argument) or ref(argument)
        if function == "Fn::GetAtt":
            return get_att(*argument)
        if function == "Fn::Sub" and isinstance(argument, str):
            return sub(argument)
        raise AssertionError(f"no emulator value for {node}")

    def ref(logical_id: str) -> str:
        resource = template.resources[logical_id]
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{region}:{ACCOUNT_ID}:{value(props['TopicName'])}"
        if kind == "AWS::Glue::Database":
            return value(props["DatabaseInput"]["Name"])
        if kind == "AWS::EMRServerless::Application":
            return f"{logical_id}-id"
        for name in ("BucketName", "TableName", "Name"):
            if name in props:
                return value(props[name])
        raise AssertionError(f"no emulator value for Ref {logical_id} ({kind})")

    def get_att(logical_id: str, attribute: str) -> str:
        resource = template.resources[logical_id]
        if (resource["Type"], attribute) == ("AWS::IAM::Role", "Arn"):
            return f"arn:aws:iam::{ACCOUNT_ID}:role/{value(resource['Properties']['RoleName'])}"
        raise AssertionError(f"no emulator value for {logical_id}.{attribute}")

    environment = template.props("MwaaEnvironment")
    options = environment["AirflowConfigurationOptions"]
    return {
        "AirflowVersion": environment["AirflowVersion"],
        "AirflowConfigurationOptions": {name: value(node) for name, node in options.items()},
    }
