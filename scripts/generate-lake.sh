#!/usr/bin/env bash
# The lake's artefacts derived from datacontract.yaml: PySpark schemas (spark/schemas/contract.py) and
# SodaCL checks per table (soda/generated/*.yml). Called by scripts/generate.sh; deterministic, so the
# regenerate-and-diff check in the test command catches drift.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_datacontract
cd "$ROOT"

CONTRACT=datacontract.yaml
DC="$TOOLS/bin/datacontract"
HEADER="generated from datacontract.yaml by scripts/generate-lake.sh: do not edit, run npm run generate"
# The tables the lake writes and gates; bronze (`purchases`) is raw JSON and not gated.
TABLES=(silver_purchases gold_daily_product_sales gold_buyer_summary gold_installment_mix)

mkdir -p spark/schemas soda/generated
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$DC" export spark "$CONTRACT" --output "$tmp/spark.py" >/dev/null
{
  echo "# $HEADER"
  echo '"""Spark schemas of every table in datacontract.yaml, one StructType per schema object."""'
  echo
  echo "from pyspark.sql.types import ("
  for type in $(grep -oE '\b(StructField|[A-Z][A-Za-z]*Type)\b' "$tmp/spark.py" | sort -u); do
    echo "    $type,"
  done
  echo ")"
  echo
  cat "$tmp/spark.py"
  echo
} > spark/schemas/contract.py

# JSON Schemas of the record the consumer stores and of a silver row, and the record's quality rules
# over several fields (the JSON Schema export has no place for them): the silver job quarantines a
# bronze record that breaks any of them, with the rule it broke.
node -e '
  const { parse } = require("yaml");
  const [contract, table] = process.argv.slice(1);
  const object = parse(require("fs").readFileSync(contract, "utf8")).schema.find((o) => o.name === table);
  process.stdout.write(JSON.stringify(object.quality ?? [], null, 2));
' "$CONTRACT" purchases > "$tmp/purchases_quality.json"
{
  echo "# $HEADER"
  echo '"""JSON Schemas exported from datacontract.yaml (the bounds, patterns and required fields of each table),'
  echo 'and the quality rules of the stored record."""'
  echo
  echo "import json"
  for table in purchases silver_purchases; do
    "$DC" export jsonschema "$CONTRACT" --schema-name "$table" --output "$tmp/$table.json" >/dev/null
  done
  for name in purchases silver_purchases purchases_quality; do
    echo
    echo "$name = json.loads("
    echo "    r\"\"\""
    cat "$tmp/$name.json"
    echo "\"\"\""
    echo ")"
  done
} > spark/schemas/json_schemas.py

# The sodacl export holds every table ("checks for <table>:" blocks); each gate reads its table's block.
"$DC" export sodacl "$CONTRACT" --output "$tmp/all.yml" >/dev/null
for table in "${TABLES[@]}"; do
  {
    echo "# $HEADER"
    awk -v head="checks for $table:" '/^[^ -]/ { keep = ($0 == head) } keep' "$tmp/all.yml"
  } > "soda/generated/$table.yml"
  grep -q "^checks for $table:" "soda/generated/$table.yml" || { echo "no checks for $table" >&2; exit 1; }
done
