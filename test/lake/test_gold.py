"""Gold aggregations: totals that reconcile with silver, exact to the cent, and the gates around them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
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


def _silver(spark, purchases):
    rows = []
    for i, (buyer, product, n, total, day) in enumerate(purchases):
        stored = datetime(2024, 11, 5, 13, 10) + timedelta(milliseconds=i)
        rows.append(
            {
                "purchase_id": f"00000000-0000-4000-8000-{i:012d}",
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


@pytest.fixture(scope="module")
def silver_rows(spark):
    return _silver(spark, PURCHASES)


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


def _purchases_of(total: str, buyer: int, product: int, installments: int, day: date) -> list[tuple]:
    """Purchases adding up to `total`, none above the contract's maximum of 1,000,000.00."""
    most, rest, purchases = Decimal("1000000.00"), Decimal(total), []
    while rest > 0:
        amount = min(most, rest)
        purchases.append((buyer, product, installments, str(amount), day))
        rest -= amount
    return purchases


# Purchases whose exact ratios sit on or next to a half of the contract's last place, where a
# rounding before the last one, or a rounding half to even, gives another answer.
TRAP_DAY = date(2024, 11, 20)
TRAPS = [
    # Buyer 7: 101 purchases, 50 in 12 installments and 51 in 13: 1,263 / 101 = 12.50495..., which is
    # 12.5050 at 4 places and so 12.51 when rounded twice; exactly, 12.50. Product 20's ticket that
    # day is 100.50 / 101 = 0.99504950...
    *[(7, 20, 12, "1.00", TRAP_DAY)] * 50,
    *[(7, 20, 13, "1.00", TRAP_DAY)] * 50,
    (7, 20, 13, "0.50", TRAP_DAY),
    # Buyer 8: 9 installments over 8 purchases = 1.125, on the half: 1.13 half up, 1.12 half to even.
    # Product 21's ticket: 0.05 / 2 = 0.025, on the half as well; six times 0.10 make 0.60 to the cent.
    *[(8, 21, 1, "0.01", TRAP_DAY), (8, 21, 2, "0.04", TRAP_DAY)],
    *[(8, 22, 1, "0.10", TRAP_DAY)] * 6,
    # January 2025: 71,269,567.27 of a 123,456,789.03 month in 3 installments is a share of
    # 0.5772834999999999594..., which Spark's decimal division makes 0.5772835000000000 (16 places)
    # and so 0.577284 when rounded twice; exactly, 0.577283.
    *_purchases_of("71269567.27", buyer=9, product=23, installments=3, day=date(2025, 1, 2)),
    *_purchases_of("52187221.76", buyer=10, product=23, installments=6, day=date(2025, 1, 3)),
    # February 2025: one installment count, a share of exactly 1.
    *[(11, 24, 1, "0.10", date(2025, 2, 3))] * 10,
]


def _half_up(numerator, denominator, places: int) -> Decimal:
    # 60 digits: no quotient of these sizes is that close to a half without being on it.
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(numerator) / Decimal(denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _expected(purchases):
    """The three gold tables computed from the purchases with Python's decimal, independently of Spark."""
    daily, buyers, mix = defaultdict(list), defaultdict(list), defaultdict(list)
    for buyer, product, n, total, day in purchases:
        daily[(day, product)].append((buyer, Decimal(total)))
        buyers[buyer].append((n, Decimal(total), day))
        mix[(f"{day:%Y-%m}", n)].append(Decimal(total))
    month_totals = defaultdict(Decimal)
    for (month, _), totals in mix.items():
        month_totals[month] += sum(totals)
    return (
        {
            key: (
                len(rows),
                len({b for b, _ in rows}),
                sum(t for _, t in rows),
                _half_up(sum(t for _, t in rows), len(rows), 2),
            )
            for key, rows in daily.items()
        },
        {
            buyer: (
                len(rows),
                sum(t for _, t, _ in rows),
                _half_up(sum(n for n, _, _ in rows), len(rows), 2),
                min(d for *_, d in rows),
                max(d for *_, d in rows),
            )
            for buyer, rows in buyers.items()
        },
        {
            key: (len(totals), sum(totals), _half_up(sum(totals), month_totals[key[0]], 6))
            for key, totals in mix.items()
        },
    )


def test_every_gold_measure_is_the_exact_ratio_rounded_once_half_up(spark):
    purchases = PURCHASES + TRAPS
    silver_rows = _silver(spark, purchases)
    daily, buyers, mix = _expected(purchases)

    got_daily = conform(gold.daily_product_sales(silver_rows), contract.gold_daily_product_sales).collect()
    got_buyers = conform(gold.buyer_summary(silver_rows), contract.gold_buyer_summary).collect()
    got_mix = conform(gold.installment_mix(silver_rows), contract.gold_installment_mix).collect()

    assert {(r["sale_date"], r["product_id"]): tuple(r)[2:] for r in got_daily} == daily
    assert {r["buyer_id"]: tuple(r)[1:] for r in got_buyers} == buyers
    assert {(r["sale_month"], r["number_of_installments"]): tuple(r)[2:] for r in got_mix} == mix
    # The traps themselves, so the expectation above cannot drift onto them unnoticed.
    assert buyers[7][2] == Decimal("12.50")
    assert buyers[8][2] == Decimal("1.13")
    assert daily[(TRAP_DAY, 21)][3] == Decimal("0.03")
    assert mix[("2025-01", 3)][2] == Decimal("0.577283")


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
