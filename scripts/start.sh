#!/usr/bin/env bash
# `npm start`: installs what the running system needs (npm packages, the emulator), then starts it.
# The lake's heavier toolchain is left to `npm test` and `npm run lake`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_venv emulator
cd "$ROOT"
# Quiet the SDK's notice about future Node.js versions; it says nothing about this system.
export AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1 NODE_NO_WARNINGS=1
exec "$ROOT/node_modules/.bin/tsx" src/local/start.ts
