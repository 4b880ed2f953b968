"""The on-failure alert: a message to the alerts topic (SNS) naming the task, interval and error."""

from __future__ import annotations

import logging
from collections.abc import Callable

from airflow.providers.amazon.aws.hooks.sns import SnsHook
from airflow.sdk import Context

from lake.config import LakeConfig

log = logging.getLogger(__name__)


def alert_message(context: Context) -> tuple[str, str]:
    """(subject, message) for a failed task's callback context."""
    ti = context["ti"]
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    error = context.get("exception")
    subject = f"purchases lake: {ti.task_id} failed"
    message = (
        f"Lake task {ti.dag_id}.{ti.task_id} failed for the interval {start} to {end} "
        f"(try {ti.try_number}, run {context.get('run_id')}): {error or 'see the task log'}"
    )
    return subject, message


def failure_alert(config: LakeConfig) -> Callable[[Context], None]:
    def notify(context: Context) -> None:
        subject, message = alert_message(context)
        # SNS subjects are limited to 100 characters.
        SnsHook(aws_conn_id=config.aws_conn_id, region_name=config.region).publish_to_target(
            target_arn=config.alerts_topic_arn, message=message, subject=subject[:100]
        )
        log.info("alert sent to %s: %s", config.alerts_topic_arn, subject)

    return notify
