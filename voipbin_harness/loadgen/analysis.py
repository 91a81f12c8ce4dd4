"""From per-step statistics to verdicts: achieved rate, the knee, the breakpoint, and whether
the generator or the target was the limit.

Pure functions over ``StepBook`` and ``Plan`` so that they are unit-tested without Locust.

- A step is *generator-bound* when this machine could not keep the schedule: the generator acted
  late (lag p99 above the limit: free users sending due tickets late, or its event-loop probe
  oversleeping) or a generator process used (almost) a whole core. Its numbers
  say nothing about the target, and a run limited by the generator is never reported as the
  target's capacity.
- The *knee* is the first step where the target falls behind: achieved rate below offered by
  more than the tolerance, or p95 latency climbing well above the low-rate baseline.
- The *breakpoint* is the first step that breaks an SLO (p95, p99, error rate, share of 429s).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .plan import Plan
from .stats import StepBook, StepStats, percentiles_ms

__all__ = [
    "Breakpoint",
    "GeneratorLimits",
    "Knee",
    "KneeRule",
    "Slo",
    "StepResult",
    "find_breakpoint",
    "find_knee",
    "limited_by",
    "slope",
    "step_result",
    "step_results",
]

MIN_LAG_SAMPLES = 20  # fewer on-time sends than this say nothing about the generator's lag


@dataclass(frozen=True)
class GeneratorLimits:
    """When a step counts as generator-bound."""

    max_send_lag_ms: float = 10.0
    max_cpu_percent: float = 90.0


@dataclass(frozen=True)
class KneeRule:
    tolerance: float = 0.05  # achieved may trail offered by this share
    latency_factor: float = 3.0  # p95 may grow to this multiple of the baseline p95 ...
    latency_floor_ms: float = 10.0  # ... and must also grow by at least this much to count


@dataclass(frozen=True)
class Slo:
    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = None
    share_429: float | None = None

    def broken_by(self, step: StepResult) -> list[str]:
        """What ``step`` breaks, as readable phrases."""
        broken = []
        if self.p95_ms is not None and step.p95 is not None and step.p95 > self.p95_ms:
            broken.append(f"p95 {step.p95:g} ms > {self.p95_ms:g} ms")
        if self.p99_ms is not None and step.p99 is not None and step.p99 > self.p99_ms:
            broken.append(f"p99 {step.p99:g} ms > {self.p99_ms:g} ms")
        if self.error_rate is not None and step.error_rate > self.error_rate:
            broken.append(f"error rate {step.error_rate:.2%} > {self.error_rate:.2%}")
        if self.share_429 is not None and step.share_429 > self.share_429:
            broken.append(f"share of 429s {step.share_429:.2%} > {self.share_429:.2%}")
        return broken


@dataclass
class StepResult:
    """One step as reported in summary.json (latencies in ms, from the scheduled send time)."""

    index: int
    label: str
    offered_rps: float
    hold_s: float
    rps: float  # achieved: answers per second in the hold window (any HTTP status)
    goodput_rps: float  # answers that were the expected success
    sent_ratio: float  # requests sent / requests the plan scheduled in the hold window
    answers: int
    errors: int
    r429: int
    error_rate: float
    share_429: float
    p50: float | None
    p95: float | None
    p99: float | None
    p99_9: float | None
    max: float | None
    service_p99: float | None  # from the actual send: what Locust alone would have shown
    send_lag_p99: float | None
    cpu_percent: float | None
    inflight_peak: float | None
    pool: float | None
    late_share: float  # tickets already overdue when a user took them (all users were busy)
    statuses: dict[str, int] = field(default_factory=dict)
    generator_bound: bool = False
    generator_reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def step_result(index: int, label: str, offered: float, hold: float, stats: StepStats,
                limits: GeneratorLimits) -> StepResult:
    c = stats.counts
    answers = c["done"] - c["conn_errors"]
    done = max(c["done"], 1)
    latency = percentiles_ms(stats.histograms["latency"])
    service = percentiles_ms(stats.histograms["service"])
    lag = percentiles_ms(stats.histograms["lag"])
    scheduled = offered * hold
    result = StepResult(
        index=index, label=label, offered_rps=round(offered, 3), hold_s=round(hold, 3),
        rps=round(answers / hold, 3) if hold else 0.0,
        goodput_rps=round(c["ok"] / hold, 3) if hold else 0.0,
        sent_ratio=round(c["sent"] / scheduled, 4) if scheduled else 0.0,
        answers=answers, errors=c["errors"], r429=c["r429"],
        error_rate=round(c["errors"] / done, 5), share_429=round(c["r429"] / done, 5),
        p50=latency["p50"], p95=latency["p95"], p99=latency["p99"], p99_9=latency["p99_9"], max=latency["max"],
        service_p99=service["p99"],
        send_lag_p99=lag["p99"] if (lag["count"] or 0) >= MIN_LAG_SAMPLES else None,
        cpu_percent=stats.peaks.get("cpu"), inflight_peak=stats.peaks.get("inflight"), pool=stats.peaks.get("pool"),
        late_share=round(c["late"] / c["sent"], 4) if c["sent"] else 0.0,
        statuses={k.split(":", 1)[1]: v for k, v in sorted(c.items()) if k.startswith("status:")},
    )
    if result.send_lag_p99 is not None and result.send_lag_p99 > limits.max_send_lag_ms:
        result.generator_reasons.append(
            f"generator lag p99 {result.send_lag_p99:g} ms > {limits.max_send_lag_ms:g} ms (it acted late)")
    if result.cpu_percent is not None and result.cpu_percent >= limits.max_cpu_percent:
        result.generator_reasons.append(
            f"a generator process used {result.cpu_percent:.0f}% CPU (limit {limits.max_cpu_percent:g}%)")
    result.generator_bound = bool(result.generator_reasons)
    return result


def step_results(plan: Plan, book: StepBook, limits: GeneratorLimits) -> list[StepResult]:
    """A result for every plan step that has a hold window."""
    return [step_result(s.index, s.label, s.rate, s.hold, book.at(s.index), limits)
            for s in plan.steps if s.hold > 0]


@dataclass(frozen=True)
class Knee:
    index: int  # the first degraded step
    knee_rps: float | None  # the highest offered rate still served on time (None: the first step already degraded)
    first_degraded_rps: float
    reason: str


def find_knee(steps: Sequence[StepResult], rule: KneeRule = KneeRule()) -> Knee | None:
    """The first step where achieved trails offered or p95 climbs; None if none does.

    p95, not p99: one stall of the machine (a GC pause, a busy neighbour) delays every request
    in flight and moves a step's p99, while a target past its knee queues, and that moves p95 and
    p50 too. Whether the step was generator-bound is judged by the caller (``limited_by``).
    """
    measured = [s for s in steps if s.answers > 0 or s.offered_rps > 0]
    if not measured:
        return None
    early = [s.p95 for s in measured[:2] if s.p95 is not None]
    baseline = min(early) if early else None
    previous: StepResult | None = None
    for step in measured:
        reasons = []
        if step.rps < (1 - rule.tolerance) * step.offered_rps:
            reasons.append(f"achieved {step.rps:g} req/s < offered {step.offered_rps:g} req/s")
        if baseline is not None and step.p95 is not None and step.p95 > max(
                rule.latency_factor * baseline, baseline + rule.latency_floor_ms):
            reasons.append(f"p95 {step.p95:g} ms climbed from {baseline:g} ms")
        if reasons:
            return Knee(step.index, previous.offered_rps if previous else None, step.offered_rps, "; ".join(reasons))
        previous = step
    return None


@dataclass(frozen=True)
class Breakpoint:
    index: int
    rps: float
    reason: str


def find_breakpoint(steps: Sequence[StepResult], slo: Slo) -> Breakpoint | None:
    """The first step that breaks the SLO; None if none does, or if the first that does was
    generator-bound (then the breach may be the generator's: no breakpoint can be named)."""
    for step in steps:
        broken = slo.broken_by(step)
        if broken:
            return None if step.generator_bound else Breakpoint(step.index, step.offered_rps, "; ".join(broken))
    return None


def limited_by(steps: Sequence[StepResult], rule: KneeRule = KneeRule()) -> tuple[str | None, Knee | None]:
    """("target" | "generator" | None, knee).

    A generator-bound step that still kept up (no knee there) proves the target kept up: the
    generator's lag only adds latency and its CPU only lowers the rate. But when the knee falls
    on a generator-bound step, nobody can tell whose knee it is: then the generator is named.
    """
    knee = find_knee(steps, rule)
    if knee is None:
        return None, None
    step = next(s for s in steps if s.index == knee.index)
    if step.generator_bound:
        return "generator", Knee(knee.index, knee.knee_rps, knee.first_degraded_rps,
                                 "generator: " + "; ".join(step.generator_reasons) + f" (and {knee.reason})")
    return "target", knee


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of (x, y) points; None with fewer than two distinct x."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx
