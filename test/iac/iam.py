"""A small IAM evaluator over a packaged template's policies, for the recorded-calls check.

What it decides, as IAM does within one account: a request (action, resource ARN, context keys) is
allowed by a set of statements when one Allow statement matches and no Deny statement does. A statement
matches when an action pattern and a resource pattern match (`*` and `?` wildcards, case-insensitive
actions, NotAction and NotResource) and every condition holds. Conditions are evaluated for the
operators below on the keys the request carries; a condition on a key the request does not carry does
not hold (an Allow that depends on it grants nothing, as on AWS when the key is absent), and an
operator this module does not know raises, so a new kind of condition is noticed rather than guessed.

Template values (Ref, Fn::GetAtt, Fn::Sub, Fn::Join) are turned into the ARNs and names AWS would give
them, from each resource's own name property and the pseudo parameters given.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cfn import Template, as_list

# (Ref, Fn::GetAtt Arn) of each resource type the policies name, from the resource's properties.
_ARNS: dict[str, tuple[str, str]] = {
    "AWS::SNS::Topic": ("arn:{P}:sns:{R}:{A}:{TopicName}", "arn:{P}:sns:{R}:{A}:{TopicName}"),
    "AWS::SQS::Queue": ("https://sqs.{R}.amazonaws.com/{A}/{QueueName}", "arn:{P}:sqs:{R}:{A}:{QueueName}"),
    "AWS::DynamoDB::Table": ("{TableName}", "arn:{P}:dynamodb:{R}:{A}:table/{TableName}"),
    "AWS::S3::Bucket": ("{BucketName}", "arn:{P}:s3:::{BucketName}"),
    "AWS::IAM::Role": ("{RoleName}", "arn:{P}:iam::{A}:role/{RoleName}"),
    "AWS::KMS::Key": ("{Id}", "arn:{P}:kms:{R}:{A}:key/{Id}"),
    "AWS::Logs::LogGroup": ("{LogGroupName}", "arn:{P}:logs:{R}:{A}:log-group:{LogGroupName}:*"),
    "AWS::EMRServerless::Application": ("{Id}", "arn:{P}:emr-serverless:{R}:{A}:/applications/{Id}"),
    "AWS::Glue::Crawler": ("{Name}", "arn:{P}:glue:{R}:{A}:crawler/{Name}"),
    "AWS::Glue::Database": ("{DatabaseInput.Name}", "arn:{P}:glue:{R}:{A}:database/{DatabaseInput.Name}"),
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z.]+)\}")
_SUB = re.compile(r"\$\{([^}!]+)\}")


class UnresolvedError(AssertionError):
    """A template value this module cannot turn into a string."""


@dataclass
class Resolver:
    """Turns template values into strings, with the given pseudo parameters (AWS::Region...)."""

    template: Template
    pseudo: Mapping[str, str]

    def _property(self, logical_id: str, name: str) -> str:
        if name == "Id":
            # Ids AWS makes up (a key's, an application's): the logical id stands for them.
            return logical_id
        value: Any = self.template.props(logical_id)
        for part in name.split("."):
            value = value[part]
        return self.resolve(value)

    def attribute(self, logical_id: str, attribute: str | None) -> str:
        resource_type = self.template.resources[logical_id]["Type"]
        if resource_type not in _ARNS:
            raise UnresolvedError(f"{logical_id}: no ARN known for {resource_type}")
        ref, arn = _ARNS[resource_type]
        if attribute is None:
            pattern = ref
        elif attribute in ("Arn", "TopicArn"):
            pattern = arn
        elif attribute == "QueueName":
            pattern = "{QueueName}"
        else:
            raise UnresolvedError(f"{logical_id}.{attribute}")
        fixed = {"P": self.pseudo["AWS::Partition"], "R": self.pseudo["AWS::Region"]}
        fixed["A"] = self.pseudo["AWS::AccountId"]

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return fixed[name] if name in fixed else self._property(logical_id, name)

        return _PLACEHOLDER.sub(fill, pattern)

    def resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            [(function, argument)] = value.items()
            if function == "Ref":
                if argument in self.pseudo:
                    return self.pseudo[argument]
                return self.attribute(argument, None)
            if function == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.attribute(logical_id, attribute)
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(self.resolve(p) for p in parts)
            if function == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument

                def fill(match: re.Match[str]) -> str:
                    name = match.group(1)
                    if name in variables:
                        return self.resolve(variables[name])
                    if name in self.pseudo:
                        return self.pseudo[name]
                    logical_id, _, attribute = name.partition(".")
                    return self.attribute(logical_id, attribute or None)

                return _SUB.sub(fill, text)
        raise UnresolvedError(f"cannot resolve {value!r}")


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """Statements with their actions, resources and conditions as plain strings."""

    statements: tuple[Mapping[str, Any], ...]

    def decide(self, request: Request) -> str:
        """Deny when a Deny statement matches, Allow when an Allow one does, else ImplicitDeny."""
        matching = [s["Effect"] for s in self.statements if statement_matches(s, request)]
        if "Deny" in matching:
            return "Deny"
        return "Allow" if "Allow" in matching else "ImplicitDeny"


def wildcard(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    """IAM's `*` (any run of characters, `/` and `:` included) and `?` (one character)."""
    regex = fnmatch.translate(pattern.replace("[", "[[]"))
    return re.match(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _condition_holds(operator: str, key: str, wanted: list[str], context: Mapping[str, str]) -> bool:
    base = operator.removesuffix("IfExists")
    if key not in context:
        return operator.endswith("IfExists")
    value = context[key]
    if base in ("StringEquals", "ArnEquals"):
        return value in wanted
    if base == "StringNotEquals":
        return value not in wanted
    if base in ("StringLike", "ArnLike"):
        return any(wildcard(w, value) for w in wanted)
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(wildcard(w, value) for w in wanted)
    if base == "StringEqualsIgnoreCase":
        return value.lower() in {w.lower() for w in wanted}
    if base == "Bool":
        return value.lower() in {w.lower() for w in wanted}
    raise NotImplementedError(f"condition operator {operator} is not evaluated here")


def statement_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        actions = any(wildcard(a, request.action, False) for a in as_list(statement["Action"]))
    else:
        actions = not any(wildcard(a, request.action, False) for a in as_list(statement["NotAction"]))
    if not actions:
        return False
    if "Resource" in statement:
        resources = any(wildcard(r, request.resource) for r in as_list(statement["Resource"]))
    elif "NotResource" in statement:
        resources = not any(wildcard(r, request.resource) for r in as_list(statement["NotResource"]))
    else:  # a resource policy's statement names no resource: it is the resource's own
        resources = True
    if not resources:
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            if not _condition_holds(operator, key, [str(w) for w in as_list(wanted)], request.context):
                return False
    return True


def _resolved(value: Any, resolver: Resolver) -> Any:
    if isinstance(value, list):
        return [_resolved(v, resolver) for v in value]
    if isinstance(value, dict) and not _is_intrinsic(value):
        return {k: _resolved(v, resolver) for k, v in value.items()}
    return resolver.resolve(value)


def _is_intrinsic(value: dict[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join")


def role_policy(template: Template, role_id: str, resolver: Resolver) -> Policy:
    """The statements of a role's inline policies, with every value resolved."""
    return Policy(tuple(_resolved(s.raw, resolver) for s in template.role_statements(role_id)))


def key_policy_statements(template: Template, key_id: str, resolver: Resolver) -> Iterator[dict[str, Any]]:
    for statement in as_list(template.props(key_id)["KeyPolicy"]["Statement"]):
        yield _resolved(statement, resolver)


def key_policy_allows(
    template: Template, key_id: str, resolver: Resolver, role_arn: str, request: Request
) -> bool:
    """Whether the key's policy lets the role use the key for `request`.

    A statement whose principal is the account (its root) hands the decision to IAM: the role's own
    policy must allow it too, which the caller checks separately.
    """
    account_root = f"arn:{resolver.pseudo['AWS::Partition']}:iam::{resolver.pseudo['AWS::AccountId']}:root"
    allowed = False
    for statement in key_policy_statements(template, key_id, resolver):
        principal = statement.get("Principal", {})
        principals = ["*"] if principal == "*" else as_list(principal.get("AWS", []))
        if not {"*", role_arn, account_root, resolver.pseudo["AWS::AccountId"]} & set(principals):
            continue
        if statement_matches(statement, request):
            if statement["Effect"] == "Deny":
                return False
            allowed = True
    return allowed
