"""Exit codes and the one error type that the CLI turns into a one-line message.

Every command shares the same three outcomes so that CI jobs and nightly scripts can branch on
them without knowing which suite ran.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode", "HarnessError"]


class ExitCode(IntEnum):
    OK = 0  # ran, and everything holds
    FAILURES = 1  # ran, and found failures
    UNUSABLE = 2  # could not run: bad option, unreadable spec, unreachable target, rejected credentials


class HarnessError(Exception):
    """A problem the user can fix; shown as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.UNUSABLE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
