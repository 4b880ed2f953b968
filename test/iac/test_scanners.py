"""cfn-lint and checkov over the packaged templates of the deployed stages."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DEPLOYED_STAGES, ROOT, Packaged, run_checkov

BIN = Path(ROOT / ".tools/venv-iac/bin")
SUPPRESSIONS = ROOT / "resources/checkov-skips.yaml"

# W3005 (a DependsOn that a Ref already implies) is reported only on resources osls generates itself.
CFN_LINT_IGNORED = ["W3005"]


@pytest.fixture(scope="session")
def scanned(packaged: dict[str, Packaged], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deployed stages' templates side by side, named after their stage, for one scan each."""
    folder = tmp_path_factory.mktemp("templates")
    for stage in DEPLOYED_STAGES:
        shutil.copy(packaged[stage].template_path, folder / f"{stage}.json")
    return folder


@pytest.fixture(scope="session")
def cfn_lint_findings(scanned: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(BIN / "cfn-lint"),
            "--format",
            "json",
            "--ignore-checks",
            *CFN_LINT_IGNORED,
            "--",
            *sorted(str(p) for p in scanned.glob("*.json")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # cfn-lint's exit code is a bit mask of the levels found (2 errors, 4 warnings, 8 informational).
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr
    return json.loads(result.stdout or "[]")


@pytest.mark.parametrize("stage", DEPLOYED_STAGES)
def test_cfn_lint_finds_no_error(cfn_lint_findings: list[dict[str, Any]], stage: str) -> None:
    mine = [f for f in cfn_lint_findings if Path(f["Filename"]).stem == stage]
    errors = [
        f"{f['Rule']['Id']} {f['Location']['Path']}: {f['Message']}" for f in mine if f["Level"] == "Error"
    ]
    assert not errors, "\n".join(errors)
    warnings = [f"{f['Rule']['Id']}: {f['Message']}" for f in mine if f["Level"] == "Warning"]
    assert not warnings, "\n".join(warnings)


@pytest.fixture(scope="session")
def checkov_failures(scanned: Path) -> list[tuple[str, str, str]]:
    """(stage, check id, resource logical id) of every failed checkov check."""
    result = run_checkov(["--directory", str(scanned)])
    assert result.returncode in (0, 1), result.stderr  # 1: some check failed
    reports = json.loads(result.stdout)
    failures = []
    for report in reports if isinstance(reports, list) else [reports]:
        assert report["check_type"] == "cloudformation", report["check_type"]
        assert report["summary"]["passed"] > 100, "checkov ran far fewer checks than expected"
        for check in report["results"]["failed_checks"]:
            failures.append(
                (Path(check["file_path"]).stem, check["check_id"], check["resource"].split(".", 1)[1])
            )
    assert {stage for stage, _, _ in failures} | set(DEPLOYED_STAGES) == set(DEPLOYED_STAGES)
    return failures


def _suppressions() -> list[dict[str, Any]]:
    entries = yaml.safe_load(SUPPRESSIONS.read_text())["suppressions"]
    for entry in entries:
        assert set(entry) <= {"check", "title", "resources", "stages", "reason"}, entry
        assert entry["check"], entry
        assert entry["resources"], entry
        assert len(entry["reason"].split()) >= 10, f"{entry['check']}: say why, not just that"
    return entries


def _suppressed_by(entry: dict[str, Any], stage: str, check: str, resource: str) -> bool:
    return (
        entry["check"] == check
        and resource in entry["resources"]
        and stage in entry.get("stages", DEPLOYED_STAGES)
    )


def test_checkov_fails_only_listed_checks(checkov_failures: list[tuple[str, str, str]]) -> None:
    entries = _suppressions()
    unlisted = [f for f in checkov_failures if not any(_suppressed_by(e, *f) for e in entries)]
    assert not unlisted, "checkov findings not in resources/checkov-skips.yaml:\n" + "\n".join(
        f"  {stage}: {check} on {resource}" for stage, check, resource in unlisted
    )


def test_every_listed_check_still_fails(checkov_failures: list[tuple[str, str, str]]) -> None:
    stale = [
        (entry["check"], resource)
        for entry in _suppressions()
        for resource in entry["resources"]
        if not any(_suppressed_by({**entry, "resources": [resource]}, *f) for f in checkov_failures)
    ]
    assert not stale, f"entries of resources/checkov-skips.yaml that match no finding any more: {stale}"
