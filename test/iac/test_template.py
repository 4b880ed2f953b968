"""Assertions on the packaged CloudFormation template of every deployed stage."""

from __future__ import annotations

import re
import zipfile
from typing import Any

import pytest
import yaml
from cfn import Template, as_list, ref_target, render
from conftest import (
    DEPLOYED_STAGES,
    LOCAL_ACCOUNT_ID,
    LOCAL_STAGE,
    ROOT,
    Packaged,
    module_names,
    stage_params,
)

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

# IAM actions that have no resource type: "*" is the only resource AWS accepts for them.
ACTIONS_WITHOUT_RESOURCE_TYPE = {
    "cloudwatch:PutMetricData",
    "glue:GetCrawlerMetrics",
    "logs:DescribeLogGroups",
    "s3:GetAccountPublicAccessBlock",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
}

FUNCTION_ROLES = {"ApiLambdaFunction": "ApiRole", "ConsumerLambdaFunction": "ConsumerRole"}


def alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm watches, whether it has one metric or a metric-math expression."""
    if "MetricName" in alarm:
        return [
            {
                "Namespace": alarm["Namespace"],
                "MetricName": alarm["MetricName"],
                "Dimensions": alarm.get("Dimensions", []),
            }
        ]
    return [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]


def dimension(metric: dict[str, Any], name: str) -> Any:
    return next((d["Value"] for d in metric.get("Dimensions", []) if d["Name"] == name), None)


# --- Lambda ---------------------------------------------------------------------------------------


def test_functions_run_a_supported_node_runtime_on_arm64(template: Template) -> None:
    functions = template.of_type("AWS::Lambda::Function")
    assert set(functions) == set(FUNCTION_ROLES)
    for name, function in functions.items():
        version = re.fullmatch(r"nodejs(\d+)\.x", function["Runtime"])
        assert version, f"{name}: {function['Runtime']}"
        assert int(version.group(1)) >= 22, f"{name}: {function['Runtime']}"
        assert function["Architectures"] == ["arm64"], name


def test_each_function_has_its_own_role(template: Template) -> None:
    roles = {name: ref_target(f["Role"]) for name, f in template.of_type("AWS::Lambda::Function").items()}
    assert roles == FUNCTION_ROLES
    for role in roles.values():
        trust = template.props(role)["AssumeRolePolicyDocument"]["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]


def test_function_environment(template: Template, params: dict[str, Any], stack: dict[str, Any]) -> None:
    env = {
        name: f["Environment"]["Variables"] for name, f in template.of_type("AWS::Lambda::Function").items()
    }
    api, consumer = env["ApiLambdaFunction"], env["ConsumerLambdaFunction"]
    assert ref_target(api["PURCHASES_TOPIC_ARN"]) == "PurchasesTopic"
    assert ref_target(api["PURCHASES_TABLE_NAME"]) == "PurchasesTable"
    assert ref_target(api["IDEMPOTENCY_TABLE_NAME"]) == "IdempotencyTable"
    assert ref_target(consumer["PURCHASES_TABLE_NAME"]) == "PurchasesTable"
    assert consumer["DLQ_URL"] == {"Ref": "PurchasesDlq"}  # Ref of a queue is its URL
    for variables in (api, consumer):
        assert variables["LOG_LEVEL"] == params["logLevel"]
        assert variables["POWERTOOLS_SERVICE_NAME"]
        assert variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert api["POWERTOOLS_SERVICE_NAME"] != consumer["POWERTOOLS_SERVICE_NAME"]
    assert api["IDEMPOTENCY_TTL_SECONDS"] == str(stack["settings"]["idempotencyTtlSeconds"])
    for variables in (api, consumer):
        assert variables["SCHEMA_VERSION_ATTRIBUTE"] == stack["settings"]["schemaVersionAttribute"]


def test_functions_get_every_variable_the_config_module_reads(template: Template) -> None:
    source = (ROOT / "src/config.ts").read_text()
    read = set(re.findall(r"""(?:required|positiveInteger)\("([A-Z0-9_]+)"\)""", source))
    assert read, "src/config.ts reads no variable through required()/positiveInteger()"
    provided = {
        name
        for f in template.of_type("AWS::Lambda::Function").values()
        for name in f["Environment"]["Variables"]
    }
    assert read <= provided, f"set on no function: {sorted(read - provided)}"


def test_per_stage_sizes_and_retention(template: Template, params: dict[str, Any]) -> None:
    assert template.props("ApiLambdaFunction")["MemorySize"] == params["apiMemoryMb"]
    assert template.props("ConsumerLambdaFunction")["MemorySize"] == params["consumerMemoryMb"]
    for name, group in template.of_type("AWS::Logs::LogGroup").items():
        assert group["RetentionInDays"] == params["logRetentionDays"], name


def test_function_artifacts_hold_the_bundled_handler(
    packaged: dict[str, Packaged], stage: str, serverless_config: dict[str, Any]
) -> None:
    """Each function's zip holds its handler in the built extension, and none of another function's files."""
    extension = serverless_config["custom"]["esbuild"].get("outputFileExtension", ".js")
    template = packaged[stage].template
    functions = template.of_type("AWS::Lambda::Function")
    folders = {name: function["Handler"].rsplit("/", 1)[0] + "/" for name, function in functions.items()}
    for name, function in functions.items():
        handler_file = function["Handler"].rsplit(".", 1)[0] + extension
        artifact = packaged[stage].directory / function["Code"]["S3Key"].rsplit("/", 1)[1]
        with zipfile.ZipFile(artifact) as bundle:
            files = bundle.namelist()
        assert handler_file in files, f"{name}: {files}"
        foreign = [folder for other, folder in folders.items() if other != name]
        others = [f for f in files if f.startswith(tuple(foreign))]
        assert not others, f"{name} also packages another function's files: {others}"


# --- IAM ------------------------------------------------------------------------------------------


def test_no_policy_allows_a_wildcard_action(template: Template) -> None:
    offending = [
        (s.owner, s.sid, action)
        for s in template.statements()
        if s.effect == "Allow"
        for action in s.actions
        if not isinstance(action, str) or "*" in action
    ]
    assert not offending
    assert not [s for s in template.statements() if s.effect == "Allow" and "NotAction" in s.raw]


def test_roles_name_their_resources(template: Template) -> None:
    for role in template.of_type("AWS::IAM::Role"):
        for statement in template.role_statements(role):
            assert "NotResource" not in statement.raw, (role, statement.sid)
            if "*" in statement.resources:
                assert statement.resources == ("*",)
                assert set(statement.actions) <= ACTIONS_WITHOUT_RESOURCE_TYPE, (role, statement.sid)


TRACES = {("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")}


def test_api_role_grants_exactly_what_the_api_uses(template: Template) -> None:
    kms = {("kms:GenerateDataKey", "IngestKey"), ("kms:Decrypt", "IngestKey")}
    assert (
        template.grants("ApiRole")
        == {
            ("logs:CreateLogStream", "ApiLogGroup"),
            ("logs:PutLogEvents", "ApiLogGroup"),
            ("sns:Publish", "PurchasesTopic"),
            ("dynamodb:GetItem", "PurchasesTable"),
            ("dynamodb:GetItem", "IdempotencyTable"),
            ("dynamodb:PutItem", "IdempotencyTable"),
            ("dynamodb:UpdateItem", "IdempotencyTable"),
            ("dynamodb:DeleteItem", "IdempotencyTable"),
        }
        | kms
        | TRACES
    )


def test_consumer_role_grants_exactly_what_the_consumer_uses(template: Template) -> None:
    kms = {("kms:GenerateDataKey", "IngestKey"), ("kms:Decrypt", "IngestKey")}
    assert (
        template.grants("ConsumerRole")
        == {
            ("logs:CreateLogStream", "ConsumerLogGroup"),
            ("logs:PutLogEvents", "ConsumerLogGroup"),
            ("sqs:ReceiveMessage", "PurchasesQueue"),
            ("sqs:DeleteMessage", "PurchasesQueue"),
            ("sqs:GetQueueAttributes", "PurchasesQueue"),
            ("sqs:ChangeMessageVisibility", "PurchasesQueue"),
            ("sqs:SendMessage", "PurchasesDlq"),
            ("dynamodb:PutItem", "PurchasesTable"),
            ("dynamodb:BatchWriteItem", "PurchasesTable"),
            ("dynamodb:GetItem", "PurchasesTable"),
        }
        | kms
        | TRACES
    )


def test_functions_may_use_the_keys_of_what_they_touch(template: Template) -> None:
    def key_of(logical_id: str) -> str | None:
        props = template.props(logical_id)
        key = props.get("KmsMasterKeyId") or props.get("SSESpecification", {}).get("KMSMasterKeyId")
        return ref_target(key)

    def keys_granted(role: str) -> set[str]:
        return {target for action, target in template.grants(role) if action == "kms:Decrypt"}

    for role, touched in {
        "ApiRole": ["PurchasesTopic", "PurchasesTable", "IdempotencyTable"],
        "ConsumerRole": ["PurchasesQueue", "PurchasesDlq", "PurchasesTable"],
    }.items():
        keys = {key_of(resource) for resource in touched}
        assert None not in keys
        assert keys <= keys_granted(role), role


def test_spark_job_role_reaches_only_the_lake(template: Template) -> None:
    lake = {"BronzeBucket", "SilverBucket", "GoldBucket", "ArtifactsBucket", "LakeKey"}
    grants = template.grants("SparkJobRole")
    assert {target for _, target in grants} <= lake
    assert {action.split(":")[0] for action, _ in grants} == {"s3", "kms"}


# --- Encryption and public access -----------------------------------------------------------------


def test_every_store_is_encrypted(template: Template) -> None:
    for name, bucket in template.of_type("AWS::S3::Bucket").items():
        rules = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"}, name
    for name, queue in template.of_type("AWS::SQS::Queue").items():
        assert ref_target(queue.get("KmsMasterKeyId")) is not None, name
    for name, topic in template.of_type("AWS::SNS::Topic").items():
        assert ref_target(topic.get("KmsMasterKeyId")) is not None, name
    for name, table in template.of_type("AWS::DynamoDB::Table").items():
        sse = table["SSESpecification"]
        assert sse["SSEEnabled"] is True, name
        assert sse["SSEType"] == "KMS", name
        assert ref_target(sse["KMSMasterKeyId"]) is not None, name
    for name, group in template.of_type("AWS::Logs::LogGroup").items():
        assert ref_target(group.get("KmsKeyId")) is not None, name
    for name, key in template.of_type("AWS::KMS::Key").items():
        assert key["EnableKeyRotation"] is True, name


def _bucket_arn(resource: Any) -> tuple[str | None, bool]:
    """(logical id of the bucket, whether the ARN is of its objects) for an ARN in a bucket policy."""
    if isinstance(resource, dict) and "Fn::Join" in resource:
        parts = resource["Fn::Join"][1]
        bucket = next(
            (ref_target(p) for p in parts if ref_target(p) and not ref_target(p).startswith("AWS::")), None
        )
        return bucket, parts[-1] == "/*"
    text = resource.get("Fn::Sub", "") if isinstance(resource, dict) else ""
    return ref_target(resource), text.endswith("/*")


def _denies_plain_http(statement: dict[str, Any], bucket: str) -> bool:
    condition = statement.get("Condition", {}).get("Bool", {})
    arns = {_bucket_arn(r) for r in as_list(statement["Resource"])}
    return (
        statement["Effect"] == "Deny"
        and statement["Principal"] in ("*", {"AWS": "*"})
        and "s3:*" in as_list(statement["Action"])
        and str(condition.get("aws:SecureTransport")).lower() == "false"
        and {(bucket, False), (bucket, True)} <= arns
    )


def test_every_bucket_blocks_public_access_and_denies_plain_http(template: Template) -> None:
    policies = template.of_type("AWS::S3::BucketPolicy")
    for name, bucket in template.of_type("AWS::S3::Bucket").items():
        block = bucket["PublicAccessBlockConfiguration"]
        assert all(
            block[k] is True
            for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        ), name
        statements = [
            s
            for policy in policies.values()
            if ref_target(policy["Bucket"]) == name
            for s in as_list(policy["PolicyDocument"]["Statement"])
        ]
        assert any(_denies_plain_http(s, name) for s in statements), name


def test_lake_buckets_are_versioned_logged_and_age_out(template: Template) -> None:
    buckets = ("BronzeBucket", "SilverBucket", "GoldBucket", "ArtifactsBucket", "AthenaResultsBucket")
    for name in (*buckets, "AccessLogsBucket"):
        bucket = template.props(name)
        assert bucket["VersioningConfiguration"]["Status"] == "Enabled", name
        rules = bucket["LifecycleConfiguration"]["Rules"]
        assert rules, name
        assert all(rule["Status"] == "Enabled" for rule in rules), name
        if name != "AccessLogsBucket":
            logging = bucket["LoggingConfiguration"]
            assert ref_target(logging["DestinationBucketName"]) == "AccessLogsBucket", name


# --- Messaging ------------------------------------------------------------------------------------


def test_consumer_event_source_reports_batch_item_failures(
    template: Template, stack: dict[str, Any], params: dict[str, Any]
) -> None:
    mappings = template.of_type("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 1
    (mapping,) = mappings.values()
    assert ref_target(mapping["FunctionName"]) == "ConsumerLambdaFunction"
    assert ref_target(mapping["EventSourceArn"]) == "PurchasesQueue"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == stack["settings"]["consumerBatchSize"]
    assert mapping["MaximumBatchingWindowInSeconds"] == stack["settings"]["consumerBatchWindowSeconds"]
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == params["consumerMaxConcurrency"]


def test_visibility_timeout_is_at_least_six_times_the_consumer_timeout(template: Template) -> None:
    visibility = template.props("PurchasesQueue")["VisibilityTimeout"]
    timeout = template.props("ConsumerLambdaFunction")["Timeout"]
    assert visibility >= 6 * timeout, (visibility, timeout)


def test_queue_redrives_to_a_fourteen_day_dlq(template: Template, stack: dict[str, Any]) -> None:
    redrive = template.props("PurchasesQueue")["RedrivePolicy"]
    assert ref_target(redrive["deadLetterTargetArn"]) == "PurchasesDlq"
    assert redrive["maxReceiveCount"] == stack["settings"]["maxReceiveCount"]
    assert template.props("PurchasesDlq")["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_topic_feeds_the_queue_raw_and_only_the_topic_may_send(template: Template) -> None:
    (subscription,) = [
        s
        for s in template.of_type("AWS::SNS::Subscription").values()
        if ref_target(s["TopicArn"]) == "PurchasesTopic"
    ]
    assert subscription["Protocol"] == "sqs"
    assert ref_target(subscription["Endpoint"]) == "PurchasesQueue"
    assert subscription["RawMessageDelivery"] is True

    (policy,) = template.of_type("AWS::SQS::QueuePolicy").values()
    assert [ref_target(q) for q in policy["Queues"]] == ["PurchasesQueue"]
    (statement,) = as_list(policy["PolicyDocument"]["Statement"])
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert ref_target(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == "PurchasesTopic"


# --- Storage --------------------------------------------------------------------------------------


def test_purchases_table(template: Template, params: dict[str, Any]) -> None:
    table = template.props("PurchasesTable")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "purchase_id", "KeyType": "HASH"}]
    assert {"AttributeName": "purchase_id", "AttributeType": "S"} in table["AttributeDefinitions"]
    # No index: the lake reads an hour by incremental export (a filtered scan locally), not by a query.
    assert "GlobalSecondaryIndexes" not in table
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["DeletionProtectionEnabled"] is params["deletionProtection"]


def test_idempotency_table_has_the_powertools_layout(template: Template) -> None:
    table = template.props("IdempotencyTable")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_prod_data_is_protected_from_deletion(packaged: dict[str, Packaged]) -> None:
    template = packaged["prod"].template
    for name in ("PurchasesTable", "IdempotencyTable"):
        assert template.props(name)["DeletionProtectionEnabled"] is True
    for name, resource in template.resources.items():
        if resource["Type"] in {"AWS::DynamoDB::Table", "AWS::KMS::Key"} or name in {
            "BronzeBucket",
            "SilverBucket",
            "GoldBucket",
            "ArtifactsBucket",
        }:
            assert resource["DeletionPolicy"] == "Retain", name


# --- Alarms ---------------------------------------------------------------------------------------


def test_dlq_alarm_notifies_the_alerts_topic(template: Template, params: dict[str, Any]) -> None:
    dlq_alarms = [
        alarm
        for alarm in template.of_type("AWS::CloudWatch::Alarm").values()
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and ref_target(dimension(alarm_metrics(alarm)[0], "QueueName")) == "PurchasesDlq"
    ]
    assert len(dlq_alarms) == 1
    (alarm,) = dlq_alarms
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    assert {"Ref": "AlertsTopic"} in alarm["AlarmActions"]
    emails = [
        s
        for s in template.of_type("AWS::SNS::Subscription").values()
        if ref_target(s["TopicArn"]) == "AlertsTopic" and s["Protocol"] == "email"
    ]
    assert [s["Endpoint"] for s in emails] == [params["alarmEmail"]]


def test_every_alarm_and_failure_rule_notifies_the_alerts_topic(template: Template) -> None:
    for name, alarm in template.of_type("AWS::CloudWatch::Alarm").items():
        assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}], name
    for name, rule in template.of_type("AWS::Events::Rule").items():
        assert [ref_target(t["Arn"]) for t in rule["Targets"]] == ["AlertsTopic"], name


@pytest.mark.parametrize(
    ("namespace", "metric", "dimension_name", "target"),
    [
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "PurchasesDlq"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "PurchasesQueue"),
        ("AWS/Lambda", "Errors", "FunctionName", "ConsumerLambdaFunction"),
        ("AWS/Lambda", "Throttles", "FunctionName", "ConsumerLambdaFunction"),
        ("AWS/Lambda", "Errors", "FunctionName", "ApiLambdaFunction"),
        ("AWS/ApiGateway", "5xx", "ApiId", "HttpApi"),
        ("AWS/ApiGateway", "Latency", "ApiId", "HttpApi"),
        ("AWS/DynamoDB", "ReadThrottleEvents", "TableName", "PurchasesTable"),
        ("AWS/DynamoDB", "WriteThrottleEvents", "TableName", "PurchasesTable"),
        ("AWS/DynamoDB", "SystemErrors", "TableName", "PurchasesTable"),
        ("AWS/DynamoDB", "ReadThrottleEvents", "TableName", "IdempotencyTable"),
        ("AWS/DynamoDB", "WriteThrottleEvents", "TableName", "IdempotencyTable"),
        ("AWS/DynamoDB", "SystemErrors", "TableName", "IdempotencyTable"),
        ("AWS/SNS", "NumberOfNotificationsFailed", "TopicName", "PurchasesTopic"),
    ],
)
def test_failure_is_alarmed(
    template: Template, namespace: str, metric: str, dimension_name: str, target: str
) -> None:
    watched = [
        alarm
        for alarm in template.of_type("AWS::CloudWatch::Alarm").values()
        for m in alarm_metrics(alarm)
        if m["Namespace"] == namespace
        and m["MetricName"] == metric
        and ref_target(dimension(m, dimension_name)) == target
    ]
    assert watched, f"no alarm on {namespace} {metric} of {target}"


def test_lake_failures_are_alarmed(template: Template) -> None:
    environment = template.props("MwaaEnvironment")["Name"]
    alarms = template.of_type("AWS::CloudWatch::Alarm").values()
    assert any(
        m["Namespace"] == "AmazonMWAA"
        and m["MetricName"] == "SchedulerHeartbeat"
        and dimension(m, "Environment") == environment
        for alarm in alarms
        for m in alarm_metrics(alarm)
    )
    queries = [q["Expression"] for alarm in alarms for q in alarm.get("Metrics", []) if "Expression" in q]
    assert any("TaskInstanceFailures" in q and f"'{environment}'" in q for q in queries)

    rules = [rule["EventPattern"] for rule in template.of_type("AWS::Events::Rule").values()]
    crawlers = {template.props(c)["Name"] for c in ("SilverCrawler", "GoldCrawler")}
    assert any(
        r["source"] == ["aws.glue"]
        and r["detail"]["state"] == ["Failed"]
        and set(r["detail"]["crawlerName"]) == crawlers
        for r in rules
    )
    assert any(
        r["source"] == ["aws.emr-serverless"]
        and r["detail"]["state"] == ["FAILED"]
        and [ref_target(a) for a in r["detail"]["applicationId"]] == ["SparkApplication"]
        for r in rules
    )


def test_api_latency_alarm_watches_p99(template: Template, params: dict[str, Any]) -> None:
    (alarm,) = [
        a for a in template.of_type("AWS::CloudWatch::Alarm").values() if a.get("MetricName") == "Latency"
    ]
    assert alarm["ExtendedStatistic"] == "p99"
    assert alarm["Threshold"] == params["apiP99LatencyAlarmMs"]


# --- HTTP API -------------------------------------------------------------------------------------


def test_routes_match_the_openapi_operations(
    template: Template, openapi: dict[str, Any], params: dict[str, Any]
) -> None:
    operations = {
        f"{method.upper()} {path}": bool(operation.get("security", openapi.get("security")))
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }
    routes = {route["RouteKey"]: route for route in template.of_type("AWS::ApiGatewayV2::Route").values()}
    assert set(routes) == set(operations)

    ((authorizer_id, authorizer),) = template.of_type("AWS::ApiGatewayV2::Authorizer").items()
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["JwtConfiguration"] == {
        "Issuer": params["jwtIssuer"],
        "Audience": [params["jwtAudience"]],
    }
    for key, secured in operations.items():
        route = routes[key]
        if secured:
            assert route["AuthorizationType"] == "JWT", key
            assert ref_target(route["AuthorizerId"]) == authorizer_id, key
        else:
            assert route.get("AuthorizationType", "NONE") == "NONE", key


def test_route_scopes_are_those_openapi_requires(template: Template, openapi: dict[str, Any]) -> None:
    # API Gateway passes a token that carries any one of a route's scopes; openapi.yaml writes that as
    # one security requirement per scope.
    required = {
        f"{method.upper()} {path}": sorted(
            scope
            for requirement in operation.get("security", openapi.get("security", []))
            for scopes in requirement.values()
            for scope in scopes
        )
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }
    routes = {route["RouteKey"]: route for route in template.of_type("AWS::ApiGatewayV2::Route").values()}
    assert {key: sorted(route.get("AuthorizationScopes", [])) for key, route in routes.items()} == required
    assert required["POST /purchases"] == ["purchases:write"]
    assert required["GET /health"] == []


def test_api_stage_is_throttled_and_access_logged(template: Template, params: dict[str, Any]) -> None:
    (stage,) = template.of_type("AWS::ApiGatewayV2::Stage").values()
    settings = stage["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == params["apiThrottleRatePerSecond"]
    assert settings["ThrottlingBurstLimit"] == params["apiThrottleBurst"]
    assert ref_target(stage["AccessLogSettings"]["DestinationArn"]) == "HttpApiLogGroup"
    assert "$context.requestId" in stage["AccessLogSettings"]["Format"]


# --- Lake -----------------------------------------------------------------------------------------


def test_airflow_may_rerun_an_hour_and_wait_for_its_crawls(template: Template) -> None:
    """The calls the DAG makes on AWS beyond its operators' obvious ones: empty_hours deletes an hour's
    bronze objects before exporting it again, and GlueCrawlerOperator reads the crawl's metrics."""
    statements = list(template.role_statements("MwaaExecutionRole"))
    bronze = [s for s in statements if "s3:DeleteObject" in s.actions]
    assert [ref_target(r) for s in bronze for r in s.resources] == ["BronzeBucket"]
    metrics = [s for s in statements if "glue:GetCrawlerMetrics" in s.actions]
    assert [s.resources for s in metrics] == [("*",)]


def test_airflow_version_is_the_pinned_airflow_3(template: Template, stack: dict[str, Any]) -> None:
    environment = template.props("MwaaEnvironment")
    assert environment["AirflowVersion"] == stack["settings"]["airflowVersion"]
    assert environment["AirflowVersion"].startswith("3.")
    assert environment["WebserverAccessMode"] == "PRIVATE_ONLY"
    assert environment["DagS3Path"] == stack["settings"]["mwaaDagsPath"]
    assert ref_target(environment["SourceBucketArn"]) == "ArtifactsBucket"
    assert len({ref_target(s) for s in environment["NetworkConfiguration"]["SubnetIds"]}) == 2
    logging = environment["LoggingConfiguration"]
    assert all(logging[kind]["Enabled"] is True for kind in logging)


def test_airflow_gets_every_setting_the_lake_reads(template: Template) -> None:
    source = (ROOT / "dags/lake/config.py").read_text()
    read = set(re.findall(r"""_get\(env, "LAKE_([A-Z0-9_]+)"\)""", source)) - {"LOCAL_ROOT"}
    assert read, "dags/lake/config.py reads no LAKE_* setting"
    options = template.props("MwaaEnvironment")["AirflowConfigurationOptions"]
    assert {f"lake.{name.lower()}" for name in read} <= set(options)
    assert options["lake.engine"] == "emr-serverless"


def test_mwaa_installs_the_requirements_version_the_stage_parameter_holds(
    template: Template, stage: str, stack: dict[str, Any], serverless_config: dict[str, Any]
) -> None:
    parameter = template.body["Parameters"]["MwaaRequirementsVersion"]
    # Resolved from SSM by CloudFormation on every deploy: npm run deploy sets it, nothing committed does.
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    expected = stack["settings"]["mwaaRequirementsVersionParameter"]
    expected = expected.replace("${self:service}", serverless_config["service"]).replace(
        "${sls:stage}", stage
    )
    assert parameter["Default"] == expected
    environment = template.props("MwaaEnvironment")
    version = environment["RequirementsS3ObjectVersion"]["Fn::If"]
    assert version[0] == "HasMwaaRequirements"
    assert version[1] == {"Ref": "MwaaRequirementsVersion"}
    path = environment["RequirementsS3Path"]["Fn::If"]
    assert path[1] == stack["settings"]["mwaaRequirementsPath"]


def test_spark_runs_on_the_architecture_the_job_environment_is_built_for(
    template: Template, stack: dict[str, Any]
) -> None:
    application = template.props("SparkApplication")
    assert application["Architecture"] == stack["settings"]["emrArchitecture"]
    assert application["ReleaseLabel"] == stack["settings"]["emrReleaseLabel"]
    options = template.props("MwaaEnvironment")["AirflowConfigurationOptions"]
    assert options["lake.emr_python"] == f"/usr/bin/python{stack['settings']['sparkPython']}"


def test_airflow_version_matches_the_lake_pin(stack: dict[str, Any]) -> None:
    pins = (ROOT / "requirements/lake.in").read_text()
    match = re.search(r"^apache-airflow(?:\[[^\]]*\])?==([\w.]+)", pins, re.MULTILINE)
    assert match, "requirements/lake.in pins no apache-airflow version"
    assert match.group(1) == stack["settings"]["airflowVersion"]


def test_mwaa_subnets_are_private(template: Template) -> None:
    subnets = template.props("MwaaEnvironment")["NetworkConfiguration"]["SubnetIds"]
    routes = template.of_type("AWS::EC2::Route")
    associations = template.of_type("AWS::EC2::SubnetRouteTableAssociation")
    for subnet in (ref_target(s) for s in subnets):
        assert template.props(subnet)["MapPublicIpOnLaunch"] is False
        (table,) = [
            ref_target(a["RouteTableId"])
            for a in associations.values()
            if ref_target(a["SubnetId"]) == subnet
        ]
        default_routes = [r for r in routes.values() if ref_target(r["RouteTableId"]) == table]
        assert default_routes, subnet
        assert all("GatewayId" not in r for r in default_routes), subnet


def test_crawlers_catalog_silver_and_gold(template: Template) -> None:
    crawlers = template.of_type("AWS::Glue::Crawler")
    assert {ref_target(c["DatabaseName"]) for c in crawlers.values()} == {"LakeDatabase"}
    assert {ref_target(c["Role"]) for c in crawlers.values()} == {"CrawlerRole"}
    paths = {target["Path"]["Fn::Sub"] for c in crawlers.values() for target in c["Targets"]["S3Targets"]}
    assert paths == {"s3://${SilverBucket}/", "s3://${GoldBucket}/"}


def test_crawlers_are_started_by_the_dag_not_by_a_schedule(template: Template) -> None:
    # The DAG crawls a layer right after each publish (dags/lake/catalog.py), which is what keeps the
    # tables' partitions current for Athena; a schedule would only lag behind it.
    assert all("Schedule" not in c for c in template.of_type("AWS::Glue::Crawler").values())
    dag = (ROOT / "dags/purchases_lake.py").read_text() + (ROOT / "dags/lake/catalog.py").read_text()
    assert "GlueCrawlerOperator" in dag
    assert "catalog_task(" in dag


def test_athena_workgroup_enforces_encrypted_results_and_a_scan_cutoff(
    template: Template, params: dict[str, Any]
) -> None:
    [workgroup] = template.of_type("AWS::Athena::WorkGroup").values()
    settings = workgroup["WorkGroupConfiguration"]
    assert settings["EnforceWorkGroupConfiguration"] is True
    assert settings["BytesScannedCutoffPerQuery"] == params["athenaBytesScannedCutoffPerQuery"]
    assert settings["BytesScannedCutoffPerQuery"] >= 10 * 1024**2  # the least Athena accepts
    assert settings["PublishCloudWatchMetricsEnabled"] is True
    results = settings["ResultConfiguration"]
    assert results["OutputLocation"] == {"Fn::Sub": "s3://${AthenaResultsBucket}/results/"}
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert ref_target(results["EncryptionConfiguration"]["KmsKey"]) == "LakeKey"
    bucket = template.props("AthenaResultsBucket")
    [encryption] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert ref_target(encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == "LakeKey"
    expiring = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert expiring
    assert all("Prefix" not in r for r in expiring), "every result expires"


def test_the_contracts_athena_server_names_the_prod_workgroup_and_database(
    packaged: dict[str, Packaged],
) -> None:
    contract = yaml.safe_load((ROOT / "datacontract.yaml").read_text())
    [server] = [s for s in contract["servers"] if s["type"] == "athena"]
    template = packaged[server["environment"]].template
    [workgroup] = template.of_type("AWS::Athena::WorkGroup").values()
    assert server["workgroup"] == workgroup["Name"]
    assert server["schema"] == template.props("LakeDatabase")["DatabaseInput"]["Name"]


def test_outputs(template: Template) -> None:
    assert {
        "HttpApiUrl",
        "PurchasesTopicArn",
        "PurchasesQueueUrl",
        "PurchasesDlqUrl",
        "PurchasesTableName",
        "IdempotencyTableName",
        "BronzeBucketName",
        "SilverBucketName",
        "GoldBucketName",
        "ArtifactsBucketName",
        "GlueDatabaseName",
        "AthenaWorkGroupName",
        "EmrApplicationId",
        "MwaaEnvironmentName",
    } <= set(template.outputs)


# --- Names shared with the local stack ------------------------------------------------------------

# Where each name of resources/stack.yml lands in the template.
NAME_PROPERTIES = {
    "purchasesTopic": ("PurchasesTopic", "TopicName"),
    "purchasesQueue": ("PurchasesQueue", "QueueName"),
    "purchasesDlq": ("PurchasesDlq", "QueueName"),
    "purchasesTable": ("PurchasesTable", "TableName"),
    "idempotencyTable": ("IdempotencyTable", "TableName"),
    "alertsTopic": ("AlertsTopic", "TopicName"),
    "bronzeBucket": ("BronzeBucket", "BucketName"),
    "silverBucket": ("SilverBucket", "BucketName"),
    "goldBucket": ("GoldBucket", "BucketName"),
    "artifactsBucket": ("ArtifactsBucket", "BucketName"),
    "accessLogsBucket": ("AccessLogsBucket", "BucketName"),
    "athenaResultsBucket": ("AthenaResultsBucket", "BucketName"),
    "athenaWorkgroup": ("LakeWorkGroup", "Name"),
    "glueDatabase": ("LakeDatabase", "DatabaseInput.Name"),
    "silverCrawler": ("SilverCrawler", "Name"),
    "goldCrawler": ("GoldCrawler", "Name"),
    "emrApplication": ("SparkApplication", "Name"),
    "mwaaEnvironment": ("MwaaEnvironment", "Name"),
}


def name_in_template(template: Template, key: str) -> str:
    """The name NAME_PROPERTIES maps `key` to, with the account id CloudFormation fills in."""
    logical_id, path = NAME_PROPERTIES[key]
    value: Any = template.props(logical_id)
    for part in path.split("."):
        value = value[part]
    return render(value, {"AWS::AccountId": LOCAL_ACCOUNT_ID})


@pytest.mark.parametrize("packaged_stage", [*DEPLOYED_STAGES, LOCAL_STAGE])
def test_every_stage_uses_the_names_the_one_resolver_gives(
    packaged: dict[str, Packaged], stack: dict[str, Any], packaged_stage: str
) -> None:
    """What serverless packaged is what src/stack-names.ts gives the local stack, the lake and the deploy."""
    assert set(NAME_PROPERTIES) == set(stack["names"]), "map every stack.yml name to its resource here"
    expected = module_names(packaged_stage)
    template = packaged[packaged_stage].template
    assert {key: name_in_template(template, key) for key in NAME_PROPERTIES} == expected


def test_stage_params_cover_every_stage(serverless_config: dict[str, Any]) -> None:
    required = {
        "apiMemoryMb",
        "consumerMemoryMb",
        "logLevel",
        "logRetentionDays",
        "apiThrottleRatePerSecond",
        "apiThrottleBurst",
        "alarmEmail",
        "jwtIssuer",
        "jwtAudience",
        "deletionProtection",
        "athenaBytesScannedCutoffPerQuery",
    }
    for stage in ("dev", "staging", "prod"):
        assert {"alarmEmail", "jwtIssuer", "jwtAudience"} <= set(serverless_config["params"][stage]), stage
        assert required <= set(stage_params(serverless_config, stage)), stage
