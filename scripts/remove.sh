#!/usr/bin/env bash
# npm run remove -- --stage <stage> [--region <region>]: empties the stage's buckets and removes its
# stack; refused for prod (scripts/deploy/__main__.py).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_venv deploy
cd "$ROOT"
PYTHONPATH="$ROOT/scripts" exec "$TOOLS/venv-deploy/bin/python" -m deploy remove "$@"
