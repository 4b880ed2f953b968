#!/usr/bin/env bash
# Generated hostile input: schemathesis drives the running local API from openapi.yaml, positive and
# negative cases, and fails on any server error or any response that breaks the spec.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_venv emulator
ensure_venv qa
cd "$ROOT"

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port="$(free_port)"; emulator_port="$(free_port)"
workdir="$(mktemp -d)"
PORT="$api_port" EMULATOR_PORT="$emulator_port" AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1 NODE_NO_WARNINGS=1 \
  "$ROOT/node_modules/.bin/tsx" src/local/start.ts >"$workdir/system.log" 2>&1 &
system_pid=$!
cleanup() { kill -INT "$system_pid" 2>/dev/null; wait "$system_pid" 2>/dev/null; rm -rf "$workdir"; }
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$api_port/health" >/dev/null 2>&1 && break
  kill -0 "$system_pid" 2>/dev/null || { cat "$workdir/system.log"; exit 1; }
  sleep 0.5
done

# Up to 400 examples per operation and round, in every phase, for ninety seconds; the checks are the ones that
# say "the server broke" or "the answer breaks openapi.yaml", and that a method a path lacks gets the 405
# with Allow that openapi.yaml declares. One worker: with two, the generators' threads
# call ast.parse at once (Hypothesis describing its filters), which CPython 3.11 can fail with "AST
# constructor recursion depth mismatch" (python/cpython#106905), an error of the tool, not of the API.
"$TOOLS/venv-qa/bin/schemathesis" run openapi.yaml \
  --url "http://127.0.0.1:$api_port" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,allow_header_conformance \
  --mode all --phases examples,coverage,fuzzing --max-examples 400 --max-time 90 \
  --seed 20241105 --workers 1 --no-color --generation-database none \
  --report junit --report-junit-path "$workdir/junit.xml" | tee "$workdir/schemathesis.log"
status=${PIPESTATUS[0]}

cases="$(grep -Eo '[0-9]+ generated' "$workdir/schemathesis.log" | tail -1 | grep -Eo '[0-9]+')"
echo "schemathesis generated ${cases:-0} test cases"
if [ "${cases:-0}" -lt 1000 ]; then
  echo "fewer than 1000 generated cases: the run did not exercise the API enough" >&2
  exit 1
fi
exit "$status"
