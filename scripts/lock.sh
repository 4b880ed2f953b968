#!/usr/bin/env bash
# Re-resolves every Python lock in requirements/ from its .in file (run after changing a pin).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_uv
cd "$ROOT"
setting() { sed -n "s/^  $1: '\{0,1\}\([^' ]*\)'\{0,1\}$/\1/p" resources/stack.yml; }
for input in requirements/*.in; do
  name="${input%.in}"
  target=(--python-version 3.11)
  if [ "$name" = requirements/lake-job ]; then
    # The Spark jobs' environment on EMR Serverless: its Python and architecture, without the pyspark
    # and py4j that the release provides. AL2023, which EMR 7 runs on, has glibc 2.34.
    arch="$(setting emrArchitecture | tr '[:upper:]' '[:lower:]' | sed 's/arm64/aarch64/')"
    target=(--python-version "$(setting sparkPython)" --python-platform "$arch-manylinux_2_34"
      --no-emit-package pyspark --no-emit-package py4j)
  fi
  "$TOOLS/uv/bin/uv" pip compile --quiet --generate-hashes "${target[@]}" \
    --no-header "$input" -o "$name.txt"
done
