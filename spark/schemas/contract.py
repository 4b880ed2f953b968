# generated from datacontract.yaml by scripts/generate-lake.sh: do not edit, run npm run generate
"""Spark schemas of every table in datacontract.yaml, one StructType per schema object."""

from pyspark.sql.types import (
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

purchases = StructType([
    StructField("purchase_id",
        StringType(),
        False,
        {"comment": "Assigned by the API when it accepted the purchase (UUID v4, lower case)."}
    ),
    StructField("buyer_id",
        LongType(),
        False,
        {"comment": "The buyer's id."}
    ),
    StructField("product_id",
        LongType(),
        False,
        {"comment": "The product's id."}
    ),
    StructField("number_of_installments",
        IntegerType(),
        False,
        {"comment": "How many installments the total is paid in (1 is a single payment)."}
    ),
    StructField("total_amount",
        DecimalType(12, 2),
        False,
        {"comment": "The purchase total in the shop's currency, exact to the cent (at most two decimal places)."}
    ),
    StructField("purchase_date",
        DateType(),
        False,
        {"comment": "The calendar date of the purchase as the client sent it (ISO 8601), no earlier than 2000-01-01 (the shop sold nothing before)."}
    ),
    StructField("received_at",
        TimestampType(),
        False,
        {"comment": "When the API accepted the purchase (UTC, ISO 8601)."}
    ),
    StructField("created_by",
        StringType(),
        True,
        {"comment": "The caller that created the purchase: the `sub` claim of the token the API accepted it with\n(a client's id, or a pseudonymous user id), the only caller the API answers it to besides\nsupport tools. Absent on purchases accepted before version 1.1.0.\n"}
    ),
    StructField("stored_at",
        TimestampType(),
        True,
        {"comment": "When the consumer stored the purchase (UTC). Absent on the topic, set in the table."}
    ),
    StructField("ingest_hour",
        StringType(),
        True,
        {"comment": "The UTC hour in which the consumer stored the purchase (YYYY-MM-DDTHH). Absent on the topic,\nset in the table; the lake reads one hour at a time by it.\n"}
    )
])

silver_purchases = StructType([
    StructField("purchase_id",
        StringType(),
        False,
        {"comment": "The purchase's id, unique in silver."}
    ),
    StructField("buyer_id",
        LongType(),
        False,
        {"comment": "The buyer's id."}
    ),
    StructField("product_id",
        LongType(),
        False,
        {"comment": "The product's id."}
    ),
    StructField("number_of_installments",
        IntegerType(),
        False,
        {"comment": "How many installments the total is paid in."}
    ),
    StructField("total_amount",
        DecimalType(12, 2),
        False,
        {"comment": "The purchase total, exact to the cent."}
    ),
    StructField("installment_amount",
        DecimalType(12, 2),
        False,
        {"comment": "The total divided by the number of installments, rounded half up to the cent; at least 0.01,\nas every purchase's total covers 0.01 per installment (the purchases quality rule).\n"}
    ),
    StructField("purchase_date",
        DateType(),
        False,
        {"comment": "The calendar date of the purchase, no earlier than 2000-01-01 (the shop sold nothing before)."}
    ),
    StructField("purchase_year",
        IntegerType(),
        False,
        {"comment": "Year of purchase_date (partition column)."}
    ),
    StructField("purchase_month",
        IntegerType(),
        False,
        {"comment": "Month of purchase_date (partition column)."}
    ),
    StructField("purchase_day",
        IntegerType(),
        False,
        {"comment": "Day of month of purchase_date."}
    ),
    StructField("purchase_weekday",
        IntegerType(),
        False,
        {"comment": "ISO day of week of purchase_date (1 is Monday)."}
    ),
    StructField("received_at",
        TimestampType(),
        False,
        {"comment": "When the API accepted the purchase (UTC)."}
    ),
    StructField("created_by",
        StringType(),
        True,
        {"comment": "The caller that created the purchase (the token's `sub`; pseudonymous), absent before 1.1.0."}
    ),
    StructField("stored_at",
        TimestampType(),
        False,
        {"comment": "When the consumer stored the purchase (UTC)."}
    ),
    StructField("ingest_hour",
        StringType(),
        False,
        {"comment": "The UTC hour the consumer stored the purchase in."}
    ),
    StructField("bronze_hour",
        StringType(),
        False,
        {"comment": "The bronze hour (YYYY-MM-DDTHH) the row was read from: the hourly run that brought it to\nsilver. It equals ingest_hour except for a write that DynamoDB's incremental export places\nin the next hour; a rerun of an hour replaces this partition and nothing else.\n"}
    )
])

gold_daily_product_sales = StructType([
    StructField("sale_date",
        DateType(),
        False,
        {"comment": "The purchase date (partition column; a run rewrites the dates it touched)."}
    ),
    StructField("product_id",
        LongType(),
        False,
        {"comment": "The product's id."}
    ),
    StructField("purchases_count",
        LongType(),
        False,
        {"comment": "Purchases of the product on that date."}
    ),
    StructField("buyers_count",
        LongType(),
        False,
        {"comment": "Distinct buyers of the product on that date."}
    ),
    StructField("total_amount",
        DecimalType(18, 2),
        False,
        {"comment": "Sum of the purchases' totals, exact to the cent."}
    ),
    StructField("average_ticket",
        DecimalType(18, 2),
        False,
        {"comment": "total_amount / purchases_count, computed exactly and rounded once, half up, to the cent."}
    )
])

gold_buyer_summary = StructType([
    StructField("buyer_id",
        LongType(),
        False,
        {"comment": "The buyer's id."}
    ),
    StructField("purchases_count",
        LongType(),
        False,
        {"comment": "The buyer's purchases."}
    ),
    StructField("total_spent",
        DecimalType(18, 2),
        False,
        {"comment": "Sum of the buyer's purchase totals, exact to the cent."}
    ),
    StructField("average_installments",
        DecimalType(6, 2),
        False,
        {"comment": "Mean number of installments across the buyer's purchases (their sum over purchases_count), computed exactly and rounded once, half up, to 2 places."}
    ),
    StructField("first_purchase_date",
        DateType(),
        False,
        {"comment": "The buyer's first purchase date."}
    ),
    StructField("last_purchase_date",
        DateType(),
        False,
        {"comment": "The buyer's latest purchase date."}
    )
])

gold_installment_mix = StructType([
    StructField("sale_month",
        StringType(),
        False,
        {"comment": "The purchase month (YYYY-MM; partition column, a run rewrites the months it touched)."}
    ),
    StructField("number_of_installments",
        IntegerType(),
        False,
        {"comment": "The number of installments."}
    ),
    StructField("purchases_count",
        LongType(),
        False,
        {"comment": "Purchases with that number of installments in that month."}
    ),
    StructField("total_amount",
        DecimalType(18, 2),
        False,
        {"comment": "Sum of those purchases' totals, exact to the cent."}
    ),
    StructField("share_of_month_amount",
        DecimalType(7, 6),
        False,
        {"comment": "total_amount as a share of the month's total across all installment counts, computed exactly and rounded once, half up, to 6 places."}
    )
])
