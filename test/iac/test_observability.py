"""Abuse, capacity and observability of every deployed stage: the health route's throttle, the API's
reserved concurrency, X-Ray tracing, the dashboard, the rate and duration alarms, the lake's logs, and
what a prod stack keeps when it goes."""

from __future__ import annotations

import json
import re
from typing import Any

from cfn import Template, as_list, ref_target
from conftest import ROOT, Packaged

# AWS keeps at least this much of an account's concurrency unreserved, and this is the quota a new
# account starts with.
UNRESERVED_MINIMUM = 100
ACCOUNT_CONCURRENCY = 1000


def _stage(template: Template) -> dict[str, Any]:
    (stage,) = template.of_type("AWS::ApiGatewayV2::Stage").values()
    return stage


# --- Abuse and capacity ---------------------------------------------------------------------------


def test_health_route_has_its_own_throttle_below_the_stages(
    template: Template, stack: dict[str, Any], params: dict[str, Any]
) -> None:
    routes = {r["RouteKey"]: name for name, r in template.of_type("AWS::ApiGatewayV2::Route").items()}
    (stage_id,) = template.of_type("AWS::ApiGatewayV2::Stage")
    health = _stage(template)["RouteSettings"]["GET /health"]
    assert health["ThrottlingRateLimit"] == stack["settings"]["healthThrottleRatePerSecond"]
    assert health["ThrottlingBurstLimit"] == stack["settings"]["healthThrottleBurst"]
    assert health["ThrottlingRateLimit"] < params["apiThrottleRatePerSecond"]
    assert health["ThrottlingBurstLimit"] < params["apiThrottleBurst"]
    assert set(_stage(template)["RouteSettings"]) <= set(routes)
    # API Gateway refuses route settings for a route that does not exist yet.
    assert routes["GET /health"] in as_list(template.resources[stage_id]["DependsOn"])


def test_api_concurrency_is_reserved_in_prod_by_littles_law(
    template: Template, stage: str, params: dict[str, Any]
) -> None:
    api = template.props("ApiLambdaFunction")
    if stage != "prod":
        assert "ReservedConcurrentExecutions" not in api
        return
    reserved = api["ReservedConcurrentExecutions"]
    assert reserved == params["apiReservedConcurrency"]
    # At most what the throttle lets in while every request runs to the timeout (rate x time) ...
    assert reserved <= params["apiThrottleRatePerSecond"] * api["Timeout"]
    # ... and no more than the account can give while the consumer and the unreserved minimum keep theirs.
    assert reserved + params["consumerMaxConcurrency"] + UNRESERVED_MINIMUM <= ACCOUNT_CONCURRENCY
    # Enough to serve the whole throttle at a latency well above a normal request's.
    assert reserved / params["apiThrottleRatePerSecond"] >= 1.0


# --- Tracing --------------------------------------------------------------------------------------


def test_functions_are_traced_and_may_send_their_traces(template: Template) -> None:
    for name, function in template.of_type("AWS::Lambda::Function").items():
        assert function["TracingConfig"] == {"Mode": "Active"}, name
        role = ref_target(function["Role"])
        sends = [
            s
            for s in template.role_statements(role)
            if {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= set(s.actions)
        ]
        assert [s.resources for s in sends] == [("*",)], name


def test_tracer_is_pinned_with_the_other_powertools_packages() -> None:
    dependencies = json.loads((ROOT / "package.json").read_text())["dependencies"]
    powertools = {n: v for n, v in dependencies.items() if n.startswith("@aws-lambda-powertools/")}
    assert "@aws-lambda-powertools/tracer" in powertools
    assert len(set(powertools.values())) == 1, powertools
    assert re.fullmatch(r"\d+\.\d+\.\d+", dependencies["@aws-lambda-powertools/tracer"])


def test_every_sdk_client_of_the_functions_is_traced() -> None:
    for source in sorted((ROOT / "src/clients").glob("*.ts")):
        text = source.read_text()
        created = re.findall(r"new (\w+Client)\(|(\w+Client)\.from\(", text)
        assert created, source.name
        assert text.count("traced(") == len(created), f"{source.name}: a client is not wrapped in traced()"


# --- Dashboard ------------------------------------------------------------------------------------


def _dashboard(template: Template) -> tuple[str, dict[str, Any]]:
    (dashboard,) = template.of_type("AWS::CloudWatch::Dashboard").values()
    return dashboard["DashboardName"], json.loads(dashboard["DashboardBody"]["Fn::Sub"])


def _widget_metrics(body: dict[str, Any]) -> tuple[set[tuple[str, str, str, str]], list[str]]:
    """(namespace, metric, dimension name, dimension value) of every plain metric, and every query."""
    plain, queries = set(), []
    for widget in body["widgets"]:
        for line in widget["properties"].get("metrics", []):
            if isinstance(line[0], dict):
                queries.append(line[0]["expression"])
                continue
            fields = [f for f in line if isinstance(f, str)]
            namespace, metric, *dimensions = fields
            for name, value in zip(dimensions[::2], dimensions[1::2], strict=True):
                plain.add((namespace, metric, name, value))
    return plain, queries


def test_each_stage_has_a_dashboard_of_its_service_and_lake(
    template: Template, stage: str, serverless_config: dict[str, Any]
) -> None:
    name, body = _dashboard(template)
    assert name == f"{serverless_config['service']}-{stage}"
    plain, queries = _widget_metrics(body)
    expected = [
        ("AWS/ApiGateway", "Count", "ApiId", "${HttpApi}"),
        ("AWS/ApiGateway", "4xx", "ApiId", "${HttpApi}"),
        ("AWS/ApiGateway", "5xx", "ApiId", "${HttpApi}"),
        ("AWS/ApiGateway", "Latency", "ApiId", "${HttpApi}"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${PurchasesQueue.QueueName}"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "${PurchasesQueue.QueueName}"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${PurchasesDlq.QueueName}"),
        ("AWS/Lambda", "Errors", "FunctionName", "${ConsumerLambdaFunction}"),
        ("AWS/Lambda", "Duration", "FunctionName", "${ConsumerLambdaFunction}"),
        ("AWS/DynamoDB", "ReadThrottleEvents", "TableName", "${PurchasesTable}"),
        ("AWS/DynamoDB", "WriteThrottleEvents", "TableName", "${PurchasesTable}"),
        ("AWS/DynamoDB", "ReadThrottleEvents", "TableName", "${IdempotencyTable}"),
        ("AWS/DynamoDB", "WriteThrottleEvents", "TableName", "${IdempotencyTable}"),
    ]
    assert not [m for m in expected if m not in plain]
    latency_stats = {
        line[-1].get("stat")
        for widget in body["widgets"]
        for line in widget["properties"].get("metrics", [])
        if "Latency" in line
    }
    assert "p99" in latency_stats
    # The lake's outcomes: Airflow's failed tasks of this environment, the Spark application's failed jobs.
    assert any("TaskInstanceFailures" in q and "'${MwaaEnvironment}'" in q for q in queries)
    assert any("FailedJobs" in q and "'${SparkApplication}'" in q for q in queries)
    # Every name the body substitutes is a resource of the stack (or the region).
    substituted = set(re.findall(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z]+)?\}", json.dumps(body)))
    assert substituted - {"AWS::Region"} <= set(template.resources)
    assert all(w["properties"].get("region") == "${AWS::Region}" for w in body["widgets"])


# --- Alarms ---------------------------------------------------------------------------------------


def test_api_4xx_rate_is_alarmed(template: Template, params: dict[str, Any]) -> None:
    def counts_4xx(alarm: dict[str, Any]) -> bool:
        metrics = [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
        return any(m["MetricName"] == "4xx" for m in metrics)

    (alarm,) = [a for a in template.of_type("AWS::CloudWatch::Alarm").values() if counts_4xx(a)]
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    (result,) = [q for q in alarm["Metrics"] if q["ReturnData"]]
    counted = {
        q["MetricStat"]["Metric"]["MetricName"]: q["Id"]
        for q in alarm["Metrics"]
        if "MetricStat" in q and ref_target(q["MetricStat"]["Metric"]["Dimensions"][0]["Value"]) == "HttpApi"
    }
    assert set(counted) == {"Count", "4xx"}
    # A rate: the 4xx count over the request count, in percent.
    assert f"100 * FILL({counted['4xx']}, 0) / {counted['Count']}" in result["Expression"]
    assert set(re.findall(r"\b[a-z][a-z0-9]*\b", result["Expression"])) - {"if"} <= set(queries) | {"fill"}
    assert alarm["Threshold"] == params["api4xxRateAlarmPercent"]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]


def test_consumer_duration_near_its_timeout_is_alarmed(template: Template) -> None:
    timeout_ms = template.props("ConsumerLambdaFunction")["Timeout"] * 1000
    (alarm,) = [
        a
        for a in template.of_type("AWS::CloudWatch::Alarm").values()
        if a.get("MetricName") == "Duration"
        and ref_target(a["Dimensions"][0]["Value"]) == "ConsumerLambdaFunction"
    ]
    assert alarm.get("Statistic") == "Maximum" or alarm.get("ExtendedStatistic") == "p99"
    assert alarm["Threshold"] == 0.8 * timeout_ms
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]


# --- The lake's logs ------------------------------------------------------------------------------


def test_spark_logs_are_configured_on_the_application(template: Template) -> None:
    monitoring = template.props("SparkApplication")["MonitoringConfiguration"]
    s3 = monitoring["S3MonitoringConfiguration"]
    assert s3["LogUri"] == {"Fn::Sub": "s3://${ArtifactsBucket}/emr-logs/"}
    assert ref_target(s3["EncryptionKeyArn"]) == "LakeKey"
    assert monitoring["ManagedPersistenceMonitoringConfiguration"] == {"Enabled": True}
    # The DAG's job runs name the same place, so a run's override cannot send logs elsewhere.
    options = template.props("MwaaEnvironment")["AirflowConfigurationOptions"]
    assert options["lake.emr_logs_uri"] == s3["LogUri"]
    # The jobs may write there, and the logs expire with the stage's retention.
    writes = [s for s in template.role_statements("SparkJobRole") if "s3:PutObject" in s.actions]
    assert {"Fn::Sub": "${ArtifactsBucket.Arn}/emr-logs/*"} in [r for s in writes for r in s.resources]
    rules = template.props("ArtifactsBucket")["LifecycleConfiguration"]["Rules"]
    assert any(r.get("Prefix") == "emr-logs/" and "ExpirationInDays" in r for r in rules)


def test_crawlers_log_to_the_stages_own_group(template: Template, params: dict[str, Any]) -> None:
    crawlers = template.of_type("AWS::Glue::Crawler").values()
    assert {ref_target(c["CrawlerSecurityConfiguration"]) for c in crawlers} == {"LakeSecurityConfiguration"}
    encryption = template.props("LakeSecurityConfiguration")["EncryptionConfiguration"]
    # CloudWatch encryption in the security configuration is what sends crawler logs to their own group.
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    (group,) = [
        g
        for g in template.of_type("AWS::Logs::LogGroup").values()
        if "/aws-glue/" in json.dumps(g["LogGroupName"])
    ]
    role = template.props("CrawlerRole")["RoleName"]
    configuration = template.props("LakeSecurityConfiguration")["Name"]
    assert group["LogGroupName"] == f"/aws-glue/crawlers-role/{role}-{configuration}"
    assert group["RetentionInDays"] == params["logRetentionDays"]
    assert ref_target(group["KmsKeyId"]) == "LakeKey"
    writes = [s for s in template.role_statements("CrawlerRole") if "logs:PutLogEvents" in s.actions]
    assert any(":log-group:/aws-glue/crawlers*" in json.dumps(r) for s in writes for r in s.resources)


# --- What a stage keeps ---------------------------------------------------------------------------


def test_prod_keeps_its_queues_and_logs_and_other_stages_do_not(packaged: dict[str, Packaged]) -> None:
    for stage, policy in (("prod", "Retain"), ("dev", "Delete"), ("staging", "Delete")):
        template = packaged[stage].template
        kept = {
            name: resource
            for name, resource in template.resources.items()
            if resource["Type"] in {"AWS::Logs::LogGroup", "AWS::SQS::Queue"}
        }
        assert len(kept) >= 11, sorted(kept)
        for name, resource in kept.items():
            assert resource.get("DeletionPolicy") == policy, (stage, name)
            assert resource.get("UpdateReplacePolicy") == policy, (stage, name)
