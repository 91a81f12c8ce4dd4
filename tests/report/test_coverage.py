"""coverage.json and the Coverage section: one entry per spec operation, the gate, the trend, and
"fixed" only for a known deviation re-tested and passed (issue 12 items 1-2)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from voipbin_harness.check.session import CheckSession
from voipbin_harness.coverage import Recorder
from voipbin_harness.findings import finding_id
from voipbin_harness.report.baseline import Baseline, BaselineEntry
from voipbin_harness.report.coverage import build_coverage, check_evidence, coverage_gate
from voipbin_harness.spec import Spec, load_spec

# the fake suites' catalog (tests.report.fake_suite): finding 1 is error_envelope on POST /calls
GONE = finding_id("error_envelope", "POST /calls", "message")


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def _records() -> dict:
    contracts = Recorder(None, "contracts")
    contracts.exchange("GET /agents", 200, parameters=["status"], enum_values={"status": ["busy"]})
    contracts.exchange("GET /agents", 418, negative=True)
    contracts.exchange("GET /calls", 400, negative=True)
    contracts.check("GET /agents", "not_a_server_error", "passed")
    scenarios = Recorder(None, "scenarios")
    scenarios.exchange("GET /agents", 401)
    scenarios.exchange("POST /auth/login", 200)
    return {"contracts": contracts.operations(), "scenarios": scenarios.operations()}


def test_coverage_has_one_entry_per_operation_of_the_spec(spec: Spec) -> None:
    built = build_coverage(spec, _records())
    labels = [entry["operation"] for entry in built["operations"]]
    assert labels == [op.label for op in spec.operations]
    assert len(labels) == len(set(labels)) == len(spec.operations)
    totals = built["totals"]
    assert totals["operations"] == len(spec.operations)
    assert (totals["exercised"], totals["positive"], totals["only_negative"]) == (2, 1, 1)
    assert totals["never"] == len(spec.operations) - 2
    assert [o["operation"] for o in built["outside_spec"]] == ["POST /auth/login"]


def test_an_entry_says_statuses_cases_parameters_and_enum_values(spec: Spec) -> None:
    agents = next(e for e in build_coverage(spec, _records())["operations"] if e["operation"] == "GET /agents")
    declared = {str(c) for c in spec.operation("GET /agents").declared_statuses}
    assert agents["suites"] == ["contracts", "scenarios"]
    assert set(agents["statuses"]["declared_seen"]) == {"200", "401"} & declared
    assert set(agents["statuses"]["declared_seen"]) | set(agents["statuses"]["declared_unseen"]) == declared
    assert agents["statuses"]["undeclared_seen"] == ["418"]
    assert agents["cases"] == {"positive": 2, "negative": 1}
    assert "status" in agents["parameters"]["tried"] and "status" not in agents["parameters"]["untried"]
    assert agents["enum_values"]["status"]["tried"] == ["busy"]
    assert "available" in agents["enum_values"]["status"]["untried"]
    never = next(e for e in build_coverage(spec, _records())["operations"] if e["operation"] == "POST /calls")
    assert never["suites"] == [] and never["cases"] == {"positive": 0, "negative": 0}


def test_evidence_and_gate() -> None:
    assert check_evidence(_records()) == {("contracts", "not_a_server_error", "GET /agents"): {"passed": 1, "failed": 0, "cut": 0}}
    assert coverage_gate({"exercised_pct": 40.0, "exercised": 2, "operations": 5}, 50)["passed"] is False
    assert "below --min-coverage 50%" in coverage_gate({"exercised_pct": 40.0}, 50)["reason"]
    assert coverage_gate({"exercised_pct": 60.0}, 50)["passed"] is True
    assert coverage_gate({"exercised_pct": 60.0}, None) is None


# -- a whole check session over the fake suites ---------------------------------------------------------
def _baseline() -> Baseline:
    return Baseline(source="b.json", entries={GONE: BaselineEntry(GONE, "error_envelope", "POST /calls",
                                                                  "was a gateway bug", "contracts")})


def _retested(report: Path, outcome: str) -> None:
    """What the contracts suite would have recorded: error_envelope judged POST /calls again."""
    record = Recorder(report / "contracts", "contracts")
    record.exchange("POST /calls", 400, negative=True)
    record.check("POST /calls", "error_envelope", outcome)
    record.close()


def test_a_known_deviation_not_re_tested_is_unchecked_not_fixed(make_session: Callable[..., CheckSession],
                                                                tmp_path: Path) -> None:
    # contracts finishes and does not see finding 1, but never ran its check on its operation
    document = make_session(baseline=_baseline(), contracts="pass:0", spec_model=load_spec()).run()
    assert document["counts"]["fixed"] == 0
    assert [e["id"] for e in document["unchecked"]] == [GONE]


def test_a_known_deviation_re_tested_and_passed_is_fixed(make_session: Callable[..., CheckSession],
                                                         tmp_path: Path) -> None:
    report = tmp_path / "report"
    _retested(report, "passed")  # the fake suite leaves coverage.json in place
    document = make_session(baseline=_baseline(), contracts="pass:0", spec_model=load_spec()).run()
    assert [e["id"] for e in document["fixed"]] == [GONE]
    assert document["counts"]["unchecked"] == 0


def test_the_run_writes_coverage_json_and_a_coverage_section(make_session: Callable[..., CheckSession],
                                                             tmp_path: Path, spec: Spec) -> None:
    report = tmp_path / "report"
    _retested(report, "failed")
    document = make_session(baseline=_baseline(), contracts="pass:0", spec_model=load_spec()).run()
    written = orjson.loads((report / "coverage.json").read_bytes())
    assert len(written["operations"]) == len(spec.operations)
    assert document["coverage"]["totals"]["exercised"] == 1
    assert document["counts"]["fixed"] == 0  # re-tested, but the check failed there
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (report / "index.html").read_text()))
    assert "Coverage" in page and f"1 of {len(spec.operations)} operations of the spec exercised" in page


def test_min_coverage_fails_a_passing_run_with_its_reason(make_session: Callable[..., CheckSession],
                                                          tmp_path: Path) -> None:
    _retested(tmp_path / "report", "passed")
    document = make_session(contracts="pass:", scenarios="pass:", min_coverage=50.0, spec_model=load_spec()).run()
    assert (document["verdict"], document["exit_code"]) == ("fail", 1)
    assert "below --min-coverage 50%" in document["coverage"]["gate"]["reason"]
    passing = make_session(report_dir=tmp_path / "other", contracts="pass:", scenarios="pass:", min_coverage=0.0,
                           spec_model=load_spec()).run()
    assert (passing["verdict"], passing["exit_code"]) == ("pass", 0)


def test_history_shows_a_coverage_trend(make_session: Callable[..., CheckSession], tmp_path: Path) -> None:
    history = tmp_path / "history"
    make_session(report_dir=tmp_path / "one", history=str(history), contracts="pass:", scenarios="pass:",
                 spec_model=load_spec()).run()
    _retested(tmp_path / "two", "passed")
    second = make_session(report_dir=tmp_path / "two", history=str(history), contracts="pass:",
                          scenarios="pass:", spec_model=load_spec()).run()
    trend = second["history"]["coverage"]
    assert trend["last"]["exercised"] == 0 and trend["now"]["exercised"] == 1
    assert trend["exercised_change"] > 0
    assert "Coverage per run" in (tmp_path / "two" / "index.html").read_text()
