"""Bronze to silver: parse, validate against the contract, cast, dedupe and enrich.

Bronze holds DynamoDB's typed JSON, one item per line (`{"Keys": ..., "NewImage": {"attr": {"S"|"N": ...}}}`),
the line format of DynamoDB's incremental export. Every value arrives as text, so amounts are cast to
decimal without ever passing through a binary float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

# One attribute of a DynamoDB item in DynamoDB JSON; the contract's fields are strings and numbers.
_ATTRIBUTE = StructType(
    [
        StructField("S", StringType()),
        StructField("N", StringType()),
        StructField("NULL", BooleanType()),
    ]
)


def line_schema(fields: list[str]) -> StructType:
    """The line's schema: the stored record's fields as attributes (a struct parses faster than a map)."""
    image = StructType([StructField(name, _ATTRIBUTE) for name in fields])
    keys = StructType([StructField("purchase_id", _ATTRIBUTE)])
    return StructType([StructField("Keys", keys), StructField("NewImage", image)])


# ISO 8601 with an explicit offset: a timestamp without one would be read in the session's zone.
_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_HOUR_FROM_PATH = r"year=[0-9]{4}/month=[0-9]{2}/day=[0-9]{2}/hour=[0-9]{2}/"
# Where each part of the hour sits in a match of _HOUR_FROM_PATH (1-based, as substring counts).
_HOUR_PARTS = ((6, 4), (17, 2), (24, 2), (32, 2))


@dataclass(frozen=True)
class FieldRule:
    """What the contract says about one field of the stored record."""

    name: str
    data_type: DataType
    required: bool
    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: Any = None
    exclusive_maximum: Any = None
    pattern: str | None = None


def field_rules(record_schema: dict, silver_schema: dict, silver_struct: StructType) -> list[FieldRule]:
    """Rules for each field of the stored record, from the JSON Schemas of the record and of silver.

    A field must satisfy both: the record's schema says what the producer promises, silver's what
    readers of silver are promised (silver, for one, requires `stored_at`).
    """
    types = {f.name: f.dataType for f in silver_struct.fields}
    required = set(record_schema.get("required", [])) | set(silver_schema.get("required", []))
    rules = []
    for name, prop in record_schema["properties"].items():
        silver_prop = silver_schema["properties"].get(name, {})
        merged = {**prop, **{k: v for k, v in silver_prop.items() if v is not None}}
        rules.append(
            FieldRule(
                name=name,
                data_type=types.get(name, StringType()),
                required=name in required,
                minimum=merged.get("minimum"),
                maximum=merged.get("maximum"),
                exclusive_minimum=merged.get("exclusiveMinimum"),
                exclusive_maximum=merged.get("exclusiveMaximum"),
                pattern=merged.get("pattern"),
            )
        )
    return rules


def parse_lines(lines: DataFrame, fields: list[str]) -> DataFrame:
    """Lines of bronze (`value`, `file`) to one row per line with the item's attributes.

    Adds `bronze_hour` (from the file's hour=... folders), `record` (the line), `is_delete` (an
    incremental export's line for a deleted item: keys without a new image) and `malformed`.
    """
    # One match per line, cut at fixed offsets: a regular expression per part cost four times as much.
    matched = lines.select("value", "file", F.regexp_extract("file", _HOUR_FROM_PATH, 0).alias("_folders"))
    year, month, day, hour = (F.substring("_folders", start, length) for start, length in _HOUR_PARTS)
    parsed = matched.select(
        F.col("value").alias("record"),
        F.col("file").alias("source_file"),
        F.concat(year, F.lit("-"), month, F.lit("-"), day, F.lit("T"), hour).alias("bronze_hour"),
        F.from_json("value", line_schema(fields)).alias("item"),
    )
    no_image = F.col("item.NewImage").isNull()
    return parsed.select(
        "record",
        "source_file",
        "bronze_hour",
        F.col("item.NewImage").alias("image"),
        (no_image & F.col("item.Keys").isNotNull()).alias("is_delete"),
        (F.col("item").isNull() | (no_image & F.col("item.Keys").isNull())).alias("malformed"),
    )


def _text(image: Column, name: str) -> Column:
    attribute = image.getField(name)
    return F.coalesce(attribute.getField("S"), attribute.getField("N"))


def _typed(raw: Column, data_type: DataType) -> Column:
    """The value cast to its contract type, or null when the text is not a value of that type.

    Casts are checked by a round trip or a second cast rather than a regular expression per value:
    validation is the hottest part of the silver job.
    """
    if isinstance(data_type, (LongType, IntegerType)):
        cast = raw.cast(data_type)
        # A cast truncates "7.5" to 7: only text that the integer prints back as is accepted.
        return F.when(cast.cast(StringType()) == raw, cast)
    if isinstance(data_type, DecimalType):
        exact = raw.cast(DecimalType(38, 18))
        cast = raw.cast(data_type)
        # A cast to decimal(p,2) rounds a third decimal away: only a lossless cast is accepted.
        return F.when(cast == exact, cast)
    if isinstance(data_type, DateType):
        return F.to_date(raw, "yyyy-MM-dd")
    if isinstance(data_type, TimestampType):
        return F.when(raw.rlike(_TIMESTAMP), raw.cast(TimestampType()))
    return raw.cast(data_type)


def _bound(value: Any, data_type: DataType) -> Column:
    if isinstance(data_type, DecimalType):
        return F.lit(Decimal(str(value))).cast(DecimalType(38, 18))
    return F.lit(value)


def _type_name(data_type: DataType) -> str:
    return data_type.simpleString()


# Between the messages of a row that breaks several rules.
REASON_SEPARATOR = "; "


def _broken() -> Column:
    """Whether a validated row breaks a rule: its `reason` is not empty."""
    return F.col("reason") != ""


def _reasons(violations: list[tuple[Column, str]]) -> Column:
    """The messages of the violated rules joined by "; ", or "" when a row breaks none.

    A string rather than an array: filtering an array of messages is evaluated row by row outside
    Spark's generated code, and it kept every projection it appeared in out of it too.
    """
    return F.concat_ws(
        REASON_SEPARATOR,
        *[F.when(F.coalesce(condition, F.lit(False)), F.lit(m)) for condition, m in violations],
    )


def _violations(rule: FieldRule, raw: Column, typed: Column) -> list[tuple[Column, str]]:
    name, t = rule.name, rule.data_type
    checks: list[tuple[Column, str]] = []
    if rule.required:
        checks.append((raw.isNull(), f"{name}: required but missing"))
    checks.append((raw.isNotNull() & typed.isNull(), f"{name}: not a valid {_type_name(t)}"))
    if rule.minimum is not None:
        checks.append((typed < _bound(rule.minimum, t), f"{name}: below the minimum {rule.minimum}"))
    if rule.maximum is not None:
        checks.append((typed > _bound(rule.maximum, t), f"{name}: above the maximum {rule.maximum}"))
    if rule.exclusive_minimum is not None:
        checks.append(
            (typed <= _bound(rule.exclusive_minimum, t), f"{name}: not above {rule.exclusive_minimum}")
        )
    if rule.exclusive_maximum is not None:
        checks.append(
            (typed >= _bound(rule.exclusive_maximum, t), f"{name}: not below {rule.exclusive_maximum}")
        )
    if rule.pattern is not None:
        checks.append((raw.isNotNull() & ~raw.rlike(rule.pattern), f"{name}: does not match {rule.pattern}"))
    return checks


def validate(items: DataFrame, rules: list[FieldRule]) -> DataFrame:
    """Typed columns for every rule's field plus `reason`: the rules a row breaks ("" when valid).

    The bronze line is kept only for rows that break a rule (the quarantine shows it); deletes (an
    incremental export lists deleted items, which are no purchases) are flagged, never accepted.
    """
    # Projections that each read the columns of the one before: the text of each field, its typed
    # value, the rules' reason, then the line kept for a broken row. Built as one projection, every
    # rule would repeat the cast it checks (measured: twice the time of the whole validation).
    text = {r.name: f"_text_{r.name}" for r in rules}
    texts = items.select(
        "source_file",
        "bronze_hour",
        "is_delete",
        "malformed",
        "record",
        *[_text(F.col("image"), r.name).alias(text[r.name]) for r in rules],
    )
    typed = texts.select("*", *[_typed(F.col(text[r.name]), r.data_type).alias(r.name) for r in rules])
    violations = [v for r in rules for v in _violations(r, F.col(text[r.name]), F.col(r.name))]
    reason = (
        F.when(F.col("is_delete"), F.lit(""))
        .when(F.col("malformed"), F.lit("record: not a DynamoDB JSON item"))
        .otherwise(_reasons(violations))
    )
    checked = typed.select(
        "source_file", "bronze_hour", "is_delete", "record", *[r.name for r in rules], reason.alias("reason")
    )
    return checked.select(
        "source_file",
        "bronze_hour",
        "is_delete",
        *[r.name for r in rules],
        "reason",
        F.when(_broken(), F.col("record")).alias("record"),
    )


def quarantined(settled: DataFrame) -> DataFrame:
    """Rows that break the contract, with why: what the quarantine location keeps."""
    return settled.filter(F.col("fate") == QUARANTINE).select(
        "bronze_hour",
        "reason",
        "record",
        "source_file",
    )


def derived_rules(record_schema: dict, silver_schema: dict, silver_struct: StructType) -> list[FieldRule]:
    """Rules of the columns silver derives (installment amount, date parts): silver's schema only."""
    properties = silver_schema["properties"].items()
    derived = {"properties": {k: v for k, v in properties if k not in record_schema["properties"]}}
    return field_rules(derived, silver_schema, silver_struct)


# What becomes of a bronze line (`fate` of a settled row).
SILVER, QUARANTINE, DUPLICATE, DELETE = "silver", "quarantine", "duplicate", "delete"


def settle(validated: DataFrame, derived: list[FieldRule], fields: list[str]) -> DataFrame:
    """Every validated line with its `fate`: silver, quarantine, duplicate (an older copy) or delete.

    One frame rather than a chain of filtered ones, because the job writes silver and the quarantine
    and counts every fate from it: it is computed once, with one shuffle for the dedupe.
    Dedupe keeps the latest stored copy of each accepted purchase (delivery upstream is at least
    once). The kept copy is enriched and checked against silver's derived rules (a 0.01 total in 12
    installments rounds to a 0.00 installment, which silver promises never to hold); `record` shows
    such a row's values. `source_file` is kept for quarantined rows only: nothing else reads it.
    """
    latest_first = Window.partitionBy("purchase_id", "_accepted").orderBy(
        F.col("stored_at").desc_nulls_last(),
        F.col("received_at").desc_nulls_last(),
        F.col("bronze_hour").desc(),
    )
    ranked = validated.withColumn("_accepted", ~_broken() & ~F.col("is_delete")).withColumn(
        "_copy", F.row_number().over(latest_first)
    )
    kept = F.col("_accepted") & (F.col("_copy") == 1)
    violations = [v for r in derived for v in _violations(r, F.col(r.name).cast("string"), F.col(r.name))]
    checked = (
        enrich(ranked)
        .withColumn("reason", F.when(kept, _reasons(violations)).otherwise(F.col("reason")))
        .withColumn(
            "record",
            F.when(kept & _broken(), F.to_json(F.struct(*fields))).otherwise(F.col("record")),
        )
    )
    fate = (
        F.when(F.col("is_delete"), F.lit(DELETE))
        .when(_broken(), F.lit(QUARANTINE))
        .when(F.col("_copy") > 1, F.lit(DUPLICATE))
        .otherwise(F.lit(SILVER))
    )
    return (
        checked.withColumn("fate", fate)
        .withColumn("source_file", F.when(F.col("fate") == QUARANTINE, F.col("source_file")))
        .drop("_accepted", "_copy")
    )


def fate_counts(settled: DataFrame) -> dict[str, int]:
    """How many lines met each fate (zero for none), counted in one pass."""
    counts = {fate: 0 for fate in (SILVER, QUARANTINE, DUPLICATE, DELETE)}
    counts.update({r["fate"]: r["count"] for r in settled.groupBy("fate").count().collect()})
    return counts


def enrich(rows: DataFrame) -> DataFrame:
    """The columns silver adds: installment amount and the purchase date's parts."""
    return (
        rows.withColumn(
            "installment_amount",
            # Decimal rounding in Spark is half up; the division stays in decimal arithmetic.
            F.round(F.col("total_amount") / F.col("number_of_installments"), 2),
        )
        .withColumn("purchase_year", F.year("purchase_date"))
        .withColumn("purchase_month", F.month("purchase_date"))
        .withColumn("purchase_day", F.dayofmonth("purchase_date"))
        # dayofweek counts from Sunday = 1; the contract's ISO weekday counts from Monday = 1.
        .withColumn("purchase_weekday", ((F.dayofweek("purchase_date") + 5) % 7) + 1)
    )


def conform(rows: DataFrame, schema: StructType) -> DataFrame:
    """Exactly the contract's columns, in its order and with its types."""
    return rows.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])


def to_silver(
    items: DataFrame, rules: list[FieldRule], derived: list[FieldRule], schema: StructType
) -> tuple[DataFrame, DataFrame]:
    """(silver rows, quarantined rows) for parsed bronze items."""
    settled = settle(validate(items, rules), derived, [r.name for r in rules])
    return conform(settled.filter(F.col("fate") == SILVER), schema), quarantined(settled)
