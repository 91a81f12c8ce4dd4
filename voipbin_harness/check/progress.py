"""The live progress display of ``check``: which suite runs, for how long, and how it ended.

On a terminal one line is redrawn in place (suite, elapsed time, the suite's last output line)
and each finished suite leaves a permanent line. Anywhere else (CI logs, a pipe) it prints plain
lines: one when a suite starts, one every ``heartbeat`` seconds while it runs, one when it ends.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

__all__ = ["Progress"]

_MARK = {"passed": "✓", "failed": "✗", "incomplete": "!", "error": "!", "not-run": "-"}


class Progress:
    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None, heartbeat: float = 30.0) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.heartbeat = heartbeat
        self._label = ""
        self._started = 0.0
        self._last_beat = 0.0
        self._drawn = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe must not stop the run

    def header(self, text: str) -> None:
        self._write(text + "\n")

    def start(self, index: int, total: int, title: str) -> None:
        self._label = f"[{index}/{total}] {title}"
        self._started = self._last_beat = time.monotonic()
        if self.tty:
            self.tick("starting")
        else:
            self._write(f"check: {self._label}: started\n")

    def tick(self, last_line: str = "") -> None:
        elapsed = time.monotonic() - self._started
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns
            head = f"  ▸ {self._label}  {_clock(elapsed)}"
            tail = f"  {last_line.strip()}" if last_line.strip() else ""
            line = (head + "\x1b[2m" + tail[: max(0, width - len(head) - 1)] + "\x1b[0m") if tail else head
            self._write("\r\x1b[2K" + line)
            self._drawn = True
        elif elapsed - (self._last_beat - self._started) >= self.heartbeat:
            self._last_beat = time.monotonic()
            last = last_line.strip()
            last = f" · {last[-60:]}" if last else ""
            self._write(f"check: {self._label}: running, {_clock(elapsed)}{last}\n")

    def finish(self, status: str, detail: str) -> None:
        elapsed = time.monotonic() - self._started
        if self.tty:
            self._write(f"\r\x1b[2K  {_MARK.get(status, '?')} {self._label}  {status}  {_clock(elapsed)}  {detail}\n")
            self._drawn = False
        else:
            self._write(f"check: {self._label}: {status} in {_clock(elapsed)}: {detail}\n")

    def skipped(self, index: int, total: int, title: str, reason: str, *, status: str = "did not run") -> None:
        self._write(f"  - [{index}/{total}] {title}  {status}: {reason}\n" if self.tty
                    else f"check: [{index}/{total}] {title}: {status}: {reason}\n")


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
