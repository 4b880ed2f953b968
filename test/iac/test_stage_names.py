"""`osls package` refuses a stage it could not deploy, naming the stage or the parameter, and a stage of the
longest name it accepts packages with every name within AWS's limits, in the longest region."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfn import Template, render
from conftest import (
    LOCAL_ACCOUNT_ID,
    LOCAL_STAGE,
    REAL_PARAMS,
    Packaged,
    module_names,
    package,
    package_command,
    run_package,
)

# The longest stage src/stack-names.ts accepts (its bound: the athena-results bucket in a 14-character
# region); one character more is refused below.
LONGEST_STAGE = "feature-x1"
LONGEST_REGION = "ap-southeast-2"
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
ANY_NAME = re.compile(r"^[A-Za-z0-9_.+/#$-]+$")
GLUE_NAME = re.compile(r"^[a-z0-9_]+$")

# (resource type, property path): the longest name AWS takes there, and the characters it allows.
NAME_LIMITS: dict[tuple[str, str], tuple[int, re.Pattern[str]]] = {
    ("AWS::S3::Bucket", "BucketName"): (63, S3_BUCKET),
    ("AWS::SQS::Queue", "QueueName"): (80, ANY_NAME),
    ("AWS::SNS::Topic", "TopicName"): (256, ANY_NAME),
    ("AWS::DynamoDB::Table", "TableName"): (255, ANY_NAME),
    ("AWS::IAM::Role", "RoleName"): (64, ANY_NAME),
    ("AWS::Lambda::Function", "FunctionName"): (64, ANY_NAME),
    ("AWS::Glue::Database", "DatabaseInput.Name"): (255, GLUE_NAME),
    ("AWS::Glue::Crawler", "Name"): (255, ANY_NAME),
    ("AWS::Glue::SecurityConfiguration", "Name"): (255, ANY_NAME),
    ("AWS::Athena::WorkGroup", "Name"): (128, ANY_NAME),
    ("AWS::EMRServerless::Application", "Name"): (64, ANY_NAME),
    ("AWS::MWAA::Environment", "Name"): (80, re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")),
    ("AWS::Logs::LogGroup", "LogGroupName"): (512, ANY_NAME),
    ("AWS::CloudWatch::Alarm", "AlarmName"): (255, ANY_NAME),
    ("AWS::Events::Rule", "Name"): (64, ANY_NAME),
    ("AWS::KMS::Alias", "AliasName"): (256, ANY_NAME),
    ("AWS::ApiGatewayV2::Api", "Name"): (128, ANY_NAME),
}


def refused(stage: str, tmp_path: Path, params: dict[str, str] | None = None) -> str:
    """The output of an `osls package` that must fail."""
    returncode, output = run_package(package_command(stage, tmp_path / "out", params=params))
    assert returncode != 0, f"`osls package --stage {stage}` succeeded:\n{output}"
    assert not (tmp_path / "out" / "cloudformation-template-update-stack.json").exists()
    return output


def names_in(template: Template, region: str) -> list[tuple[str, str, str]]:
    """(resource type, property, name) of every name the template sets, CloudFormation's variables filled."""
    pseudo = {"AWS::AccountId": LOCAL_ACCOUNT_ID, "AWS::Region": region}
    found = []
    for resource in template.resources.values():
        for (resource_type, path), _limit in NAME_LIMITS.items():
            if resource["Type"] != resource_type:
                continue
            value: Any = resource.get("Properties", {})
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                found.append((resource_type, path, render(value, pseudo)))
    return found


# --- placeholders -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_a_stage_that_must_be_configured_is_refused_with_the_shipped_examples(
    stage: str, tmp_path: Path
) -> None:
    output = refused(stage, tmp_path, params={})
    assert f'stage "{stage}" cannot be deployed while a parameter holds a placeholder' in output
    assert "jwtIssuer (https://auth.example.com/" in output
    assert "alarmEmail (purchases-alerts" in output


def test_the_refusal_names_only_the_parameters_still_holding_a_placeholder(tmp_path: Path) -> None:
    output = refused("prod", tmp_path, params={"alarmEmail": REAL_PARAMS["prod"]["alarmEmail"]})
    assert "jwtIssuer (https://auth.example.com/)" in output
    assert "alarmEmail" not in output


def test_any_stage_marked_production_is_refused_with_the_shipped_examples(tmp_path: Path) -> None:
    output = refused("eu", tmp_path, params={"production": "true"})
    assert 'stage "eu" cannot be deployed' in output
    assert "jwtIssuer (https://auth.example.com/dev/)" in output


@pytest.mark.parametrize("stage", ["dev", LOCAL_STAGE])
def test_dev_and_local_package_with_the_shipped_examples(packaged: dict[str, Packaged], stage: str) -> None:
    [authorizer] = packaged[stage].template.of_type("AWS::ApiGatewayV2::Authorizer").values()
    assert "example.com" in authorizer["JwtConfiguration"]["Issuer"]


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_staging_and_prod_package_with_the_values_passed_as_params(
    packaged: dict[str, Packaged], stage: str
) -> None:
    [authorizer] = packaged[stage].template.of_type("AWS::ApiGatewayV2::Authorizer").values()
    assert authorizer["JwtConfiguration"]["Issuer"] == REAL_PARAMS[stage]["jwtIssuer"]


# --- stage names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ("Feature-x", 'stage "Feature-x" is not a valid stage name'),
        ("feature-x-", 'stage "feature-x-" is not a valid stage name'),
        # osls itself refuses an underscore before any plugin loads.
        ("feature_x", "Invalid stage name"),
        (LONGEST_STAGE + "2", f'stage "{LONGEST_STAGE}2" has {len(LONGEST_STAGE) + 1} characters; at most'),
    ],
)
def test_a_stage_name_that_some_derived_name_could_not_take_is_refused(
    stage: str, message: str, tmp_path: Path
) -> None:
    assert message in refused(stage, tmp_path)


@pytest.fixture(scope="module")
def longest(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    return package(LONGEST_STAGE, tmp_path_factory.mktemp("longest") / "out", region=LONGEST_REGION)


def test_the_longest_stage_in_the_longest_region_fits_every_name(longest: Packaged) -> None:
    names = names_in(longest.template, LONGEST_REGION)
    assert {(t, p) for t, p, _ in names} == set(NAME_LIMITS), "every kind of name is checked"
    too_long = [
        (resource_type, name, len(name), NAME_LIMITS[(resource_type, path)][0])
        for resource_type, path, name in names
        if len(name) > NAME_LIMITS[(resource_type, path)][0]
    ]
    assert not too_long
    invalid = [name for t, p, name in names if not NAME_LIMITS[(t, p)][1].match(name)]
    assert not invalid
    longest_bucket = max(len(name) for t, _, name in names if t == "AWS::S3::Bucket")
    assert longest_bucket == 63, "the stage is as long as the bucket names allow"


def test_the_glue_database_has_underscores_for_the_stage_hyphens(longest: Packaged) -> None:
    [database] = longest.template.of_type("AWS::Glue::Database").values()
    assert database["DatabaseInput"]["Name"] == "purchases_feature_x1_lake"


def test_bucket_names_carry_the_account_and_the_region(
    longest: Packaged, packaged: dict[str, Packaged]
) -> None:
    for template, region in ((longest.template, LONGEST_REGION), (packaged["dev"].template, "us-east-1")):
        # serverless's deployment bucket has no name of ours: CloudFormation makes one up.
        buckets = [b["BucketName"] for b in template.of_type("AWS::S3::Bucket").values() if "BucketName" in b]
        assert len(buckets) >= 6
        for bucket in buckets:
            assert f"-${{AWS::AccountId}}-{region}-" in bucket["Fn::Sub"]


def test_the_longest_stage_gets_the_names_the_one_resolver_gives(longest: Packaged) -> None:
    packaged_names = {name for _, _, name in names_in(longest.template, LONGEST_REGION)}
    resolved = module_names(LONGEST_STAGE, LONGEST_REGION)
    assert {key: name for key, name in resolved.items() if name not in packaged_names} == {}
