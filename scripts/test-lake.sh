#!/usr/bin/env bash
# The lake's checks: ruff, mypy over dags/ and spark/, then pytest over test/lake (unit tests on small
# DataFrames, DAG integrity, the property that silver accepts every purchase the API accepts, and the
# whole lake against a moto server through dag.test() and under a real Airflow scheduler, with datacontract
# test on its output).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The API's validator and the consumer's mapping draw the purchases silver must accept (tsx, fast-check).
ensure_node_modules
ensure_venv lake
# The deploy's artifact build installs the Spark jobs' packages for EMR with uv.
ensure_uv
ensure_venv emulator
# The deploy's SDK: its MWAA model says which Airflow versions MWAA accepts (test_mwaa_version.py).
ensure_venv deploy
ensure_datacontract
cd "$ROOT"

VENV="$TOOLS/venv-lake"
log "ruff over dags/ spark/ scripts/deploy/ test/lake/ bench/"
"$VENV/bin/ruff" check dags spark scripts/deploy test/lake bench
"$VENV/bin/ruff" format --check dags spark scripts/deploy test/lake bench

log "mypy over dags/ spark/ (strict, settings in pyproject.toml)"
"$VENV/bin/mypy"

log "pytest test/lake"
PYTHONPATH="$ROOT/dags:$ROOT/spark:$ROOT/scripts" "$VENV/bin/pytest" test/lake -p no:cacheprovider \
  -W ignore::DeprecationWarning -q "$@"
