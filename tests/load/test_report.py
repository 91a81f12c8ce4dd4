"""Verdicts, exit codes and summary.json of finished runs (canned books, no Locust)."""

from __future__ import annotations

import time
from pathlib import Path

from tests.load.helpers import book_with
from voipbin_harness.errors import ExitCode
from voipbin_harness.findings import SummaryWriter, read_summary
from voipbin_harness.loadgen.figures import capacity_plan
from voipbin_harness.loadgen.outcome import exit_code
from voipbin_harness.loadgen.plan import constant_plan, geometric_plan
from voipbin_harness.loadgen.results import capacity_outcome, steady_outcome, write_outcome
from voipbin_harness.loadgen.stats import RUN
from voipbin_harness.loadgen.thresholds import load_thresholds
from voipbin_harness.report.baseline import Baseline
from voipbin_harness.report.document import build_document
from voipbin_harness.report.html import render_html
from voipbin_harness.report.suites import SuiteResult

PLAN = geometric_plan(100, 400, 2, 0, 2, 100)  # 100, 200, 400 req/s, 2 s each


def test_capacity_with_a_target_knee_passes_and_says_so(tmp_path: Path) -> None:
    book = book_with({0: {"answers": 200, "latency_ms": 2}, 1: {"answers": 400, "latency_ms": 2},
                      2: {"answers": 500, "latency_ms": 150}})
    outcome = capacity_outcome(PLAN, book, load_thresholds("capacity"))
    block = outcome.summary["capacity"]
    assert block["limited_by"] == "target" and block["knee_rps"] == 200 and block["first_degraded_rps"] == 400
    assert block["breakpoint_rps"] == 400
    assert exit_code(outcome) == ExitCode.OK
    writer = SummaryWriter(tmp_path, "load", profile="capacity")
    assert write_outcome(outcome, writer, plan=PLAN, meta={"profile": "capacity"},
                         chart_path=tmp_path / "chart.png") == ExitCode.OK
    summary = read_summary(tmp_path)
    assert summary["suite"] == "load" and summary["complete"] and summary["exit_code"] == 0
    assert summary["capacity"]["knee_rps"] == 200 and summary["capacity"]["limited_by"] == "target"
    assert [set(s) >= {"offered_rps", "rps", "p50", "p95", "p99"} for s in summary["steps"]] == [True] * 3
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_generator_bound_capacity_run_is_invalid_never_a_capacity() -> None:
    book = book_with({0: {"answers": 200, "latency_ms": 2}, 1: {"answers": 400, "latency_ms": 2, "lag_ms": 60},
                      2: {"answers": 500, "latency_ms": 90, "cpu": 99}})
    outcome = capacity_outcome(PLAN, book, load_thresholds("capacity"))
    assert outcome.summary["capacity"]["limited_by"] == "generator"
    assert outcome.summary["capacity"]["target_capacity_at_least_rps"] == 200  # the lagging step kept up
    assert exit_code(outcome) == ExitCode.UNUSABLE and "generator" in outcome.invalid[0]
    assert outcome.warnings and "step 1" in outcome.warnings[0]


def test_a_knee_below_the_required_capacity_fails(tmp_path: Path) -> None:
    overlay = tmp_path / "t.toml"
    overlay.write_text("[capacity]\nmin_capacity_rps = 300\n")
    book = book_with({0: {"answers": 200, "latency_ms": 2}, 1: {"answers": 250, "latency_ms": 2},
                      2: {"answers": 260, "latency_ms": 2}})
    outcome = capacity_outcome(PLAN, book, load_thresholds("capacity", overlay))
    assert outcome.summary["capacity"]["knee_rps"] == 100
    assert exit_code(outcome) == ExitCode.FAILURES
    assert outcome.breaches[0].name == "capacity.min_capacity_rps"


def test_smoke_breaks_its_slo_and_reports_429_defects() -> None:
    plan = constant_plan(10, 10, 10)
    book = book_with({0: {"answers": 100, "latency_ms": 900, "r429": 2}})
    book.at(RUN).counts.update({"rl:429": 2, "rl:problem:429 without a Retry-After header": 2})
    outcome = steady_outcome("smoke", plan, book, load_thresholds("smoke"))
    names = {b.name for b in outcome.breaches}
    assert {"smoke.p95_ms", "smoke.p99_ms", "smoke.share_429"} <= names
    assert outcome.findings[0].message == "429 without a Retry-After header"
    assert outcome.summary["overall"]["rps"] == 10 and exit_code(outcome) == ExitCode.FAILURES


def test_generator_lag_invalidates_only_a_verdict_it_could_have_changed() -> None:
    plan = constant_plan(10, 10, 10)
    late_but_fast = book_with({0: {"answers": 100, "latency_ms": 30, "lag_ms": 25}})
    outcome = steady_outcome("smoke", plan, late_but_fast, load_thresholds("smoke"))
    assert exit_code(outcome) == ExitCode.OK and outcome.warnings and not outcome.invalid
    late_and_slow = book_with({0: {"answers": 100, "latency_ms": 900, "lag_ms": 25}})
    outcome = steady_outcome("smoke", plan, late_and_slow, load_thresholds("smoke"))
    assert exit_code(outcome) == ExitCode.UNUSABLE and "whose latency" in outcome.invalid[0]
    undelivered = book_with({0: {"answers": 50, "latency_ms": 3, "cpu": 99}})
    outcome = steady_outcome("smoke", plan, undelivered, load_thresholds("smoke"))
    assert exit_code(outcome) == ExitCode.UNUSABLE and "did not deliver" in outcome.invalid[0]
    undelivered.at(RUN).counts.update({"rl:429": 1, "rl:problem:429 without a Retry-After header": 1})
    outcome = steady_outcome("smoke", plan, undelivered, load_thresholds("smoke"))
    assert exit_code(outcome) == ExitCode.FAILURES, "a defect in an answer is a fact whatever the generator did"


def test_soak_trends() -> None:
    plan = constant_plan(10, 30, 10)
    book = book_with({i: {"answers": 100, "latency_ms": 5, "errors": 5 * i} for i in range(3)})
    outcome = steady_outcome("soak", plan, book, load_thresholds("soak"), memory=[(0, 100), (60, 200), (120, 300)])
    soak = outcome.summary["soak"]
    assert soak["memory_growth_mb_per_min"] == 100 and soak["error_rate_growth"] == 0.1
    assert {"soak.max_memory_growth_mb_per_min", "soak.max_error_rate_growth"} <= {b.name for b in outcome.breaches}


def test_the_capacity_plan_reaches_checks_report() -> None:
    """The ratelimit run's capacity plan is a paragraph of the load section of index.html."""
    plan = capacity_plan(onset=17.02, uncertainty=0.08, burst=32)
    load = SuiteResult(name="load-ratelimit", title="Load: ratelimit", kind="load", status="passed", complete=True,
                       exit_code=0, summary={"complete": True, "findings": [], "capacity_plan": plan, "steps": [
                           {"name": "refine 1", "offered_rps": 34.5, "rps": 34.0, "p50": 1.0, "p95": 2.0, "p99": 3.0}]})
    document = build_document(started_epoch=time.time(), suites=[load], baseline=Baseline(), target={"name": "emulator"},
                              spec={"title": "VoIPBin API", "version": "1.0.0"}, quick=True, versions={})
    assert document["load"]["load-ratelimit"]["capacity_plan"]["customers_per_ip"] == 11
    page = render_html(document)
    assert "Capacity plan." in page and "at most 11 customers" in page
