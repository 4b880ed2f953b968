"""Packages the stack once per stage (no AWS access, dummy credentials) for every test module."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cfn
import pytest
import yaml
from cfn import Template
from deploy.names import stage_names

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED_STAGES = ("dev", "staging", "prod")
# The emulator's stage; its names must be the ones resources/stack.yml gives the local stack.
LOCAL_STAGE = "local"
LOCAL_ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# staging and prod refuse to package while a parameter holds serverless.yml's example values: the stage's
# real ones come with --param, as `npm run deploy -- --param` passes them. These stand in for them.
REAL_PARAMS = {
    stage: {
        "jwtIssuer": f"https://login.purchases.internal/{stage}/",
        "alarmEmail": f"purchases-alerts+{stage}@purchases.internal",
    }
    for stage in ("staging", "prod")
}
# Packaging one stage takes seconds; osls never exits when esbuild fails, so a bound is needed.
PACKAGE_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Packaged:
    stage: str
    directory: Path
    template_path: Path
    template: Template


class _TagTolerantLoader(yaml.SafeLoader):
    """Reads serverless.yml: CloudFormation short tags (!Ref, !GetAtt...) become their plain value."""


def _ignore_tag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TagTolerantLoader.add_multi_constructor("!", _ignore_tag)


def package_command(
    stage: str, out: Path, region: str = REGION, params: dict[str, str] | None = None
) -> list[str]:
    """The stage's `osls package` command, with its real parameters unless `params` says otherwise."""
    given = REAL_PARAMS.get(stage, {}) if params is None else params
    return cfn.package_command(ROOT, stage, out, region, given)


def run_package(command: list[str]) -> tuple[int, str]:
    """Runs `osls package`; its exit code and output (stdout and stderr together)."""
    try:
        return cfn.run_package(ROOT, command, PACKAGE_TIMEOUT_SECONDS)
    except cfn.PackagingError as e:
        pytest.fail(str(e))


def package(stage: str, out: Path, region: str = REGION) -> Packaged:
    started = time.monotonic()
    returncode, output = run_package(package_command(stage, out, region))
    assert returncode == 0, f"`osls package --stage {stage}` failed ({returncode}):\n{output}"
    template_path = out / "cloudformation-template-update-stack.json"
    print(f"packaged {stage} in {time.monotonic() - started:.1f}s")
    return Packaged(stage, out, template_path, Template.load(template_path))


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Packaged]:
    """Each stage packaged once per run into a fresh temporary folder (nothing is reused)."""
    base = tmp_path_factory.mktemp("packaged")
    return {stage: package(stage, base / stage) for stage in (*DEPLOYED_STAGES, LOCAL_STAGE)}


@pytest.fixture(scope="session")
def stack() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "resources/stack.yml").read_text())


@pytest.fixture(scope="session")
def serverless_config() -> dict[str, Any]:
    return yaml.load((ROOT / "serverless.yml").read_text(), Loader=_TagTolerantLoader)  # noqa: S506


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text())


def stage_params(serverless_config: dict[str, Any], stage: str) -> dict[str, Any]:
    """The params a stage is packaged with: --param over its own over the defaults, as osls merges them."""
    params = serverless_config["params"]
    return {**params.get("default", {}), **params.get(stage, {}), **REAL_PARAMS.get(stage, {})}


def module_names(stage: str, region: str = REGION, account_id: str = LOCAL_ACCOUNT_ID) -> dict[str, str]:
    """The stage's names as src/stack-names.ts resolves them for everything outside serverless."""
    names: dict[str, str] = stage_names(stage, region, account_id)["names"]
    return names


@pytest.fixture(params=DEPLOYED_STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def template(packaged: dict[str, Packaged], stage: str) -> Template:
    return packaged[stage].template


@pytest.fixture
def params(serverless_config: dict[str, Any], stage: str) -> dict[str, Any]:
    return stage_params(serverless_config, stage)


def run_checkov(target: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """checkov over CloudFormation (`--file F` or `--directory D`), as JSON, offline."""
    checkov = ROOT / ".tools/venv-iac/bin/checkov"
    command = [str(checkov), *target, "--framework", "cloudformation", "--output", "json", "--quiet"]
    command += ["--compact", "--skip-download"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, cwd=cwd)
