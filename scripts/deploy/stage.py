"""`npm run deploy` and `npm run remove`: a whole stage, stack and lake artifacts, in one command.

npm run deploy -- --stage <stage> [--region <region>] [--param <name>=<value> ...]
    0. the stage's names and parameters checked (src/stack-names.ts, the check `serverless package`
       makes too): staging, prod and any stage with `production: true` are refused while a parameter
       holds a placeholder, before anything reaches AWS; --param values go to serverless as well;
    1. the SSM parameter of MWAA's requirements version exists ('none' the first time);
    2. `serverless deploy`: the stack (osls skips it when nothing changed);
    3. the lake's artifacts built and uploaded to the stack's ArtifactsBucketName (changed files only);
    4. if requirements.txt got a new S3 version: the parameter takes it and the stack is deployed
       again, which hands MWAA that version.
npm run deploy -- --stage <stage> --artifacts-only
    Step 3 alone, to the bucket resources/stack.yml names for the stage and the caller's account, at
    AWS_ENDPOINT_URL if set (the emulator).
npm run remove -- --stage <stage>
    Empties the stage's versioned buckets (every version) and removes the stack; refused for prod,
    whose data is kept by design.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time

import boto3
from botocore.exceptions import ClientError

from deploy import artifacts, names

ROOT = artifacts.ROOT
SERVERLESS = ROOT / "node_modules" / ".bin" / "serverless"
BUILD = ROOT / ".local" / "deploy" / "artifacts"
# Stages whose tables, buckets and keys are retained (dataDeletionPolicy: Retain): never emptied here.
PROTECTED_STAGES = ("prod",)
NO_REQUIREMENTS = "none"


class DeployError(Exception):
    pass


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def stage_config(stage: str, region: str, account_id: str = "000000000000", **checks) -> dict:
    """The stage's names and settings from src/stack-names.ts, which refuses a stage it cannot deploy."""
    try:
        return names.stage_names(stage, region, account_id, **checks)
    except names.StageError as e:
        raise DeployError(str(e)) from None


def serverless(command: str, stage: str, region: str, *extra: str) -> None:
    command_line = [str(SERVERLESS), command, "--stage", stage, "--region", region, *extra]
    subprocess.run(command_line, check=True, cwd=ROOT)  # noqa: S603


def stack_name(config: dict) -> str:
    """osls names each stage's stack `<service>-<stage>`."""
    return f"{config['service']}-{config['stage']}"


def stack_outputs(cloudformation, config: dict) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=stack_name(config))["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def upload_artifacts(s3, bucket: str) -> artifacts.Upload:
    started = time.monotonic()
    layout = artifacts.build(BUILD)
    built = time.monotonic()
    result = artifacts.upload(s3, bucket, BUILD, layout)
    log(
        f"s3://{bucket}: {len(result.uploaded)} uploaded, {len(result.unchanged)} unchanged, "
        f"{len(result.deleted)} deleted (build {built - started:.1f} s, "
        f"upload {time.monotonic() - built:.1f} s)"
    )
    for key in result.uploaded + [f"{k} (deleted)" for k in result.deleted]:
        log(f"  {key}")
    return result


def deploy(stage: str, region: str, artifacts_only: bool, params: tuple[str, ...] = ()) -> None:
    # The stack's own check, made before the SSM parameter or the artifacts reach AWS.
    config = stage_config(stage, region, check_params=not artifacts_only, params=params)
    session = boto3.Session(region_name=region)
    s3 = session.client("s3")
    if artifacts_only:
        account_id = session.client("sts").get_caller_identity()["Account"]
        upload_artifacts(s3, stage_config(stage, region, account_id)["names"]["artifactsBucket"])
        return

    ssm = session.client("ssm")
    parameter = config["settings"]["mwaaRequirementsVersionParameter"]
    param_options = [option for param in params for option in ("--param", param)]
    # The stack reads this parameter, so it must exist before the stack's first deploy.
    with contextlib.suppress(ssm.exceptions.ParameterAlreadyExists):
        ssm.put_parameter(Name=parameter, Value=NO_REQUIREMENTS, Type="String", Overwrite=False)
    log(f"deploying the stack of stage {stage}")
    serverless("deploy", stage, region, *param_options)
    bucket = stack_outputs(session.client("cloudformation"), config)["ArtifactsBucketName"]
    version = upload_artifacts(s3, bucket).requirements_version
    if not version:
        raise DeployError(f"s3://{bucket} gave requirements.txt no version id: MWAA needs a versioned bucket")
    if ssm.get_parameter(Name=parameter)["Parameter"]["Value"] != version:
        log(f"MWAA's requirements.txt is now version {version}: deploying the stack again to install it")
        ssm.put_parameter(Name=parameter, Value=version, Type="String", Overwrite=True)
        # --force: the template is unchanged (CloudFormation reads the new value from SSM), and osls
        # skips a deploy whose files have not changed.
        serverless("deploy", stage, region, "--force", *param_options)
    log(f"stage {stage} deployed")


def empty_bucket(s3, bucket: str) -> int:
    """Delete every object version and delete marker of `bucket`; returns how many were deleted."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        objects = [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            deleted += len(objects)
    return deleted


def stack_buckets(cloudformation, config: dict) -> list[str]:
    """The stage's own buckets (not osls's deployment bucket, which `serverless remove` empties itself)."""
    resources = []
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name(config)):
        resources += page["StackResourceSummaries"]
    return sorted(
        r["PhysicalResourceId"]
        for r in resources
        if r["ResourceType"] == "AWS::S3::Bucket" and r["LogicalResourceId"] != "ServerlessDeploymentBucket"
    )


def remove(stage: str, region: str) -> None:
    if stage in PROTECTED_STAGES:
        raise DeployError(
            f"refusing to remove stage {stage}: its data is retained by design; "
            "delete it deliberately, outside this tool"
        )
    config = stage_config(stage, region)
    session = boto3.Session(region_name=region)
    s3 = session.client("s3")
    buckets = stack_buckets(session.client("cloudformation"), config)
    # Access logs of the other buckets would otherwise keep landing in the log bucket while it is emptied.
    for bucket in buckets:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    for bucket in buckets:
        log(f"s3://{bucket}: {empty_bucket(s3, bucket)} object versions deleted")
    serverless("remove", stage, region)
    parameter = config["settings"]["mwaaRequirementsVersionParameter"]
    try:
        session.client("ssm").delete_parameter(Name=parameter)
    except ClientError as e:
        if e.response["Error"]["Code"] != "ParameterNotFound":
            raise
    log(f"stage {stage} removed")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="deploy", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["deploy", "remove"])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--artifacts-only", action="store_true", help="build and upload the lake's files only"
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a stage parameter for serverless (over serverless.yml's params); repeatable",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "deploy":
            deploy(args.stage, args.region, args.artifacts_only, tuple(args.param))
        else:
            remove(args.stage, args.region)
    except (DeployError, ClientError, subprocess.CalledProcessError) as e:
        print(f"{args.command} failed: {e}", file=sys.stderr)
        return 1
    return 0
