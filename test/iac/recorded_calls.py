"""The AWS calls the test runs recorded, as the IAM requests each one makes of its role on AWS.

The records are JSON lines: the functions' (src/local/aws-call-log.ts: `function` is api or consumer)
and the lake's (test/support/aws-call-log/sitecustomize.py: `origin` is the code that made the call).
Each call becomes one or more `Request`s with the stage's names: the local stage's names
(resources/stack.yml with the stage `local`) are replaced by the stage's, and the account id is the
one the resolver gives the template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iam import Request

LOCAL_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Call:
    principal: str
    service: str
    operation: str
    params: tuple[tuple[str, Any], ...]
    origin: str

    def param(self, name: str) -> Any:
        return dict(self.params).get(name)


# Calls the emulator refused because what they name does not exist (a test pointing a function at a
# topic that is not there, to see it fail) name no resource of the stack.
MISSING_RESOURCE_ERRORS = {"NotFound", "NotFoundException", "ResourceNotFoundException", "NonExistentQueue"}


def read_calls(directory: Path) -> list[Call]:
    calls = set()
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record.get("error") in MISSING_RESOURCE_ERRORS:
                continue
            principal = record["function"] if record["source"] == "functions" else "lake"
            params = tuple(sorted((k, _freeze(v)) for k, v in record["params"].items()))
            calls.add(
                Call(principal, record["service"], record["operation"], params, record.get("origin", ""))
            )
    return sorted(calls, key=lambda c: (c.principal, c.service, c.operation, c.origin, str(c.params)))


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


@dataclass(frozen=True)
class Names:
    """Local names and ARNs rewritten as the stage's."""

    replacements: tuple[tuple[str, str], ...]
    region: str
    account: str

    @classmethod
    def of(
        cls, local: dict[str, str], staged: dict[str, str], stage: str, region: str, account: str
    ) -> Names:
        """From the local stack's names and the stage's, both as src/stack-names.ts resolves them."""
        pairs = {local[key]: staged[key] for key in local}
        # Role names follow the same prefix (resources/*.yml: ${self:service}-${sls:stage}-...).
        pairs["purchases-local-"] = f"purchases-{stage}-"
        ordered = tuple(sorted(pairs.items(), key=lambda p: -len(p[0])))
        return cls(ordered, region, account)

    def __call__(self, text: str) -> str:
        for local, staged in self.replacements:
            if local in text:
                text = text.replace(local, staged)
                break
        return text.replace(f":{LOCAL_ACCOUNT_ID}:", f":{self.account}:").replace(
            f"/{LOCAL_ACCOUNT_ID}/", f"/{self.account}/"
        )

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


# How an operation is authorised: the IAM action and the resource ARNs it names, per service.
Mapper = Callable[[Call, Names, dict[str, str]], Iterator[Request]]


def _queue_arn(url: str, names: Names) -> str:
    return names.arn("sqs", names(url).rstrip("/").rsplit("/", 1)[1])


def _bucket(call: Call, names: Names) -> str:
    return f"arn:aws:s3:::{names(call.param('Bucket'))}"


def _objects(call: Call, names: Names) -> list[str]:
    keys = call.param("Keys") or (call.param("Key"),)
    return [f"{_bucket(call, names)}/{key}" for key in keys]


def _s3(call: Call, names: Names, stack: dict[str, str]) -> Iterator[Request]:
    op = call.operation
    if op in ("ListObjectsV2", "ListObjects", "HeadBucket"):
        yield Request("s3:ListBucket", _bucket(call, names), {"s3:prefix": call.param("Prefix") or ""})
    elif op == "GetBucketLocation":
        yield Request("s3:GetBucketLocation", _bucket(call, names))
    elif op in ("GetObject", "HeadObject"):
        yield from (Request("s3:GetObject", o) for o in _objects(call, names))
    elif op in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        yield from (Request("s3:PutObject", o) for o in _objects(call, names))
    elif op == "AbortMultipartUpload":
        yield from (Request("s3:AbortMultipartUpload", o) for o in _objects(call, names))
    elif op in ("DeleteObject", "DeleteObjects"):
        # DeleteObjects is authorised per key, as s3:DeleteObject.
        yield from (Request("s3:DeleteObject", o) for o in _objects(call, names))
    else:
        raise KeyError(op)


def _sns(call: Call, names: Names, stack: dict[str, str]) -> Iterator[Request]:
    if call.operation != "Publish":
        raise KeyError(call.operation)
    yield Request("sns:Publish", names(call.param("TopicArn") or call.param("TargetArn")))


def _sqs(call: Call, names: Names, stack: dict[str, str]) -> Iterator[Request]:
    actions = {
        "SendMessage": "sqs:SendMessage",
        "SendMessageBatch": "sqs:SendMessage",
        "ReceiveMessage": "sqs:ReceiveMessage",
        "DeleteMessage": "sqs:DeleteMessage",
        "DeleteMessageBatch": "sqs:DeleteMessage",
        "ChangeMessageVisibility": "sqs:ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
        "GetQueueAttributes": "sqs:GetQueueAttributes",
    }
    yield Request(actions[call.operation], _queue_arn(call.param("QueueUrl"), names))


def _dynamodb(call: Call, names: Names, stack: dict[str, str]) -> Iterator[Request]:
    op = call.operation
    if op == "DescribeExport":
        # arn:...:table/<table>/export/<id>; the emulator writes the table's ARN where its name goes.
        export = call.param("ExportArn")
        match = re.search(r"table/(?:arn:[^/]+:table/)?([^/]+)/(?:export|import)/(.+)$", export)
        assert match, export
        yield Request(
            "dynamodb:DescribeExport", names.arn("dynamodb", f"table/{names(match[1])}/export/{match[2]}")
        )
        return
    if op in ("BatchWriteItem", "BatchGetItem"):
        tables = call.param("RequestItems")
    elif call.param("TableArn"):
        tables = (names(call.param("TableArn")).rsplit("/", 1)[1],)
    else:
        tables = (call.param("TableName"),)
    for table in tables:
        yield Request(f"dynamodb:{op}", names.arn("dynamodb", f"table/{names(table)}"))


def _glue(call: Call, names: Names, stack: dict[str, str]) -> Iterator[Request]:
    op = call.operation
    if op == "GetCrawlerMetrics":
        # No resource type in IAM: "*" is the only resource it accepts.
        yield Request("glue:GetCrawlerMetrics", "*")
    elif op in ("GetCrawler", "StartCrawler", "UpdateCrawler", "StopCrawler"):
        yield Request(f"glue:{op}", names.arn("glue", f"crawler/{names(call.param('Name'))}"))
    elif op in ("GetTags", "TagResource", "UntagResource"):
        yield Request(f"glue:{op}", names(call.param("ResourceArn")))
    else:
        raise KeyError(op)


def _emr_serverless(call: Call, names: Names, stack: dict[str, str]) -> Iterator[Request]:
    # The emulator makes up the application's id; the stack has one application (stack["application"]).
    application = stack["application"]
    op = call.operation
    if op in ("GetApplication", "StartApplication"):
        yield Request(f"emr-serverless:{op}", application)
    elif op == "StartJobRun":
        yield Request("emr-serverless:StartJobRun", application)
        # Handing the job its role is a PassRole of the caller's.
        context = {"iam:PassedToService": "emr-serverless.amazonaws.com"}
        yield Request("iam:PassRole", names(call.param("executionRoleArn")), context)
    elif op in ("GetJobRun", "CancelJobRun"):
        yield Request(f"emr-serverless:{op}", f"{application}/jobruns/{call.param('jobRunId')}")
    else:
        raise KeyError(op)


MAPPERS: dict[str, Mapper] = {
    "s3": _s3,
    "sns": _sns,
    "sqs": _sqs,
    "dynamodb": _dynamodb,
    "glue": _glue,
    "emr-serverless": _emr_serverless,
}


def requests_of(call: Call, names: Names, stack: dict[str, str]) -> list[Request]:
    """The IAM requests `call` makes; KeyError when no mapping is known for its service or operation."""
    return list(MAPPERS[call.service](call, names, stack))
