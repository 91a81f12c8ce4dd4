"""A finished run's results: the verdict blocks of each kind of run, summary.json and the chart.

One ``Outcome`` (``outcome.py``) per run, built by a pure function from the plan, the master's
merged ``StepBook`` and the thresholds (``steady_outcome``, ``capacity_outcome`` here,
``ratelimit.ratelimit_outcome``), chosen by the profile in ``load/<profile>.py``; then
``write_outcome`` writes summary.json through the shared ``SummaryWriter`` and the chart. No
Locust here, so all of it is unit-tested on canned books.

Exit codes: 1 when a finding was made (a defect in the target's answers is a fact whatever the
generator did); else 2 when the run is invalid (``invalid``: the generator could not keep the
schedule where it matters, or the run could not proceed); else 1 when a threshold is broken;
else 0.

When does a generator-bound step invalidate a run? Its lag only ever *adds* to measured
latency, and its CPU only ever *lowers* the offered rate. So a steady run (smoke, soak) whose
latency SLOs hold despite the lag is a valid pass, and a ratelimit ramp that still delivered its
rates is a valid measurement; both only carry ``generator_warnings``. A latency breach with a
lagging generator, or a rate the generator did not deliver, cannot be told apart from the
target's own: that run is invalid. Capacity likewise: a lagging step that still kept up is
proof, a knee on a lagging step is the generator's (``limited_by: generator``, invalid).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..conventions.rules import R
from ..errors import ExitCode
from ..findings import Finding, SummaryWriter
from .analysis import Slo, StepResult, find_breakpoint, limited_by, slope, step_result, step_results
from .figures import DEFINITIONS, capacity_plan, max_achieved, rate_text
from .outcome import VERDICT_WORDS, Outcome, exit_code
from .plan import Plan
from .stats import RUN, StepBook
from .thresholds import Breach, Thresholds

__all__ = [
    "capacity_outcome",
    "judge_generator",
    "rate_limit_answer_findings",
    "slo_breaches",
    "steady_outcome",
    "write_outcome",
]

def slo_breaches(slo: Slo, result: StepResult, scope: str) -> list[Breach]:
    """The SLO thresholds ``result`` breaks, named ``<scope>.<threshold>``."""
    pairs = [("p95_ms", slo.p95_ms, result.p95), ("p99_ms", slo.p99_ms, result.p99),
             ("error_rate", slo.error_rate, result.error_rate), ("share_429", slo.share_429, result.share_429)]
    breaches = []
    for name, limit, value in pairs:
        if limit is not None and value is not None and value > limit:
            breaches.append(Breach(f"{scope}.{name}", limit, value, f"{scope}: {name} {value:g} > {limit:g}"))
    return breaches


def rate_limit_answer_findings(book: StepBook, operation: str, reproduce: str = "") -> list[Finding]:
    """One finding per distinct way the 429 answers broke the convention (counted under RUN)."""
    counts = book.at(RUN).counts
    total = counts["rl:429"]
    findings = []
    for key, n in sorted(counts.items()):
        if not key.startswith("rl:problem:") or not n:
            continue
        problem = key.removeprefix("rl:problem:")
        severity = "high" if "Retry-After" in problem else "medium"
        finding = Finding(
            check=R.RATE_LIMIT_ANSWER.id, operation=operation, message=problem,
            expected="429 with a whole-second Retry-After and the RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED envelope",
            got=f"{n} of {total} 429 answers: {problem}", key=problem, severity=severity,
            promise=R.RATE_LIMIT_ANSWER.quote(), suite="load", reproduce=reproduce)
        finding.occurrences = n
        findings.append(finding)
    return findings


def _generator_trouble(steps: Iterable[StepResult]) -> list[str]:
    return [f"step {s.index} ({s.label}): " + "; ".join(s.generator_reasons) for s in steps if s.generator_bound]


def judge_generator(outcome: Outcome, steps: Sequence[StepResult], *, latency_matters: bool,
                    rate_tolerance: float = 0.05) -> None:
    """Sort generator trouble into ``invalid`` (it may have changed the verdict) or ``warnings``."""
    trouble = _generator_trouble(steps)
    if not trouble:
        return
    undelivered = [s for s in steps if s.generator_bound and s.rps < (1 - rate_tolerance) * s.offered_rps]
    latency_breach = any(b.name.endswith((".p95_ms", ".p99_ms")) for b in outcome.breaches)
    if undelivered or (latency_matters and latency_breach):
        why = ("the generator did not deliver the offered rate" if undelivered
               else "a latency SLO is broken while the generator was late: whose latency is it?")
        outcome.invalid += [f"{why}: {t}" for t in trouble]
    else:
        outcome.warnings += trouble


def _overall(plan: Plan, book: StepBook, thresholds: Thresholds) -> StepResult:
    measured = [s for s in plan.steps if s.hold > 0]
    hold = sum(s.hold for s in measured)
    offered = sum(s.rate * s.hold for s in measured) / hold if hold else 0.0
    return step_result(RUN, "whole run", offered, hold, book.combined(s.index for s in measured),
                       thresholds.generator)


def steady_outcome(profile: str, plan: Plan, book: StepBook, thresholds: Thresholds, *,
                   operation: str = "*", memory: Sequence[tuple[float, float]] | None = None,
                   reproduce: str = "") -> Outcome:
    """One rate, judged on the whole run (smoke); with ``memory`` (soak) also on its trends:
    the ``soak`` block, and breaches of the growth thresholds."""
    steps = step_results(plan, book, thresholds.generator)
    overall = _overall(plan, book, thresholds)
    outcome = Outcome(profile, steps, chart_x="time" if len(steps) > 1 else "offered")
    outcome.summary["overall"] = overall.to_dict()
    outcome.breaches += slo_breaches(thresholds.slo, overall, profile)
    outcome.findings += rate_limit_answer_findings(book, operation, reproduce)
    if memory is not None:
        outcome.summary["soak"] = _soak_trends(plan, steps, memory, thresholds, outcome.breaches)
    judge_generator(outcome, steps, latency_matters=True)
    return outcome


def _soak_trends(plan: Plan, steps: Sequence[StepResult], memory: Sequence[tuple[float, float]],
                 thresholds: Thresholds, breaches: list[Breach]) -> dict[str, Any]:
    starts = {s.index: s.start for s in plan.steps}
    p99 = [(starts[s.index], s.p99) for s in steps if s.p99 is not None]
    third = max(1, len(steps) // 3)
    first = [s.error_rate for s in steps[:third]]
    last = [s.error_rate for s in steps[-third:]]
    growth = (sum(last) / len(last) - sum(first) / len(first)) if steps else 0.0
    p99_slope = slope(p99)
    mem_slope = slope([(t, mb) for t, mb in memory])
    block = {
        "windows": len(steps),
        "p99_slope_ms_per_min": round(p99_slope * 60, 3) if p99_slope is not None else None,
        "error_rate_growth": round(growth, 5),
        "memory_mb": [[round(t, 1), round(mb, 2)] for t, mb in memory],
        "memory_growth_mb_per_min": round(mem_slope * 60, 3) if mem_slope is not None else None,
    }
    limit = thresholds.get("max_error_rate_growth")
    if limit is not None and growth > limit:
        breaches.append(Breach("soak.max_error_rate_growth", limit, round(growth, 5),
                               f"soak: the error rate grew by {growth:.2%} from the first to the last third"))
    limit = thresholds.get("max_memory_growth_mb_per_min")
    if limit is not None and block["memory_growth_mb_per_min"] is not None and block["memory_growth_mb_per_min"] > limit:
        breaches.append(Breach("soak.max_memory_growth_mb_per_min", limit, block["memory_growth_mb_per_min"],
                               f"soak: target memory grew {block['memory_growth_mb_per_min']:g} MB/min"))
    return block


def capacity_outcome(plan: Plan, book: StepBook, thresholds: Thresholds, *, stopped_early: str | None = None,
                     operation: str = "*", reproduce: str = "") -> Outcome:
    """capacity: the knee, the breakpoint, and who was the limit."""
    steps = step_results(plan, book, thresholds.generator)
    outcome = Outcome("capacity", steps)
    limit, knee = limited_by(steps, thresholds.knee_rule)
    breakpoint = find_breakpoint(steps, thresholds.slo)
    achieved, achieved_at = max_achieved(steps)
    outcome.warnings += [f"step {s.index} ({s.label}): " + "; ".join(s.generator_reasons)
                         for s in steps if s.generator_bound and (knee is None or s.index < knee.index)]
    block: dict[str, Any] = {
        "knee_rps": knee.knee_rps if knee else None,
        "first_degraded_rps": knee.first_degraded_rps if knee else None,
        "knee_reason": knee.reason if knee else None,
        "breakpoint_rps": breakpoint.rps if breakpoint else None,
        "breakpoint_reason": breakpoint.reason if breakpoint else None,
        "limited_by": limit,
        "max_achieved_rps": achieved,
        "max_achieved_at_offered_rps": achieved_at,
        "max_offered_rps": plan.max_rate,
        "stopped_early": stopped_early,
    }
    minimum = thresholds.get("min_capacity_rps") or 0.0
    if limit == "generator":
        proven = knee is not None and knee.knee_rps is not None and minimum > 0 and knee.knee_rps >= minimum
        served = knee.knee_rps if knee and knee.knee_rps is not None else None
        block["target_capacity_at_least_rps"] = served
        if not proven:
            floor = (f"the target served at least {rate_text(served)} req/s" if served is not None
                     else "not even the first step was sent on schedule")
            outcome.invalid.append(
                f"the generator was the limit before the target showed a knee ({knee.reason if knee else ''}); "
                f"{floor}: add generator processes (--processes) or machines, or free this machine's CPU")
    elif limit == "target" and minimum > 0 and (knee is None or (knee.knee_rps or 0.0) < minimum):
        served = knee.knee_rps if knee and knee.knee_rps is not None else 0.0
        outcome.breaches.append(Breach("capacity.min_capacity_rps", minimum, served,
                                       f"capacity: the knee is at {rate_text(served)} req/s, below {rate_text(minimum)}"))
    outcome.summary["capacity"] = block
    outcome.findings += rate_limit_answer_findings(book, operation, reproduce)
    if knee is not None and knee.knee_rps is not None:
        outcome.marks["knee"] = knee.knee_rps
    if breakpoint is not None:
        outcome.marks["breakpoint"] = breakpoint.rps
    if achieved:
        outcome.marks["max achieved"] = (achieved_at or achieved, achieved)
    outcome.summary["definitions"] = {k: DEFINITIONS[k] for k in ("knee_rps", "breakpoint_rps", "max_achieved_rps")}
    outcome.summary["capacity_plan"] = capacity_plan(knee=block["knee_rps"], breakpoint=block["breakpoint_rps"],
                                                     max_achieved_rps=achieved)
    return outcome


def write_outcome(outcome: Outcome, writer: SummaryWriter, *, plan: Plan, meta: Mapping[str, Any],
                  chart_path: Path | None = None) -> ExitCode:
    """Write summary.json (complete) and the chart; the run's exit code."""
    code = exit_code(outcome)
    for finding in outcome.findings:
        writer.add(finding)  # each distinct finding once, its occurrences already counted by the run
    chart = None
    if chart_path is not None and outcome.steps:
        from .chart import draw_chart

        try:
            draw_chart(outcome, chart_path, plan=plan)
            chart = chart_path.name
        except Exception as exc:  # a chart is a convenience: never fail a run on it
            chart = f"not drawn: {exc}"
    verdict = VERDICT_WORDS[code]
    writer.close(
        **meta,
        verdict=verdict,
        exit_code=int(code),
        steps=[s.to_dict() for s in outcome.steps],
        thresholds={"breaches": [asdict(b) for b in outcome.breaches]},
        invalid=outcome.invalid,
        generator_warnings=outcome.warnings,
        chart=chart,
        **outcome.summary,
    )
    return code
