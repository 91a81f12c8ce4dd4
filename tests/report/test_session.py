"""Whole ``check`` sessions over stand-in suite processes: every way a suite can end, the report
after each suite, interruption, history, and no secret in any file written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from voipbin_harness.check.runner import default_interrupt
from voipbin_harness.check.session import CheckSession
from voipbin_harness.findings import finding_id
from voipbin_harness.paths import repo_root
from voipbin_harness.redact import register_secret
from voipbin_harness.report.allure import find_allure
from voipbin_harness.report.baseline import Baseline, BaselineEntry

Make = Callable[..., CheckSession]
# fake_suite.CATALOG 0 and 1 (contracts' default findings) are known; 2 (scenarios') is new
KNOWN = Baseline(source="known.json", entries={
    fid: BaselineEntry(fid, check, op, "accepted for the test", "contracts")
    for fid, check, op in [(finding_id("undeclared_status", "GET /flows/{id}", "404"), "undeclared_status", "GET /flows/{id}"),
                           (finding_id("error_envelope", "POST /calls", "message"), "error_envelope", "POST /calls")]})


def _summary(directory: Path) -> dict:
    return json.loads((directory / "summary.json").read_text())


def _suite(document: dict, name: str) -> dict:
    return next(s for s in document["suites"] if s["name"] == name)


def test_all_findings_known_passes_and_writes_every_file(make_session: Make, tmp_path: Path) -> None:
    document = make_session(baseline=KNOWN, scenarios="pass:").run()
    report = tmp_path / "report"
    assert (document["verdict"], document["exit_code"], document["complete"]) == ("pass", 0, True)
    assert {f["known"] for f in document["findings"]} == {True}
    assert (report / "index.html").is_file() and _summary(report)["verdict"] == "pass"
    merged = sorted(p.name for p in (report / "allure-results").iterdir())
    assert sum(name.endswith("-result.json") for name in merged) == 4  # 2 from each pytest suite
    for name in ("spec-lint", "contracts", "scenarios", "load-smoke", "load-ratelimit"):
        assert (report / name / "output.log").is_file()
    assert _suite(document, "contracts")["tests"] == {"total": 6, "failed": 2, "errors": 0, "skipped": 0,
                                                        "passed": 4}
    assert document["load"]["load-ratelimit"]["ratelimit"]["onset_rps"] == 51.0
    assert len(document["lint"]["findings"]) == 3  # the fake lint suite's three findings, all read


def test_a_new_finding_fails_the_run(make_session: Make) -> None:
    document = make_session(baseline=KNOWN).run()
    assert (document["verdict"], document["exit_code"]) == ("fail", 1)
    [new] = [f for f in document["findings"] if not f["known"]]
    assert new["check"] == "tenant_isolation" and new["suite"] == "scenarios"


def test_a_crashed_suite_leaves_what_it_found_and_the_run_incomplete(make_session: Make) -> None:
    document = make_session(baseline=KNOWN, contracts="crash:0,1", scenarios="pass:").run()
    contracts = _suite(document, "contracts")
    assert contracts["status"] == "incomplete" and contracts["exit_code"] == 3
    assert [f["check"] for f in document["findings"]] == ["undeclared_status"]
    assert (document["verdict"], document["exit_code"], document["complete"]) == ("incomplete", 2, False)
    # the rest of the run went on
    assert _suite(document, "load-smoke")["status"] == "passed"


@pytest.mark.timeout(120)  # a bound on a hang of the session itself, not a figure: the suite's own timeout is 3 s
def test_a_hung_suite_is_stopped_with_everything_it_started(make_session: Make, tmp_path: Path) -> None:
    document = make_session(scenarios="hang:2", timeout=3).run()
    scenarios = _suite(document, "scenarios")
    assert scenarios["status"] == "incomplete" and scenarios["reason"].startswith("timed out after 3 s")
    pid = int((tmp_path / "report" / "scenarios" / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert _suite(document, "load-ratelimit")["status"] == "passed"


def test_nothing_testable_is_exit_2_with_each_reason(make_session: Make) -> None:
    document = make_session(contracts="exit2:", scenarios="exit2:", load_smoke="exit2:", load_ratelimit="exit2:").run()
    assert (document["verdict"], document["exit_code"], document["tested"]) == ("incomplete", 2, False)
    assert _suite(document, "contracts")["reason"] == "target http://127.0.0.1:9 is unreachable: Connection refused"
    assert _suite(document, "spec-lint")["status"] == "passed"


def _start_driver(report: Path, **behaviour: str) -> subprocess.Popen[str]:
    """``check`` as a user runs it in a terminal: SIGINT at its default whatever this test process
    inherited (a CI runner or ``cmd &`` may start pytest with SIGINT ignored)."""
    args = [f"{k}={v}" for k, v in behaviour.items()]
    return subprocess.Popen([sys.executable, "-m", "tests.report.fakes", str(report), *args], cwd=repo_root(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=default_interrupt)


def _wait_for(predicate: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_still_leaves_a_report(tmp_path: Path, sig: int) -> None:
    report = tmp_path / "report"
    driver = _start_driver(report, scenarios="hang:")
    try:
        _wait_for(lambda: (report / "scenarios" / "pid").exists())
        # the report was written after the suites before, and says what runs now
        during = _summary(report)
        assert during["running"] == "Scenarios" and _suite(during, "contracts")["status"] == "failed"
        os.kill(driver.pid, sig)
        output, _ = driver.communicate(timeout=30)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    document = _summary(report)
    assert document["interrupted"] and not document["complete"]
    assert _suite(document, "scenarios")["reason"] == "interrupted; 0 findings made so far kept"
    assert _suite(document, "load-smoke")["status"] == "not-run"
    assert _suite(document, "load-smoke")["reason"] == "interrupted before its turn"
    # contracts' findings are new (no baseline): they still fail the run
    assert driver.returncode == 1 and document["verdict"] == "fail"
    assert "INCOMPLETE" not in output and "check: FAIL" in output
    pid = int((report / "scenarios" / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_interrupted_with_nothing_new_exits_2(tmp_path: Path) -> None:
    report = tmp_path / "report"
    driver = _start_driver(report, contracts="hang:")
    try:
        _wait_for(lambda: (report / "contracts" / "pid").exists())
        os.kill(driver.pid, signal.SIGINT)
        driver.communicate(timeout=30)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    assert driver.returncode == 2
    assert _summary(report)["verdict"] == "incomplete"


def test_two_runs_with_history_compare_the_second_with_the_first(make_session: Make, tmp_path: Path) -> None:
    history = tmp_path / "history"
    first = make_session(history=str(history), report_dir=tmp_path / "r1", scenarios="pass:").run()
    assert first["history"]["previous"] is None
    second = make_session(history=str(history), report_dir=tmp_path / "r2", scale=0.5).run()
    assert len(list(history.glob("run-*.json"))) == 2
    compared = second["history"]
    assert compared["previous"]["started_at"] == first["started_at"]
    assert [f["check"] for f in compared["new_since_last"]] == ["tenant_isolation"]
    # one earlier run is too few to judge load figures (see history.py), but they are compared
    halved = {m["name"]: m["change"] for m in compared["metrics"]}
    assert halved["load-smoke rps"] == pytest.approx(-0.5) and halved["load-smoke p99"] == pytest.approx(1.0)
    assert compared["regressions"] == 0
    page = (tmp_path / "r2" / "index.html").read_text()
    assert "New since the last run (1)" in page and "Findings per run" in page


def test_fail_on_regression_turns_a_slower_run_into_a_failure(make_session: Make, tmp_path: Path) -> None:
    history = tmp_path / "history"
    for index in range(3):
        make_session(history=str(history), report_dir=tmp_path / f"r{index}", baseline=KNOWN, scenarios="pass:",
                     only_load=True).run()
    slower = make_session(history=str(history), report_dir=tmp_path / "slow", baseline=KNOWN, scenarios="pass:",
                          scale=0.5, fail_on_regression=True, only_load=True).run()
    assert slower["history"]["regressions"] >= 2
    assert (slower["verdict"], slower["exit_code"]) == ("fail", 1)


def test_no_secret_reaches_any_file(make_session: Make, tmp_path: Path) -> None:
    """Secrets planted in every input a suite writes (findings, JUnit, allure attachments, its
    output) are in no file of the report directory, the Allure HTML report included."""
    secrets = ["planted-Password-5b1e9", "vb_plantedkey0000000000000000000000",
               "eyJhbGciOiJIUzI1NiJ9.eyJwbGFudGVkIjoxfQ.c2lnbmF0dXJlLXBsYW50ZWQ"]
    for secret in secrets[:2]:
        register_secret(secret)  # as check does with every VOIPBIN_* credential it reads
    history = tmp_path / "history"
    for index, secret in enumerate(secrets):
        make_session(secret=secret, history=str(history), report_dir=tmp_path / f"r{index}",
                     allure_html=find_allure() is not None).run()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 40
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret} in {path}"
    for index in range(len(secrets)):  # a registered value and an unregistered JWT alike: the report says so
        assert "contracts/junit.xml" in _summary(tmp_path / f"r{index}")["scrubbed"], index


def test_a_run_with_no_secret_reports_nothing_masked(make_session: Make, tmp_path: Path) -> None:
    """The false alarm of issue 12: suites quote promises that name credentials (``Authorization:
    Bearer <jwt>``, ``Set-Cookie: token=...; HttpOnly``): nothing to mask, nothing said, quote intact."""
    from tests.report.fake_suite import PROMISE_QUOTE

    for secret in ("alpha-secret", "vb_alpha000000000000000000000000000"):
        register_secret(secret)  # the run's credentials are known; they just are not in any file
    document = make_session(baseline=KNOWN).run()
    report = tmp_path / "report"
    assert document["scrubbed"] == [] and _summary(report)["scrubbed"] == []
    assert "Secrets masked" not in (report / "index.html").read_text()
    quoted = [p for p in (report / "allure-results").glob("*-result.json")
              if json.loads(p.read_text()).get("description") == PROMISE_QUOTE]
    assert len(quoted) == 4  # every result of both pytest suites, its quote as the suite wrote it


@pytest.mark.skipif(find_allure() is None, reason="the allure npm package is not installed")
def test_allure_html_report_when_allure_is_installed(make_session: Make, tmp_path: Path) -> None:
    document = make_session(allure_html=True).run()
    assert document["allure_report"] == "allure-report/index.html"
    assert (tmp_path / "report" / "allure-report" / "index.html").is_file()


def test_without_allure_the_rest_of_the_report_is_complete(make_session: Make, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("voipbin_harness.report.allure.find_allure", lambda: None)
    document = make_session(allure_html=True, baseline=KNOWN, scenarios="pass:").run()
    assert document["allure_report"] == "" and "not installed" in document["allure_report_note"]
    assert document["verdict"] == "pass" and (tmp_path / "report" / "index.html").is_file()
    assert any((tmp_path / "report" / "allure-results").iterdir())


def test_between_suites_runs_before_each_suite_that_meets_the_target(make_session: Make) -> None:
    calls: list[int] = []
    make_session(scenarios="pass:", between_suites=lambda: calls.append(1)).run()
    assert len(calls) == 4  # contracts, scenarios, load smoke, load ratelimit; not spec lint
