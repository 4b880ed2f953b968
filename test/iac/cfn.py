"""Packaging the stack for a stage and reading the CloudFormation template: resources, intrinsic
references and policies. test/lake reads the packaged template too (the MWAA environment's settings)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Resource types that carry a policy document, and where it sits in their properties.
POLICY_HOLDERS = {
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::SQS::QueuePolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::IAM::Policy": ("PolicyDocument",),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument",),
}

_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class PackagingError(AssertionError):
    """`osls package` failed or hung; the message carries its output."""


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLS_", "SERVERLESS_"))}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",  # noqa: S106 - a dummy: nothing may reach AWS
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        # Nothing listens on the discard port: an AWS call made while packaging fails at once
        # instead of reaching AWS, so packaging is proven to need none.
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        SLS_TELEMETRY_DISABLED="1",
        SLS_NOTIFICATIONS_MODE="off",
    )
    return env


def package_command(
    root: Path, stage: str, out: Path, region: str = "us-east-1", params: dict[str, str] | None = None
) -> list[str]:
    """The `osls package` command line for a stage and region, with `--param name=value` for each param."""
    command = [str(root / "node_modules/.bin/osls"), "package", "--stage", stage, "--region", region]
    for name, value in (params or {}).items():
        command += ["--param", f"{name}={value}"]
    return [*command, "--package", str(out)]


def run_package(root: Path, command: list[str], timeout: float) -> tuple[int, str]:
    """Runs an `osls package` command offline; its exit code and output (stdout and stderr together).

    Packaging one stage takes seconds; osls never exits when esbuild fails, so `timeout` bounds it.
    """
    # A new session, so that a hung packaging can be ended together with its esbuild process.
    process = subprocess.Popen(
        command,
        cwd=root,
        env=_offline_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise PackagingError(f"`{' '.join(command[1:])}` did not finish in {timeout}s:\n{output}") from None
    return process.returncode, output


def package(
    root: Path,
    stage: str,
    out: Path,
    timeout: float,
    region: str = "us-east-1",
    params: dict[str, str] | None = None,
) -> Path:
    """`osls package --stage <stage>` into `out`, offline; returns the CloudFormation template's path."""
    returncode, output = run_package(root, package_command(root, stage, out, region, params), timeout)
    if returncode != 0:
        raise PackagingError(f"`osls package --stage {stage}` failed ({returncode}):\n{output}")
    return out / "cloudformation-template-update-stack.json"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    owner: str
    sid: str | None
    effect: str
    actions: tuple[Any, ...]
    resources: tuple[Any, ...]
    raw: dict[str, Any]


class Template:
    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.resources: dict[str, dict[str, Any]] = body["Resources"]
        self.outputs: dict[str, Any] = body.get("Outputs", {})

    @classmethod
    def load(cls, path: Path) -> Template:
        return cls(json.loads(path.read_text()))

    def props(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id].get("Properties", {})

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }

    def statements(self) -> Iterator[Statement]:
        """Every statement of every policy in the template (IAM role policies included)."""
        for logical_id, resource in self.resources.items():
            properties = resource.get("Properties", {})
            documents: list[dict[str, Any]] = []
            if resource["Type"] == "AWS::IAM::Role":
                documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
            for key in POLICY_HOLDERS.get(resource["Type"], ()):
                documents.append(properties[key])
            for document in documents:
                for statement in as_list(document["Statement"]):
                    yield Statement(
                        owner=logical_id,
                        sid=statement.get("Sid"),
                        effect=statement["Effect"],
                        actions=tuple(as_list(statement.get("Action", []))),
                        resources=tuple(as_list(statement.get("Resource", []))),
                        raw=statement,
                    )

    def role_statements(self, role_id: str) -> list[Statement]:
        return [s for s in self.statements() if s.owner == role_id]

    def grants(self, role_id: str) -> set[tuple[str, str]]:
        """(action, logical id of the resource, or "*") pairs an IAM role allows."""
        pairs = set()
        for statement in self.role_statements(role_id):
            assert statement.effect == "Allow", statement
            for resource in statement.resources:
                target = "*" if resource == "*" else ref_target(resource)
                assert target is not None, f"{role_id}/{statement.sid}: {resource} names no resource"
                pairs |= {(action, target) for action in statement.actions}
        return pairs


def ref_target(value: Any) -> str | None:
    """The logical id a Ref, a GetAtt or a `${Id.Attr}...` Sub points at; None otherwise."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else target.split(".")[0]
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            match = re.match(r"^\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}", value["Fn::Sub"])
            if match and not match.group(1).startswith("AWS"):
                return match.group(1)
    return None


def render(value: Any, pseudo: dict[str, str]) -> str:
    """A string property with its CloudFormation pseudo parameters filled in."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in pseudo:
                raise AssertionError(f"unexpected ${{{name}}} in {value}")
            return pseudo[name]

        return _SUB_VARIABLE.sub(fill, value["Fn::Sub"])
    raise AssertionError(f"not a plain or Fn::Sub string: {value!r}")
