"""The lake artifacts of `npm run deploy`: what is uploaded, what it is built for, and reruns.

The upload runs against the emulator's S3 (the `artifacts_bucket` fixture runs the deploy command with
--artifacts-only); test_lake_local.py runs the whole lake from the uploaded copies.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
import yaml
from deploy import artifacts, stage
from packaging.requirements import Requirement
from packaging.tags import parse_tag

REPO = Path(__file__).resolve().parents[2]
STACK = yaml.safe_load((REPO / "resources" / "stack.yml").read_text())["settings"]
# resources/emr.yml takes the architecture from stack.yml; the platform tags wheels carry for it.
MACHINE = {"ARM64": "aarch64", "X86_64": "x86_64"}[STACK["emrArchitecture"]]
PYTHON = STACK["sparkPython"]
CPYTHON = "cp" + PYTHON.replace(".", "")
NEWEST_GLIBC = (2, 34)


def locked_version(lock: Path, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}==(\S+)", lock.read_text(), re.MULTILINE)
    assert match, f"{name} is not in {lock.name}"
    return match.group(1)


def wheel_files(archive: Path) -> dict[str, str]:
    """dist-info folder -> its WHEEL file, for every distribution in the archive."""
    with tarfile.open(archive) as tar:
        return {
            member.name.split("/")[0]: tar.extractfile(member).read().decode()
            for member in tar.getmembers()
            if re.fullmatch(r"[^/]+\.dist-info/WHEEL", member.name)
        }


def loads_on_the_application(tag) -> bool:
    """True when the release's CPython on the application's machine can import a wheel with this tag."""
    if tag.platform == "any":
        return tag.interpreter in ("py3", CPYTHON) and tag.abi == "none"
    platform = re.fullmatch(rf"manylinux_(\d+)_(\d+)_{MACHINE}|manylinux2014_{MACHINE}", tag.platform)
    if platform is None:
        return False
    glibc = (2, 17) if platform.group(1) is None else (int(platform.group(1)), int(platform.group(2)))
    if glibc > NEWEST_GLIBC:
        return False
    if tag.abi == "abi3":
        return tag.interpreter.startswith("cp3") and int(tag.interpreter[3:]) <= int(CPYTHON[3:])
    return tag.interpreter == CPYTHON and tag.abi == CPYTHON


def test_every_wheel_in_the_job_environment_loads_on_the_emr_application(deployed_code):
    wheels = wheel_files(deployed_code / "spark" / STACK["sparkPythonArchive"])
    assert len(wheels) == locked_count(REPO / "requirements" / "lake-job.txt")
    compiled = 0
    for dist_info, text in wheels.items():
        wheel = HeaderParser().parsestr(text)
        tags = [t for value in wheel.get_all("Tag") for t in parse_tag(value)]
        assert any(loads_on_the_application(t) for t in tags), (dist_info, wheel.get_all("Tag"))
        if wheel["Root-Is-Purelib"] == "false":
            compiled += 1
            assert all(t.platform != "any" for t in tags), dist_info
    # pydantic-core, ruamel.yaml.clib, charset-normalizer...: the check above saw machine code.
    assert compiled >= 2


def locked_count(lock: Path) -> int:
    return len(re.findall(r"^\S+==", lock.read_text(), re.MULTILINE))


def test_the_job_environment_holds_the_locked_soda_and_no_spark(deployed_code):
    archive = deployed_code / "spark" / STACK["sparkPythonArchive"]
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        [metadata] = [n for n in names if re.fullmatch(r"soda_core_spark_df-[^/]+\.dist-info/METADATA", n)]
        version = HeaderParser().parsestr(tar.extractfile(metadata).read().decode())["Version"]
        shared_objects = [n for n in names if n.endswith(".so")]
    assert version == locked_version(REPO / "requirements" / "lake-job.txt", "soda-core-spark-df")
    # The local lake runs the same Soda: the job environment is resolved under requirements/lake.txt.
    assert version == locked_version(REPO / "requirements" / "lake.txt", "soda-core-spark-df")
    assert "soda/scan.py" in names
    # EMR's release provides Spark's Python side; a second pyspark would shadow it.
    assert not [n for n in names if n.split("/")[0].startswith(("pyspark", "py4j"))]
    assert shared_objects
    for name in shared_objects:
        assert name.endswith((f".cpython-{CPYTHON[2:]}-{MACHINE}-linux-gnu.so", ".abi3.so")), name


def test_mwaa_requirements_carry_the_constraints_of_the_pinned_airflow(deployed_code):
    lines = [
        line
        for line in (deployed_code / "requirements.txt").read_text().splitlines()
        if not line.startswith("#")
    ]
    constraints = [line for line in lines if line.startswith("--constraint")]
    airflow = STACK["airflowVersion"]
    assert constraints == [
        f'--constraint "https://raw.githubusercontent.com/apache/airflow/constraints-{airflow}/'
        f'constraints-{STACK["mwaaPythonVersion"]}.txt"'
    ]
    pinned = [Requirement(line) for line in lines if line and not line.startswith("--")]
    assert "apache-airflow-providers-amazon" in {r.name for r in pinned}
    # Each pin is the version Airflow's constraints (the copy the local lake resolves with) allow.
    constraints_file = REPO / "requirements" / f"constraints-airflow-{airflow}.txt"
    for requirement in pinned:
        [specifier] = requirement.specifier
        assert specifier.operator == "=="
        assert specifier.version == locked_version(constraints_file, requirement.name), requirement


# Runs in a fresh interpreter with only the uploaded DAG folder on its path, as MWAA's DAG processor
# does: the packages that only the Spark jobs have are made unimportable.
DAGBAG_CHECK = """
import json, sys
for package in ("pyspark", "py4j", "soda", "duckdb", "schemas"):
    sys.modules[package] = None
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
print(json.dumps({"dags": sorted(bag.dags), "errors": {k: str(v) for k, v in bag.import_errors.items()}}))
"""
EMR_ENVIRONMENT = {
    "LAKE_ENGINE": "emr-serverless",
    "AWS_DEFAULT_REGION": "us-east-1",
    "LAKE_PURCHASES_TABLE": "purchases-dev-purchases",
    "LAKE_BRONZE_BUCKET": "purchases-dev-123456789012-bronze",
    "LAKE_SILVER_BUCKET": "purchases-dev-123456789012-silver",
    "LAKE_GOLD_BUCKET": "purchases-dev-123456789012-gold",
    "LAKE_GLUE_DATABASE": "purchases_dev_lake",
    "LAKE_ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:purchases-dev-alerts",
    "LAKE_EMR_APPLICATION_ID": "00fabcdef1234567",
    "LAKE_EMR_JOB_ROLE_ARN": "arn:aws:iam::123456789012:role/purchases-dev-spark",
    "LAKE_JOBS_URI": "s3://purchases-dev-123456789012-artifacts/spark",
    "LAKE_PYTHON_ARCHIVE_URI": "s3://purchases-dev-123456789012-artifacts/spark/python-env.tar.gz",
    "LAKE_EMR_PYTHON": f"/usr/bin/python{PYTHON}",
    "LAKE_EMR_LOGS_URI": "s3://purchases-dev-123456789012-artifacts/emr-logs/",
    "LAKE_SILVER_CRAWLER": "purchases-dev-silver",
    "LAKE_GOLD_CRAWLER": "purchases-dev-gold",
}


def test_the_uploaded_dag_folder_imports_with_only_what_was_uploaded(deployed_code, tmp_path):
    dags = deployed_code / "dags"
    env = {
        **EMR_ENVIRONMENT,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(dags),
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
    }
    completed = subprocess.run(
        [sys.executable, "-c", DAGBAG_CHECK, str(dags)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    bag = json.loads(completed.stdout.strip().splitlines()[-1])
    assert bag == {"dags": ["purchases_lake"], "errors": {}}


def test_a_rerun_with_nothing_changed_uploads_nothing(artifacts_bucket):
    first = re.search(r"(\d+) uploaded, (\d+) unchanged, (\d+) deleted", artifacts_bucket["log"])
    assert first, artifacts_bucket["log"]
    assert int(first.group(1)) > 0
    s3, bucket = artifacts_bucket["s3"], artifacts_bucket["bucket"]
    version = s3.head_object(Bucket=bucket, Key=STACK["mwaaRequirementsPath"])["VersionId"]

    rerun = artifacts_bucket["upload"]()
    assert rerun.returncode == 0, rerun.stderr[-5000:]
    assert f"0 uploaded, {first.group(1)} unchanged, 0 deleted" in rerun.stderr, rerun.stderr
    assert s3.head_object(Bucket=bucket, Key=STACK["mwaaRequirementsPath"])["VersionId"] == version


def test_an_upload_sends_only_what_changed_and_deletes_what_is_gone(artifacts_bucket, tmp_path):
    s3 = artifacts_bucket["s3"]
    bucket = "purchases-sync-test-artifacts"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    out = tmp_path / "out"
    layout = artifacts.build(out)
    first = artifacts.upload(s3, bucket, out, layout)
    assert first.unchanged == []
    assert first.deleted == []
    assert first.uploaded[-1] == "dags/purchases_lake.py", "DAG files go after the modules they import"

    s3.put_object(Bucket=bucket, Key="dags/lake/renamed_module.py", Body=b"")
    check = out / "spark" / "soda" / "checks" / "gold.yml"
    check.write_text(check.read_text() + "\n# changed\n")
    second = artifacts.upload(s3, bucket, out, layout)
    assert second.uploaded == ["spark/soda/checks/gold.yml"]
    assert second.deleted == ["dags/lake/renamed_module.py"]
    assert second.requirements_version == first.requirements_version

    (out / layout.requirements).write_text((out / layout.requirements).read_text() + "boto3==1.41.5\n")
    third = artifacts.upload(s3, bucket, out, layout)
    assert third.uploaded == [layout.requirements]
    assert third.requirements_version not in ("", first.requirements_version)


def test_the_build_is_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    artifacts.build(first)
    artifacts.build(second)
    files = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_remove_empties_every_version_of_a_bucket(artifacts_bucket):
    s3 = artifacts_bucket["s3"]
    bucket = "purchases-remove-test-bronze"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=bucket, Key="purchases/part-0.json", Body=body)
    s3.put_object(Bucket=bucket, Key="purchases/part-1.json", Body=b"three")
    s3.delete_object(Bucket=bucket, Key="purchases/part-1.json")

    assert stage.empty_bucket(s3, bucket) == 4
    listing = s3.list_object_versions(Bucket=bucket)
    assert listing.get("Versions", []) == listing.get("DeleteMarkers", []) == []
    s3.delete_bucket(Bucket=bucket)


def test_remove_refuses_prod_before_touching_anything(monkeypatch):
    def no_aws(*args, **kwargs):
        raise AssertionError("remove called AWS for prod")

    monkeypatch.setattr(stage.boto3, "Session", no_aws)
    monkeypatch.setattr(stage, "serverless", no_aws)
    with pytest.raises(stage.DeployError, match="refusing to remove stage prod"):
        stage.remove("prod", "us-east-1")
    assert stage.main(["remove", "--stage", "prod"]) == 1


def test_deploy_refuses_a_placeholder_in_prod_before_touching_anything(monkeypatch, capsys):
    def no_aws(*args, **kwargs):
        raise AssertionError("deploy called AWS")

    monkeypatch.setattr(stage.boto3, "Session", no_aws)
    monkeypatch.setattr(stage, "serverless", no_aws)
    assert stage.main(["deploy", "--stage", "prod"]) == 1
    refusal = capsys.readouterr().err
    assert 'stage "prod" cannot be deployed while a parameter holds a placeholder' in refusal
    assert "jwtIssuer (https://auth.example.com/)" in refusal
    # With real values the check passes, and the deploy goes on to AWS.
    real = [
        "--param",
        "jwtIssuer=https://login.purchases.internal/",
        "--param",
        "alarmEmail=ops@purchases.internal",
    ]
    with pytest.raises(AssertionError, match="deploy called AWS"):
        stage.main(["deploy", "--stage", "prod", *real])


@pytest.mark.parametrize("name", ["Prod", "feature_x", "feature-branch-of-many-words"])
def test_deploy_refuses_a_stage_name_before_touching_anything(monkeypatch, capsys, name):
    def no_aws(*args, **kwargs):
        raise AssertionError("deploy called AWS")

    monkeypatch.setattr(stage.boto3, "Session", no_aws)
    assert stage.main(["deploy", "--stage", name, "--artifacts-only"]) == 1
    assert f'stage "{name}"' in capsys.readouterr().err


def test_deploy_passes_params_to_serverless(moto_endpoint, monkeypatch):
    calls = []

    def stop(*args):
        raise stage.DeployError("stop")

    monkeypatch.setattr(stage, "serverless", lambda *args: calls.append(args))
    monkeypatch.setattr(stage, "stack_outputs", stop)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with pytest.raises(stage.DeployError, match="stop"):
        stage.deploy(
            "ci", "us-east-1", artifacts_only=False, params=("jwtIssuer=https://login.purchases.internal/",)
        )
    assert calls == [("deploy", "ci", "us-east-1", "--param", "jwtIssuer=https://login.purchases.internal/")]


def test_the_job_environment_is_cached_by_its_lock(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    artifacts.build_job_environment(artifacts.settings(), tmp_path / "one.tar.gz", cache)
    assert len(list(cache.iterdir())) == 1
    monkeypatch.setattr(artifacts, "UV", Path("/nonexistent/uv"))
    artifacts.build_job_environment(artifacts.settings(), tmp_path / "two.tar.gz", cache)
    assert (tmp_path / "one.tar.gz").read_bytes() == (tmp_path / "two.tar.gz").read_bytes()
    shutil.rmtree(cache)
    with pytest.raises(FileNotFoundError):
        artifacts.build_job_environment(artifacts.settings(), tmp_path / "three.tar.gz", cache)


class FakeServerless:
    """Stands in for `serverless deploy/remove` on the emulator, where CloudFormation cannot build the stack.

    It keeps a stack with the artifacts bucket and its ArtifactsBucketName output, as the real one has.
    """

    def __init__(self, session, bucket: str) -> None:
        self.cloudformation = session.client("cloudformation")
        self.s3 = session.client("s3")
        self.bucket = bucket
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, command: str, stage_name: str, region: str, *extra: str) -> None:
        self.calls.append((command, *extra))
        name = f"purchases-{stage_name}"
        if command == "remove":
            # CloudFormation deletes only empty buckets.
            listing = self.s3.list_object_versions(Bucket=self.bucket)
            assert listing.get("Versions", []) == listing.get("DeleteMarkers", []) == []
            self.cloudformation.delete_stack(StackName=name)
            return
        if not self.cloudformation.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"]:
            bucket = {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": self.bucket, "VersioningConfiguration": {"Status": "Enabled"}},
            }
            body = {
                "Resources": {"ArtifactsBucket": bucket},
                "Outputs": {"ArtifactsBucketName": {"Value": {"Ref": "ArtifactsBucket"}}},
            }
            self.cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(body))
            # The emulator's CloudFormation leaves the versioning setting out.
            self.s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})


def test_deploy_then_rerun_then_remove_a_stage(artifacts_bucket, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", artifacts_bucket["s3"].meta.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    session = boto3.Session(region_name="us-east-1")
    fake = FakeServerless(session, "purchases-ci-123456789012-artifacts")
    monkeypatch.setattr(stage, "serverless", fake)
    ssm, s3 = session.client("ssm"), session.client("s3")
    parameter = "/purchases/ci/mwaa-requirements-version"

    stage.deploy("ci", "us-east-1", artifacts_only=False)
    version = s3.head_object(Bucket=fake.bucket, Key="requirements.txt")["VersionId"]
    assert ssm.get_parameter(Name=parameter)["Parameter"]["Value"] == version
    # A new stage: the stack, then again with the uploaded requirements version.
    assert fake.calls == [("deploy",), ("deploy", "--force")]

    fake.calls.clear()
    objects = s3.list_object_versions(Bucket=fake.bucket)["Versions"]
    stage.deploy("ci", "us-east-1", artifacts_only=False)
    assert fake.calls == [("deploy",)], "nothing changed: no second stack deploy"
    assert s3.list_object_versions(Bucket=fake.bucket)["Versions"] == objects, "nothing uploaded"

    stage.remove("ci", "us-east-1")
    assert fake.calls[-1] == ("remove",)
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name=parameter)
