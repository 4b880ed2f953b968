"""resources/bootstrap.yml: the GitHub deploy role is linted, scanned, trusted only by this repository's
main branch and environments, and allowed what deploying the packaged stack needs and little more."""

from __future__ import annotations

import json
import re
import subprocess
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfn import as_list
from conftest import ROOT, Packaged, _TagTolerantLoader, run_checkov

BOOTSTRAP = ROOT / "resources/bootstrap.yml"
BIN = ROOT / ".tools/venv-iac/bin"
OIDC_HOST = "token.actions.githubusercontent.com"
ENVIRONMENTS = ("dev", "staging", "prod")

# The IAM prefix of each CloudFormation namespace the stack uses.
SERVICE_PREFIX = {
    "ApiGatewayV2": "apigateway",
    "Athena": "athena",
    "CloudWatch": "cloudwatch",
    "DynamoDB": "dynamodb",
    "EC2": "ec2",
    "EMRServerless": "emr-serverless",
    "Events": "events",
    "Glue": "glue",
    "IAM": "iam",
    "KMS": "kms",
    "Lambda": "lambda",
    "Logs": "logs",
    "MWAA": "airflow",
    "S3": "s3",
    "SNS": "sns",
    "SQS": "sqs",
}

# Actions that CloudFormation's handlers list for a resource type but that only features this stack
# does not use call; the deploy role does without them.
UNUSED_FEATURES = {
    "apigateway:TagResource": "not an IAM action: API Gateway tags are PUT and DELETE on /tags/*",
    "apigateway:UntagResource": "not an IAM action: API Gateway tags are PUT and DELETE on /tags/*",
    "dynamodb:AssociateTableReplica": "global tables: each table lives in one region",
    "dynamodb:CreateTableReplica": "global tables",
    "dynamodb:DeleteResourcePolicy": "the tables have no resource policy",
    "dynamodb:PutResourcePolicy": "the tables have no resource policy",
    "dynamodb:DisableKinesisStreamingDestination": "no Kinesis stream of the tables",
    "dynamodb:EnableKinesisStreamingDestination": "no Kinesis stream of the tables",
    "dynamodb:UpdateKinesisStreamingDestination": "no Kinesis stream of the tables",
    "dynamodb:UpdateContributorInsights": "contributor insights are off",
    "dynamodb:ImportTable": "no table is created from an S3 import",
    "dynamodb:DescribeImport": "no table is created from an S3 import",
    "dynamodb:BatchWriteItem": "CloudFormation writes no item",
    "dynamodb:DeleteItem": "CloudFormation writes no item",
    "dynamodb:GetItem": "CloudFormation reads no item",
    "dynamodb:PutItem": "CloudFormation writes no item",
    "dynamodb:Query": "CloudFormation reads no item",
    "dynamodb:Scan": "CloudFormation reads no item",
    "dynamodb:UpdateItem": "CloudFormation writes no item",
    "ec2:AcceptAddressTransfer": "the NAT address is allocated, never transferred",
    "ec2:AssignPrivateNatGatewayAddress": "one public NAT gateway with its primary address",
    "ec2:AssociateNatGatewayAddress": "one public NAT gateway with its primary address",
    "ec2:DisassociateNatGatewayAddress": "one public NAT gateway with its primary address",
    "ec2:UnassignPrivateNatGatewayAddress": "one public NAT gateway with its primary address",
    "ec2:AssociateSubnetCidrBlock": "IPv4 only: no IPv6 block is added to a subnet",
    "ec2:DisassociateSubnetCidrBlock": "IPv4 only",
    "ec2:AttachVpnGateway": "the VPC has an internet gateway and no VPN gateway",
    "ec2:DetachVpnGateway": "no VPN gateway",
    "ec2:DescribeVpnGateways": "no VPN gateway",
    "ec2:CreateVpcEncryptionControl": "no VPC encryption control",
    "ec2:ModifyVpcTenancy": "default tenancy",
    "ec2:DescribeInstances": "no instance in the VPC",
    "glue:CreateConnection": "the database uses no Glue connection",
    "glue:DeleteConnection": "no Glue connection",
    "glue:GetConnection": "no Glue connection",
    "glue:PassConnection": "no Glue connection",
    "glue:UpdateConnection": "no Glue connection",
    "iam:AttachRolePolicy": "the stack's roles carry inline policies only, no managed policy",
    "iam:DetachRolePolicy": "no managed policy is attached",
    "iam:CreatePolicy": "MWAA is given an existing execution role, it creates none",
    "iam:ListRoles": "MWAA is given its execution role's ARN",
    "iam:PutRolePermissionsBoundary": "the stack's roles have no permissions boundary",
    "iam:DeleteRolePermissionsBoundary": "no permissions boundary",
    "kms:CancelKeyDeletion": "a key scheduled for deletion is recovered by hand, not by a deploy",
    "kms:ListGrants": "EMR Serverless is given no customer key of its own",
    "kms:ListKeyPolicies": "EMR Serverless is given no customer key of its own",
    "kms:ListKeys": "EMR Serverless is given no customer key of its own",
    "kms:RevokeGrant": "grants are retired by the services that made them",
    "kms:UpdatePrimaryRegion": "single-region keys",
    "lambda:AssociateRuntimeAlias": "no runtime alias",
    "lambda:DeleteFunctionCodeSigningConfig": "no code signing",
    "lambda:GetCodeSigningConfig": "no code signing",
    "lambda:PutFunctionCodeSigningConfig": "no code signing",
    "lambda:GetLayerVersion": "no layer",
    "lambda:PassCapacityProvider": "no Lambda capacity provider",
    "lambda:PutFunctionScalingConfig": "no Lambda capacity provider",
    "logs:DeleteDataProtectionPolicy": "no data protection policy on the log groups",
    "logs:GetDataProtectionPolicy": "no data protection policy",
    "logs:PutDataProtectionPolicy": "no data protection policy",
    "logs:DeleteIndexPolicy": "no field index policy",
    "logs:DescribeIndexPolicies": "no field index policy",
    "logs:PutIndexPolicy": "no field index policy",
    "logs:DeleteResourcePolicy": "the stack makes no log resource policy of its own",
    "logs:PutBearerTokenAuthentication": "no bearer-token log ingestion",
    "logs:PutLogGroupDeletionProtection": "log groups follow the stack's lifecycle",
    "logs:CreateLogStream": "CloudFormation writes no log event",
    "logs:DescribeLogStreams": "CloudFormation writes no log event",
    "logs:PutLogEvents": "CloudFormation writes no log event",
    "s3:CreateBucketMetadataTableConfiguration": "no S3 metadata table",
    "s3:DeleteBucketMetadataTableConfiguration": "no S3 metadata table",
    "s3:GetBucketMetadataTableConfiguration": "no S3 metadata table",
    "s3:UpdateBucketMetadataAnnotationTableConfiguration": "no S3 metadata table",
    "s3:UpdateBucketMetadataInventoryTableConfiguration": "no S3 metadata table",
    "s3:UpdateBucketMetadataJournalTableConfiguration": "no S3 metadata table",
    "s3:DeleteBucketAnalyticsConfiguration": "no analytics configuration",
    "s3:PutAnalyticsConfiguration": "no analytics configuration",
    "s3:DeleteBucketCors": "no CORS: the buckets serve no browser",
    "s3:PutBucketCORS": "no CORS",
    "s3:DeleteBucketEncryption": "encryption is never removed",
    "s3:DeleteBucketLifecycle": "every bucket keeps a lifecycle rule",
    "s3:DeleteBucketMetricsConfiguration": "no request metrics configuration",
    "s3:PutMetricsConfiguration": "no request metrics configuration",
    "s3:DeleteBucketReplication": "no replication",
    "s3:PutBucketReplication": "no replication",
    "s3:PutReplicationConfiguration": "no replication",
    "s3:DeleteBucketWebsite": "no website hosting",
    "s3:PutBucketWebsite": "no website hosting",
    "s3:PutAccelerateConfiguration": "no transfer acceleration",
    "s3:PutBucketAbac": "no attribute-based access control on buckets",
    "s3:PutBucketAcl": "ACLs are disabled (bucket owner enforced)",
    "s3:PutObjectAcl": "ACLs are disabled",
    "s3:PutBucketObjectLockConfiguration": "no object lock",
    "s3:PutObjectLockConfiguration": "no object lock",
    "s3:PutIntelligentTieringConfiguration": "no Intelligent-Tiering archive configuration",
    "s3:PutInventoryConfiguration": "no inventory",
    "s3:TagResource": "buckets are tagged with PutBucketTagging",
    "s3:UntagResource": "buckets are tagged with PutBucketTagging",
    "s3:GetObjectMetadata": "only DynamoDB's S3 import reads it",
    "s3:REST.PUT.OBJECT": "not an IAM action (listed by the log group handler)",
    "s3:ListAllMyBuckets": "MWAA is given its source bucket's ARN",
    "sns:PutDataProtectionPolicy": "no data protection policy on the topics",
}


def _document() -> dict[str, Any]:
    return yaml.load(BOOTSTRAP.read_text(), Loader=_TagTolerantLoader)  # noqa: S506


@pytest.fixture(scope="module")
def bootstrap() -> dict[str, Any]:
    return _document()


def _role(bootstrap: dict[str, Any]) -> dict[str, Any]:
    roles = [r for r in bootstrap["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 1, "one deploy role"
    return roles[0]["Properties"]


def _statements(bootstrap: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in _role(bootstrap)["Policies"]
        for statement in as_list(policy["PolicyDocument"]["Statement"])
    ]


def _granted(bootstrap: dict[str, Any]) -> list[str]:
    return [a for s in _statements(bootstrap) if s["Effect"] == "Allow" for a in as_list(s["Action"])]


def _allows(granted: list[str], action: str) -> bool:
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in granted)


# --- Scanners -------------------------------------------------------------------------------------


def test_cfn_lint_finds_nothing() -> None:
    result = subprocess.run(
        [str(BIN / "cfn-lint"), "--format", "json", "--", str(BOOTSTRAP)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert not findings, "\n".join(f"{f['Rule']['Id']}: {f['Message']}" for f in findings)
    assert result.returncode == 0, result.stderr


def test_checkov_finds_nothing(tmp_path: Path) -> None:
    result = run_checkov(["--file", str(BOOTSTRAP)], cwd=tmp_path)
    report = json.loads(result.stdout)
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    # The IAM checks on roles, policies and the OIDC trust ran.
    assert report["summary"]["passed"] >= 8, report["summary"]
    assert result.returncode == 0, result.stderr


# --- Trust ----------------------------------------------------------------------------------------


def test_only_this_repositorys_main_branch_and_environments_may_assume_the_role(
    bootstrap: dict[str, Any],
) -> None:
    (statement,) = _role(bootstrap)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(statement["Principal"]) == {"Federated"}
    assert set(statement["Condition"]) == {"StringEquals"}, "exact subjects only: no StringLike pattern"
    conditions = statement["Condition"]["StringEquals"]
    assert conditions[f"{OIDC_HOST}:aud"] == "sts.amazonaws.com"
    subjects = set(as_list(conditions[f"{OIDC_HOST}:sub"]))
    repository = "repo:${GitHubOrg}/${GitHubRepo}"
    # Every job that deploys or publishes names its stage's environment, whose reviewers gate it.
    assert subjects == {f"{repository}:environment:{name}" for name in ENVIRONMENTS}
    assert set(conditions) == {f"{OIDC_HOST}:aud", f"{OIDC_HOST}:sub"}


def test_the_oidc_provider_is_githubs_for_sts(bootstrap: dict[str, Any]) -> None:
    provider = bootstrap["Resources"]["GitHubOidcProvider"]
    assert provider["Type"] == "AWS::IAM::OIDCProvider"
    assert provider["Properties"]["Url"] == f"https://{OIDC_HOST}"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    # An account holds one provider per URL: an existing one can be named instead.
    assert "ExistingOidcProviderArn" in bootstrap["Parameters"]
    assert provider["Condition"] == "CreateOidcProvider"


# --- Least privilege ------------------------------------------------------------------------------


def test_no_action_is_a_wildcard(bootstrap: dict[str, Any]) -> None:
    for statement in _statements(bootstrap):
        assert "NotAction" not in statement, statement["Sid"]
        assert "NotResource" not in statement, statement["Sid"]
        for action in as_list(statement["Action"]):
            assert action != "*", statement["Sid"]
            assert not action.endswith(":*"), f"{statement['Sid']}: {action}"
            assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", action), f"{statement['Sid']}: {action} is a pattern"


# Services whose ARNs carry the resource's name: their statements name the stack's prefix.
NAMED_SERVICES = {
    "airflow",
    "cloudformation",
    "cloudwatch",
    "dynamodb",
    "events",
    "glue",
    "iam",
    "lambda",
    "logs",
    "s3",
    "sns",
    "sqs",
}


def _names_the_prefix(resource: Any) -> bool:
    text = resource["Fn::Sub"] if isinstance(resource, dict) else str(resource)
    return bool(re.search(r"\$\{StackPrefix\}[-_]\*|:catalog$", text))


def test_the_role_never_changes_itself(bootstrap: dict[str, Any]) -> None:
    denials = [s for s in _statements(bootstrap) if s["Effect"] == "Deny"]
    assert [s["Sid"] for s in denials] == ["NotItself"]
    [itself] = denials
    assert as_list(itself["Resource"]) == ["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"]
    assert {
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePermissionsBoundary",
    } <= set(as_list(itself["Action"]))


def test_resources_are_scoped_to_the_stacks_names(bootstrap: dict[str, Any]) -> None:
    for statement in _statements(bootstrap):
        if statement["Effect"] == "Deny":
            continue
        resources = as_list(statement["Resource"])
        services = {a.split(":")[0] for a in as_list(statement["Action"])}
        if resources == ["*"]:
            continue
        if services <= NAMED_SERVICES and statement["Sid"] not in {
            "EventSourceMappings",  # mapping ids are UUIDs
            "DescribeLogGroups",  # authorised on the account's log groups
            "ServiceLinkedRoles",  # named by AWS, bound by iam:AWSServiceName
        }:
            assert all(_names_the_prefix(r) for r in resources), statement["Sid"]
        for resource in resources:
            text = resource["Fn::Sub"] if isinstance(resource, dict) else resource
            if statement["Sid"] == "AwsEndpointServices":
                # AWS's endpoint services belong to AWS's accounts; the condition names them instead.
                assert statement["Condition"] == {"StringLike": {"ec2:VpceServiceName": "com.amazonaws.*"}}
                continue
            assert "${AWS::AccountId}" in text or ":s3:::" in text or ":apigateway:" in text, (
                f"{statement['Sid']}: {text} is not bound to this account"
            )


# Actions that AWS authorises on no resource type: '*' is the only resource they accept.
ACTIONS_ON_NO_RESOURCE = {
    "cloudformation:GetTemplateSummary",
    "cloudformation:ValidateTemplate",
    "ec2:DescribeAddresses",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
    "glue:CreateSecurityConfiguration",
    "glue:DeleteSecurityConfiguration",
    "glue:GetSecurityConfiguration",
    "kms:CreateKey",
    "kms:ListAliases",
    "lambda:CreateEventSourceMapping",
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
}


def test_only_actions_without_a_resource_type_get_every_resource(bootstrap: dict[str, Any]) -> None:
    for statement in _statements(bootstrap):
        if "*" in as_list(statement["Resource"]):
            assert as_list(statement["Resource"]) == ["*"], statement["Sid"]
            extra = set(as_list(statement["Action"])) - ACTIONS_ON_NO_RESOURCE
            assert not extra, f"{statement['Sid']}: {sorted(extra)} can be scoped to a resource"


def test_roles_are_passed_only_to_the_services_that_run_as_them(bootstrap: dict[str, Any]) -> None:
    (statement,) = [s for s in _statements(bootstrap) if "iam:PassRole" in as_list(s["Action"])]
    assert as_list(statement["Action"]) == ["iam:PassRole"]
    services = set(statement["Condition"]["StringEquals"]["iam:PassedToService"])
    assert services == {
        "lambda.amazonaws.com",
        "glue.amazonaws.com",
        "airflow.amazonaws.com",
        "airflow-env.amazonaws.com",
    }


# --- Coverage of the packaged stack ---------------------------------------------------------------


@cache
def _handler_permissions(resource_type: str) -> frozenset[str]:
    """What CloudFormation's handlers for a type call to create, update and delete it (cfn-lint ships
    the resource provider schemas)."""
    schemas = next((ROOT / ".tools/venv-iac/lib").glob("python3*/site-packages/cfnlint/data/schemas"))
    index = json.loads((schemas / "providers/us-east-1.json").read_text())
    schema = json.loads((schemas / f"resources/{index[resource_type]}.json").read_text())
    handlers = schema["handlers"]
    return frozenset(
        p
        for operation in ("create", "update", "delete")
        for p in handlers.get(operation, {}).get("permissions", [])
    )


def _stack_resource_types(packaged: Packaged) -> set[str]:
    types = set()
    for name in ("cloudformation-template-create-stack.json", "cloudformation-template-update-stack.json"):
        body = json.loads((packaged.directory / name).read_text())
        types |= {r["Type"] for r in body["Resources"].values()}
    return types


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_resource_type_of_the_stack_can_be_created_updated_and_deleted(
    packaged: dict[str, Packaged], bootstrap: dict[str, Any], stage: str
) -> None:
    granted = _granted(bootstrap)
    types = _stack_resource_types(packaged[stage])
    assert len(types) > 30, sorted(types)
    missing = {}
    for resource_type in sorted(types):
        namespace = resource_type.split("::")[1]
        assert namespace in SERVICE_PREFIX, f"{resource_type}: map its IAM prefix in SERVICE_PREFIX"
        own = {p for p in _handler_permissions(resource_type) if p.split(":")[0] == SERVICE_PREFIX[namespace]}
        assert own, resource_type
        lacking = sorted(p for p in own if not _allows(granted, p) and p not in UNUSED_FEATURES)
        if lacking:
            missing[resource_type] = lacking
    assert not missing, "the deploy role cannot manage:\n" + "\n".join(
        f"  {t}: {a}" for t, a in missing.items()
    )


def test_every_unused_feature_is_still_listed_by_a_handler(packaged: dict[str, Packaged]) -> None:
    listed = set().union(*(_handler_permissions(t) for t in _stack_resource_types(packaged["prod"])))
    stale = sorted(set(UNUSED_FEATURES) - listed)
    assert not stale, f"UNUSED_FEATURES names actions no handler of the stack lists any more: {stale}"


def test_the_roles_passed_by_the_stack_go_to_the_services_its_statement_allows(
    packaged: dict[str, Packaged], bootstrap: dict[str, Any]
) -> None:
    template = packaged["prod"].template
    passed_to = {
        "AWS::Lambda::Function": ("Role", "lambda.amazonaws.com"),
        "AWS::Glue::Crawler": ("Role", "glue.amazonaws.com"),
        "AWS::MWAA::Environment": ("ExecutionRoleArn", "airflow.amazonaws.com"),
    }
    (statement,) = [s for s in _statements(bootstrap) if "iam:PassRole" in as_list(s["Action"])]
    allowed = set(statement["Condition"]["StringEquals"]["iam:PassedToService"])
    role_properties = {"Role", "RoleArn", "ExecutionRoleArn", "ServiceRole", "DeliverLogsPermissionArn"}
    for resource in template.resources.values():
        passed = role_properties & set(resource.get("Properties", {}))
        if not passed:
            continue
        assert resource["Type"] in passed_to, f"{resource['Type']} passes {passed}: allow its service"
        prop, service = passed_to[resource["Type"]]
        assert passed == {prop}, resource["Type"]
        assert service in allowed, resource["Type"]


def test_every_named_resource_of_the_stack_starts_with_the_prefix(
    packaged: dict[str, Packaged], bootstrap: dict[str, Any], serverless_config: dict[str, Any]
) -> None:
    prefix = bootstrap["Parameters"]["StackPrefix"]["Default"]
    assert prefix == serverless_config["service"]
    name_properties = {
        "AWS::Lambda::Function": "FunctionName",
        "AWS::DynamoDB::Table": "TableName",
        "AWS::SNS::Topic": "TopicName",
        "AWS::SQS::Queue": "QueueName",
        "AWS::IAM::Role": "RoleName",
        "AWS::CloudWatch::Alarm": "AlarmName",
        "AWS::Events::Rule": "Name",
        "AWS::Logs::LogGroup": "LogGroupName",
        "AWS::Glue::Crawler": "Name",
        "AWS::MWAA::Environment": "Name",
        "AWS::S3::Bucket": "BucketName",
        "AWS::KMS::Alias": "AliasName",
    }
    template = packaged["prod"].template
    for resource_type, prop in name_properties.items():
        for logical_id, props in template.of_type(resource_type).items():
            if prop not in props:
                # Generated by CloudFormation from the stack's name (osls's deployment bucket).
                assert logical_id == "ServerlessDeploymentBucket", f"{logical_id} has no {prop}"
                continue
            value = props[prop]
            name = value["Fn::Sub"] if isinstance(value, dict) else value
            assert re.match(
                rf"^(alias/|/aws/lambda/|/aws/http-api/|/aws-glue/crawlers-role/|airflow-)?{prefix}-", name
            ), f"{logical_id}: {name}"
    (database,) = template.of_type("AWS::Glue::Database").values()
    assert database["DatabaseInput"]["Name"].startswith(f"{prefix}_")


def test_the_role_outlives_a_first_deploy(bootstrap: dict[str, Any]) -> None:
    assert _role(bootstrap)["MaxSessionDuration"] >= 7200
    workflow = (ROOT / ".github/workflows/deploy-stage.yml").read_text()
    durations = {int(d) for d in re.findall(r"role-duration-seconds:\s*(\d+)", workflow)}
    assert durations, "the stage deploy asks for no session duration"
    assert max(durations) <= _role(bootstrap)["MaxSessionDuration"]


def test_keys_are_changed_only_when_tagged_by_the_stacks(
    bootstrap: dict[str, Any], serverless_config: dict[str, Any]
) -> None:
    assert serverless_config["provider"]["stackTags"]["service"] == "${self:service}"
    destructive = {"kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKeyRotation"}
    for statement in _statements(bootstrap):
        if destructive & set(as_list(statement["Action"])):
            assert statement["Condition"] == {"StringEquals": {"aws:ResourceTag/service": "StackPrefix"}}
