"""A stage's names and settings as src/stack-names.ts resolves and checks them (the one place that does).

Python reads the module's output rather than resolving resources/stack.yml again:
`tsx src/stack-names.ts --stage <stage> --region <region> --account-id <id> [--check]`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TSX = ROOT / "node_modules" / ".bin" / "tsx"
MODULE = ROOT / "src" / "stack-names.ts"


class StageError(Exception):
    """The module refused the stage: its message names the stage or the parameter, and why."""


def stage_names(
    stage: str,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    *,
    check_params: bool = False,
    params: tuple[str, ...] = (),
) -> dict[str, Any]:
    """{stage, region, accountId, names, settings}; with check_params, also refuses placeholders."""
    command = [str(TSX), str(MODULE), "--stage", stage, "--region", region, "--account-id", account_id]
    if check_params:
        command.append("--check")
    for param in params:
        command += ["--param", param]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)  # noqa: S603
    if result.returncode != 0:
        raise StageError(result.stderr.strip() or f"{MODULE.name} failed ({result.returncode})")
    return json.loads(result.stdout)
