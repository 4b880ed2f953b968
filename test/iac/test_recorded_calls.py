"""Every AWS call the test runs recorded is allowed, in each packaged stage, by the role that makes it.

`npm test` records the calls (AWS_CALL_LOG_DIR, default .local/aws-calls) of the API and the consumer
in the jest integration, e2e and fault suites (src/local/aws-call-log.ts), and of the lake's DAG runs
in the lake suite (test/support/aws-call-log), local and AWS engines; this stage runs after them.
Each call is turned into the IAM requests it makes (recorded_calls.py) and decided against the role's
inline policies (iam.py); where the resource is encrypted with one of the stack's keys, the key's use
is checked too, in the role's policy and in the key's own policy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfn import Template, ref_target
from conftest import LOCAL_STAGE, ROOT, module_names
from iam import Policy, Request, Resolver, key_policy_allows, role_policy
from recorded_calls import Call, Names, read_calls, requests_of

CALLS_DIR = Path(os.environ.get("AWS_CALL_LOG_DIR") or ROOT / ".local" / "aws-calls")
REGION = "us-east-1"
ACCOUNT = "111122223333"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
}
FUNCTIONS = {"api": "ApiLambdaFunction", "consumer": "ConsumerLambdaFunction"}
# Lake code that runs only locally, standing in for something that is not the DAG on AWS: its calls are
# checked against the role of what it stands for, or not at all when that is not the stack's policy.
LOCAL_STAND_INS: dict[tuple[str, str | None], str | None] = {
    # The silver job reads bronze from the bucket on EMR; locally the task copies it to disk first.
    ("dags/lake/engines.py:stage_bronze_locally", None): "SparkJobRole",
    # The crawlers keep the catalog on AWS, as the Glue service with their role; locally the task writes
    # the entries (and creates the database the stack creates on AWS): not calls any role makes there.
    ("dags/lake/catalog.py:write_entries", None): None,
    # The local export scans the table; on AWS it is DynamoDB's export, which the AWS-engine run records.
    (
        "airflow/providers/amazon/aws/transfers/dynamodb_to_s3.py:_scan_dynamodb_and_upload_to_s3",
        "dynamodb",
    ): None,
}
# Which of the stack's keys encrypts what, and the key actions a call on it needs (AWS documentation
# of SNS, SQS, DynamoDB and S3 with customer managed keys).
KEY_ACTIONS = {
    "sns:Publish": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:SendMessage": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sqs:ReceiveMessage": ("kms:Decrypt",),
    "s3:GetObject": ("kms:Decrypt",),
    "s3:PutObject": ("kms:GenerateDataKey",),
    # DynamoDB reads and writes items of a table under its key with the caller's kms:Decrypt.
    **{
        f"dynamodb:{op}": ("kms:Decrypt",)
        for op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchWriteItem")
    },
}


def lake_role(call: Call) -> str | None:
    for key in ((call.origin, call.service), (call.origin, None)):
        if key in LOCAL_STAND_INS:
            return LOCAL_STAND_INS[key]
    return "MwaaExecutionRole"


def role_of(template: Template, call: Call) -> str | None:
    if call.principal in FUNCTIONS:
        return ref_target(template.props(FUNCTIONS[call.principal])["Role"])
    if call.principal == "lake":
        return lake_role(call)
    raise AssertionError(f"a call no function or DAG run made ({call.principal}): {call}")


def encryption_keys(template: Template, resolver: Resolver) -> dict[str, str]:
    """ARN of each encrypted resource (topic, queue, table, bucket) -> logical id of its key."""
    keys: dict[str, str] = {}
    for logical_id, resource in template.resources.items():
        props = resource.get("Properties", {})
        key: Any = None
        if resource["Type"] in ("AWS::SNS::Topic", "AWS::SQS::Queue"):
            key = props.get("KmsMasterKeyId")
        elif resource["Type"] == "AWS::DynamoDB::Table":
            key = props.get("SSESpecification", {}).get("KMSMasterKeyId")
        elif resource["Type"] == "AWS::S3::Bucket":
            rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
            key = next((r["ServerSideEncryptionByDefault"].get("KMSMasterKeyID") for r in rules), None)
        if key is not None and ref_target(key) is not None:
            keys[resolver.attribute(logical_id, "Arn")] = ref_target(key)
    return keys


def key_requests(request: Request, keys: dict[str, str]) -> Iterator[tuple[str, Request]]:
    actions = KEY_ACTIONS.get(request.action, ())
    resource = request.resource.split("/", 1)[0] if request.action.startswith("s3:") else request.resource
    key = keys.get(resource)
    if key is not None:
        for action in actions:
            yield key, Request(action, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}")


@pytest.fixture(scope="module")
def calls() -> list[Call]:
    assert CALLS_DIR.is_dir(), (
        f"no recorded AWS calls in {CALLS_DIR}: `npm test` records them in its jest and lake stages "
        "(AWS_CALL_LOG_DIR) before this one"
    )
    return read_calls(CALLS_DIR)


def test_every_function_and_the_dag_made_recorded_calls(calls):
    """The recorders ran: a run that recorded nothing for one of them would check nothing."""
    assert {c.principal for c in calls} >= {"api", "consumer", "lake"}, sorted({c.principal for c in calls})
    origins = {c.origin for c in calls if c.principal == "lake"}
    # Both engines' runs: the local one (its stand-ins) and the AWS one (the provider's operators).
    assert "dags/lake/engines.py:stage_bronze_locally" in origins, sorted(origins)
    assert any("glue_crawler" in o or "hooks/glue_crawler" in o for o in origins), sorted(origins)


def test_every_recorded_call_is_allowed_by_its_role(calls, template: Template, stage: str):
    resolver = Resolver(template, {**PSEUDO, "AWS::StackName": f"purchases-{stage}"})
    staged = module_names(stage, REGION, ACCOUNT)
    names = Names.of(module_names(LOCAL_STAGE), staged, stage, REGION, ACCOUNT)
    [application] = template.of_type("AWS::EMRServerless::Application")
    context = {"application": resolver.attribute(application, "Arn")}
    keys = encryption_keys(template, resolver)
    policies: dict[str, Policy] = {}
    denied: set[str] = set()
    unmapped: set[str] = set()
    key_checks = 0
    for call in calls:
        role = role_of(template, call)
        if role is None:
            continue
        policy = policies.setdefault(role, role_policy(template, role, resolver))
        role_arn = resolver.attribute(role, "Arn")
        try:
            requests = requests_of(call, names, context)
        except KeyError:
            unmapped.add(f"{call.service} {call.operation} ({call.origin or call.principal})")
            continue
        for request in requests:
            by = call.origin or call.principal
            where = f"{role}: {request.action} on {request.resource} ({call.operation} by {by})"
            if policy.decide(request) != "Allow":
                denied.add(where)
            for key, key_request in key_requests(request, keys):
                key_checks += 1
                key_where = f"{role}: {key_request.action} on {key} for {where.split(': ', 1)[1]}"
                if policy.decide(key_request) != "Allow":
                    denied.add(key_where)
                elif not key_policy_allows(template, key, resolver, role_arn, key_request):
                    denied.add(f"{key_where}: the key's policy does not let the role use it")
    # The functions publish to an encrypted topic and write encrypted tables: their keys were checked.
    assert key_checks, f"no recorded call used any of the stack's keys {sorted(set(keys.values()))}"
    assert not unmapped, f"calls with no IAM mapping in recorded_calls.py: {sorted(unmapped)}"
    assert not denied, "recorded calls the stage's roles do not allow:\n" + "\n".join(sorted(denied))
