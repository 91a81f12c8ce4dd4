"""The gateway's undeclared 429s are ONE spec defect: spec lint lists it once, the contracts
suite's single finding is in the shipped baseline with its reason, and a run that met no 429
neither knows nor "fixes" it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from voipbin_harness.findings import finding_id
from voipbin_harness.report.baseline import classify, load_baseline
from voipbin_harness.spec import Spec
from voipbin_harness.spec.lint import lint

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "reports" / "baselines" / "gateway-emulator.json"
TOOLS = REPO / "tools"
UNDECLARED_429 = finding_id("rate_limit_declared", "(spec)", "undeclared-429")


def test_spec_lint_reports_the_undeclared_429_once(spec: Spec) -> None:
    undeclared = [f for f in lint(spec).findings if f.check == "spec.undeclared_status"]
    about_429 = [f for f in undeclared if f.key == "429"]
    assert len(about_429) == 1 and about_429[0].operation == "*"
    declaring = sum(1 for op in spec.operations if "429" in op.declared_statuses or "default" in op.declared_statuses)
    assert f"429 declared by {declaring} of {len(spec.operations)} operations" in about_429[0].message
    assert "Any /v1.0 operation can be answered 429" in about_429[0].promise
    # the other undeclared statuses are still one per operation
    assert any(f.key == "200" and f.operation == "POST /agents" for f in undeclared)


def test_the_shipped_baseline_accepts_it_once_quoting_behaviour_md() -> None:
    baseline = load_baseline(BASELINE)
    entry = baseline.entries[UNDECLARED_429]
    assert (entry.check, entry.operation, entry.suite, entry.seen_when) == (
        "rate_limit_declared", "(spec)", "contracts", "rate-limited")
    assert '"Any /v1.0 operation can be answered 429."' in entry.reason and "ONCE" in entry.reason
    # and no per-operation rate_limit_declared entry is left
    assert [e.id for e in baseline.entries.values() if e.check == "rate_limit_declared"] == [UNDECLARED_429]
    # the generator script writes the same entry
    sys.path.insert(0, str(TOOLS))
    try:
        import gateway_reasons
    finally:
        sys.path.remove(str(TOOLS))
    assert gateway_reasons.SPEC_DEFECTS[0]["id"] == UNDECLARED_429
    assert gateway_reasons.reason_for({"check": "rate_limit_declared", "operation": "(spec)", "key": "undeclared-429",
                                       "got": "407 operations", "message": "x"}) == entry.reason
    assert json.loads(BASELINE.read_text())["findings"]  # still a valid file


def test_it_is_judged_only_by_a_run_that_met_a_429() -> None:
    baseline = load_baseline(BASELINE)
    finding = {"id": UNDECLARED_429, "check": "rate_limit_declared", "operation": "(spec)", "suite": "contracts"}
    seen = classify([dict(finding)], baseline, {"contracts"}, {"contracts"})
    assert seen.known and seen.known[0]["id"] == UNDECLARED_429
    unlimited = classify([], baseline, {"contracts"}, set())  # the embedded emulator without limits
    assert UNDECLARED_429 not in {e["id"] for e in unlimited.fixed + unlimited.unchecked}
    judged = {("contracts", "rate_limit_declared", "GET /calls"): {"passed": 2, "failed": 0}}
    limited = classify([], baseline, {"contracts"}, {"contracts"}, judged)  # 429s met, judged, not reported: fixed
    assert UNDECLARED_429 in {e["id"] for e in limited.fixed}
    not_judged = classify([], baseline, {"contracts"}, {"contracts"})  # no coverage record: not re-tested
    assert UNDECLARED_429 in {e["id"] for e in not_judged.unchecked}
