"""A load run's set-up requests (login, prefetch) go through the shared pacer: a 429 met there is
waited out and the request sent again, never a failure of the run; the waits are counted in
summary.json's ``pacing``. The measured load itself is never paced (test_runs: the ratelimit
profile still meets and counts its 429s).

The target is the real emulator with tight limits (2 req/s, burst 2, on the customer and on
/auth), in this process, behind a wrapper that spends the bucket just before the child's login
and prefetch arrive - as another client of the same customer would - so that both meet the
emulator's own 429 whatever the machine's speed.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from voipbin_harness.conventions.ratelimit import Limit
from voipbin_harness.emulator import EmulatorConfig, create_app
from voipbin_harness.emulator.app import EmulatorApp
from voipbin_harness.emulator.server import EmulatorServer, Request, Response
from voipbin_harness.emulator.tenants import ALPHA
from voipbin_harness.findings import read_summary
from voipbin_harness.paths import repo_root
from voipbin_harness.spec import Spec

pytestmark = pytest.mark.slow

TIGHT = Limit(2, 2)


def _spender(app: EmulatorApp, spent: list[str]) -> Callable[[Request], Response]:
    """Before the 2nd login (the first is the parent's credentials check) and the first prefetch
    (``page_size=100``), take every token left in that request's bucket."""
    logins = 0

    def handler(request: Request) -> Response:
        nonlocal logins
        if request.path == "/auth/login":
            logins += 1
            if logins == 2:
                _drain(app.auth_ip_tier.take, request.client_ip)
                spent.append("login")
        elif request.path == "/v1.0/flows" and "page_size=100" in request.query and "prefetch" not in spent:
            _drain(app.customer_tier.take, ALPHA.customer_id)
            spent.append("prefetch")
        return app(request)

    return handler


def _drain(take: Callable[[str], int], key: str) -> None:
    for _ in range(100):  # bounded: a bucket holds at most its burst
        if take(key):
            return


@contextmanager
def _tight_emulator(spec: Spec, spent: list[str], faults: tuple[str, ...] = ()) -> Iterator[str]:
    config = EmulatorConfig(customer_limit=TIGHT, auth_ip_limit=TIGHT, ip_limit=None, faults=faults)
    app = create_app(spec, config)
    with EmulatorServer(_spender(app, spent), "127.0.0.1", 0) as server:
        yield server.base_url


def _run(spec: Spec, tmp_path: Path, faults: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str],
                                                                         dict, list[str], str]:
    thresholds = tmp_path / "thresholds.toml"  # this test is about set-up: the measured few requests may be late
    thresholds.write_text("[smoke]\np95_ms = 60000.0\np99_ms = 60000.0\nshare_429 = 1.0\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPBIN_")}
    env.update(VOIPBIN_USERNAME=ALPHA.admin.username, VOIPBIN_PASSWORD=ALPHA.admin.password)
    spent: list[str] = []
    report = tmp_path / "report"
    with _tight_emulator(spec, spent, faults) as origin:
        done = subprocess.run(
            [sys.executable, "-m", "voipbin_harness", "load", "--profile", "smoke", "--target", origin,
             "--rate", "1", "--duration", "3", "--target-rate", str(TIGHT), "--thresholds", str(thresholds),
             "--report-dir", str(report)],
            cwd=repo_root(), env=env, capture_output=True, text=True, timeout=120)
    summary = read_summary(report)
    explain = f"exit {done.returncode}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}\ninvalid: {summary.get('invalid')}"
    return done, summary, spent, explain


def test_setup_429s_are_waited_out_and_counted(spec: Spec, tmp_path: Path) -> None:
    done, summary, spent, explain = _run(spec, tmp_path)
    report = tmp_path / "report"
    assert spent == ["login", "prefetch"], explain
    assert done.returncode == 0 and summary["verdict"] == "pass", explain
    pacing = summary["pacing"]
    assert pacing["limit"] == "2:2" and pacing["source"] == "--target-rate", pacing
    assert pacing["rate_limited"] >= 2 and pacing["retry_waits"] >= 2 and pacing["gave_up"] == 0, pacing
    assert pacing["retry_wait_seconds"] >= 2 * 1.0, "each 429 said Retry-After: 1, and was waited out"
    rows = {row["Name"]: row for row in csv.DictReader((report / "locust_stats.csv").open())}
    for name in ("/auth/login", "prefetch /v1.0/flows"):
        assert int(rows[name]["Request Count"]) >= 2, f"{name} was sent again after its 429"
        assert rows[name]["Failure Count"] == "0", f"a 429 on {name} is a wait, not a failure"


def test_setup_429s_still_have_their_answer_checked(spec: Spec, tmp_path: Path) -> None:
    """A set-up 429 is no failure of the run, but a 429 without Retry-After is still the target's
    defect: the run waits (backing off) and reports it, once."""
    done, summary, spent, explain = _run(spec, tmp_path, faults=("no-retry-after",))
    assert spent == ["login", "prefetch"], explain
    assert done.returncode == 1, explain
    assert [f["message"] for f in summary["findings"]] == ["429 without a Retry-After header"], explain
    assert summary["findings"][0]["occurrences"] >= 2
    assert summary["pacing"]["gave_up"] == 0 and summary["pacing"]["retry_waits"] >= 2
