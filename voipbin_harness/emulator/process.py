"""Run the emulator in a child process, as the ``emulator`` target does for every suite.

A child process keeps the emulator's CPU apart from the suite's (the GIL would otherwise make
one slow the other) and is what a user runs by hand, so suites meet exactly that server. The
child binds port 0 and announces ``listening on http://HOST:PORT`` on stdout; we wait for it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from ..errors import HarnessError

__all__ = ["EmulatorProcess"]

_READY = re.compile(r"listening on (http://[^\s]+)")


class EmulatorProcess:
    """``with EmulatorProcess(["--profile", "conformant"]) as emu: emu.origin``."""

    def __init__(self, args: Sequence[str] = (), *, spec: str | None = None, startup_timeout: float = 30.0) -> None:
        self.args = list(args)
        self.spec = spec
        self.startup_timeout = startup_timeout
        self.origin = ""
        self.banner: list[str] = []
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> EmulatorProcess:
        cmd = [sys.executable, "-m", "voipbin_harness", "emulator", "--host", "127.0.0.1", "--port", "0", *self.args]
        if self.spec:
            cmd[4:4] = ["--spec", self.spec]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        deadline = time.monotonic() + self.startup_timeout
        assert self._proc.stdout is not None
        while time.monotonic() < deadline:
            line = self._proc.stdout.readline()
            if not line:
                break
            self.banner.append(line.rstrip())
            match = _READY.search(line)
            if match:
                self.origin = match.group(1).rstrip("/")
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.stop()
        tail = " | ".join(self.banner[-3:]) or "no output"
        raise HarnessError(f"the embedded emulator did not start: {tail}")

    def _drain(self) -> None:
        """Keep reading the child's output so that it never blocks on a full pipe."""
        proc = self._proc
        if proc is not None and proc.stdout is not None:
            for _ in proc.stdout:
                pass

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
