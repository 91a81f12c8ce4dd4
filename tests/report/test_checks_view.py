"""No blind checks (issue 11, item 4): the report names every registered check that never applied
in the run, and every check switched off with its reason."""

from __future__ import annotations

import time

from voipbin_harness.report.baseline import Baseline
from voipbin_harness.report.document import build_document
from voipbin_harness.report.html import render_html
from voipbin_harness.report.suites import SuiteResult

COUNTS = {
    "error_envelope": {"passed": 40, "failed": 2, "skipped": 300},
    "list_answer_shape": {"passed": 0, "failed": 0, "skipped": 120},  # blind: asserted nothing
    "rate_limit_answer": {"passed": 0, "failed": 0, "skipped": 342},  # no 429 to look at
    "authentication": {"passed": 0, "failed": 5, "skipped": 10},  # applied: it failed
}
OFF = {"use_after_free": "reads Schemathesis's stateful-phase history, which this suite does not run"}


def _document(summary: dict) -> dict:
    suites = [SuiteResult(name="contracts", title="Contracts", kind="pytest", status="passed", complete=True,
                          exit_code=0, summary={"complete": True, "findings": [], **summary}),
              SuiteResult(name="scenarios", title="Scenarios", kind="pytest", status="passed", complete=True,
                          exit_code=0, summary={"complete": True, "findings": []})]
    return build_document(started_epoch=time.time() - 5, suites=suites, baseline=Baseline(), target={},
                          spec={}, quick=True, versions={})


def test_a_check_that_neither_passed_nor_failed_is_listed_as_never_applied() -> None:
    document = _document({"checks": COUNTS, "checks_off": OFF, "pacing": {"rate_limited": 0}})
    [view] = document["checks"]  # scenarios count no checks: no row
    assert (view["suite"], view["registered"], view["applied"]) == ("contracts", 4, 2)
    assert [(c["check"], c["skipped"]) for c in view["never_applied"]] == [("list_answer_shape", 120),
                                                                         ("rate_limit_answer", 342)]
    notes = {c["check"]: c["note"] for c in view["never_applied"]}
    assert notes == {"list_answer_shape": "", "rate_limit_answer": "no 429 was met"}
    assert view["off"] == [{"check": "use_after_free", "reason": OFF["use_after_free"]}]


def test_a_rate_limit_check_blind_despite_429s_gets_no_excuse() -> None:
    document = _document({"checks": COUNTS, "pacing": {"rate_limited": 3}})
    assert {c["check"]: c["note"] for c in document["checks"][0]["never_applied"]}["rate_limit_answer"] == ""


def test_the_page_names_the_blind_checks_and_the_checks_switched_off() -> None:
    page = render_html(_document({"checks": COUNTS, "checks_off": OFF, "pacing": {"rate_limited": 0}}))
    assert "2 of 4 registered checks applied at least once" in page
    assert "<code>list_answer_shape</code>" in page and "2 never applied" in page
    assert "<code>use_after_free</code>" in page and "stateful-phase history" in page


def test_every_check_applied_says_so_and_lists_none() -> None:
    applied = {name: {"passed": 1, "failed": 0, "skipped": 0} for name in COUNTS}
    document = _document({"checks": applied})
    assert document["checks"][0]["never_applied"] == []
    assert "never applied" not in render_html(document)
