#!/usr/bin/env bash
# `npm run query -- "<SQL>"`: SQL over the local lake (.local/lake, written by `npm run lake`) with
# DuckDB, under the Glue catalog's database and table names. --format csv|json for machine output.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The names come from src/stack-names.ts, through tsx.
ensure_node_modules
ensure_venv lake
cd "$ROOT"
PYTHONPATH="$ROOT/dags:$ROOT/spark" exec "$TOOLS/venv-lake/bin/python" -m lake.local_query "$@"
