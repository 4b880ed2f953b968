#!/usr/bin/env bash
# Generates the Python (`python`) and TypeScript (`typescript-fetch`) clients of openapi.yaml with
# openapi-generator into OUTDIR, for the e2e tests that drive the running API through them. Nothing it
# writes is committed: a client is whatever the generator makes of the spec today.
#   scripts/generate-clients.sh OUTDIR
# OUTDIR/tsconfig.json type-checks the TypeScript driver (test/e2e/clients) against the generated client.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
out="${1:?usage: generate-clients.sh OUTDIR}"
ensure_node_modules
ensure_openapi_generator
ensure_venv clients
mkdir -p "$out"
out="$(cd "$out" && pwd)"

cat >"$out/python.yaml" <<YAML
generatorName: python
inputSpec: $ROOT/openapi.yaml
outputDir: $out/python
additionalProperties:
  packageName: purchases_client
YAML
cat >"$out/typescript.yaml" <<YAML
generatorName: typescript-fetch
inputSpec: $ROOT/openapi.yaml
outputDir: $out/typescript
YAML
# One JVM for both generators.
java -jar "$OPENAPI_GENERATOR_JAR" batch --fail-fast "$out/python.yaml" "$out/typescript.yaml" >"$out/generate.log" 2>&1 \
  || { cat "$out/generate.log" >&2; exit 1; }

# Strict, but not the repository's extra checks (noUncheckedIndexedAccess, noImplicitOverride), which
# the generated code does not meet; its runtime names the DOM's fetch types.
cat >"$out/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "commonjs",
    "moduleResolution": "node10",
    "lib": ["ES2023", "DOM"],
    "strict": true,
    "isolatedModules": true,
    "skipLibCheck": true,
    "noEmit": true,
    "baseUrl": "$out",
    "paths": { "purchases-client": ["typescript/index.ts"] },
    "typeRoots": ["$ROOT/node_modules/@types"],
    "types": ["node"]
  },
  "files": ["$ROOT/test/e2e/clients/typescript-client.ts"]
}
JSON
