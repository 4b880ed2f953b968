"""Bronze to silver: parse, validate against the contract, cast, dedupe and enrich.

Bronze holds DynamoDB's typed JSON, one item per line (`{"Keys": ..., "NewImage": {"attr": {"S"|"N": ...}}}`),
the line format of DynamoDB's incremental export. Every value arrives as text, so amounts are cast to
decimal without ever passing through a binary float.
"""

from __future__ import annotations

import re
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

# The types of a DynamoDB attribute value, as a reason names what a field holds. Each is read as text
# (a list, map or set as its JSON), so that a field is read only from the type its contract stores.
_DYNAMODB_TYPES = {
    "S": "a string",
    "N": "a number",
    "BOOL": "a boolean",
    "NULL": "null",
    "B": "binary",
    "L": "a list",
    "M": "a map",
    "SS": "a string set",
    "NS": "a number set",
    "BS": "a binary set",
}
_ATTRIBUTE = StructType([StructField(key, StringType()) for key in _DYNAMODB_TYPES])

# The DynamoDB type that stores each JSON Schema type of the contract.
_STORED_AS = {"string": "S", "integer": "N", "number": "N", "boolean": "BOOL"}
# The Spark type of a record field that silver does not keep.
_SPARK_TYPES = {
    "string": StringType(),
    "integer": LongType(),
    "number": DecimalType(38, 18),
    "boolean": BooleanType(),
}


def line_schema(fields: list[str]) -> StructType:
    """The line's schema: the stored record's fields as attributes (a struct parses faster than a map)."""
    image = StructType([StructField(name, _ATTRIBUTE) for name in fields])
    keys = StructType([StructField("purchase_id", _ATTRIBUTE)])
    return StructType([StructField("Keys", keys), StructField("NewImage", image)])


# ISO 8601 with an explicit offset: a timestamp without one would be read in the session's zone.
_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_HOUR_FROM_PATH = r"year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})/hour=([0-9]{2})/"

# Keywords of the exported JSON Schemas that constrain a value: each becomes a rule of silver.
_CONSTRAINTS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "format",
)
# Keywords that describe a field without constraining one value ("unique" is kept by the dedupe).
_ANNOTATIONS = {
    "type",
    "title",
    "description",
    "examples",
    "primaryKey",
    "unique",
    "classification",
    "tags",
    "pii",
}
# The formats a rule checks by a regular expression; date and date-time are checked by a strict cast.
_FORMAT_PATTERNS = {
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
}
_FORMATS = {"date", "date-time", *_FORMAT_PATTERNS}


@dataclass(frozen=True)
class FieldRule:
    """What the contract says about one field of the stored record.

    `stored_as` is the DynamoDB type that holds the field; `constraints` are the JSON Schema keywords
    and values that bound it, from every schema the field must satisfy.
    """

    name: str
    data_type: DataType
    stored_as: str
    required: bool
    constraints: tuple[tuple[str, Any], ...] = ()


def _json_type(name: str, prop: dict[str, Any]) -> str:
    types = [t for t in ([prop["type"]] if isinstance(prop["type"], str) else prop["type"]) if t != "null"]
    if len(types) != 1 or types[0] not in _STORED_AS:
        raise ValueError(f"{name}: no silver rule for the JSON type {prop['type']}")
    return types[0]


def _constraints(name: str, prop: dict[str, Any]) -> list[tuple[str, Any]]:
    unknown = set(prop) - _ANNOTATIONS - set(_CONSTRAINTS)
    if unknown:
        raise ValueError(f"{name}: no silver rule for {', '.join(sorted(unknown))}")
    if prop.get("format") is not None and prop["format"] not in _FORMATS:
        raise ValueError(f"{name}: no silver rule for the format {prop['format']}")
    constraints = []
    for keyword in _CONSTRAINTS:
        value = prop.get(keyword)
        if keyword == "enum" and value is not None:
            # An optional field's enum lists null too; whether a value may be missing is `required`'s.
            value = tuple(v for v in value if v is not None)
        if value is not None:
            constraints.append((keyword, value))
    return constraints


def field_rules(
    record_schema: dict[str, Any], silver_schema: dict[str, Any], silver_struct: StructType
) -> list[FieldRule]:
    """Rules for each field of the stored record, from the JSON Schemas of the record and of silver.

    A field must satisfy both: the record's schema says what the producer promises, silver's what
    readers of silver are promised (silver, for one, requires `stored_at`). A keyword no rule checks
    fails here rather than letting values through unchecked.
    """
    types = {f.name: f.dataType for f in silver_struct.fields}
    required = set(record_schema.get("required", [])) | set(silver_schema.get("required", []))
    rules = []
    for name, prop in record_schema["properties"].items():
        json_type = _json_type(name, prop)
        constraints = _constraints(name, prop)
        silver_prop = silver_schema["properties"].get(name)
        if silver_prop is not None:
            constraints += [c for c in _constraints(name, silver_prop) if c not in constraints]
        rules.append(
            FieldRule(
                name=name,
                data_type=types.get(name, _SPARK_TYPES[json_type]),
                stored_as=_STORED_AS[json_type],
                required=name in required,
                constraints=tuple(constraints),
            )
        )
    return rules


@dataclass(frozen=True)
class RowRule:
    """A rule of the contract over several fields of one record: rows where `condition` holds break it."""

    name: str
    condition: str
    fields: tuple[str, ...]


# A quality rule that counts the rows breaking it, which silver turns into a condition on one row.
_COUNTED_ROWS = re.compile(r"^\s*SELECT\s+COUNT\(\*\)\s+FROM\s+\w+\s+WHERE\s+(.+?)\s*;?\s*$", re.I | re.S)


def row_rules(quality: list[dict[str, Any]], record_schema: dict[str, Any]) -> list[RowRule]:
    """The record's SQL quality rules (`SELECT COUNT(*) FROM t WHERE <breaks>`, must be 0) as row rules."""
    rules = []
    for rule in quality:
        if rule.get("type") != "sql":
            continue
        counted = _COUNTED_ROWS.match(rule.get("query", ""))
        if counted is None or rule.get("mustBe") != 0:
            raise ValueError(f"no silver rule for the quality rule {rule.get('name')!r}: {rule.get('query')}")
        condition = counted.group(1)
        # The fields the condition names, in the order it names them.
        named = {
            n: found.start()
            for n in record_schema["properties"]
            if (found := re.search(rf"\b{n}\b", condition)) is not None
        }
        fields = tuple(sorted(named, key=named.__getitem__))
        rules.append(RowRule(name=rule.get("name") or condition, condition=condition, fields=fields))
    return rules


def parse_lines(lines: DataFrame, fields: list[str]) -> DataFrame:
    """Lines of bronze (`value`, `file`) to one row per line with the item's attributes.

    Adds `bronze_hour` (from the file's hour=... folders), `record` (the line), `is_delete` (an
    incremental export's line for a deleted item: keys without a new image) and `malformed`.
    """
    year, month, day, hour = (F.regexp_extract("file", _HOUR_FROM_PATH, part) for part in range(1, 5))
    parsed = lines.select(
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


def _text(image: Column, rule: FieldRule) -> Column:
    """The field's text in the DynamoDB type its contract type is stored as: "42" in S is no number."""
    return image.getField(rule.name).getField(rule.stored_as)


def _held(image: Column, rule: FieldRule) -> Column:
    """What the field holds when it is there in another DynamoDB type than its own, else null.

    A NULL in an optional field is no value rather than a wrong type.
    """
    attribute = image.getField(rule.name)
    others = [
        F.when(attribute.getField(key).isNotNull(), F.lit(what))
        for key, what in _DYNAMODB_TYPES.items()
        if key != rule.stored_as and not (key == "NULL" and not rule.required)
    ]
    nothing = F.when(attribute.isNotNull() & attribute.getField("NULL").isNull(), F.lit("no DynamoDB type"))
    return F.when(attribute.getField(rule.stored_as).isNull(), F.coalesce(*others, nothing))


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


def _reasons(violations: list[tuple[Column, Column | str]]) -> Column:
    """The messages of the violated rules joined by "; ", or "" when a row breaks none.

    A string rather than an array: filtering an array of messages is evaluated row by row outside
    Spark's generated code, and it kept every projection it appeared in out of it too.
    """
    return F.concat_ws(
        REASON_SEPARATOR,
        *[
            F.when(F.coalesce(condition, F.lit(False)), m if isinstance(m, Column) else F.lit(m))
            for condition, m in violations
        ],
    )


def _format_violated(value_format: str, raw: Column) -> Column:
    if value_format == "date":
        return F.to_date(raw, "yyyy-MM-dd").isNull()
    if value_format == "date-time":
        return ~raw.rlike(_TIMESTAMP) | raw.cast(TimestampType()).isNull()
    return ~raw.rlike(_FORMAT_PATTERNS[value_format])


# Formats that a field's Spark type already checks when the text is cast to it.
_CAST_FORMATS = {"date": DateType, "date-time": TimestampType}


def _constraint_violation(
    name: str, keyword: str, value: Any, raw: Column, typed: Column, t: DataType
) -> tuple[Column, str]:
    """The condition under which a value breaks one JSON Schema keyword, and the message saying so."""
    present = raw.isNotNull()
    if keyword == "minimum":
        return typed < _bound(value, t), f"{name}: below the minimum {value}"
    if keyword == "maximum":
        return typed > _bound(value, t), f"{name}: above the maximum {value}"
    if keyword == "exclusiveMinimum":
        return typed <= _bound(value, t), f"{name}: not above {value}"
    if keyword == "exclusiveMaximum":
        return typed >= _bound(value, t), f"{name}: not below {value}"
    if keyword == "minLength":
        return present & (F.length(raw) < value), f"{name}: shorter than {value} characters"
    if keyword == "maxLength":
        return present & (F.length(raw) > value), f"{name}: longer than {value} characters"
    if keyword == "pattern":
        return present & ~raw.rlike(value), f"{name}: does not match {value}"
    if keyword == "enum":
        allowed = ", ".join(map(str, value))
        return typed.isNotNull() & ~typed.isin(list(value)), f"{name}: not one of {allowed}"
    if keyword == "format":
        return present & _format_violated(value, raw), f"{name}: not a valid {value}"
    raise ValueError(f"{name}: no silver rule for {keyword}")


def _violations(
    rule: FieldRule, raw: Column, typed: Column, held: Column | None = None
) -> list[tuple[Column, Column | str]]:
    name, t = rule.name, rule.data_type
    checks: list[tuple[Column, Column | str]] = []
    if held is not None:
        wanted = _DYNAMODB_TYPES[rule.stored_as]
        checks.append((held.isNotNull(), F.concat(F.lit(f"{name}: is "), held, F.lit(f", not {wanted}"))))
    if rule.required:
        missing = raw.isNull() if held is None else raw.isNull() & held.isNull()
        checks.append((missing, f"{name}: required but missing"))
    checks.append((raw.isNotNull() & typed.isNull(), f"{name}: not a valid {_type_name(t)}"))
    for keyword, value in rule.constraints:
        cast_format = _CAST_FORMATS.get(value) if keyword == "format" else None
        if cast_format is not None and isinstance(t, cast_format):
            continue
        checks.append(_constraint_violation(name, keyword, value, raw, typed, t))
    return checks


def _row_violation(rule: RowRule) -> tuple[Column, str]:
    return F.expr(rule.condition), f'{", ".join(rule.fields)}: breaks "{rule.name}"'


def validate(items: DataFrame, rules: list[FieldRule], row_rules: list[RowRule]) -> DataFrame:
    """Typed columns for every rule's field plus `reason`: the rules a row breaks ("" when valid).

    The bronze line is kept only for rows that break a rule (the quarantine shows it); deletes (an
    incremental export lists deleted items, which are no purchases) are flagged, never accepted.
    """
    # Projections that each read the columns of the one before: the text of each field, its typed
    # value, the rules' reason, then the line kept for a broken row. Built as one projection, every
    # rule would repeat the cast it checks (measured: twice the time of the whole validation).
    text = {r.name: f"_text_{r.name}" for r in rules}
    held = {r.name: f"_held_{r.name}" for r in rules}
    texts = items.select(
        "source_file",
        "bronze_hour",
        "is_delete",
        "malformed",
        "record",
        *[_text(F.col("image"), r).alias(text[r.name]) for r in rules],
        *[_held(F.col("image"), r).alias(held[r.name]) for r in rules],
    )
    typed = texts.select("*", *[_typed(F.col(text[r.name]), r.data_type).alias(r.name) for r in rules])
    violations = [
        v for r in rules for v in _violations(r, F.col(text[r.name]), F.col(r.name), F.col(held[r.name]))
    ]
    violations += [_row_violation(r) for r in row_rules]
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


def derived_rules(
    record_schema: dict[str, Any], silver_schema: dict[str, Any], silver_struct: StructType
) -> list[FieldRule]:
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
    items: DataFrame,
    rules: list[FieldRule],
    row_rules: list[RowRule],
    derived: list[FieldRule],
    schema: StructType,
) -> tuple[DataFrame, DataFrame]:
    """(silver rows, quarantined rows) for parsed bronze items."""
    settled = settle(validate(items, rules, row_rules), derived, [r.name for r in rules])
    return conform(settled.filter(F.col("fate") == SILVER), schema), quarantined(settled)
