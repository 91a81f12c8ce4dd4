"""Run one suite in its own process: bounded in time, its output logged (redacted), never orphaned.

Each suite runs as ``python -m voipbin_harness <command> ...`` in a new session (process group)
so that stopping it reaches everything it started (the embedded emulator included): Ctrl-C or
SIGTERM to ``check``, or the suite's timeout, is forwarded as SIGINT to the group (pytest and
Locust write what they have on SIGINT), then SIGTERM to a suite that is still there after a grace
period, then SIGKILL. Whatever it wrote by then is read back (``suites.read_suite_result``: its
summary, its findings log, its workers' folders). After the suite ends its group is killed
anyway, so a suite that leaves an emulator behind cannot keep a port or a core busy.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import repo_root
from ..redact import redact_text

__all__ = ["ProcessOutcome", "SuitePlan", "default_interrupt", "run_process"]

GRACE_S = 15.0  # after SIGINT: pytest finishes its session hooks, writes junit and the summary
TERM_GRACE_S = 5.0  # after SIGTERM, for a suite that ignored SIGINT (or was stuck in a C call)


@dataclass
class SuitePlan:
    """What ``check`` will run for one suite."""

    name: str  # report sub-folder: "spec-lint", "contracts", "scenarios", "load-smoke", "load-ratelimit"
    title: str
    kind: str  # "lint" | "pytest" | "load"
    argv: list[str]  # after ``python -m voipbin_harness``
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 600.0
    budget_s: float | None = None  # its share of the run's time budget (None: not budgeted)
    grace_s: float | None = None  # how long a stopped suite may write after SIGINT (None: GRACE_S)
    program: list[str] = field(default_factory=lambda: [sys.executable, "-m", "voipbin_harness"])
    unavailable: str = ""  # why it cannot run at all (command missing, target unreachable); "" = it can
    skipped: str = ""  # why it is left out on purpose (--skip, load against a non-loopback target)

    @property
    def command_line(self) -> str:
        env = " ".join(f"{k}={v}" for k, v in sorted(self.env.items()))
        return redact_text(" ".join(filter(None, [env, "voipbin-harness", *self.argv])))


@dataclass
class ProcessOutcome:
    exit_code: int | None
    duration_s: float
    interrupted: bool = False
    timed_out: bool = False
    error_line: str = ""  # the suite's one-line error, or its last output line


# Where a suite says why it stopped, best first: the CLI's one-line error, pytest's "Interrupted"
# banner (a session-level failure such as refused credentials), the last exception line.
_WHY = (re.compile(r"voipbin-harness[^:]*: error: (.+)"), re.compile(r"^!+ Interrupted: (.+?) !+$"),
        re.compile(r"^E\s+(?:[\w.]+Error: )?(.+)"), re.compile(r"^(\w*Error: .+)"))


def _last_error(lines: deque[str]) -> str:
    """The one line that says why the suite stopped (its output's last line when none does)."""
    for pattern in _WHY:
        for line in reversed(lines):
            match = pattern.search(line.strip())
            if match:
                return match.group(1).strip()[:300]
    return next((line.strip()[:300] for line in reversed(lines) if line.strip()), "")


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def run_process(plan: SuitePlan, suite_dir: Path, *, on_tick: Callable[[str], None] = lambda _: None,
                tick_s: float = 0.5) -> ProcessOutcome:
    """Run ``plan`` to its end, its timeout, or a Ctrl-C (the outcome then says ``interrupted``)."""
    suite_dir.mkdir(parents=True, exist_ok=True)
    log_path = suite_dir / "output.log"
    tail: deque[str] = deque(maxlen=40)
    env = {**os.environ, **plan.env, "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    proc = subprocess.Popen([*plan.program, *plan.argv], cwd=repo_root(), env=env,
                            stdin=subprocess.DEVNULL, preexec_fn=default_interrupt,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    reader = threading.Thread(target=_pump, args=(proc.stdout, log_path, tail), daemon=True)
    reader.start()
    outcome = ProcessOutcome(exit_code=None, duration_s=0.0)
    try:
        while proc.poll() is None:
            if time.monotonic() - started > plan.timeout:
                outcome.timed_out = True
                _stop(proc, plan.grace_s)
                break
            on_tick(tail[-1] if tail else "")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=tick_s)  # returns as soon as the suite ends
    except KeyboardInterrupt:
        outcome.interrupted = True
        _stop(proc, plan.grace_s)
    finally:
        _signal_group(proc, signal.SIGKILL)  # whatever the suite left running (an emulator) goes too
        reader.join(timeout=5)
        outcome.exit_code = proc.returncode
        outcome.duration_s = round(time.monotonic() - started, 2)
        outcome.error_line = _last_error(tail)
    return outcome


def default_interrupt() -> None:
    """In a suite's process before it starts: SIGINT back to its default. A ``check`` started where
    SIGINT is ignored (``nohup``, ``cmd &`` in a script, a CI runner) would hand that on, and its
    suites would then sit out every graceful stop's SIGINT and keep nothing until SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop(proc: subprocess.Popen[bytes], grace_s: float | None = None) -> None:
    """SIGINT to the suite's group (it writes what it has), SIGTERM after the grace period, then
    SIGKILL; a second Ctrl-C goes straight to SIGKILL."""
    grace = GRACE_S if grace_s is None else grace_s
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, min(TERM_GRACE_S, grace))):
        _signal_group(proc, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:
            break
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def _pump(stream: object, log_path: Path, tail: deque[str]) -> None:
    """Copy the suite's output to ``output.log`` line by line, secrets masked."""
    with log_path.open("w", encoding="utf-8") as log:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            line = redact_text(raw.decode("utf-8", "replace").rstrip("\n"))
            log.write(line + "\n")
            log.flush()
            if line.strip():
                tail.append(line)
