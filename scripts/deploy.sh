#!/usr/bin/env bash
# npm run deploy -- --stage <stage> [--region <region>] [--artifacts-only]: the stack and every lake
# artifact of a stage (scripts/deploy/__main__.py says how).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_uv
ensure_venv deploy
cd "$ROOT"
PYTHONPATH="$ROOT/scripts" exec "$TOOLS/venv-deploy/bin/python" -m deploy deploy "$@"
