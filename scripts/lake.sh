#!/usr/bin/env bash
# `npm run lake -- --interval <start>/<end>`: bronze, silver and gold over what the local system stored
# in the emulator (AWS_ENDPOINT_URL, default http://127.0.0.1:4566), through Airflow's dag.test().
# Output goes to .local/lake (silver, gold, the bronze hours read) and .local/airflow.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The names come from src/stack-names.ts, through tsx.
ensure_node_modules
ensure_venv lake
cd "$ROOT"
PYTHONPATH="$ROOT/dags:$ROOT/spark" exec "$TOOLS/venv-lake/bin/python" -m lake.local_run "$@"
