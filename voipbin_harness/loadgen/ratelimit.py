"""What the ``ratelimit`` profile measures, as pure functions over its counters.

The counters are recorded by the users (``users.py``) into the shared ``StepBook``; every 429
anywhere is checked against ``conventions.ratelimit.rate_limit_problems`` and counted under
the run key, so that the check is the convention's, not a restatement of it.

Onset: a token bucket of rate R passes exactly R req/s once its burst is spent, whatever is
offered above R. So the onset is measured as the accepted (non-429) rate in the ramp steps that
were clearly over the limit (at least ``OVERLOADED_SHARE`` of answers were 429) - the median,
leaving out the first such step, which may still spend the rest of the burst - and so does not
depend on the ramp's step size or on the burst; the bracket (last step without 429s, first
step with them) is reported beside it.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..conventions.ratelimit import rate_limit_problems, retry_after_seconds
from ..findings import Finding
from .analysis import StepResult, step_results
from .outcome import Outcome
from .plan import Plan
from .results import RATE_LIMIT_PROMISE, judge_generator, rate_limit_answer_findings
from .stats import RUN, StepBook
from .thresholds import Breach, Thresholds

__all__ = [
    "OVERLOADED_SHARE",
    "RateLimitCounts",
    "classify_429",
    "estimate_onset",
    "normalise_problem",
    "ratelimit_outcome",
    "recovery_seconds",
]

OVERLOADED_SHARE = 0.10  # a ramp step with at least this share of 429s was over the limit
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


def estimate_onset(ramp: Sequence[StepResult]) -> dict[str, Any]:
    """``onset_rps`` (median accepted rate over the overloaded steps) and the step bracket."""
    overloaded = [s for s in ramp if s.r429 >= 5 and s.share_429 >= OVERLOADED_SHARE and s.hold_s > 0]
    # the first overloaded step may still spend what was left of the burst; the later ones cannot
    used = overloaded[1:] if len(overloaded) >= 2 else overloaded
    accepted = [(s.answers - s.r429) / s.hold_s for s in used]
    first = next((i for i, s in enumerate(ramp) if s.r429 > 0), None)
    bracket = None
    if first is not None:
        bracket = [ramp[first - 1].offered_rps if first > 0 else 0.0, ramp[first].offered_rps]
    return {
        "onset_rps": round(statistics.median(accepted), 2) if accepted else None,
        "onset_bracket_rps": bracket,
        "overloaded_steps": [s.index for s in overloaded],
    }


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
                      recovery_rps: float | None, operation: str, reproduce: str = "") -> Outcome:
    """The ratelimit profile's verdict: onset, Retry-After and envelope, compliance, recovery."""
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
        **estimate_onset(ramp_steps),
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
    outcome = Outcome("ratelimit", ramp_steps, summary={"ratelimit": block})
    outcome.summary["phases"] = [s.to_dict() for s in overload + recovery_windows]
    outcome.findings += rate_limit_answer_findings(book, operation, reproduce)
    if n5xx:
        where = f" from {first_5xx.offered_rps:g} req/s offered" if first_5xx else ""
        codes = ", ".join(f"{n} x {c}" for c, n in sorted(fives.items()))
        finding = Finding(
            check="rate_limit_status", operation=operation, message="limited request answered 5xx instead of 429",
            expected="429 RESOURCE_EXHAUSTED with Retry-After for every request over the limit",
            got=f"{codes}{where}", key="5xx", severity="high", promise=RATE_LIMIT_PROMISE, suite="load",
            reproduce=reproduce)
        finding.occurrences = n5xx
        outcome.findings.append(finding)
    _ratelimit_breaches(block, thresholds, outcome.breaches, has_recovery=bool(recovery_windows))
    judge_generator(outcome, ramp_steps, latency_matters=False, rate_tolerance=0.10)
    if block["onset_rps"] is not None:
        outcome.marks["onset"] = block["onset_rps"]
    return outcome


def _ratelimit_breaches(block: dict[str, Any], th: Thresholds, breaches: list[Breach], *,
                        has_recovery: bool) -> None:
    def add(name: str, limit: Any, value: Any, message: str) -> None:
        breaches.append(Breach(f"ratelimit.{name}", limit, value, message))

    if th.get("require_limit") and not block["answers_429"]:
        add("require_limit", True, 0, "ratelimit: no 429 answer at any offered rate: the limit was never met")
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
    expected, tolerance = th.get("expected_onset_rps"), th.get("onset_tolerance") or 0.15
    onset = block["onset_rps"]
    if expected and (onset is None or abs(onset - expected) > tolerance * expected):
        add("expected_onset_rps", expected, onset,
            f"ratelimit: onset {onset} req/s is not within {tolerance:.0%} of {expected:g} req/s")
