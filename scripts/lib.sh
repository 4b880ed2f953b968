#!/usr/bin/env bash
# Shared by the scripts in this folder: installs each tool the project needs into .tools/, once,
# and again only when its pinned inputs change (a stamp holds the hash of what was installed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Go's own installer puts the toolchain in /usr/local/go, which a login's PATH may not list.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="$PATH:/usr/local/go/bin"; fi
TOOLS="$ROOT/.tools"
PYTHON="${PYTHON:-python3}"
mkdir -p "$TOOLS"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# stamp_ok NAME FILE... : true when FILE... hash to what was installed under NAME last time.
stamp_ok() {
  local name="$1"; shift
  local want; want="$(cat "$@" | sha256sum | cut -d' ' -f1)"
  [ -f "$TOOLS/$name.stamp" ] && [ "$(cat "$TOOLS/$name.stamp")" = "$want" ]
}
stamp_write() {
  local name="$1"; shift
  cat "$@" | sha256sum | cut -d' ' -f1 > "$TOOLS/$name.stamp"
}

ensure_node_modules() {
  if ! stamp_ok node "$ROOT/package-lock.json" || [ ! -d "$ROOT/node_modules" ]; then
    log "installing npm dependencies from package-lock.json"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    stamp_write node "$ROOT/package-lock.json"
  fi
}

# uv resolves and installs the Python environments; it comes from PyPI as a wheel with its binary.
ensure_uv() {
  if ! stamp_ok uv "$ROOT/requirements/uv.txt" || [ ! -x "$TOOLS/uv/bin/uv" ]; then
    log "installing uv"
    rm -rf "$TOOLS/uv"
    "$PYTHON" -m venv "$TOOLS/uv"
    "$TOOLS/uv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$ROOT/requirements/uv.txt"
    stamp_write uv "$ROOT/requirements/uv.txt"
  fi
}

# ensure_venv NAME : .tools/venv-NAME holds exactly requirements/NAME.txt (a hashed lock).
ensure_venv() {
  local name="$1" lock="$ROOT/requirements/$1.txt" venv="$TOOLS/venv-$1"
  if ! stamp_ok "venv-$name" "$lock" || [ ! -x "$venv/bin/python" ]; then
    ensure_uv
    log "installing Python environment '$name' from requirements/$name.txt"
    rm -rf "$venv"
    "$TOOLS/uv/bin/uv" venv --quiet --python "$PYTHON" "$venv"
    VIRTUAL_ENV="$venv" "$TOOLS/uv/bin/uv" pip sync --quiet --require-hashes "$lock"
    stamp_write "venv-$name" "$lock"
  fi
}

# datacontract-cli runs as its own pipx application: its pins clash with Airflow's.
ensure_datacontract() {
  local spec; spec="$(grep -v '^#' "$ROOT/requirements/datacontract.txt" | tr -d '[:space:]')"
  if ! stamp_ok datacontract "$ROOT/requirements/datacontract.txt" "$ROOT/requirements/pipx.txt" \
    || [ ! -x "$TOOLS/bin/datacontract" ]; then
    log "installing datacontract-cli with pipx"
    rm -rf "$TOOLS/pipx-venv" "$TOOLS/pipx" "$TOOLS/bin/datacontract"
    "$PYTHON" -m venv "$TOOLS/pipx-venv"
    "$TOOLS/pipx-venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$ROOT/requirements/pipx.txt"
    PIPX_HOME="$TOOLS/pipx" PIPX_BIN_DIR="$TOOLS/bin" PIPX_MAN_DIR="$TOOLS/man" \
      "$TOOLS/pipx-venv/bin/pipx" install --quiet "$spec"
    stamp_write datacontract "$ROOT/requirements/datacontract.txt" "$ROOT/requirements/pipx.txt"
  fi
}

# oasdiff compares openapi.yaml with the released one; a Go module, built from the Go module proxy.
OASDIFF_MODULE="github.com/oasdiff/oasdiff@v1.39.0"
ensure_oasdiff() {
  if ! stamp_ok oasdiff <(echo "$OASDIFF_MODULE") || [ ! -x "$TOOLS/bin/oasdiff" ]; then
    command -v go >/dev/null 2>&1 || { log "oasdiff needs Go 1.25 or later on PATH"; return 1; }
    log "installing oasdiff ($OASDIFF_MODULE) with go install"
    GOBIN="$TOOLS/bin" go install "$OASDIFF_MODULE"
    stamp_write oasdiff <(echo "$OASDIFF_MODULE")
  fi
}

# Debian's Chromium, for the browser tests (apt is the only source of a browser build here).
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    log "installing Debian's chromium"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
}

# actionlint, built from its Go module through the Go module proxy (needs Go 1.25 or later on PATH).
ACTIONLINT_MODULE="github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
ensure_actionlint() {
  if ! stamp_ok actionlint <(echo "$ACTIONLINT_MODULE") || [ ! -x "$TOOLS/bin/actionlint" ]; then
    command -v go >/dev/null 2>&1 || { log "actionlint needs Go 1.25 or later on PATH"; return 1; }
    log "building $ACTIONLINT_MODULE"
    mkdir -p "$TOOLS/bin"
    GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "$ACTIONLINT_MODULE"
    stamp_write actionlint <(echo "$ACTIONLINT_MODULE")
  fi
}

# openapi-generator-cli, which generates the Python and TypeScript clients the e2e tests drive the API
# with: one jar from Maven Central (through mvn, so no mirror is named here), checked against its pin.
OPENAPI_GENERATOR_VERSION=7.25.0
OPENAPI_GENERATOR_SHA256=41ce4f6b07f196676439d710759fa1ced7a08066d06ff1bf314681470289efae
OPENAPI_GENERATOR_JAR="$TOOLS/openapi-generator/openapi-generator-cli-$OPENAPI_GENERATOR_VERSION.jar"
ensure_openapi_generator() {
  [ -f "$OPENAPI_GENERATOR_JAR" ] && return 0
  if ! command -v mvn >/dev/null 2>&1; then
    log "installing Debian's maven"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq maven >/dev/null
  fi
  log "installing openapi-generator-cli $OPENAPI_GENERATOR_VERSION"
  local work; work="$(mktemp -d)"
  mvn -q -B -Dmaven.repo.local="$work/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.openapitools:openapi-generator-cli:$OPENAPI_GENERATOR_VERSION:jar" \
    -DoutputDirectory="$work/out" >&2
  local jar="$work/out/openapi-generator-cli-$OPENAPI_GENERATOR_VERSION.jar"
  if ! echo "$OPENAPI_GENERATOR_SHA256  $jar" | sha256sum -c --quiet -; then
    rm -rf "$work"
    echo "openapi-generator-cli $OPENAPI_GENERATOR_VERSION does not match its pinned SHA-256" >&2
    return 1
  fi
  mkdir -p "$(dirname "$OPENAPI_GENERATOR_JAR")"
  mv "$jar" "$OPENAPI_GENERATOR_JAR"
  rm -rf "$work"
}
