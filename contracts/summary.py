"""``summary.json`` for a run that meets hundreds of findings, readable at any moment.

``SummaryWriter`` rewrites the whole summary (every finding, redacted) after each new finding, so a
run with N findings pays O(N^2); on the gateway emulator (~900 findings) that was tens of seconds.
This writer keeps its crash-safety (findings.jsonl still gets each finding at once, and the summary
is rewritten at least every ``FLUSH_INTERVAL`` seconds) and writes the final summary on close.

A pytest-xdist worker writes its own summary in ``.workers/<id>/`` and, with ``shared_log``, also
appends each new finding to the run's own ``findings.jsonl`` (under a file lock: the workers write it
at once), so the report folder holds every finding of the run while it runs, whatever stops it.
"""

from __future__ import annotations

import fcntl
import time
from pathlib import Path
from typing import Any

import orjson

from voipbin_harness.findings import Finding, SummaryWriter

__all__ = ["FLUSH_INTERVAL", "ThrottledSummaryWriter", "counts_block"]

FLUSH_INTERVAL = 5.0  # seconds


class ThrottledSummaryWriter(SummaryWriter):
    def __init__(self, *args: Any, shared_log: Path | None = None, **kwargs: Any) -> None:
        self._last_flush = 0.0
        self._closing = False
        self.shared_log = shared_log
        super().__init__(*args, **kwargs)

    def add(self, finding: Finding) -> bool:
        new = super().add(finding)
        if new and self.shared_log is not None:
            line = orjson.dumps(finding.to_dict()) + b"\n"
            with self.shared_log.open("ab") as log:
                fcntl.flock(log, fcntl.LOCK_EX)
                try:
                    log.write(line)
                finally:
                    fcntl.flock(log, fcntl.LOCK_UN)
        return new

    def checkpoint(self, **values: Any) -> None:
        """Rewrite the summary now with ``values``, still marked incomplete (a run being stopped)."""
        self._closing = True
        self.set(**values)

    def flush(self) -> None:
        now = time.monotonic()
        if self._closing or now - self._last_flush >= FLUSH_INTERVAL:
            self._last_flush = now
            super().flush()

    def close(self, **values: Any) -> None:
        self._closing = True
        super().close(**values)


def counts_block(findings: list[Finding], **totals: int) -> dict[str, Any]:
    """``counts``: findings by check and by severity, plus the run's totals (cases, answered...)."""
    by_check: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    for finding in findings:
        by_check[finding.check] = by_check.get(finding.check, 0) + 1
        by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
    return {"findings": len(findings), "by_check": dict(sorted(by_check.items())), "by_severity": by_severity,
            **totals}
