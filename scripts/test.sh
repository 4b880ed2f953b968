#!/usr/bin/env bash
# `npm test`: installs whatever is missing, then runs every check and test suite of the project.
# Every stage runs even when an earlier one fails; the exit code and the last line say how it went.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
export AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1 NODE_NO_WARNINGS=1
# The functions and the lake's DAG runs record each AWS call they make here (src/local/aws-call-log.ts,
# test/support/aws-call-log/); the iac stage, last, checks each one against its role in the template.
export AWS_CALL_LOG_DIR="$ROOT/.local/aws-calls"
rm -rf "$AWS_CALL_LOG_DIR"

passed=0; failed=0; failures=()
stage() {
  local name="$1"; shift
  local started=$SECONDS
  log "$name"
  if "$@"; then
    passed=$((passed + 1)); printf '    ok   %s (%ss)\n' "$name" $((SECONDS - started))
  else
    failed=$((failed + 1)); failures+=("$name"); printf '    FAIL %s (%ss)\n' "$name" $((SECONDS - started))
    return 1
  fi
}

install_all() {
  ensure_node_modules && ensure_venv emulator && ensure_datacontract && ensure_oasdiff && ensure_chromium \
    && ensure_openapi_generator && ensure_venv clients
}
drift_check() {
  bash scripts/generate.sh >/dev/null || return 1
  local drift; drift="$(git status --porcelain -- generated soda spark/schemas)"
  if [ -n "$drift" ]; then
    printf 'npm run generate changed files; commit the regenerated output:\n%s\n' "$drift"
    git --no-pager diff --stat -- generated soda spark/schemas
    return 1
  fi
}

# The lake's environment first: the propagation test runs an hour of the lake in a copy of the repository.
propagation() { ensure_venv lake && jest --selectProjects propagation --runInBand; }

stage "install" install_all || exit 1
stage "lint: biome" biome ci --error-on-warnings .
stage "type-check: tsc over src, test, bench" tsc --noEmit -p .
stage "lint: openapi.yaml (Redocly)" redocly lint openapi.yaml --config test/contracts/redocly.yaml --format=stylish
stage "lint: datacontract.yaml (datacontract lint)" "$TOOLS/bin/datacontract" lint datacontract.yaml
stage "generated code matches its sources" drift_check
stage "contracts: no breaking change against the released baseline" tsx scripts/contracts/cli.ts breaking
stage "jest: contracts (the breaking-change guard on a table of changes)" jest --selectProjects contracts
stage "jest: unit" jest --selectProjects unit
stage "jest: integration (moto server)" jest --selectProjects integration --runInBand
stage "jest: e2e (local system over HTTP)" jest --selectProjects e2e --runInBand
stage "jest: faults (nothing lost, nothing doubled)" jest --selectProjects faults --runInBand
stage "jest: propagation (a field added to both contracts reaches every layer)" propagation
# iac runs last: it checks the AWS calls every stage before it recorded.
for area in lake qa iac; do
  [ -f "scripts/test-$area.sh" ] && stage "$area" bash "scripts/test-$area.sh"
done

echo
if [ "$failed" -gt 0 ]; then printf 'failed stages: %s\n' "${failures[*]}"; fi
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
