#!/usr/bin/env bash
# The hour benchmark (bench/lake_hour_bench.py): one hour through `npm run lake` against bare Spark
# start-ups measured in the same run.
#   bash bench/lake-hour-bench.sh [PURCHASES]     default: 3000
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ensure_venv lake
ensure_venv emulator
cd "$ROOT"
PYTHONPATH="$ROOT/dags:$ROOT/spark" exec "$TOOLS/venv-lake/bin/python" bench/lake_hour_bench.py "$@"
