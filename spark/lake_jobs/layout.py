"""Where each layer keeps its data, relative to a bucket root (s3://bucket or file:///dir).

The same layout holds on AWS and locally; only the roots differ. Each table lives in a folder named
after it in datacontract.yaml, which is also its Glue table name. Scratch folders start with an
underscore: the crawlers exclude them and Spark skips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

HOUR_FORMAT = "%Y-%m-%dT%H"


def hours_of(start: datetime, end: datetime) -> list[datetime]:
    """The UTC hours that begin inside [start, end)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("interval bounds must be timezone-aware")
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    hours, hour = [], first
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def hour_key(hour: datetime) -> str:
    """`YYYY-MM-DDTHH`, the form of `ingest_hour` and of the silver partition `bronze_hour`."""
    return hour.astimezone(UTC).strftime(HOUR_FORMAT)


def parse_hour_key(key: str) -> datetime:
    return datetime.strptime(key, HOUR_FORMAT).replace(tzinfo=UTC)


def bronze_hour_prefix(hour: datetime) -> str:
    """Key prefix of one hour of bronze, below the bronze bucket root."""
    h = hour.astimezone(UTC)
    return f"purchases/year={h:%Y}/month={h:%m}/day={h:%d}/hour={h:%H}/"


def join(root: str, *parts: str) -> str:
    return "/".join([root.rstrip("/"), *(p.strip("/") for p in parts)])


@dataclass(frozen=True)
class Tables:
    """Table folders (below a layer's root) and their contract names."""

    silver_purchases: str = "silver_purchases"
    gold_daily_product_sales: str = "gold_daily_product_sales"
    gold_buyer_summary: str = "gold_buyer_summary"
    gold_installment_mix: str = "gold_installment_mix"


TABLES = Tables()
SILVER_TABLES = {"silver_purchases": TABLES.silver_purchases}
GOLD_TABLES = {
    "gold_daily_product_sales": TABLES.gold_daily_product_sales,
    "gold_buyer_summary": TABLES.gold_buyer_summary,
    "gold_installment_mix": TABLES.gold_installment_mix,
}
# Partition columns of each table, outermost first (the contract's partitionKeyPosition order).
PARTITIONS = {
    "silver_purchases": ["bronze_hour", "purchase_year", "purchase_month"],
    "gold_daily_product_sales": ["sale_date"],
    "gold_buyer_summary": [],
    "gold_installment_mix": ["sale_month"],
}


def interval_key(start: datetime, end: datetime) -> str:
    """A file-name-safe name of an interval, for staging folders and run reports."""
    return f"{start.astimezone(UTC):%Y%m%dT%H%M}-{end.astimezone(UTC):%Y%m%dT%H%M}"


def staging_root(layer_root: str, start: datetime, end: datetime) -> str:
    return join(layer_root, "_staging", interval_key(start, end))


def quarantine_root(silver_root: str) -> str:
    return join(silver_root, "_quarantine", TABLES.silver_purchases)


def report_uri(layer_root: str, layer: str, start: datetime, end: datetime) -> str:
    return join(layer_root, "_reports", layer, f"{interval_key(start, end)}.json")
