#!/usr/bin/env bash
# `npm run contracts:breaking` and `npm run release`: the contracts against their released baseline in
# contracts/released/ (see scripts/contracts/compare.ts for what breaks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_datacontract
ensure_oasdiff
cd "$ROOT"
exec "$ROOT/node_modules/.bin/tsx" scripts/contracts/cli.ts "$@"
