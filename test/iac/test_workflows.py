"""The GitHub workflows: actionlint (shellcheck on every script) and zizmor find nothing, every action is
pinned by commit, AWS is reached through OIDC only, deploys of a stage never overlap, and every npm
script a workflow runs exists."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
ACTIONLINT = ROOT / ".tools/bin/actionlint"
SHELLCHECK = ROOT / ".tools/venv-iac/bin/shellcheck"
ZIZMOR = ROOT / ".tools/venv-iac/bin/zizmor"
STAGES = ("dev", "staging", "prod")


def _load(path: Path) -> dict[str, Any]:
    body = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as true.
    if True in body:
        body["on"] = body.pop(True)
    return body


def _actionlint(*paths: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(ACTIONLINT),
            "-format",
            "{{json .}}",
            "-shellcheck",
            str(SHELLCHECK),
            # Nothing here runs Python scripts inline.
            "-pyflakes=",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout or "[]")


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "deploy.yml", "deploy-stage.yml"}
    assert SHELLCHECK.is_file(), "actionlint must check the run: scripts with shellcheck"


def test_actionlint_finds_nothing() -> None:
    findings = _actionlint(*WORKFLOWS)
    assert not findings, "\n".join(
        f"{f['filepath']}:{f['line']} [{f['kind']}] {f['message']}" for f in findings
    )


def test_actionlint_and_shellcheck_do_report(tmp_path: Path) -> None:
    broken = tmp_path / ".github/workflows/broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo $UNQUOTED\n      - run: echo ${{ github.event.nonsense_ }}\n"
    )
    kinds = {f["kind"] for f in _actionlint(broken)}
    assert "shellcheck" in kinds


def _zizmor(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--format", "json", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # zizmor exits 10 and up by the highest severity it found.
    assert result.returncode == 0 or result.returncode >= 10, result.stderr
    return json.loads(result.stdout or "[]")


def test_zizmor_finds_nothing() -> None:
    findings = _zizmor(GITHUB)
    summary = [
        f"{f['ident']}: {f['desc']} ({loc['symbolic']['key']['Local']['given_path']})"
        for f in findings
        for loc in f["locations"][:1]
    ]
    assert not findings, "\n".join(summary)


def test_zizmor_does_report(tmp_path: Path) -> None:
    unpinned = tmp_path / ".github/workflows/unpinned.yml"
    unpinned.parent.mkdir(parents=True)
    unpinned.write_text(
        "on: pull_request_target\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    idents = {f["ident"] for f in _zizmor(tmp_path / ".github")}
    assert {"unpinned-uses", "template-injection", "dangerous-triggers"} <= idents


def test_every_silenced_finding_says_why() -> None:
    for path in [*WORKFLOWS, *ACTIONS]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "zizmor: ignore" not in line:
                continue
            match = re.search(r"# zizmor: ignore\[[a-z0-9,-]+\]\s+(.*)$", line)
            assert match, f"{path.name}:{number}: {line}"
            assert len(match.group(1).split()) >= 4, f"{path.name}:{number}: say why it is silenced"


# --- Pins -----------------------------------------------------------------------------------------

PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def _uses() -> list[tuple[str, str]]:
    found = []
    for path in [*WORKFLOWS, *ACTIONS]:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:- )?uses:\s*(.+?)\s*$", line)
            if match:
                found.append((path.name, match.group(1)))
    return found


def test_every_action_is_pinned_by_commit_with_its_version() -> None:
    uses = _uses()
    assert len(uses) > 10
    for name, value in uses:
        if value.startswith("./"):
            continue
        assert PINNED.match(value), (
            f"{name}: {value} is not pinned by full commit SHA with a # vX.Y.Z comment"
        )


def test_one_commit_per_action() -> None:
    pins: dict[str, set[str]] = {}
    for _, value in _uses():
        if not value.startswith("./"):
            action, rest = value.split("@", 1)
            pins.setdefault(action, set()).add(rest)
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


# --- AWS access -----------------------------------------------------------------------------------


def _jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, name, job) for path in WORKFLOWS for name, job in _load(path)["jobs"].items()]


def _steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if s.get("uses", "").startswith(f"{action}@")]


def test_aws_is_reached_through_oidc_only() -> None:
    text = "\n".join(p.read_text() for p in [*WORKFLOWS, *ACTIONS])
    assert "aws-access-key-id" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    assert "secrets: inherit" not in text
    aws_jobs = 0
    for workflow, name, job in _jobs():
        for step in _steps_using(job, "aws-actions/configure-aws-credentials"):
            aws_jobs += 1
            assert set(step["with"]) >= {"role-to-assume", "aws-region"}, (workflow, name)
            assert job["permissions"]["id-token"] == "write", (workflow, name)
    assert aws_jobs == 2, "the stage deploy and the release publication"


def test_id_token_is_granted_only_where_credentials_are_configured() -> None:
    for path in WORKFLOWS:
        body = _load(path)
        assert "id-token" not in (body.get("permissions") or {}), f"{path.name}: grant it per job"
        for name, job in body["jobs"].items():
            if (job.get("permissions") or {}).get("id-token") != "write":
                continue
            if "uses" in job:
                # A reusable workflow: its job configures credentials.
                called = _load(ROOT / job["uses"].split()[0])
                assert any(
                    _steps_using(j, "aws-actions/configure-aws-credentials") for j in called["jobs"].values()
                ), f"{path.name}/{name}"
            else:
                assert _steps_using(job, "aws-actions/configure-aws-credentials"), f"{path.name}/{name}"


def test_workflows_use_only_the_environments_the_deploy_role_trusts() -> None:
    bootstrap = (ROOT / "resources/bootstrap.yml").read_text()
    trusted = set(re.findall(r":environment:(\w+)", bootstrap))
    assert trusted == set(STAGES)
    stage = _load(GITHUB / "workflows/deploy-stage.yml")
    ((_, job),) = stage["jobs"].items()
    assert job["environment"]["name"] == "${{ inputs.stage }}"
    called = [j["with"]["stage"] for _, _, j in _jobs() if j.get("uses", "").startswith("./")]
    assert called == list(STAGES)


# --- Order and concurrency ------------------------------------------------------------------------


def test_main_deploys_dev_then_staging_then_prod_then_publishes() -> None:
    deploy = _load(GITHUB / "workflows/deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    jobs = deploy["jobs"]
    assert "needs" not in jobs["dev"]
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    assert jobs["publish"]["needs"] == "prod"
    for stage in STAGES:
        assert jobs[stage]["with"] == {"stage": stage}
    steps = " ".join(s.get("run", "") for s in jobs["publish"]["steps"])
    assert "npm run client:pack" in steps
    assert "npm run publish:release -- --stage prod" in steps


def test_two_deploys_of_one_stage_never_overlap() -> None:
    stage = _load(GITHUB / "workflows/deploy-stage.yml")
    ((_, job),) = stage["jobs"].items()
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stage }}", "cancel-in-progress": False}
    runs = [s.get("run", "") for s in job["steps"]]
    deploy = next(i for i, run in enumerate(runs) if 'npm run deploy -- --stage "$STAGE"' in run)
    assert runs.index('npm run smoke -- --stage "$STAGE"') > deploy
    assert job["env"]["STAGE"] == "${{ inputs.stage }}"


def test_the_deploy_passes_prod_its_real_values_for_every_example_param(
    serverless_config: dict[str, Any],
) -> None:
    """Staging and prod refuse to package while a param keeps serverless.yml's example value: the deploy
    step passes each such param from the stage environment's variables."""
    stage = _load(GITHUB / "workflows/deploy-stage.yml")
    ((_, job),) = stage["jobs"].items()
    [step] = [s for s in job["steps"] if "npm run deploy" in s.get("run", "")]
    examples = {
        name
        for name, value in serverless_config["params"]["prod"].items()
        if isinstance(value, str) and "example.com" in value
    }
    assert examples, "prod's params hold no example value: this test checks nothing"
    for name in examples:
        passed = re.search(rf'--param "{name}=\$([A-Z_]+)"', step["run"])
        assert passed, f"the deploy step passes no --param {name}"
        variable = passed.group(1)
        assert step["env"][variable] == f"${{{{ vars.{variable} }}}}", (name, variable)


def test_pull_requests_cancel_superseded_runs_and_run_the_test_command() -> None:
    pull = _load(GITHUB / "workflows/pull-request.yml")
    assert "pull_request" in pull["on"]
    assert pull["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in pull["concurrency"]["group"]
    runs = [s.get("run", "") for job in pull["jobs"].values() for s in job["steps"]]
    assert "npm test" in runs
    # Its Markdown report goes to the run's summary, the text report to the log.
    assert 'npm run contracts:breaking -- --markdown "$GITHUB_STEP_SUMMARY"' in runs


def test_package_caches_are_keyed_on_the_lockfiles() -> None:
    (toolchains,) = ACTIONS
    steps = yaml.safe_load(toolchains.read_text())["runs"]["steps"]
    (cache,) = [s for s in steps if s["uses"].startswith("actions/cache@")]
    assert set(cache["with"]["path"].split()) == {"~/.npm", "~/.cache/uv", "~/.cache/pip"}
    assert "hashFiles('package-lock.json', 'requirements/*.txt')" in cache["with"]["key"]
    # Deploys start from no cache: a cache a pull request wrote never reaches a deploy.
    assert cache["if"] == "inputs.package-caches == 'true'"
    for _, name, job in _jobs():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("./.github/actions/toolchains"):
                caches = (step.get("with") or {}).get("package-caches", "false")
                assert (caches == "true") == (name in {"test", "contracts"}), name


# --- npm scripts ----------------------------------------------------------------------------------


def _scripts_called() -> set[str]:
    called = set()
    for path in [*WORKFLOWS, *ACTIONS]:
        text = path.read_text()
        called |= set(re.findall(r"\bnpm run ([\w:.-]+)", text))
        called |= {name for name in ("test", "start") if re.search(rf"\bnpm {name}\b", text)}
    return called


def test_every_npm_script_the_workflows_call_exists() -> None:
    scripts = json.loads((ROOT / "package.json").read_text())["scripts"]
    called = _scripts_called()
    assert {"test", "smoke", "client:pack", "publish:release", "deploy", "contracts:breaking"} <= called
    missing = sorted(called - set(scripts))
    assert not missing, f"package.json has no script {missing}"
