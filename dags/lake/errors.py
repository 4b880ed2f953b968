"""The lake's error types."""

from __future__ import annotations


class LakeConfigError(Exception):
    """A setting the lake needs is missing or invalid; the message names the variable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.name = "LakeConfigError"


class GateFailedError(Exception):
    """A layer's Soda gate failed, so its output was not published."""

    def __init__(self, layer: str, failed_checks: list[str]) -> None:
        super().__init__(f"{layer} gate failed: {', '.join(failed_checks) or 'scan errors'}")
        self.name = "GateFailedError"
        self.layer = layer
        self.failed_checks = failed_checks
