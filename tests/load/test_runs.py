"""Real, short, bounded Locust runs of each profile against the real emulator on 127.0.0.1.

Each run is ``voipbin-harness load`` in a child process (Locust never runs inside pytest), the
emulator started by ``--target emulator`` with the rate limit or fault under test. Budgets are
small on purpose; together these runs take about a minute on two cores.

No assertion here reads a rate or a latency figure as such (those belong in benchmarks): the tests
assert the verdict the harness reached from them, and what no machine load can change (every
ticket of the plan sent and answered once, exact merges, well-formed 429s, no secret in a report).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from voipbin_harness.cli import main
from voipbin_harness.emulator.tenants import ALPHA, BRAVO
from voipbin_harness.findings import read_summary
from voipbin_harness.paths import repo_root

pytestmark = pytest.mark.slow

SECRETS = [ALPHA.accesskey, BRAVO.accesskey, ALPHA.admin.password, BRAVO.admin.password, "emulator-jwt-key"]
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def run_load(*args: str, report_dir: Path, timeout: float = 90) -> tuple[int, str, str, dict[str, Any]]:
    cmd = [sys.executable, "-m", "voipbin_harness", "load", *args, "--report-dir", str(report_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPBIN_")}
    done = subprocess.run(cmd, cwd=repo_root(), env=env, capture_output=True, text=True, timeout=timeout)
    try:
        summary = read_summary(report_dir)
    except OSError:
        summary = {}
    return done.returncode, done.stdout, done.stderr, summary


def start_load(*args: str, report_dir: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "voipbin_harness", "load", *args, "--report-dir", str(report_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPBIN_")}
    return subprocess.Popen(cmd, cwd=repo_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def short_profiles(tmp_path: Path, **settings: float) -> Path:
    """A profiles file (``--profiles``) with a ratelimit profile shortened for a test."""
    lines = ["[ratelimit]", "rate = 200", "auth = \"bearer\"", "page_size = 1"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    lines += ["[ratelimit.weights]", "\"GET /flows\" = 1"]
    path = tmp_path / "profiles.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_no_secret(report_dir: Path) -> None:
    for path in report_dir.iterdir():
        text = path.read_text(errors="replace") if path.suffix != ".png" else ""
        for secret in SECRETS:
            assert secret not in text, f"{path.name} holds a credential"
        assert not JWT.search(text), f"{path.name} holds a JWT"


def judged_the_generator(rc: int, summary: dict[str, Any]) -> bool:
    """True when the run was judged invalid for the generator alone (exit 2, every reason about
    the generator): on a machine busy with other work that is the right answer, so the caller then
    leaves out only the assertions on what the figures concluded. It is never a skip: what no
    starvation can change (every ticket sent and answered, the 429s checked) is asserted anyway,
    so a broken generator still fails."""
    invalid = summary.get("invalid") or []
    return rc == 2 and bool(summary.get("complete")) and bool(invalid) and all("generator" in r for r in invalid)


def planned_requests(summary: dict[str, Any]) -> int:
    """The tickets of the plan summary.json states (a constant-rate plan: rate x (settle + hold))."""
    return round(sum(step["rate"] * (step["settle"] + step["hold"]) for step in summary["plan"]))


def explain(rc: int, out: str, err: str, summary: dict[str, Any]) -> str:
    return f"exit {rc}\nstdout: {out[-1500:]}\nstderr: {err[-1500:]}\ninvalid: {summary.get('invalid')}"


def test_smoke_reports_rate_and_percentiles(tmp_path: Path) -> None:
    rc, out, err, summary = run_load("--profile", "smoke", "--target", "emulator", "--duration", "4",
                                     report_dir=tmp_path)
    assert_no_secret(tmp_path)
    assert summary["suite"] == "load" and summary["complete"] and summary["profile"] == "smoke"
    # open model: a busy generator sends tickets late, never skips one (10 req/s x --duration 4 s)
    assert summary["merge_check"]["recorded"] == planned_requests(summary) == 40, explain(rc, out, err, summary)
    assert summary["merge_check"]["recorded"] == summary["merge_check"]["locust"]
    overall, step = summary["overall"], summary["steps"][0]
    assert overall["error_rate"] == 0 and overall["statuses"] == {"200": overall["answers"]}
    assert all(isinstance(step[key], float) and step[key] > 0 for key in ("rps", "p50", "p95", "p99"))
    assert step["p50"] <= step["p95"] <= step["p99"]
    names = {row.split(",")[1] for row in (tmp_path / "locust_stats.csv").read_text().splitlines()[1:]}
    assert {"/v1.0/flows", "/v1.0/flows/{id}"} <= names, names
    assert not [n for n in names if UUID.search(n)], "Locust names are spec templates, never concrete ids"
    assert (tmp_path / "locust.html").stat().st_size > 1000 and (tmp_path / "chart.png").exists()
    if not judged_the_generator(rc, summary):
        assert rc == 0 and "voipbin-harness load smoke: pass" in out, explain(rc, out, err, summary)
    pacing = summary["pacing"]  # the embedded emulator runs without limits: set-up is counted, never paced
    assert pacing["limit"] is None and pacing["requests"] >= 2 and pacing["paced_waits"] == 0


def test_ratelimit_measures_the_onset_and_retry_after(tmp_path: Path) -> None:
    profiles = short_profiles(tmp_path, compliant_s=3, recovery_s=3, start_rate=30, step_factor=1.5, hold=1)
    rc, out, err, summary = run_load("--profile", "ratelimit", "--target", "emulator", "--emulator-rate-limit",
                                     "50:50", "--profiles", str(profiles), "--duration", "16",
                                     report_dir=tmp_path / "report")
    assert_no_secret(tmp_path / "report")
    block = summary["ratelimit"]
    # every 429 met is well formed and limited by the customer's bucket, however loaded the machine
    assert block["answers_429"] > 0 and block["limited_by"] == {"customer": block["answers_429"]}
    assert block["retry_after_present_ratio"] == 1.0 and block["envelope_ok_ratio"] == 1.0
    assert block["early_retries"] == 0 and summary["findings"] == []
    if not judged_the_generator(rc, summary):
        # the onset within onset_tolerance of the emulator's 50 req/s is the harness's own
        # threshold (expected_onset_rps): no breach means it held
        assert rc == 0 and summary["thresholds"]["breaches"] == [], explain(rc, out, err, summary)
        assert block["onset_rps"] is not None and block["retries"] > 0 and block["recovered"] is True
    # set-up paced under the emulator's limit; the measured ramp never is (it met the 429s above)
    assert summary["pacing"]["limit"] == "50:50" and summary["pacing"]["gave_up"] == 0


def test_ratelimit_exits_1_on_missing_retry_after_and_on_500s(tmp_path: Path) -> None:
    profiles = short_profiles(tmp_path, compliant_s=2, recovery_s=2, start_rate=40, step_factor=1.6, hold=1)
    common = ["--profile", "ratelimit", "--target", "emulator", "--emulator-rate-limit", "50:50",
              "--profiles", str(profiles), "--duration", "14"]
    runs = {fault: start_load(*common, "--emulator-fault", fault, report_dir=tmp_path / fault)
            for fault in ("no-retry-after", "ratelimit-500")}
    results = {fault: (proc.wait(timeout=90), *proc.communicate()) for fault, proc in runs.items()}
    rc, out, err = results["no-retry-after"]
    summary = read_summary(tmp_path / "no-retry-after")
    assert rc == 1, explain(rc, out, err, summary)
    assert [f["message"] for f in summary["findings"]] == ["429 without a Retry-After header"]
    assert summary["findings"][0]["reproduce"].endswith("--emulator-rate-limit 50:50 --emulator-fault no-retry-after")
    assert summary["ratelimit"]["retry_after_present_ratio"] == 0
    assert summary["ratelimit"]["waits_without_retry_after"] > 0
    rc, out, err = results["ratelimit-500"]
    summary = read_summary(tmp_path / "ratelimit-500")
    assert rc == 1, explain(rc, out, err, summary)
    assert [f["check"] for f in summary["findings"]] == ["rate_limit_status"]
    assert summary["ratelimit"]["answers_429"] == 0 and summary["ratelimit"]["answers_5xx"] > 0


def test_ratelimit_without_429s_below_its_top_rate_is_inconclusive(tmp_path: Path) -> None:
    """A climb its duration cuts short (5 req/s x1.1 for 6 s) never reaches 3 x 50 req/s nor its
    top: "no limit seen" would blame the target; the run says it is inconclusive (exit 2)."""
    rc, out, err, summary = run_load("--profile", "ratelimit", "--target", "emulator", "--emulator-rate-limit",
                                     "50:50", "--start-rate", "5", "--step-factor", "1.1", "--duration", "13",
                                     report_dir=tmp_path)
    assert rc == 2, explain(rc, out, err, summary)
    assert summary["ratelimit"]["conclusive"] is False and summary["ratelimit"]["answers_429"] == 0
    assert any(reason.startswith("inconclusive: no 429") for reason in summary["invalid"]), summary["invalid"]
    assert not any(b["name"] == "ratelimit.require_limit" for b in summary["thresholds"]["breaches"])


def test_capacity_finds_the_knee_of_a_slow_target(tmp_path: Path) -> None:
    """The ``slow`` fault makes the emulator serve ~50 req/s: the target is the limit."""
    rc, out, err, summary = run_load("--profile", "capacity", "--target", "emulator", "--emulator-fault", "slow",
                                     "--start-rate", "20", "--step-factor", "2", "--settle", "0.5",
                                     "--hold", "1.5", "--rate", "320", "--duration", "10", report_dir=tmp_path)
    assert [s["offered_rps"] for s in summary["steps"]][:2] == [20, 40], explain(rc, out, err, summary)
    assert summary["merge_check"]["recorded"] == summary["merge_check"]["locust"]
    block = summary["capacity"]
    if not judged_the_generator(rc, summary):
        assert rc == 0 and block["limited_by"] == "target", explain(rc, out, err, summary)
        assert block["knee_rps"] < block["first_degraded_rps"] <= block["max_offered_rps"]
        assert block["breakpoint_rps"] is not None and block["stopped_early"]


def test_capacity_with_two_processes_merges_exactly_and_names_the_limit(tmp_path: Path) -> None:
    rc, out, err, summary = run_load("--profile", "capacity", "--target", "emulator", "--processes", "2",
                                     "--start-rate", "300", "--step-factor", "3", "--settle", "0.5",
                                     "--hold", "1.5", "--duration", "8", report_dir=tmp_path)
    block = summary.get("capacity", {})
    assert block.get("limited_by") in ("generator", "target"), explain(rc, out, err, summary)
    assert rc == (2 if block["limited_by"] == "generator" else 0), explain(rc, out, err, summary)
    knee_step = next(s for s in summary["steps"] if s["offered_rps"] == block["first_degraded_rps"])
    assert knee_step["generator_bound"] == (block["limited_by"] == "generator"), "the verdict follows the knee's step"
    assert block["first_degraded_rps"] is not None
    assert summary["generator"]["processes"] == 2
    assert summary["merge_check"]["worker_reports"] > 0
    assert summary["merge_check"]["recorded"] == summary["merge_check"]["locust"]
    assert summary["pacing"]["requests"] >= 2, "the workers' set-up pacing reaches the master's summary"


@pytest.mark.parametrize("args, words", [
    (["--target", "http://192.0.2.10:8080"], "192.0.2.10 is not a loopback address"),
    (["--target", "http://192.0.2.10:8080", "--allow-remote", "192.0.2.10"], "--max-rate RPS is required"),
    (["--target", "http://192.0.2.10:8080", "--allow-remote", "example.com", "--max-rate", "5"], "names 'example.com'"),
    (["--thresholds", "/nonexistent.toml"], "cannot read thresholds file"),
    (["--processes", "0"], "--processes: must be 1..64"),
    (["--emulator-rate-limit", "fast"], "a rate limit is RPS:BURST"),
    (["--target", "http://user:pw@127.0.0.1:9"], "the target URL holds credentials"),
    (["--target-rate", "fast"], "--target-rate: a rate limit is RPS or RPS:BURST"),
    (["--emulator-latency", "5:10"], "--emulator-latency: a latency needs 0 <= JITTER <= MS"),
])
def test_refused_runs_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           args: Sequence[str], words: str) -> None:
    """Refused before any traffic or Locust process (so this one runs in-process)."""
    rc = main(["load", "--profile", "smoke", *args, "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not any(tmp_path.iterdir()), "nothing ran, nothing was written"
