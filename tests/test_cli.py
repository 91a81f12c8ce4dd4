"""``python -m voipbin_harness`` as a user meets it: a child process, exit codes, one-line errors."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import KEYS
from voipbin_harness.emulator.control import CONTROL_PREFIX

REPO = Path(__file__).resolve().parents[1]
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voipbin_harness", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    __tracebackhide__ = True
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, f"exit {result.returncode}, stderr {result.stderr!r}"
    assert len(lines) == 1, f"expected one line on stderr, got {result.stderr!r}"
    assert "Traceback" not in result.stderr + result.stdout


@contextmanager
def _emulator(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """``emulator --port 0 ARGS`` in a child process; (process, origin, banner lines)."""
    proc = subprocess.Popen([sys.executable, "-m", "voipbin_harness", "emulator", "--port", "0", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    banner: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        origin = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            banner.append(line.rstrip())
            match = LISTENING.search(line)
            if match:
                origin = match.group(1)
                break
        assert origin, f"no 'listening on' line; output: {banner}"
        yield proc, origin, banner
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


BAD_ARGS = [
    ["--no-such-option"],
    ["emulator", "--no-such-option"],
    ["emulator", "--profile", "bogus"],
    ["emulator", "--rate-limit", "fast"],
    ["emulator", "--ip-rate-limit", "0:0"],
    ["emulator", "--rate-limit", "5:5", "--no-rate-limit"],
    ["emulator", "--port", "0", "--fault", "no-such-fault"],
    ["emulator", "--port", "0", "--spec", "/nonexistent/openapi.yaml"],
    ["no-such-command"],
]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every refused command line, run side by side (each costs an interpreter start)."""
    garbage = tmp_path_factory.mktemp("spec") / "spec.yaml"
    garbage.write_text("{{{ not yaml")
    cases = [*BAD_ARGS, ["emulator", "--port", "0", "--spec", str(garbage)]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda args: _run(*args), cases))
    return {" ".join(args if "spec.yaml" not in args[-1] else [*args[:-1], "GARBAGE"]): result
            for args, result in zip(cases, results, strict=True)}


@pytest.mark.parametrize("args", [" ".join(a) for a in BAD_ARGS] + ["emulator --port 0 --spec GARBAGE"])
def test_refused_command_line_is_one_line_and_exit_2(bad_runs: dict[str, subprocess.CompletedProcess[str]],
                                                     args: str) -> None:
    _assert_one_line_error(bad_runs[args])


def test_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = _run("emulator", "--host", "127.0.0.1", "--port", str(port))
    _assert_one_line_error(result)
    assert str(port) in result.stderr


def test_version_exits_0() -> None:
    result = _run("--version")
    assert result.returncode == 0 and "voipbin-harness" in result.stdout


def test_emulator_serves_and_stops_on_sigterm() -> None:
    with _emulator("--no-rate-limit") as (proc, origin, banner):
        text = "\n".join(banner)
        for name in ("admin@alpha.test", "agent@alpha.test", "admin@bravo.test"):
            assert name in text, f"tenant {name} not printed at start: {banner}"
        assert "alpha-secret" not in text and "bravo-secret" not in text, "passwords printed in the banner"
        ping = httpx.get(f"{origin}/ping", timeout=5)
        assert ping.status_code == 200 and ping.json() == {"message": "pong"}
        # --no-rate-limit: the same blast that trips the default tier (see below) meets no 429
        with httpx.Client(base_url=origin + "/v1.0", params={"accesskey": KEYS["alpha-key"]}, timeout=10) as client, \
                ThreadPoolExecutor(max_workers=8) as pool:
            statuses = set(pool.map(lambda _: client.get("/customer").status_code, range(200)))
        assert statuses == {200}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_emulator_default_limits_apply() -> None:
    """Without --no-rate-limit the gateway's customer tier (17/s, burst 33) is on: 200 requests from
    8 threads outrun the refill even on a loaded machine."""
    with _emulator() as (proc, origin, _), \
            httpx.Client(base_url=origin + "/v1.0", params={"accesskey": KEYS["alpha-key"]}, timeout=10) as client, \
            ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: client.get("/customer").status_code, range(200)))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert set(statuses) == {200, 429} and statuses.count(200) >= 33, sorted(set(statuses))


def test_emulator_flags_reach_the_server() -> None:
    with _emulator("--profile", "conformant", "--rate-limit", "5:7", "--jwt-key", "k" * 40, "--seed", "3",
                   "--fault", "slow", "--fault", "leak-list") as (proc, origin, _):
        config = httpx.get(f"{origin}{CONTROL_PREFIX}/config", timeout=5).json()
        login = httpx.post(f"{origin}/auth/login", json={"username": "admin@alpha.test", "password": "alpha-secret"},
                           timeout=5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert config["profile"] == "conformant"
    assert set(config["faults"]) == {"slow", "leak-list"}
    assert config["limits"]["customer"] == "5:7"
    import jwt

    assert jwt.decode(login.json()["token"], "k" * 40, algorithms=["HS256"], options={"verify_exp": False})
