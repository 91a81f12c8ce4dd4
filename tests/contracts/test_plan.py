"""The time-budget plan (``contracts.plan``) and the one spec finding for undeclared 429s: every
operation gets its turn at the gateway's rate, and the gateway's undeclared 429s are one defect."""

from __future__ import annotations

from pathlib import Path

from contracts.merge import merge_worker_summaries, worker_dir
from contracts.plan import make_plan
from contracts.reporting import SPEC_OPERATION, undeclared_rate_limit_finding
from voipbin_harness.findings import SummaryWriter

START = 1_000_000.0


def test_every_operation_fits_at_the_gateway_rate() -> None:
    plan = make_plan(time_budget=240, rate=15.3, workers=2, operations=410, create_operations=60, workflows=46,
                     max_examples=3, started=START, now=START + 15)
    assert plan.fits and plan.quota_per_operation is not None and plan.quota_per_operation >= 2
    assert plan.max_examples <= 3
    # what the plan pays for fits the time it has, and the deadlines come in order within the budget
    requests = (410 + 60) * plan.quota_per_operation + 6 * 46
    assert requests <= 15.3 * (plan.workflows_deadline - (START + 15))
    assert START + 15 < plan.operations_deadline < plan.workflows_deadline < START + 240


def test_a_budget_too_small_still_gives_one_request_each_and_says_it_does_not_fit() -> None:
    plan = make_plan(time_budget=20, rate=15.3, workers=1, operations=410, create_operations=60, workflows=46,
                     max_examples=3, started=START, now=START + 5)
    assert plan.quota_per_operation == 1 and plan.max_examples == 1 and not plan.fits


def test_unpaced_runs_have_no_quota_but_keep_their_deadlines() -> None:
    plan = make_plan(time_budget=100, rate=None, workers=2, operations=410, create_operations=60, workflows=46,
                     max_examples=7, started=START, now=START)
    assert plan.quota_per_operation is None and plan.max_examples == 7
    assert plan.operations_over(START + 99) and not plan.operations_over(START + 10)
    assert plan.block()["quota_per_operation"] is None


def test_undeclared_429s_are_one_spec_finding_with_a_stable_id(tmp_path: Path) -> None:
    one = undeclared_rate_limit_finding(["GET /flows"], 410)
    many = undeclared_rate_limit_finding(["GET /calls", "GET /flows", "POST /flows"], 410)
    assert one.id == many.id and one.operation == many.operation == SPEC_OPERATION
    assert "3 of 410" in many.message
    for name, labels in (("gw0", ["GET /flows"]), ("gw1", ["GET /calls", "GET /flows"])):
        writer = SummaryWriter(worker_dir(tmp_path, name), "contracts", target={"name": "emulator", "origin": name})
        writer.add(undeclared_rate_limit_finding(labels, 410))
        writer.close(undeclared_429=labels, operation_states={label: {"answered": 1, "reason": None}
                                                              for label in ("GET /flows", "GET /calls")})
    merged = merge_worker_summaries(tmp_path, "contracts")
    assert merged is not None
    spec_findings = [f for f in merged["findings"] if f["operation"] == SPEC_OPERATION]
    assert len(spec_findings) == 1 and spec_findings[0]["id"] == one.id
    assert spec_findings[0]["message"].startswith("2 of ") and merged["undeclared_429"] == ["GET /calls", "GET /flows"]


def test_the_request_budget_of_a_live_run_caps_the_quota() -> None:
    free = make_plan(time_budget=600, rate=15.3, workers=1, operations=200, create_operations=0, workflows=0,
                     max_examples=3, started=START, now=START)
    capped = make_plan(time_budget=600, rate=15.3, workers=1, operations=200, create_operations=0, workflows=0,
                       max_examples=3, started=START, now=START, request_budget=1000)
    assert capped.quota_per_operation == 4 < (free.quota_per_operation or 0)
