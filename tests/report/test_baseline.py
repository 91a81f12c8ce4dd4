"""The baseline: parsing, validation with one-line errors, and new/known/fixed classification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import finding_id
from voipbin_harness.report.baseline import Baseline, BaselineEntry, classify, load_baseline, write_baseline

LEAK = finding_id("tenant_isolation", "GET /flows", "leak")
PAGE = finding_id("pagination_contract", "GET /agents", "last-page")


def _finding(fid: str, suite: str = "contracts") -> dict:
    return {"id": fid, "check": fid.split(":")[0], "operation": "GET /x", "suite": suite, "message": "m"}


def test_yaml_and_json_baselines_load_the_same(tmp_path: Path) -> None:
    entry = {"id": PAGE, "check": "pagination_contract", "operation": "GET /agents", "suite": "contracts",
             "reason": "BEHAVIOUR.md: a token on every non-empty page"}
    (tmp_path / "b.json").write_text(json.dumps({"description": "d", "findings": [entry]}))
    (tmp_path / "b.yaml").write_text(f"description: d\nfindings:\n  - id: '{PAGE}'\n    check: pagination_contract\n"
                                     f"    operation: GET /agents\n    suite: contracts\n"
                                     f"    reason: 'BEHAVIOUR.md: a token on every non-empty page'\n")
    for name in ("b.json", "b.yaml"):
        baseline = load_baseline(tmp_path / name)
        assert PAGE in baseline
        assert baseline.entries[PAGE].reason.startswith("BEHAVIOUR.md")


@pytest.mark.parametrize(("content", "message"), [
    ("findings:\n  - id: x\n    check: c\n    operation: GET /a\n", "lacks reason"),
    ("findings:\n  - id: x\n    check: c\n    operation: GET /a\n    reason: r\n  - id: x\n    check: c\n"
     "    operation: GET /a\n    reason: r\n", "listed twice"),
    ("findings: {a: 1}\n", "'findings' list"),
    ("findings:\n  - just a string\n", "not a mapping"),
    ("findings: [unclosed\n", "not valid YAML"),
])
def test_a_bad_baseline_is_a_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(content)
    with pytest.raises(HarnessError) as caught:
        load_baseline(path)
    assert message in caught.value.one_line()
    assert "\n" not in caught.value.one_line()


def test_a_missing_baseline_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="cannot read the baseline"):
        load_baseline(tmp_path / "nope.json")


def test_classify_new_known_fixed_and_unchecked() -> None:
    gone = finding_id("error_envelope", "POST /calls", "message")
    unchecked = finding_id("rate_limit_answer", "GET /calls", "retry-after")
    baseline = Baseline(entries={
        PAGE: BaselineEntry(PAGE, "pagination_contract", "GET /agents", "documented", "contracts"),
        gone: BaselineEntry(gone, "error_envelope", "POST /calls", "was a gateway bug", "contracts"),
        unchecked: BaselineEntry(unchecked, "rate_limit_answer", "GET /calls", "r", "load-ratelimit"),
    })
    findings = [_finding(PAGE), _finding(LEAK, "scenarios")]
    evidence = {("contracts", "error_envelope", "POST /calls"): {"passed": 3, "failed": 0}}  # re-tested, held
    result = classify(findings, baseline, finished_suites={"contracts", "scenarios"}, evidence=evidence)
    assert [f["id"] for f in result.new] == [LEAK]
    assert [f["id"] for f in result.known] == [PAGE]
    assert findings[0]["known"] is True and findings[0]["baseline_reason"] == "documented"
    assert findings[1]["known"] is False
    assert [f["id"] for f in result.fixed] == [gone]
    # the ratelimit suite did not run to the end: its entry proves nothing either way
    assert [f["id"] for f in result.unchecked] == [unchecked]


def test_write_baseline_round_trips_and_keeps_reasons(tmp_path: Path) -> None:
    findings = [dict(_finding(PAGE), baseline_reason="kept"), _finding(LEAK)]
    for name in ("out.yaml", "out.json"):
        baseline = load_baseline(write_baseline(tmp_path / name, findings, description="x"))
        assert set(baseline.entries) == {PAGE, LEAK}
        assert baseline.entries[PAGE].reason == "kept"
        assert baseline.entries[LEAK].reason.startswith("TODO")


def test_rules_accept_a_family_of_findings_and_are_fixed_when_none_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"rules": [
        {"check": "response_schema_conformance", "operation": "GET /ai*", "key": r"/(format|enum)$",
         "suite": "contracts", "reason": "BEHAVIOUR.md: enums are not checked on input"},
        {"check": "unsupported_method", "operation": "*", "key": "404", "suite": "contracts", "reason": "r"},
    ]}))
    baseline = load_baseline(path)
    matching = {"id": "response_schema_conformance:1", "check": "response_schema_conformance",
                "operation": "GET /aicalls", "key": "200:components/schemas/X/enum", "suite": "contracts"}
    other_operation = dict(matching, id="response_schema_conformance:2", operation="GET /flows")
    other_key = dict(matching, id="response_schema_conformance:3", key="200:components/schemas/X/not")
    evidence = {("contracts", "unsupported_method", "GET /flows"): {"passed": 1, "failed": 0}}
    result = classify([matching, other_operation, other_key], baseline, finished_suites={"contracts"},
                      evidence=evidence)
    assert [f["id"] for f in result.known] == ["response_schema_conformance:1"]
    assert matching["baseline_reason"] == "BEHAVIOUR.md: enums are not checked on input"
    assert {f["id"] for f in result.new} == {"response_schema_conformance:2", "response_schema_conformance:3"}
    assert [f["check"] for f in result.fixed] == ["unsupported_method"]  # a rule nothing matched


def test_a_rule_without_a_reason_or_with_a_bad_regex_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"rules": [{"check": "c", "operation": "*", "key": "x"}]}))
    with pytest.raises(HarnessError, match="lacks reason"):
        load_baseline(path)
    path.write_text(json.dumps({"rules": [{"check": "c", "operation": "*", "key": "(", "reason": "r"}]}))
    with pytest.raises(HarnessError, match="not a regular expression"):
        load_baseline(path)


def test_the_shipped_gateway_baseline_loads_and_every_reason_quotes_behaviour_md() -> None:
    shipped = load_baseline(Path(__file__).resolve().parents[2] / "reports" / "baselines" / "gateway-emulator.json")
    assert shipped.entries and shipped.rules
    for reason in [e.reason for e in shipped.entries.values()] + [r.reason for r in shipped.rules]:
        assert "BEHAVIOUR.md" in reason


# -- "fixed" means re-tested and passed (issue 12 item 2) ------------------------------------------------
GONE = finding_id("status_code_conformance", "DELETE /flows/{id}", "200")


def _one_entry(operation: str = "DELETE /flows/{id}", suite: str = "contracts") -> Baseline:
    return Baseline(entries={GONE: BaselineEntry(GONE, "status_code_conformance", operation, "documented", suite)})


def test_a_deviation_not_re_tested_stays_unchecked_even_when_its_suite_finished() -> None:
    # the suite ran to the end, but never ran this check on this operation (a quick run's fewer inputs)
    evidence = {("contracts", "status_code_conformance", "GET /flows"): {"passed": 9, "failed": 0},
                ("contracts", "not_a_server_error", "DELETE /flows/{id}"): {"passed": 2, "failed": 0}}
    result = classify([], _one_entry(), finished_suites={"contracts", "*"}, evidence=evidence)
    assert result.fixed == []
    assert [f["id"] for f in result.unchecked] == [GONE]
    # and with no coverage record at all, nothing is ever called fixed
    assert classify([], _one_entry(), finished_suites={"contracts", "*"}).fixed == []


def test_a_deviation_re_tested_and_passed_is_fixed() -> None:
    evidence = {("contracts", "status_code_conformance", "DELETE /flows/{id}"): {"passed": 4, "failed": 0}}
    result = classify([], _one_entry(), finished_suites={"contracts"}, evidence=evidence)
    assert [f["id"] for f in result.fixed] == [GONE]
    assert result.unchecked == []


@pytest.mark.parametrize(("evidence", "finished"), [
    ({("contracts", "status_code_conformance", "DELETE /flows/{id}"): {"passed": 4, "failed": 1}}, {"contracts"}),
    ({("scenarios", "status_code_conformance", "DELETE /flows/{id}"): {"passed": 4, "failed": 0}}, {"contracts",
                                                                                                   "scenarios"}),
    ({("contracts", "status_code_conformance", "DELETE /flows/{id}"): {"passed": 4, "failed": 0}}, set()),
    ({("contracts", "status_code_conformance", "DELETE /flows/{id}"): {"passed": 4, "failed": 0, "cut": 3}},
     {"contracts"}),
], ids=["failed-there-too", "another-suite", "suite-did-not-finish", "cut-short-by-the-budget"])
def test_re_tested_means_by_its_suite_finished_and_never_failed(evidence: dict, finished: set[str]) -> None:
    result = classify([], _one_entry(), finished_suites=finished, evidence=evidence)
    assert result.fixed == [] and [f["id"] for f in result.unchecked] == [GONE]


def test_spec_level_and_target_wide_entries_need_their_check_judged_somewhere_and_failing_nowhere() -> None:
    for operation in ("(spec)", "*"):
        baseline = _one_entry(operation)
        judged = {("contracts", "status_code_conformance", "GET /calls"): {"passed": 1, "failed": 0}}
        assert [f["id"] for f in classify([], baseline, {"contracts"}, evidence=judged).fixed] == [GONE]
        failing = {**judged, ("contracts", "status_code_conformance", "GET /flows"): {"passed": 0, "failed": 1}}
        assert [f["id"] for f in classify([], baseline, {"contracts"}, evidence=failing).unchecked] == [GONE]
        assert classify([], baseline, {"contracts"}, evidence={}).fixed == []


def test_an_entry_with_its_key_is_checked_against_its_fields(tmp_path: Path) -> None:
    # ids are recomputed from (check, operation, key): renaming a check without migrating is loud
    fresh = {"id": finding_id("error_envelope", "POST /calls", "message"), "check": "error_envelope",
             "operation": "POST /calls", "key": "message", "suite": "contracts", "reason": "r"}
    stale = dict(fresh, id=finding_id("error_envelope_shape", "POST /calls", "message"))
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"findings": [fresh]}))
    assert load_baseline(path).entries[fresh["id"]].key == "message"
    path.write_text(json.dumps({"findings": [stale]}))
    with pytest.raises(HarnessError) as caught:
        load_baseline(path)
    assert "not the id of its check, operation and key" in caught.value.one_line()
    assert fresh["id"] in caught.value.one_line()


def test_write_baseline_keeps_the_key_only_where_it_recomputes_the_id(tmp_path: Path) -> None:
    keyed = {"id": finding_id("page_size", "GET /tags", "over"), "check": "page_size", "operation": "GET /tags",
             "key": "over", "suite": "scenarios", "message": "m"}
    masked = dict(keyed, id=finding_id("page_size", "GET /tags", "token=secret"), key="token=***")
    baseline = load_baseline(write_baseline(tmp_path / "b.json", [keyed, masked]))
    assert baseline.entries[keyed["id"]].key == "over"
    assert baseline.entries[masked["id"]].key is None


def test_the_shipped_baseline_loads_and_its_keyed_ids_are_its_fields() -> None:
    shipped = Path(__file__).resolve().parents[2] / "reports" / "baselines" / "gateway-emulator.json"
    baseline = load_baseline(shipped)  # raises on an id that is not its fields'
    checks = {entry.check for entry in baseline.entries.values()} | {rule.check for rule in baseline.rules}
    assert not checks & {"error_envelope_shape", "authentication_required"}  # the names before issue 11
    assert sum(entry.key is not None for entry in baseline.entries.values()) > len(baseline.entries) // 2


def test_a_deviation_a_rule_also_accepts_is_fixed_only_with_its_whole_family() -> None:
    from voipbin_harness.report.baseline import BaselineRule

    rule = BaselineRule("status_code_conformance", "DELETE /*", ".*", "data-dependent", "contracts")
    baseline = Baseline(entries=_one_entry().entries, rules=[rule])
    own = {("contracts", "status_code_conformance", "DELETE /flows/{id}"): {"passed": 4, "failed": 0}}
    family_failing = {**own, ("contracts", "status_code_conformance", "DELETE /calls/{id}"): {"passed": 1, "failed": 2}}
    result = classify([], baseline, finished_suites={"contracts"}, evidence=family_failing)
    assert GONE in [f["id"] for f in result.unchecked]  # its family still shows up: not meeting it proves nothing
    assert GONE in [f["id"] for f in classify([], baseline, {"contracts"}, evidence=own).fixed]
