#!/usr/bin/env bash
# The lake benchmark (bench/lake_bench.py): Spark local mode against DuckDB over generated purchases.
#   bash bench/lake-bench.sh [ROWS ...]     default: 100000 1000000
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ensure_venv lake
cd "$ROOT"
exec "$TOOLS/venv-lake/bin/python" bench/lake_bench.py "$@"
