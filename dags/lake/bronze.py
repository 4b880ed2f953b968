"""Bronze: each hour of the run's interval, from the purchases table to JSON under its hour's prefix.

On AWS the export is DynamoDB's native incremental export of the hour (its cost follows the items
written in that hour, not the table's size). Locally the emulator has no export, so the operator scans
the table for the hour's `ingest_hour`. Either way a line is one item in DynamoDB's typed JSON.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from lake_jobs import layout

from lake.config import LakeConfig

_serializer = TypeSerializer()


def dynamodb_json_line(item: dict[str, Any]) -> bytes:
    """An item as one line of the incremental export's format: numbers stay exact decimal strings.

    (The operator's default writes a Decimal as a float, which would round amounts.)
    """
    image = {name: _serializer.serialize(value) for name, value in item.items()}
    keys = {"purchase_id": image["purchase_id"]} if "purchase_id" in image else {}
    return (json.dumps({"Keys": keys, "NewImage": image}, sort_keys=True) + "\n").encode("utf-8")


def hour_exports(config: LakeConfig, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """DynamoDBToS3Operator arguments for each hour of [start, end), one mapped export per hour."""
    exports = []
    for hour in layout.hours_of(start, end):
        prefix = layout.bronze_hour_prefix(hour)
        if config.is_local:
            exports.append(
                {
                    "s3_key_prefix": prefix,
                    "dynamodb_scan_kwargs": {
                        "FilterExpression": "ingest_hour = :hour",
                        "ExpressionAttributeValues": {":hour": layout.hour_key(hour)},
                    },
                }
            )
        else:
            # The export adds "/AWSDynamoDB/<export id>/data/..." to its prefix: without the hour's
            # trailing slash, so that the hour's files sit right below it, where silver looks for them.
            exports.append(
                {
                    "s3_key_prefix": prefix.rstrip("/"),
                    "export_table_to_point_in_time_kwargs": {
                        "ExportType": "INCREMENTAL_EXPORT",
                        "IncrementalExportSpecification": {
                            "ExportFromTime": hour,
                            "ExportToTime": hour + timedelta(hours=1),
                            "ExportViewType": "NEW_IMAGE",
                        },
                    },
                }
            )
    return exports
