# generated from datacontract.yaml by scripts/generate-lake.sh: do not edit, run npm run generate
"""JSON Schemas exported from datacontract.yaml (the bounds, patterns and required fields of each table),
and the quality rules of the stored record."""

import json

purchases = json.loads(
    r"""
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "purchase_id": {
      "type": "string",
      "format": "uuid",
      "primaryKey": true,
      "unique": true,
      "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
      "description": "Assigned by the API when it accepted the purchase (UUID v4, lower case)."
    },
    "buyer_id": {
      "type": "integer",
      "description": "The buyer's id.",
      "minimum": 1,
      "maximum": 9007199254740991,
      "classification": "internal"
    },
    "product_id": {
      "type": "integer",
      "description": "The product's id.",
      "minimum": 1,
      "maximum": 9007199254740991
    },
    "number_of_installments": {
      "type": "integer",
      "description": "How many installments the total is paid in (1 is a single payment).",
      "minimum": 1,
      "maximum": 24
    },
    "total_amount": {
      "type": "number",
      "description": "The purchase total in the shop's currency, exact to the cent (at most two decimal places).",
      "exclusiveMinimum": 0,
      "maximum": 1000000
    },
    "purchase_date": {
      "type": "string",
      "format": "date",
      "description": "The calendar date of the purchase as the client sent it (ISO 8601), no earlier than 2000-01-01 (the shop sold nothing before).",
      "minimum": "2000-01-01"
    },
    "received_at": {
      "type": "string",
      "format": "date-time",
      "description": "When the API accepted the purchase (UTC, ISO 8601)."
    },
    "created_by": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "description": "The caller that created the purchase: the `sub` claim of the token the API accepted it with\n(a client's id, or a pseudonymous user id), the only caller the API answers it to besides\nsupport tools. Absent on purchases accepted before version 1.1.0.\n",
      "classification": "restricted"
    },
    "stored_at": {
      "type": [
        "string",
        "null"
      ],
      "format": "date-time",
      "description": "When the consumer stored the purchase (UTC). Absent on the topic, set in the table."
    },
    "ingest_hour": {
      "type": [
        "string",
        "null"
      ],
      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}$",
      "description": "The UTC hour in which the consumer stored the purchase (YYYY-MM-DDTHH). Absent on the topic,\nset in the table; the lake reads one hour at a time by it.\n"
    }
  },
  "required": [
    "purchase_id",
    "buyer_id",
    "product_id",
    "number_of_installments",
    "total_amount",
    "purchase_date",
    "received_at"
  ],
  "title": "Purchase",
  "description": "A purchase as the API publishes it to the purchases topic and the consumer stores it in the\npurchases table (one item per purchase_id). Bronze holds these items as JSON.\n"
}"""
)

silver_purchases = json.loads(
    r"""
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "purchase_id": {
      "type": "string",
      "format": "uuid",
      "primaryKey": true,
      "unique": true,
      "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
      "description": "The purchase's id, unique in silver."
    },
    "buyer_id": {
      "type": "integer",
      "description": "The buyer's id.",
      "minimum": 1
    },
    "product_id": {
      "type": "integer",
      "description": "The product's id.",
      "minimum": 1
    },
    "number_of_installments": {
      "type": "integer",
      "description": "How many installments the total is paid in.",
      "minimum": 1,
      "maximum": 24
    },
    "total_amount": {
      "type": "number",
      "description": "The purchase total, exact to the cent.",
      "exclusiveMinimum": 0,
      "maximum": 1000000
    },
    "installment_amount": {
      "type": "number",
      "description": "The total divided by the number of installments, rounded half up to the cent; at least 0.01,\nas every purchase's total covers 0.01 per installment (the purchases quality rule).\n",
      "minimum": 0.01
    },
    "purchase_date": {
      "type": "string",
      "format": "date",
      "description": "The calendar date of the purchase, no earlier than 2000-01-01 (the shop sold nothing before).",
      "minimum": "2000-01-01"
    },
    "purchase_year": {
      "type": "integer",
      "description": "Year of purchase_date (partition column)."
    },
    "purchase_month": {
      "type": "integer",
      "description": "Month of purchase_date (partition column).",
      "minimum": 1,
      "maximum": 12
    },
    "purchase_day": {
      "type": "integer",
      "description": "Day of month of purchase_date.",
      "minimum": 1,
      "maximum": 31
    },
    "purchase_weekday": {
      "type": "integer",
      "description": "ISO day of week of purchase_date (1 is Monday).",
      "minimum": 1,
      "maximum": 7
    },
    "received_at": {
      "type": "string",
      "format": "date-time",
      "description": "When the API accepted the purchase (UTC)."
    },
    "created_by": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "description": "The caller that created the purchase (the token's `sub`; pseudonymous), absent before 1.1.0.",
      "classification": "restricted"
    },
    "stored_at": {
      "type": "string",
      "format": "date-time",
      "description": "When the consumer stored the purchase (UTC)."
    },
    "ingest_hour": {
      "type": "string",
      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}$",
      "description": "The UTC hour the consumer stored the purchase in."
    },
    "bronze_hour": {
      "type": "string",
      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}$",
      "description": "The bronze hour (YYYY-MM-DDTHH) the row was read from: the hourly run that brought it to\nsilver. It equals ingest_hour except for a write that DynamoDB's incremental export places\nin the next hour; a rerun of an hour replaces this partition and nothing else.\n"
    }
  },
  "required": [
    "purchase_id",
    "buyer_id",
    "product_id",
    "number_of_installments",
    "total_amount",
    "installment_amount",
    "purchase_date",
    "purchase_year",
    "purchase_month",
    "purchase_day",
    "purchase_weekday",
    "received_at",
    "stored_at",
    "ingest_hour",
    "bronze_hour"
  ],
  "title": "Purchase (cleaned)",
  "description": "One row per purchase: cast to the contract's types, deduplicated on purchase_id, enriched with\nthe installment amount and date parts. Partitioned by the bronze hour it was read from (so a\nrerun of an hour replaces exactly that hour), then by the purchase year and month.\n"
}"""
)

purchases_quality = json.loads(
    r"""
[
  {
    "type": "sql",
    "name": "each installment is at least 0.01",
    "description": "The total is paid in number_of_installments installments of at least 0.01 each, because an\ninstallment of 0.00 cannot be charged: 0.01 in 3 installments is refused by the API and\nquarantined by silver. The query counts the purchases that break the rule.\n",
    "dimension": "conformity",
    "query": "SELECT COUNT(*) FROM purchases WHERE total_amount < 0.01 * number_of_installments",
    "mustBe": 0
  }
]"""
)
