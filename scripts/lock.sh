#!/usr/bin/env bash
# Re-resolves every Python lock in requirements/ from its .in file (run after changing a pin).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_uv
cd "$ROOT"
for input in requirements/*.in; do
  name="${input%.in}"
  "$TOOLS/uv/bin/uv" pip compile --quiet --generate-hashes --python-version 3.11 \
    --no-header "$input" -o "$name.txt"
done
