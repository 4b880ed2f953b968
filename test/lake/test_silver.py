"""Silver transformations on small DataFrames: parsing, casting, quarantine, dedupe, enrichment."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lake.bronze import dynamodb_json_line
from lake_jobs import silver
from pyspark.sql.types import DecimalType, LongType, StringType, StructField, StructType
from schemas import contract, json_schemas

HOUR_FILE = "s3://bronze/purchases/year=2024/month=11/day=05/hour=13/part-0"


def item(**overrides) -> dict:
    base = {
        "purchase_id": "8d0f3a4e-6c8b-4c36-9d5e-3f1c2b7a9e10",
        "buyer_id": Decimal(1042),
        "product_id": Decimal(77),
        "number_of_installments": Decimal(3),
        "total_amount": Decimal("299.90"),
        "purchase_date": "2024-11-05",
        "received_at": "2024-11-05T13:45:12.345Z",
        "created_by": "client-checkout",
        "stored_at": "2024-11-05T13:45:12.912Z",
        "ingest_hour": "2024-11-05T13",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def line(record: dict, **attributes: dict) -> str:
    """The bronze line of a record, with some attributes given as raw DynamoDB JSON ({"N": "+42"})."""
    parsed = json.loads(dynamodb_json_line(record))
    parsed["NewImage"].update(attributes)
    if "purchase_id" in attributes:
        parsed["Keys"]["purchase_id"] = attributes["purchase_id"]
    return json.dumps(parsed)


def lines(spark, *records, file=HOUR_FILE):
    rows = [(r if isinstance(r, str) else dynamodb_json_line(r).decode().strip(), file) for r in records]
    return spark.createDataFrame(rows, "value string, file string")


def contract_rules(record=json_schemas.purchases, silver_schema=json_schemas.silver_purchases, struct=None):
    """(record rules, row rules, derived rules, silver's struct), from the given JSON Schemas."""
    struct = struct or contract.silver_purchases
    return (
        silver.field_rules(record, silver_schema, struct),
        silver.row_rules(json_schemas.purchases_quality, record),
        silver.derived_rules(record, silver_schema, struct),
        struct,
    )


@pytest.fixture(scope="module")
def rules():
    return contract_rules()


def run(spark, rules, *records):
    record_rules, row_rules, derived, struct = rules
    items = silver.parse_lines(lines(spark, *records), [r.name for r in record_rules])
    rows, bad = silver.to_silver(items, record_rules, row_rules, derived, struct)
    return rows.collect(), bad.collect()


def test_a_valid_item_becomes_one_silver_row_with_contract_types(spark, rules):
    rows, bad = run(spark, rules, item())
    assert bad == []
    [row] = rows
    assert row["total_amount"] == Decimal("299.90")
    assert row["buyer_id"] == 1042
    assert row["purchase_date"] == date(2024, 11, 5)
    assert row["stored_at"] == datetime(2024, 11, 5, 13, 45, 12, 912000)
    assert row["bronze_hour"] == "2024-11-05T13"
    assert list(row.asDict()) == [f.name for f in contract.silver_purchases.fields]


def test_amounts_stay_exact_through_the_bronze_line(spark, rules):
    # 0.1 + 0.2 style values: a float anywhere on the way would show up in the sum.
    records = [
        item(purchase_id=f"00000000-0000-4000-8000-00000000000{i}", total_amount=Decimal("0.10"))
        for i in range(3)
    ]
    line = json.loads(dynamodb_json_line(records[0]))
    assert line["NewImage"]["total_amount"] == {"N": "0.10"}
    rows, _ = run(spark, rules, *records)
    assert sum(r["total_amount"] for r in rows) == Decimal("0.30")


BREAKING = [
    (
        "third decimal place",
        {"total_amount": Decimal("10.005")},
        "total_amount: not a valid decimal(12,2)",
    ),
    ("zero total", {"total_amount": Decimal("0")}, "total_amount: not above 0"),
    (
        "too many installments",
        {"number_of_installments": Decimal(25)},
        "number_of_installments: above the maximum 24",
    ),
    ("no buyer", {"buyer_id": None}, "buyer_id: required but missing"),
    ("buyer below one", {"buyer_id": Decimal(0)}, "buyer_id: below the minimum 1"),
    ("impossible date", {"purchase_date": "2024-02-30"}, "purchase_date: not a valid date"),
    ("date without padding", {"purchase_date": "2024-1-5"}, "purchase_date: not a valid date"),
    (
        "date before the earliest",
        {"purchase_date": "1999-12-31"},
        "purchase_date: below the minimum 2000-01-01",
    ),
    ("amount in words", {"total_amount": {"N": "ten"}}, "total_amount: not a valid decimal(12,2)"),
    ("integer with a sign", {"buyer_id": {"N": "+42"}}, "buyer_id: not a valid bigint"),
    (
        "timestamp without zone",
        {"received_at": "2024-11-05T13:45:12"},
        "received_at: not a valid timestamp",
    ),
    (
        "upper-case id",
        {"purchase_id": "8D0F3A4E-6C8B-4C36-9D5E-3F1C2B7A9E10"},
        "purchase_id: does not match",
    ),
    ("not stored", {"stored_at": None}, "stored_at: required but missing"),
    ("fractional product", {"product_id": Decimal("7.5")}, "product_id: not a valid bigint"),
]


@pytest.fixture(scope="module")
def quarantine(spark, rules):
    """Every breaking record of BREAKING in one batch (one Spark run), by purchase_id."""
    records = []
    for i, (_, given, _) in enumerate(BREAKING):
        raw = {k: v for k, v in given.items() if isinstance(v, dict)}
        values = {k: v for k, v in given.items() if k not in raw}
        records.append(line(item(**{"purchase_id": f"00000000-0000-4000-8000-{i:012d}", **values}), **raw))
    # The upper-case id case overrides the generated id.
    rows, bad = run(spark, rules, *records)
    return rows, {json.loads(r["record"])["NewImage"]["purchase_id"]["S"]: r for r in bad}


@pytest.mark.parametrize(("name", "given", "reason"), BREAKING, ids=[case[0] for case in BREAKING])
def test_a_record_that_breaks_the_contract_is_quarantined_with_its_reason(quarantine, name, given, reason):
    rows, bad = quarantine
    index = next(i for i, case in enumerate(BREAKING) if case[0] == name)
    purchase_id = given.get("purchase_id", f"00000000-0000-4000-8000-{index:012d}")
    assert purchase_id not in {r["purchase_id"] for r in rows}
    row = bad[purchase_id]
    assert reason in row["reason"]
    assert row["bronze_hour"] == "2024-11-05T13"


def test_only_breaking_records_are_quarantined(quarantine):
    rows, bad = quarantine
    assert rows == []
    assert len(bad) == len(BREAKING)


INSTALLMENT_RULE = 'total_amount, number_of_installments: breaks "each installment is at least 0.01"'
# (total, installments, quarantined): each installment is at least 0.01, total >= 0.01 * installments.
CENTS_PER_INSTALLMENT = [
    (Decimal("0.01"), 1, False),
    (Decimal("0.03"), 3, False),
    (Decimal("0.24"), 24, False),
    (Decimal("0.01"), 3, True),
    (Decimal("0.02"), 3, True),  # rounds to a 0.01 installment, yet three of them are 0.03
    (Decimal("0.23"), 24, True),
    (Decimal("0.01"), 12, True),
]


@pytest.fixture(scope="module")
def cents_per_installment(spark, rules):
    records = [
        item(
            purchase_id=f"00000000-0000-4000-a000-{i:012d}",
            total_amount=total,
            number_of_installments=Decimal(n),
        )
        for i, (total, n, _) in enumerate(CENTS_PER_INSTALLMENT)
    ]
    rows, bad = run(spark, rules, *records)
    reasons = {json.loads(r["record"])["NewImage"]["purchase_id"]["S"]: r["reason"] for r in bad}
    return {r["purchase_id"] for r in rows}, reasons


@pytest.mark.parametrize(("total", "n", "quarantined"), CENTS_PER_INSTALLMENT)
def test_each_installment_is_at_least_a_cent(cents_per_installment, total, n, quarantined):
    accepted, reasons = cents_per_installment
    purchase_id = f"00000000-0000-4000-a000-{CENTS_PER_INSTALLMENT.index((total, n, quarantined)):012d}"
    if quarantined:
        assert reasons[purchase_id] == INSTALLMENT_RULE
    else:
        assert purchase_id in accepted


def test_a_quality_rule_silver_cannot_check_row_by_row_is_refused():
    quality = [{"type": "sql", "name": "n", "query": "SELECT SUM(total_amount) FROM purchases", "mustBe": 0}]
    with pytest.raises(ValueError, match="no silver rule for the quality rule 'n'"):
        silver.row_rules(quality, json_schemas.purchases)


def test_a_derived_value_outside_the_contract_is_quarantined(spark):
    # Silver promised installments of at least 1.00 here: 2.00 in 3 installments derives 0.67.
    silver_schema = copy.deepcopy(json_schemas.silver_purchases)
    silver_schema["properties"]["installment_amount"]["minimum"] = 1
    rules = contract_rules(silver_schema=silver_schema)
    rows, bad = run(spark, rules, item(total_amount=Decimal("2.00"), number_of_installments=Decimal(3)))
    assert rows == []
    assert [r["reason"] for r in bad] == ["installment_amount: below the minimum 1"]


# One value of each DynamoDB type, and what a reason calls it.
DYNAMODB_VALUES = {
    "S": ({"S": "42"}, "a string"),
    "N": ({"N": "42"}, "a number"),
    "BOOL": ({"BOOL": True}, "a boolean"),
    "NULL": ({"NULL": True}, "null"),
    "B": ({"B": "NDI="}, "binary"),
    "L": ({"L": [{"N": "42"}]}, "a list"),
    "M": ({"M": {"value": {"N": "42"}}}, "a map"),
    "SS": ({"SS": ["42"]}, "a string set"),
    "NS": ({"NS": ["42"]}, "a number set"),
    "BS": ({"BS": ["NDI="]}, "a binary set"),
}


def json_type(prop: dict) -> str:
    types = [prop["type"]] if isinstance(prop["type"], str) else prop["type"]
    return next(t for t in types if t != "null")


# The DynamoDB type each field of the record is stored as: numbers in N, the rest in S.
STORED_AS = {
    name: "N" if json_type(prop) in ("integer", "number") else "S"
    for name, prop in json_schemas.purchases["properties"].items()
}
# The fields of the record silver may hold without a value: absent, or NULL, is no value there.
OPTIONAL = [
    name
    for name in json_schemas.purchases["properties"]
    if name not in json_schemas.silver_purchases["required"]
]
# Every field of the record holding every DynamoDB type but its own; and every field silver requires absent.
WRONG_TYPES = [
    (field, dynamodb_type, f"{field}: is {what}, not {DYNAMODB_VALUES[STORED_AS[field]][1]}")
    for field in json_schemas.purchases["properties"]
    for dynamodb_type, (_, what) in DYNAMODB_VALUES.items()
    if dynamodb_type != STORED_AS[field] and not (dynamodb_type == "NULL" and field in OPTIONAL)
] + [
    (field, None, f"{field}: required but missing")
    for field in json_schemas.purchases["properties"]
    if field not in OPTIONAL
]


@pytest.fixture(scope="module")
def wrong_types(spark, rules):
    """Each case of WRONG_TYPES as one line, all in one batch; the quarantine's reasons by line."""
    records = []
    for i, (field, dynamodb_type, _) in enumerate(WRONG_TYPES):
        record = item(purchase_id=f"00000000-0000-4000-b000-{i:012d}")
        if dynamodb_type is None:
            parsed = json.loads(line(record))
            del parsed["NewImage"][field]
            records.append(json.dumps(parsed))
        else:
            records.append(line(record, **{field: DYNAMODB_VALUES[dynamodb_type][0]}))
    rows, bad = run(spark, rules, *records)
    return records, rows, {r["record"]: r["reason"] for r in bad}


@pytest.mark.parametrize(
    ("field", "dynamodb_type", "reason"), WRONG_TYPES, ids=[f"{c[0]}-{c[1] or 'absent'}" for c in WRONG_TYPES]
)
def test_a_field_is_read_only_from_its_contract_type(wrong_types, field, dynamodb_type, reason):
    records, _, reasons = wrong_types
    record = records[WRONG_TYPES.index((field, dynamodb_type, reason))]
    assert record in reasons, "accepted into silver"
    assert reason in reasons[record].split(silver.REASON_SEPARATOR)
    if dynamodb_type is not None:
        assert "required but missing" not in reasons[record]


def test_only_wrongly_typed_records_are_quarantined(wrong_types):
    records, rows, reasons = wrong_types
    assert rows == []
    assert len(reasons) == len(records)


def test_the_record_has_optional_fields():
    assert "created_by" in OPTIONAL


@pytest.mark.parametrize("field", OPTIONAL)
def test_an_optional_field_absent_or_null_is_no_value(spark, rules, field):
    absent = json.loads(line(item()))
    del absent["NewImage"][field]
    rows, bad = run(
        spark,
        rules,
        json.dumps(absent),
        line(item(purchase_id="00000000-0000-4000-d000-000000000000"), **{field: {"NULL": True}}),
    )
    assert bad == []
    assert [r[field] for r in rows] == [None, None]


def test_a_null_in_an_optional_field_is_no_value(spark):
    # ingest_hour is optional in the record; a copy of silver's schema that does not require it.
    silver_schema = copy.deepcopy(json_schemas.silver_purchases)
    silver_schema["required"].remove("ingest_hour")
    silver_schema["properties"]["ingest_hour"]["type"] = ["string", "null"]
    struct = StructType(
        [StructField(f.name, f.dataType, f.name == "ingest_hour") for f in contract.silver_purchases.fields]
    )
    rules = contract_rules(silver_schema=silver_schema, struct=struct)
    rows, bad = run(spark, rules, line(item(), ingest_hour={"NULL": True}))
    assert bad == []
    assert [r["ingest_hour"] for r in rows] == [None]


# Fields a new version of the contract could add to both the record and silver: (JSON Schema
# property as datacontract-cli exports it, Spark type, a valid value, [(breaking value, reason)]).
NEW_FIELDS = {
    "coupon_code": (
        {"type": ["string", "null"], "minLength": 3, "maxLength": 32},
        StringType(),
        {"S": "SPRING-24"},
        [
            ({"S": "x" * 40}, "coupon_code: longer than 32 characters"),
            ({"S": "ab"}, "coupon_code: shorter than 3"),
        ],
    ),
    "channel": (
        {"type": ["string", "null"], "enum": ["web", "app", None]},
        StringType(),
        {"S": "app"},
        [({"S": "fax"}, "channel: not one of web, app")],
    ),
    "referrer_id": (
        {"type": ["string", "null"], "format": "uuid"},
        StringType(),
        {"S": "8d0f3a4e-6c8b-4c36-9d5e-3f1c2b7a9e10"},
        [({"S": "8d0f3a4e"}, "referrer_id: not a valid uuid")],
    ),
    "contact": (
        {"type": ["string", "null"], "format": "email"},
        StringType(),
        {"S": "buyer@example.com"},
        [({"S": "buyer.example.com"}, "contact: not a valid email")],
    ),
    "delivery_date": (
        {"type": ["string", "null"], "format": "date"},
        StringType(),
        {"S": "2024-11-07"},
        [({"S": "2024-02-30"}, "delivery_date: not a valid date")],
    ),
    "discount": (
        {"type": ["number", "null"], "exclusiveMaximum": 100, "minimum": 0},
        DecimalType(5, 2),
        {"N": "99.99"},
        [({"N": "100"}, "discount: not below 100"), ({"N": "-0.01"}, "discount: below the minimum 0")],
    ),
    "priority": (
        {"type": ["integer", "null"], "enum": [1, 2, 3, None]},
        LongType(),
        {"N": "2"},
        [({"N": "4"}, "priority: not one of 1, 2, 3"), ({"S": "2"}, "priority: is a string, not a number")],
    ),
}


def contract_with_new_fields():
    record = copy.deepcopy(json_schemas.purchases)
    silver_schema = copy.deepcopy(json_schemas.silver_purchases)
    fields = list(contract.silver_purchases.fields)
    for name, (prop, spark_type, _, _) in NEW_FIELDS.items():
        record["properties"][name] = prop
        silver_schema["properties"][name] = prop
        fields.append(StructField(name, spark_type, True))
    return contract_rules(record, silver_schema, StructType(fields))


def test_a_field_added_to_the_contract_flows_to_silver_with_its_rules(spark):
    rules = contract_with_new_fields()
    valid = {name: value for name, (_, _, value, _) in NEW_FIELDS.items()}
    breaking = [(name, value, reason) for name, (*_, cases) in NEW_FIELDS.items() for value, reason in cases]
    records = [line(item(), **valid), line(item(purchase_id="00000000-0000-4000-c000-000000000000"))]
    records += [
        line(item(purchase_id=f"00000000-0000-4000-c000-{i + 1:012d}"), **{**valid, name: value})
        for i, (name, value, _) in enumerate(breaking)
    ]
    rows, bad = run(spark, rules, *records)
    by_id = {r["purchase_id"]: r for r in rows}
    assert set(by_id) == {item()["purchase_id"], "00000000-0000-4000-c000-000000000000"}
    kept = by_id[item()["purchase_id"]]
    assert (kept["coupon_code"], kept["channel"], kept["discount"], kept["priority"]) == (
        "SPRING-24",
        "app",
        Decimal("99.99"),
        2,
    )
    assert by_id["00000000-0000-4000-c000-000000000000"]["coupon_code"] is None
    reasons = {json.loads(r["record"])["NewImage"]["purchase_id"]["S"]: r["reason"] for r in bad}
    for i, (name, _, reason) in enumerate(breaking):
        assert reasons[f"00000000-0000-4000-c000-{i + 1:012d}"].startswith(reason), name


@pytest.mark.parametrize(
    ("prop", "message"),
    [
        ({"type": "string", "multipleOf": 2}, "coupon_code: no silver rule for multipleOf"),
        ({"type": "string", "format": "ipv6"}, "coupon_code: no silver rule for the format ipv6"),
        ({"type": "object"}, "coupon_code: no silver rule for the JSON type object"),
    ],
)
def test_a_constraint_silver_cannot_check_fails_the_rules_not_the_rows(prop, message):
    record = copy.deepcopy(json_schemas.purchases)
    record["properties"]["coupon_code"] = prop
    with pytest.raises(ValueError, match=message):
        silver.field_rules(record, json_schemas.silver_purchases, contract.silver_purchases)


def test_a_line_that_is_not_an_item_is_quarantined_not_dropped(spark, rules):
    rows, bad = run(spark, rules, "{not json", item())
    assert len(rows) == 1
    assert [r["reason"] for r in bad] == ["record: not a DynamoDB JSON item"]


def test_a_delete_in_the_incremental_export_is_no_purchase(spark, rules):
    delete = json.dumps({"Keys": {"purchase_id": {"S": "8d0f3a4e-6c8b-4c36-9d5e-3f1c2b7a9e10"}}})
    rows, bad = run(spark, rules, delete)
    assert rows == []
    assert bad == []


def test_dedupe_keeps_the_latest_stored_copy_of_a_purchase(spark, rules):
    first = item(stored_at="2024-11-05T13:00:00.000Z", total_amount=Decimal("1.00"))
    again = item(stored_at="2024-11-05T13:30:00.000Z", total_amount=Decimal("2.00"))
    other = item(purchase_id="00000000-0000-4000-8000-000000000001")
    rows, _ = run(spark, rules, first, again, first, other)
    by_id = {r["purchase_id"]: r for r in rows}
    assert len(rows) == 2
    assert by_id[first["purchase_id"]]["total_amount"] == Decimal("2.00")


INSTALLMENTS = [
    (Decimal("100.00"), 3, Decimal("33.33")),
    (Decimal("0.05"), 2, Decimal("0.03")),  # half up, not half even
    (Decimal("299.90"), 1, Decimal("299.90")),
    (Decimal("10.00"), 24, Decimal("0.42")),
]


@pytest.fixture(scope="module")
def installments(spark, rules):
    records = [
        item(
            purchase_id=f"00000000-0000-4000-9000-{i:012d}",
            total_amount=total,
            number_of_installments=Decimal(n),
        )
        for i, (total, n, _) in enumerate(INSTALLMENTS)
    ]
    rows, _ = run(spark, rules, *records)
    return {r["purchase_id"]: r["installment_amount"] for r in rows}


@pytest.mark.parametrize(("total", "n", "want"), INSTALLMENTS)
def test_enrichment_rounds_the_installment_half_up_to_the_cent(installments, total, n, want):
    index = INSTALLMENTS.index((total, n, want))
    assert installments[f"00000000-0000-4000-9000-{index:012d}"] == want


def test_enrichment_adds_the_date_parts_with_an_iso_weekday(spark, rules):
    # 2024-11-03 is a Sunday, 2024-11-04 a Monday.
    sunday = item(purchase_date="2024-11-03")
    monday = item(purchase_id="00000000-0000-4000-8000-000000000002", purchase_date="2024-11-04")
    rows, _ = run(spark, rules, sunday, monday)
    weekdays = {r["purchase_date"].isoformat(): r["purchase_weekday"] for r in rows}
    assert weekdays == {"2024-11-03": 7, "2024-11-04": 1}
    assert {(r["purchase_year"], r["purchase_month"], r["purchase_day"]) for r in rows} == {
        (2024, 11, 3),
        (2024, 11, 4),
    }


def test_the_bronze_hour_comes_from_the_file_path(spark, rules):
    frame = lines(spark, item(), file="file:///lake/bronze/purchases/year=2025/month=01/day=02/hour=03/x")
    [row] = silver.parse_lines(frame, list(json_schemas.purchases["properties"])).collect()
    assert row["bronze_hour"] == "2025-01-02T03"


def test_interval_hours_are_whole_utc_hours():
    from lake_jobs.layout import hours_of

    start = datetime(2024, 11, 5, 13, tzinfo=UTC)
    assert [h.hour for h in hours_of(start, start.replace(hour=16))] == [13, 14, 15]
    with pytest.raises(ValueError, match="timezone-aware"):
        hours_of(datetime(2024, 1, 1), start)
