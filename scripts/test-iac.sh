#!/usr/bin/env bash
# Infrastructure: packages the stack for dev, staging, prod and local with osls (no AWS access, dummy
# credentials), then checks the CloudFormation templates: cfn-lint, checkov (with the suppressions in
# resources/checkov-skips.yaml) and the assertions of test/iac/.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
ensure_venv iac
ensure_actionlint
cd "$ROOT"
"$TOOLS/venv-iac/bin/ruff" check test/iac
"$TOOLS/venv-iac/bin/ruff" format --check test/iac
"$TOOLS/venv-iac/bin/python" -m pytest test/iac -q "$@"
