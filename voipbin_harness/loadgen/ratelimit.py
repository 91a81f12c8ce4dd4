"""What the ``ratelimit`` profile measures, as pure functions over its counters.

The counters are recorded by the users (``users.py``) into the shared ``StepBook``; every 429
anywhere is checked against ``conventions.ratelimit.rate_limit_problems`` and counted under
the run key, so that the check is the convention's, not a restatement of it.

Onset, whatever the duration: the ramp climbs fast (``climb_plan``: geometric steps up to
``--rate``, then that rate again) until a step's answers are mostly 429s, then refines: it
offers a rate safely above the limit (``refine_rate``) in short windows (``refine_windows``).
A token bucket of rate R passes exactly R req/s once its burst is spent, whatever is offered
above R, so the slope of the accepted count over the windows with sustained 429s is R, told
apart from the burst (the intercept) and independent of the ramp's steps (``estimate_limit``,
with its uncertainty). "No limit seen" is only a finding once the ramp offered its maximum
(``conclusive_without_limit``); a ramp cut short by its duration makes the run inconclusive.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..conventions.ratelimit import DEFAULT_CUSTOMER_LIMIT, rate_limit_problems, retry_after_seconds
from ..conventions.rules import R
from ..findings import Finding
from .analysis import StepResult, slope, step_results
from .figures import DEFINITIONS, capacity_plan, rate_text
from .outcome import Outcome
from .plan import MAX_STEPS, Plan, Step
from .results import judge_generator, rate_limit_answer_findings
from .stats import RUN, StepBook
from .thresholds import Breach, Thresholds

__all__ = [
    "REFINE_MIN_S",
    "SUSTAINED_SHARE",
    "Bin",
    "RateLimitCounts",
    "bins_of",
    "classify_429",
    "climb_over",
    "climb_plan",
    "conclusive_without_limit",
    "estimate_limit",
    "normalise_problem",
    "ratelimit_outcome",
    "recovery_seconds",
    "refine_rate",
    "refine_windows",
]

SUSTAINED_SHARE = 0.25  # a window with at least this share of 429s (and MIN_SUSTAINED_429) had an empty bucket
MIN_SUSTAINED_429 = 2
MIN_BIN_S = 0.1  # shorter windows (a step cut as it began) are left out; a gap this short joins two windows
REFINE_FACTOR = 1.5  # the refine phase offers this many times the highest accepted rate seen over the limit
REFINE_WINDOW_S = 0.5  # the refine phase's windows: the points of the accepted-count line
REFINE_MIN_S = 2.0  # the refine phase lasts at least this long, even when the climb took the whole ramp
MAX_REFINE_WINDOWS = 120
NO_LIMIT_FACTOR = 3.0  # a ramp that offered this many times the expected (or documented) limit saw enough
RETRY_AFTER_FALLBACK_S = 1.0  # what a compliant client waits when a 429 gives no usable Retry-After

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def normalise_problem(problem: str) -> str:
    """A problem sentence without the values quoted in it, so equal defects count together."""
    return _QUOTED.sub("'…'", problem)


@dataclass(frozen=True, slots=True)
class RateLimitCounts:
    """Counter names (all under the run key) that one 429 answer adds to."""

    retry_after: int | None
    problems: tuple[str, ...]
    limited_by: str | None

    def counter_keys(self) -> list[str]:
        keys = ["rl:429"]
        if self.retry_after is not None:
            keys += ["rl:retry_after_valid", f"rl:retry_after={self.retry_after}"]
        keys += [f"rl:problem:{p}" for p in self.problems]
        if not any(not p.startswith(("429 without a Retry-After", "Retry-After ")) for p in self.problems):
            keys.append("rl:envelope_ok")
        if self.limited_by:
            keys.append(f"rl:limited_by:{self.limited_by}")
        return keys


def classify_429(headers: Mapping[str, str], body: Any) -> RateLimitCounts:
    """Check one 429 answer: its Retry-After, its envelope, and which bucket limited it."""
    raw = headers.get("Retry-After", headers.get("retry-after"))
    problems = tuple(normalise_problem(p) for p in rate_limit_problems(429, headers, body))
    limited_by = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        details = body["error"].get("details")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            value = details[0].get("limited_by")
            limited_by = value if isinstance(value, str) else None
    return RateLimitCounts(retry_after_seconds(raw), problems, limited_by)


@dataclass(frozen=True, slots=True)
class Bin:
    """One measured window of the ramp: ``[start, end)`` seconds from t0, the rate offered in it
    and its answers by kind (``limited``: 429s; ``accepted``: every other answer)."""

    start: float
    end: float
    offered: float
    accepted: int
    limited: int

    @property
    def share_limited(self) -> float:
        total = self.accepted + self.limited
        return self.limited / total if total else 0.0

    @property
    def sustained(self) -> bool:
        """429s all through the window: the bucket was empty, only its refill got through."""
        return self.limited >= MIN_SUSTAINED_429 and self.share_limited >= SUSTAINED_SHARE


def bins_of(plan: Plan, ramp: Sequence[StepResult]) -> list[Bin]:
    """The ramp's step results as time windows (their hold windows in ``plan``)."""
    steps = {s.index: s for s in plan.steps}
    bins = []
    for r in ramp:
        step = steps.get(r.index)
        if step is None or step.hold < MIN_BIN_S:  # a step cut right after it began says nothing
            continue
        bins.append(Bin(step.hold_start, step.end, r.offered_rps, r.answers - r.r429, r.r429))
    return bins


def climb_plan(start_rate: float, max_rate: float, factor: float, hold: float, budget: float, *,
               drain: float = 1.0) -> Plan:
    """The ramp before the limit is known: ``start_rate * factor**k`` per ``hold`` seconds up to
    ``max_rate``, then ``max_rate`` again until ``budget`` seconds (a large burst takes time to
    spend); ``refine_windows`` replace what follows once the 429s are sustained (``climb_over``).
    The profile gives it its ramp's time plus REFINE_MIN_S, so that a limit met at the very end
    is refined without a pause (a pause would refill the bucket)."""
    if start_rate <= 0 or max_rate < start_rate:
        raise ValueError(f"need 0 < start rate <= max rate, got {start_rate:g} and {max_rate:g}")
    if factor <= 1 or hold <= 0:
        raise ValueError("the ramp needs a step factor > 1 and a hold > 0 s")
    count = min(MAX_STEPS - MAX_REFINE_WINDOWS - 40, int(math.floor((budget + 1e-9) / hold)))
    if count < 1:
        raise ValueError(f"the ramp's {budget:g} s are shorter than one step ({hold:g} s)")
    steps, rate = [], start_rate
    for i in range(count):
        steps.append(Step(i, rate, i * hold, 0.0, hold, f"{rate_text(rate)} req/s"))
        rate = min(max_rate, rate * factor)
    return Plan(tuple(steps), drain)


def climb_over(rejected_share: float, limited: int, offered: float, top: float) -> bool:
    """The climb ends after a step with sustained rejections, or with any 429s at its top rate
    (the limit is below the top; a large burst may still be being spent: refine there)."""
    return rejected_share >= SUSTAINED_SHARE or (offered >= top * (1 - 1e-6) and limited >= MIN_SUSTAINED_429)


def refine_rate(bins: Sequence[Bin], max_rate: float) -> float | None:
    """What the refine phase offers: safely above the limit (1.5 x the highest accepted rate of a
    window with sustained 429s, which is at least the bucket's rate), never above ``max_rate``;
    ``max_rate`` itself when only the last window met 429s (the climb's top is over the limit,
    a large burst was still being spent); None when no window says where the limit is."""
    accepted = [b.accepted / (b.end - b.start) for b in bins if b.sustained and b.end > b.start]
    if not accepted:
        return round(max_rate, 3) if bins and bins[-1].limited >= MIN_SUSTAINED_429 else None
    return round(min(max_rate, max(REFINE_FACTOR * max(accepted), max(accepted) + 2.0)), 3)


def refine_windows(first_index: int, rate: float, start: float, end: float) -> list[Step]:
    """The refine phase in windows of REFINE_WINDOW_S (at most MAX_REFINE_WINDOWS): the slope of
    the accepted count over them is the bucket's rate."""
    span = max(end - start, REFINE_WINDOW_S)
    count = max(1, min(MAX_REFINE_WINDOWS, int(round(span / REFINE_WINDOW_S))))
    width = span / count
    return [Step(first_index + k, rate, start + k * width, 0.0, width, f"refine {k + 1}") for k in range(count)]


def estimate_limit(bins: Sequence[Bin]) -> dict[str, Any]:
    """The bucket's rate (the onset) and burst from the ramp's windows, with the uncertainty.

    Once a token bucket of rate R is empty, it passes exactly R req/s whatever is offered above
    R: the cumulative count of accepted answers over the windows with sustained 429s is a line
    of slope R. The first such window is only the origin (what it accepted may still include the
    end of the burst), so neither the burst nor the ramp's step size biases the rate. The burst
    is what was accepted from the first window offered above R, beyond R x the time since.
    Uncertainty: twice the slope's standard error, plus one answer either side over the span.
    """
    ordered = sorted(bins, key=lambda b: b.start)
    first_429 = next((i for i, b in enumerate(ordered) if b.limited), None)
    bracket = None
    if first_429 is not None:
        bracket = [ordered[first_429 - 1].offered if first_429 > 0 else 0.0, ordered[first_429].offered]
    run = _longest_sustained_run(ordered)
    block: dict[str, Any] = {"onset_rps": None, "onset_uncertainty_rps": None, "onset_method": None,
                             "burst_estimate": None, "onset_bracket_rps": bracket, "sustained_windows": len(run),
                             "sustained_s": round(run[-1].end - run[0].start, 3) if run else 0.0}
    if not run:
        return block
    if len(run) == 1:
        only = run[0]
        span = only.end - only.start
        rate = only.accepted / span  # an upper bound: the window may still have spent some burst
        block.update(onset_rps=round(rate, 2), onset_uncertainty_rps=round(max(rate * 0.25, 2 / span), 2),
                     onset_method="one window with sustained 429s: its accepted rate (an upper bound)")
        return block
    points, total = [(run[0].end, 0.0)], 0.0
    for b in run[1:]:
        total += b.accepted
        points.append((b.end, total))
    rate = slope(points) or 0.0
    span = points[-1][0] - points[0][0]
    error = _slope_error(points, rate)
    block["onset_rps"] = round(rate, 2)
    block["onset_uncertainty_rps"] = round(2 * error + 2 / span, 2) if span > 0 else None
    block["onset_method"] = (f"slope of accepted answers over {len(run) - 1} windows ({span:.1f} s) "
                             "with sustained 429s")
    block["burst_estimate"] = _burst(ordered, run, rate)
    return block


def _longest_sustained_run(bins: Sequence[Bin]) -> list[Bin]:
    """The longest stretch (in seconds) of back-to-back windows with sustained 429s."""
    runs: list[list[Bin]] = []
    current: list[Bin] = []
    for b in bins:
        if b.sustained and current and abs(b.start - current[-1].end) <= MIN_BIN_S + 1e-3:
            current.append(b)
        elif b.sustained:
            current = [b]
            runs.append(current)
        else:
            current = []
    return max(runs, key=lambda r: r[-1].end - r[0].start, default=[])


def _slope_error(points: Sequence[tuple[float, float]], rate: float) -> float:
    n = len(points)
    if n < 3:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    residual = sum((y - (my + rate * (x - mx))) ** 2 for x, y in points)
    return math.sqrt(residual / (n - 2) / sxx) if sxx else 0.0


def _burst(ordered: Sequence[Bin], run: Sequence[Bin], rate: float) -> float | None:
    """Tokens the bucket held when the offered rate first went above ``rate`` (it was full: every
    earlier window offered less than its refill)."""
    over = next((i for i, b in enumerate(ordered) if b.offered > rate * 1.02), None)
    if over is None or rate <= 0:
        return None
    origin = ordered[over].start
    contiguous = all(abs(a.end - b.start) <= MIN_BIN_S + 1e-3
                     for a, b in zip(ordered[over:], ordered[over + 1:], strict=False))
    if not contiguous:
        return None
    accepted, samples = 0, []
    for b in ordered[over:]:
        accepted += b.accepted
        if b in run and b is not run[0]:
            samples.append(accepted - rate * (b.end - origin))
    return round(max(0.0, statistics.median(samples)), 1) if samples else None


def conclusive_without_limit(max_offered: float, max_rate: float, expected: float | None) -> bool:
    """"No limit seen" is a finding only once the ramp offered its ``max_rate`` (or several times
    the limit it expected, else the documented one): a ramp cut short by its duration saw nothing."""
    documented = expected or DEFAULT_CUSTOMER_LIMIT.rate
    return max_offered >= max_rate * (1 - 1e-6) or max_offered >= NO_LIMIT_FACTOR * documented


def recovery_seconds(windows: Sequence[StepResult], window_s: float) -> float | None:
    """Seconds from the start of the recovery phase until the last window with a 429 ended.

    0.0 when no recovery window saw a 429; None when the last window still did (no recovery).
    """
    if not windows:
        return None
    last_bad = max((i for i, w in enumerate(windows) if w.r429 > 0), default=None)
    if last_bad is None:
        return 0.0
    if last_bad == len(windows) - 1:
        return None
    return round((last_bad + 1) * window_s, 3)


def ratelimit_outcome(plan: Plan, book: StepBook, thresholds: Thresholds, *, ramp: Sequence[int],
                      compliant: Sequence[int], recovery: Sequence[int], demand_rps: float | None,
                      recovery_rps: float | None, operation: str, reproduce: str = "",
                      max_rate: float | None = None) -> Outcome:
    """The ratelimit profile's verdict: onset, Retry-After and envelope, compliance, recovery.

    ``max_rate``: the most the ramp was allowed to offer (default: the plan's highest rate); a run
    without 429s that never offered it is inconclusive (invalid), not a finding."""
    all_steps = step_results(plan, book, thresholds.generator)
    by_index = {s.index: s for s in all_steps}
    ramp_steps = [by_index[i] for i in ramp if i in by_index]
    counts = book.at(RUN).counts
    total_429 = counts["rl:429"]
    answers = sum(s.answers for s in ramp_steps)
    fives = {k.removeprefix("status:"): n for k, n in counts.items() if k.startswith("status:5")}  # whole run
    n5xx = sum(fives.values())
    first_5xx = next((s for s in all_steps if any(c.startswith("5") for c in s.statuses)), None)
    recovery_windows = [by_index[i] for i in recovery if i in by_index]
    window_s = recovery_windows[0].hold_s if recovery_windows else 1.0
    recovered_after = recovery_seconds(recovery_windows, window_s) if recovery_windows else None
    overload = [by_index[i] for i in compliant if i in by_index]
    block: dict[str, Any] = {
        **estimate_limit(bins_of(plan, ramp_steps)),
        "ramp_max_offered_rps": max((s.offered_rps for s in ramp_steps if s.answers), default=None),
        "ramp_max_rate_rps": max_rate if max_rate is not None else plan.max_rate,
        "share_429": round(sum(s.r429 for s in ramp_steps) / answers, 5) if answers else None,
        "retry_after_present_ratio": round(counts["rl:retry_after_valid"] / total_429, 5) if total_429 else None,
        "envelope_ok_ratio": round(counts["rl:envelope_ok"] / total_429, 5) if total_429 else None,
        "early_retries": counts["rl:early_retries"],
        "retries": counts["rl:retries"],
        "retries_rejected_again": counts["rl:retry_rejected"],
        "waits_without_retry_after": counts["rl:waits_without_retry_after"],
        "answers_429": total_429,
        "answers_5xx": n5xx,
        "limited_by": {k.removeprefix("rl:limited_by:"): v for k, v in counts.items() if k.startswith("rl:limited_by:")},
        "retry_after_values": {k.removeprefix("rl:retry_after="): v for k, v in counts.items()
                               if k.startswith("rl:retry_after=")},
        "compliant_demand_rps": demand_rps,
        "compliant_goodput_rps": overload[0].goodput_rps if overload else None,
        "recovery_demand_rps": recovery_rps,
        "recovery_goodput_rps": round(sum(w.goodput_rps for w in recovery_windows) / len(recovery_windows), 3)
        if recovery_windows else None,
        "recovered": (recovered_after is not None) if recovery_windows else None,
        "recovery_s": recovered_after,
    }
    # time on the x axis: the refine windows all offer one rate
    outcome = Outcome("ratelimit", ramp_steps, summary={"ratelimit": block}, chart_x="time")
    outcome.summary["definitions"] = {"onset_rps": DEFINITIONS["onset_rps"]}
    outcome.summary["capacity_plan"] = capacity_plan(onset=block["onset_rps"],
                                                     uncertainty=block["onset_uncertainty_rps"],
                                                     burst=block["burst_estimate"])
    outcome.summary["phases"] = [s.to_dict() for s in overload + recovery_windows]
    outcome.findings += rate_limit_answer_findings(book, operation, reproduce)
    if n5xx:
        where = f" from {first_5xx.offered_rps:g} req/s offered" if first_5xx else ""
        codes = ", ".join(f"{n} x {c}" for c, n in sorted(fives.items()))
        finding = Finding(
            check=R.RATE_LIMIT_STATUS.id, operation=operation, message="limited request answered 5xx instead of 429",
            expected="429 RESOURCE_EXHAUSTED with Retry-After for every request over the limit",
            got=f"{codes}{where}", key="5xx", severity="high", promise=R.RATE_LIMIT_STATUS.quote(), suite="load",
            reproduce=reproduce)
        finding.occurrences = n5xx
        outcome.findings.append(finding)
    _ratelimit_breaches(block, thresholds, outcome, has_recovery=bool(recovery_windows))
    # a window with sustained 429s proves by itself that more than the limit was offered: a late
    # generator there changes no figure (and half-second windows count too few answers to judge
    # a delivered rate by); it is a warning. The other ramp steps are judged as in every profile.
    over = [s for s in ramp_steps if s.r429 >= MIN_SUSTAINED_429 and s.r429 / max(s.answers, 1) >= SUSTAINED_SHARE]
    judge_generator(outcome, [s for s in ramp_steps if s not in over], latency_matters=False, rate_tolerance=0.10)
    outcome.warnings += [f"step {s.index} ({s.label}): " + "; ".join(s.generator_reasons)
                         for s in over if s.generator_bound]
    if block["onset_rps"] is not None:
        outcome.marks["onset"] = block["onset_rps"]
    return outcome


def _ratelimit_breaches(block: dict[str, Any], th: Thresholds, outcome: Outcome, *, has_recovery: bool) -> None:
    def add(name: str, limit: Any, value: Any, message: str) -> None:
        outcome.breaches.append(Breach(f"ratelimit.{name}", limit, value, message))

    expected = th.get("expected_onset_rps") or None
    reached, ceiling = block["ramp_max_offered_rps"] or 0.0, block["ramp_max_rate_rps"] or 0.0
    block["conclusive"] = bool(block["answers_429"]) or conclusive_without_limit(reached, ceiling, expected)
    if th.get("require_limit") and not block["answers_429"]:
        if block["conclusive"]:
            add("require_limit", True, 0, f"ratelimit: no 429 answer at any offered rate up to "
                                          f"{rate_text(reached)} req/s: the limit was never met")
        else:
            outcome.invalid.append(
                f"inconclusive: no 429 up to {rate_text(reached)} req/s, but the ramp never reached its maximum "
                f"of {rate_text(ceiling)} req/s (nor {NO_LIMIT_FACTOR:g}x the limit expected): give it a longer "
                "--duration, a higher --start-rate or a larger --step-factor")
    for name in ("retry_after_present_ratio", "envelope_ok_ratio"):
        limit, value = th.get(name), block[name]
        if limit is not None and value is not None and value < limit:
            add(name, limit, value, f"ratelimit: {name} {value:g} < {limit:g}")
    limit = th.get("max_early_retries")
    if limit is not None and block["early_retries"] > limit:
        add("max_early_retries", limit, block["early_retries"],
            f"ratelimit: {block['early_retries']} retries were sent before Retry-After elapsed")
    limit = th.get("max_5xx")
    if limit is not None and block["answers_5xx"] > limit:
        add("max_5xx", limit, block["answers_5xx"], f"ratelimit: {block['answers_5xx']} answers were 5xx")
    limit = th.get("recovery_s")
    if has_recovery and limit is not None and (block["recovery_s"] is None or block["recovery_s"] > limit):
        add("recovery_s", limit, block["recovery_s"],
            "ratelimit: 429s went on after demand dropped under the limit" if block["recovery_s"] is None
            else f"ratelimit: 429s stopped only {block['recovery_s']:g} s after demand dropped")
    tolerance = th.get("onset_tolerance") or 0.10
    onset = block["onset_rps"]
    if expected and block["conclusive"] and (onset is None or abs(onset - expected) > tolerance * expected):
        add("expected_onset_rps", expected, onset,
            f"ratelimit: onset {onset} req/s is not within {tolerance:.0%} of {expected:g} req/s")
