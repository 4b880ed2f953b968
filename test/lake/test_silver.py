"""Silver transformations on small DataFrames: parsing, casting, quarantine, dedupe, enrichment."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lake.bronze import dynamodb_json_line
from lake_jobs import silver
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
        "stored_at": "2024-11-05T13:45:12.912Z",
        "ingest_hour": "2024-11-05T13",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def lines(spark, *records, file=HOUR_FILE):
    rows = [(r if isinstance(r, str) else dynamodb_json_line(r).decode().strip(), file) for r in records]
    return spark.createDataFrame(rows, "value string, file string")


@pytest.fixture(scope="module")
def rules():
    args = (json_schemas.purchases, json_schemas.silver_purchases, contract.silver_purchases)
    return silver.field_rules(*args), silver.derived_rules(*args)


def run(spark, rules, *records):
    record_rules, derived = rules
    items = silver.parse_lines(lines(spark, *records), [r.name for r in record_rules])
    rows, bad = silver.to_silver(items, record_rules, derived, contract.silver_purchases)
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
    ("amount in words", {"total_amount": "ten"}, "total_amount: not a valid decimal(12,2)"),
    ("integer as text with a sign", {"buyer_id": "+42"}, "buyer_id: not a valid bigint"),
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
    records = [
        item(**{"purchase_id": f"00000000-0000-4000-8000-{i:012d}", **given})
        for i, (_, given, _) in enumerate(BREAKING)
    ]
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


def test_a_derived_value_outside_the_contract_is_quarantined(spark, rules):
    # 0.01 in 12 installments rounds to a 0.00 installment; silver promises installments above 0.
    rows, bad = run(spark, rules, item(total_amount=Decimal("0.01"), number_of_installments=Decimal(12)))
    assert rows == []
    assert [r["reason"] for r in bad] == ["installment_amount: not above 0"]


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
