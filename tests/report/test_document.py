"""The run document: verdict and exit code, findings merged, load figures normalised."""

from __future__ import annotations

import time

import pytest

from voipbin_harness.findings import finding_id
from voipbin_harness.report.baseline import Baseline, BaselineEntry
from voipbin_harness.report.document import build_document, load_figures
from voipbin_harness.report.suites import SuiteResult

KNOWN = finding_id("undeclared_status", "GET /flows/{id}", "404")
NEW = finding_id("tenant_isolation", "GET /flows", "leak")


def _suite(name: str, status: str, findings: list[str] = (), kind: str = "pytest", complete: bool = True,
           exit_code: int = 0) -> SuiteResult:
    summary = {"suite": name, "complete": complete,
               "findings": [{"id": f, "check": f.split(":")[0], "operation": "GET /x", "message": "m"} for f in findings]}
    return SuiteResult(name=name, title=name.title(), kind=kind, status=status, complete=complete,
                       summary=summary, exit_code=exit_code)


def _document(suites: list[SuiteResult], **kwargs: object) -> dict:
    baseline = Baseline(source="b.json", entries={KNOWN: BaselineEntry(KNOWN, "undeclared_status", "GET /flows/{id}",
                                                                       "documented", "contracts")})
    return build_document(started_epoch=time.time() - 5, suites=suites, baseline=baseline, target={"name": "emulator"},
                          spec={"title": "VoIPBin API"}, quick=True, versions={}, **kwargs)


@pytest.mark.parametrize(("suites", "verdict", "exit_code"), [
    ([_suite("contracts", "failed", [KNOWN], exit_code=1)], "pass", 0),
    ([_suite("contracts", "passed")], "pass", 0),
    ([_suite("contracts", "failed", [KNOWN, NEW], exit_code=1)], "fail", 1),
    # a suite that could not run: we cannot say everything holds
    ([_suite("contracts", "passed"), _suite("scenarios", "error", complete=False, exit_code=2)], "incomplete", 2),
    # new findings fail the run even when it is incomplete
    ([_suite("contracts", "incomplete", [NEW], complete=False, exit_code=-9)], "fail", 1),
    # a suite left out on purpose does not make the run incomplete
    ([_suite("contracts", "passed"), _suite("load-smoke", "skipped", kind="load", complete=False)], "pass", 0),
])
def test_verdict_and_exit_code(suites: list[SuiteResult], verdict: str, exit_code: int) -> None:
    document = _document(suites)
    assert (document["verdict"], document["exit_code"]) == (verdict, exit_code)


def test_nothing_tested_is_exit_2() -> None:
    document = _document([_suite("spec-lint", "passed", kind="lint"),
                          _suite("contracts", "error", complete=False, exit_code=2)])
    assert (document["verdict"], document["exit_code"], document["tested"]) == ("incomplete", 2, False)


def test_interrupted_run_is_incomplete() -> None:
    document = _document([_suite("contracts", "passed")], interrupted=True)
    assert (document["complete"], document["verdict"], document["exit_code"]) == (False, "incomplete", 2)


def test_spec_lint_defects_are_reported_but_never_decide() -> None:
    lint = _suite("spec-lint", "passed", [finding_id("spec.operation_id", "GET /a")], kind="lint")
    lint.summary["counts"] = {"spec.operation_id": 1}
    document = _document([lint, _suite("contracts", "passed")])
    assert document["verdict"] == "pass"
    assert document["findings"] == []
    assert document["lint"]["counts"] == {"spec.operation_id": 1}
    assert len(document["lint"]["findings"]) == 1


def test_a_suite_that_failed_silently_becomes_a_finding() -> None:
    silent = _suite("scenarios", "failed", [], exit_code=1)
    silent.tests = {"total": 3, "failed": 1, "errors": 0, "skipped": 0, "passed": 2}
    document = _document([silent])
    assert document["verdict"] == "fail"
    [finding] = document["findings"]
    assert finding["check"] == "suite-failed" and finding["got"] == "1 failed, 0 errors of 3 tests"


def test_findings_are_marked_known_and_new_first() -> None:
    document = _document([_suite("contracts", "failed", [KNOWN, NEW], exit_code=1)])
    assert [(f["id"], f["known"]) for f in document["findings"]] == [(NEW, False), (KNOWN, True)]
    assert document["counts"]["new"] == 1 and document["counts"]["known"] == 1


def test_the_same_finding_from_two_suites_is_listed_once() -> None:
    document = _document([_suite("contracts", "failed", [NEW], exit_code=1),
                          _suite("scenarios", "failed", [NEW], exit_code=1)])
    [finding] = document["findings"]
    assert finding["occurrences"] == 2 and finding["also_in"] == ["scenarios"]


def test_load_figures_from_either_layout() -> None:
    top = {"profile": "smoke", "steps": [{"name": "s1", "rps": 20.0, "p50": 1.0, "p95": 2.0, "p99": 3.0}],
           "ratelimit": {"onset_rps": 50.5}}
    nested = {"load": {"steps": [{"step": "a", "achieved_rps": 10, "latency_ms": {"p50": 1, "p95": 2, "p99": 4}},
                                 {"step": "b", "achieved_rps": 30, "latency_ms": {"p50": 2, "p95": 3, "p99": 5}}],
                       "totals": {"rps": 20, "p50": 1.5, "p95": 2.5, "p99": 4.5}}}
    first = load_figures(top)
    assert first["totals"]["rps"] == 20.0 and first["ratelimit"] == {"onset_rps": 50.5}
    second = load_figures(nested)
    assert [s["rps"] for s in second["steps"]] == [10.0, 30.0]
    assert second["totals"]["p99"] == 4.5
    assert load_figures({}) == {"profile": "", "steps": [], "totals": {}}


def test_broken_load_thresholds_become_findings() -> None:
    load = _suite("load-ratelimit", "failed", kind="load", exit_code=1)
    load.summary["thresholds"] = {"breaches": [{"name": "ratelimit.require_limit", "limit": True, "value": 0,
                                                "message": "ratelimit: no 429 answer at any offered rate"}]}
    document = _document([load])
    [finding] = document["findings"]
    assert (finding["check"], finding["operation"], finding["known"]) == ("load-threshold", "load ratelimit", False)
    assert finding["message"] == "ratelimit: no 429 answer at any offered rate"
    assert document["verdict"] == "fail"
