"""Reading a suite's folder whatever state the suite left it in."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.report.fake_suite import finding
from voipbin_harness.findings import SummaryWriter
from voipbin_harness.report.suites import SuiteResult, junit_counts, read_suite_result


def _result() -> SuiteResult:
    return SuiteResult(name="contracts", title="Contracts", kind="pytest")


def test_a_finished_suite_is_passed_or_failed(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path / "contracts", "contracts", operations={"total": 410, "exercised": 410})
    writer.add(finding(0, "contracts"))
    writer.close()
    failed = read_suite_result(_result(), tmp_path / "contracts", tmp_path, exit_code=1)
    assert (failed.status, failed.complete, len(failed.findings)) == ("failed", True, 1)
    assert failed.to_dict()["details"]["operations"] == {"total": 410, "exercised": 410}
    passed = read_suite_result(_result(), tmp_path / "contracts", tmp_path, exit_code=0)
    assert passed.status == "passed"


def test_a_crashed_suite_keeps_the_findings_it_logged(tmp_path: Path) -> None:
    directory = tmp_path / "contracts"
    writer = SummaryWriter(directory, "contracts")
    writer.add(finding(0, "contracts"))
    # a finding logged to findings.jsonl but not yet in summary.json (the writer flushes at most
    # twice a second), then the process dies
    with (directory / "findings.jsonl").open("ab") as log:
        log.write(orjson.dumps(finding(1, "contracts").to_dict()) + b"\n" + b'{"id": "cut sh')
    result = read_suite_result(_result(), directory, tmp_path, exit_code=-9, error_line="Killed")
    assert result.status == "incomplete"
    assert result.complete is False
    assert result.reason == "Killed"
    assert {f["check"] for f in result.findings} == {"undeclared_status", "error_envelope"}
    assert result.tested


def test_a_suite_that_could_not_run_gives_its_reason(tmp_path: Path) -> None:
    result = read_suite_result(_result(), tmp_path / "contracts", tmp_path, exit_code=2,
                               error_line="target http://127.0.0.1:9 is unreachable")
    assert (result.status, result.reason, result.tested) == ("error", "target http://127.0.0.1:9 is unreachable", False)


def test_exit_zero_without_a_summary_is_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    result = read_suite_result(_result(), tmp_path / "contracts", tmp_path, exit_code=0)
    assert result.status == "incomplete"
    assert "wrote no summary.json" in result.reason
    (tmp_path / "contracts" / "summary.json").write_text("{not json")
    result = read_suite_result(_result(), tmp_path / "contracts", tmp_path, exit_code=0)
    assert "unreadable" in result.reason


def test_timed_out_and_never_started(tmp_path: Path) -> None:
    timed = read_suite_result(_result(), tmp_path / "contracts", tmp_path, exit_code=-9, timed_out=True)
    assert (timed.status, timed.reason) == ("error", "timed out")
    never = read_suite_result(_result(), tmp_path / "contracts", tmp_path, exit_code=None)
    assert never.status == "not-run"


def test_junit_counts_sum_every_suite(tmp_path: Path) -> None:
    (tmp_path / "junit.xml").write_text(
        '<testsuites><testsuite tests="5" failures="1" errors="1" skipped="1"/>'
        '<testsuite tests="2" failures="0" errors="0" skipped="0"/></testsuites>')
    assert junit_counts(tmp_path) == {"total": 7, "failed": 1, "errors": 1, "skipped": 1, "passed": 4}
    (tmp_path / "junit.xml").write_text("<broken")
    assert junit_counts(tmp_path) == {}
