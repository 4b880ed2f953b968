"""The evaluator and the call-to-request mapping the recorded-calls check relies on, rule by rule."""

from __future__ import annotations

from typing import Any

import pytest
from cfn import Template
from iam import Policy, Request, Resolver, key_policy_allows, wildcard
from recorded_calls import Call, Names, requests_of

BUCKET = "arn:aws:s3:::purchases-dev-111122223333-us-east-1-bronze"


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("name", "statements", "request_", "want"),
    [
        (
            "exact action and resource",
            [allow("s3:GetObject", f"{BUCKET}/*")],
            Request("s3:GetObject", f"{BUCKET}/k"),
            "Allow",
        ),
        (
            "nothing matches",
            [allow("s3:GetObject", f"{BUCKET}/*")],
            Request("s3:PutObject", f"{BUCKET}/k"),
            "ImplicitDeny",
        ),
        (
            "actions ignore case",
            [allow("S3:getobject", f"{BUCKET}/*")],
            Request("s3:GetObject", f"{BUCKET}/k"),
            "Allow",
        ),
        (
            "action wildcard",
            [allow("s3:Get*", f"{BUCKET}/*")],
            Request("s3:GetObject", f"{BUCKET}/k"),
            "Allow",
        ),
        (
            "resources keep case",
            [allow("s3:GetObject", BUCKET.upper() + "/*")],
            Request("s3:GetObject", f"{BUCKET}/k"),
            "ImplicitDeny",
        ),
        (
            "the bucket is not its objects",
            [allow("s3:GetObject", f"{BUCKET}/*")],
            Request("s3:GetObject", BUCKET),
            "ImplicitDeny",
        ),
        (
            "star crosses slashes",
            [allow("s3:GetObject", "arn:aws:s3:::*")],
            Request("s3:GetObject", f"{BUCKET}/a/b"),
            "Allow",
        ),
        (
            "question mark is one character",
            [allow("sns:Publish", "arn:aws:sns:*:*:topic-?")],
            Request("sns:Publish", "arn:aws:sns:r:1:topic-10"),
            "ImplicitDeny",
        ),
        (
            "deny wins",
            [allow("s3:*", "*"), deny("s3:DeleteObject", f"{BUCKET}/*")],
            Request("s3:DeleteObject", f"{BUCKET}/k"),
            "Deny",
        ),
        (
            "NotAction",
            [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
            Request("iam:PassRole", "r"),
            "ImplicitDeny",
        ),
        (
            "NotResource",
            [{"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/*"}],
            Request("s3:GetObject", f"{BUCKET}/k"),
            "ImplicitDeny",
        ),
        (
            "condition holds",
            [
                allow(
                    "iam:PassRole",
                    "*",
                    Condition={"StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}},
                )
            ],
            Request("iam:PassRole", "r", {"iam:PassedToService": "emr-serverless.amazonaws.com"}),
            "Allow",
        ),
        (
            "condition fails",
            [
                allow(
                    "iam:PassRole",
                    "*",
                    Condition={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
                )
            ],
            Request("iam:PassRole", "r", {"iam:PassedToService": "emr-serverless.amazonaws.com"}),
            "ImplicitDeny",
        ),
        (
            "a condition on a key the request lacks grants nothing",
            [
                allow(
                    "cloudwatch:PutMetricData", "*", Condition={"StringEquals": {"cloudwatch:namespace": "A"}}
                )
            ],
            Request("cloudwatch:PutMetricData", "*"),
            "ImplicitDeny",
        ),
        (
            "IfExists holds without the key",
            [allow("s3:ListBucket", BUCKET, Condition={"StringLikeIfExists": {"s3:prefix": "purchases/*"}})],
            Request("s3:ListBucket", BUCKET),
            "Allow",
        ),
        (
            "StringLike on the key",
            [allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": "purchases/*"}})],
            Request("s3:ListBucket", BUCKET, {"s3:prefix": "other/"}),
            "ImplicitDeny",
        ),
    ],
)
def test_decisions(name: str, statements: list[dict[str, Any]], request_: Request, want: str) -> None:
    assert Policy(tuple(statements)).decide(request_) == want, name


def test_an_operator_it_does_not_know_is_not_guessed() -> None:
    policy = Policy((allow("s3:GetObject", "*", Condition={"DateGreaterThan": {"aws:CurrentTime": "x"}}),))
    with pytest.raises(NotImplementedError):
        policy.decide(Request("s3:GetObject", "o", {"aws:CurrentTime": "y"}))


def test_wildcards_are_not_regular_expressions() -> None:
    assert not wildcard("arn:aws:s3:::a.b", "arn:aws:s3:::aXb")
    assert wildcard("arn:aws:s3:::a[1]", "arn:aws:s3:::a[1]")


TEMPLATE = Template(
    {
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": {"Fn::Sub": "b-${AWS::AccountId}"}},
            },
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r"}},
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {
                                    "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
                                },
                                "Action": "kms:*",
                                "Resource": "*",
                            },
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "kms:Decrypt",
                                "Resource": "*",
                                "Condition": {"StringEquals": {"kms:CallerAccount": "999999999999"}},
                            },
                        ]
                    }
                },
            },
        }
    }
)
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "111122223333"}


def test_the_resolver_names_resources_as_aws_does() -> None:
    resolver = Resolver(TEMPLATE, PSEUDO)
    assert resolver.resolve({"Fn::GetAtt": ["Bucket", "Arn"]}) == "arn:aws:s3:::b-111122223333"
    assert resolver.resolve({"Fn::Sub": "${Bucket.Arn}/*"}) == "arn:aws:s3:::b-111122223333/*"
    assert resolver.resolve({"Ref": "Bucket"}) == "b-111122223333"
    assert resolver.resolve({"Fn::GetAtt": "Role.Arn"}) == "arn:aws:iam::111122223333:role/r"
    assert resolver.resolve({"Fn::Join": ["", ["a", {"Ref": "AWS::Region"}]]}) == "aus-east-1"


def test_a_key_policy_that_names_the_account_hands_the_decision_to_iam() -> None:
    resolver = Resolver(TEMPLATE, PSEUDO)
    request = Request("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/Key")
    role = "arn:aws:iam::111122223333:role/r"
    assert key_policy_allows(TEMPLATE, "Key", resolver, role, request)
    denied = Request(request.action, request.resource, {"kms:CallerAccount": "999999999999"})
    assert not key_policy_allows(TEMPLATE, "Key", resolver, role, denied)


def call(service: str, operation: str, **params: Any) -> Call:
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return Call("lake", service, operation, frozen, "")


NAMES = Names.of(
    {"bronze": "purchases-local-123456789012-us-east-1-bronze", "topic": "purchases-local-alerts"},
    {"bronze": "purchases-dev-111122223333-us-east-1-bronze", "topic": "purchases-dev-alerts"},
    "dev",
    "us-east-1",
    "111122223333",
)
LOCAL_BUCKET = "purchases-local-123456789012-us-east-1-bronze"


@pytest.mark.parametrize(
    ("given", "want"),
    [
        (call("s3", "HeadObject", Bucket=LOCAL_BUCKET, Key="k"), [("s3:GetObject", f"{BUCKET}/k")]),
        (call("s3", "ListObjectsV2", Bucket=LOCAL_BUCKET, Prefix="p/"), [("s3:ListBucket", BUCKET)]),
        (
            call("s3", "DeleteObjects", Bucket=LOCAL_BUCKET, Keys=["a", "b"]),
            [("s3:DeleteObject", f"{BUCKET}/a"), ("s3:DeleteObject", f"{BUCKET}/b")],
        ),
        (
            call("sns", "Publish", TopicArn="arn:aws:sns:us-east-1:123456789012:purchases-local-alerts"),
            [("sns:Publish", "arn:aws:sns:us-east-1:111122223333:purchases-dev-alerts")],
        ),
        (call("glue", "GetCrawlerMetrics"), [("glue:GetCrawlerMetrics", "*")]),
        (
            call(
                "emr-serverless",
                "StartJobRun",
                executionRoleArn="arn:aws:iam::123456789012:role/purchases-local-spark",
            ),
            [
                ("emr-serverless:StartJobRun", "app"),
                ("iam:PassRole", "arn:aws:iam::111122223333:role/purchases-dev-spark"),
            ],
        ),
    ],
)
def test_calls_become_the_requests_iam_sees(given: Call, want: list[tuple[str, str]]) -> None:
    assert [(r.action, r.resource) for r in requests_of(given, NAMES, {"application": "app"})] == want


def test_an_operation_without_a_mapping_is_named() -> None:
    with pytest.raises(KeyError):
        requests_of(call("s3", "PutBucketPolicy", Bucket=LOCAL_BUCKET), NAMES, {})
