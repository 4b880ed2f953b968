"""Packages the stack once per stage (no AWS access, dummy credentials) for every test module."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfn import PackagingError, Template, package

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED_STAGES = ("dev", "staging", "prod")
# The emulator's stage; its names must be the ones resources/stack.yml gives the local stack.
LOCAL_STAGE = "local"
LOCAL_ACCOUNT_ID = "123456789012"
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


def _package(stage: str, out: Path) -> Packaged:
    started = time.monotonic()
    try:
        template_path = package(ROOT, stage, out, PACKAGE_TIMEOUT_SECONDS)
    except PackagingError as e:
        pytest.fail(str(e))
    print(f"packaged {stage} in {time.monotonic() - started:.1f}s")
    return Packaged(stage, out, template_path, Template.load(template_path))


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Packaged]:
    """Each stage packaged once per run into a fresh temporary folder (nothing is reused)."""
    base = tmp_path_factory.mktemp("packaged")
    return {stage: _package(stage, base / stage) for stage in (*DEPLOYED_STAGES, LOCAL_STAGE)}


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
    """The params a stage resolves: its own over the defaults, as osls merges them."""
    params = serverless_config["params"]
    return {**params.get("default", {}), **params.get(stage, {})}


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
