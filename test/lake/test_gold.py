"""Gold aggregations: totals that reconcile with silver, exact to the cent, and the gates around them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lake_jobs import gold
from lake_jobs.gate import run_gate
from lake_jobs.silver import conform
from schemas import contract

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 11, 5, 14, tzinfo=UTC)

# (buyer, product, installments, total, date)
PURCHASES = [
    (1, 10, 1, "100.00", date(2024, 11, 4)),
    (1, 10, 3, "0.10", date(2024, 11, 5)),
    (2, 10, 3, "0.20", date(2024, 11, 5)),
    (2, 11, 12, "999.99", date(2024, 11, 5)),
    (3, 11, 12, "0.12", date(2024, 12, 1)),
]


@pytest.fixture(scope="module")
def silver_rows(spark):
    rows = []
    for i, (buyer, product, n, total, day) in enumerate(PURCHASES):
        stored = datetime(2024, 11, 5, 13, 10, i)
        rows.append(
            {
                "purchase_id": f"00000000-0000-4000-8000-00000000000{i}",
                "buyer_id": buyer,
                "product_id": product,
                "number_of_installments": n,
                "total_amount": Decimal(total),
                "installment_amount": (Decimal(total) / n).quantize(Decimal("0.01")),
                "purchase_date": day,
                "purchase_year": day.year,
                "purchase_month": day.month,
                "purchase_day": day.day,
                "purchase_weekday": day.isoweekday(),
                "received_at": stored,
                "stored_at": stored,
                "ingest_hour": "2024-11-05T13",
                "bronze_hour": "2024-11-05T13",
            }
        )
    return spark.createDataFrame(rows, contract.silver_purchases)


def test_daily_product_sales_reconcile_with_silver_to_the_cent(silver_rows):
    daily = conform(gold.daily_product_sales(silver_rows), contract.gold_daily_product_sales).collect()
    total = sum(r["total_amount"] for r in daily)
    assert total == sum(Decimal(p[3]) for p in PURCHASES) == Decimal("1100.41")
    assert sum(r["purchases_count"] for r in daily) == len(PURCHASES)
    row = next(r for r in daily if r["sale_date"] == date(2024, 11, 5) and r["product_id"] == 10)
    assert (row["purchases_count"], row["buyers_count"], row["total_amount"]) == (2, 2, Decimal("0.30"))
    assert row["average_ticket"] == Decimal("0.15")


def test_buyer_summary_holds_each_buyers_lifetime(silver_rows):
    summary = {
        r["buyer_id"]: r
        for r in conform(gold.buyer_summary(silver_rows), contract.gold_buyer_summary).collect()
    }
    assert summary[1]["total_spent"] == Decimal("100.10")
    assert summary[1]["average_installments"] == Decimal("2.00")
    assert summary[2]["average_installments"] == Decimal("7.50")
    assert (summary[1]["first_purchase_date"], summary[1]["last_purchase_date"]) == (
        date(2024, 11, 4),
        date(2024, 11, 5),
    )


def test_installment_mix_shares_add_up_to_one_per_month(silver_rows):
    mix = conform(gold.installment_mix(silver_rows), contract.gold_installment_mix).collect()
    months = {r["sale_month"] for r in mix}
    assert months == {"2024-11", "2024-12"}
    for month in months:
        shares = [r["share_of_month_amount"] for r in mix if r["sale_month"] == month]
        assert abs(sum(shares) - 1) <= Decimal("0.000001") * len(shares)
    assert next(r for r in mix if r["sale_month"] == "2024-12")["share_of_month_amount"] == Decimal(
        "1.000000"
    )


def test_touched_dates_and_months(silver_rows):
    dates, months = gold.touched(silver_rows)
    assert dates == [date(2024, 11, 4), date(2024, 11, 5), date(2024, 12, 1)]
    assert months == ["2024-11", "2024-12"]


def _checks(*names: str) -> list[str]:
    return [(REPO / "soda" / n).read_text() for n in names]


def test_the_gold_gate_passes_aggregates_computed_from_silver(spark, silver_rows):
    tables = {
        "gold_daily_product_sales": conform(
            gold.daily_product_sales(silver_rows), contract.gold_daily_product_sales
        ),
        "gold_buyer_summary": conform(gold.buyer_summary(silver_rows), contract.gold_buyer_summary),
        "gold_installment_mix": conform(gold.installment_mix(silver_rows), contract.gold_installment_mix),
        "silver_purchases": silver_rows,
    }
    result = run_gate(
        spark,
        tables,
        _checks(
            "generated/gold_daily_product_sales.yml",
            "generated/gold_buyer_summary.yml",
            "generated/gold_installment_mix.yml",
            "checks/gold.yml",
        ),
        NOW,
        "gold test",
    )
    assert result["errors"] == []
    assert result["passed"], [c for c in result["checks"] if c["outcome"] != "pass"]
    assert len(result["checks"]) > 50


def test_the_gold_gate_fails_when_gold_does_not_reconcile_with_silver(spark, silver_rows):
    daily = conform(gold.daily_product_sales(silver_rows.limit(4)), contract.gold_daily_product_sales)
    result = run_gate(
        spark,
        {"gold_daily_product_sales": daily, "silver_purchases": silver_rows},
        _checks("checks/gold.yml"),
        NOW,
        "gold test",
    )
    failed = {c["name"] for c in result["checks"] if c["outcome"] == "fail"}
    assert not result["passed"]
    assert "gold revenue reconciles with silver to the cent" in failed
    assert "every silver purchase is counted once in gold" in failed


def test_the_silver_gate_blocks_a_batch_whose_stored_at_is_not_its_ingest_hour(spark, silver_rows):
    from pyspark.sql import functions as F

    checks = _checks("generated/silver_purchases.yml", "checks/silver_purchases.yml")
    assert run_gate(spark, {"silver_purchases": silver_rows}, checks, NOW, "silver test")["passed"]
    broken = silver_rows.withColumn("ingest_hour", F.lit("2024-11-05T09"))
    result = run_gate(spark, {"silver_purchases": broken}, checks, NOW, "silver test")
    assert not result["passed"]
    assert [c["name"] for c in result["checks"] if c["outcome"] == "fail"] == [
        "stored_at falls in its ingest_hour"
    ]


def test_the_silver_gate_blocks_a_purchase_dated_before_2000(spark, silver_rows):
    from pyspark.sql import functions as F

    checks = _checks("generated/silver_purchases.yml", "checks/silver_purchases.yml")
    day = date(1999, 12, 31)
    parts = {
        "purchase_date": day,
        "purchase_year": day.year,
        "purchase_month": day.month,
        "purchase_day": day.day,
        "purchase_weekday": day.isoweekday(),
    }
    broken = silver_rows
    for column, value in parts.items():
        broken = broken.withColumn(
            column,
            F.when(F.col("buyer_id") == 3, F.lit(value))
            .otherwise(F.col(column))
            .cast(dict(silver_rows.dtypes)[column]),
        )
    result = run_gate(spark, {"silver_purchases": broken}, checks, NOW, "silver test")
    assert result["errors"] == []
    assert not result["passed"]
    assert [c["name"] for c in result["checks"] if c["outcome"] == "fail"] == [
        "silver_purchases__purchase_date__field_minimum"
    ]
