"""The capacity figures: one definition each, one way to round them, one capacity plan.

The summary line, summary.json and the chart all take their figures from here, so that "max
achieved" means the same wherever it appears. summary.json keeps the exact values (and states
the definitions under ``definitions``); text and chart labels show rates rounded for people
(``rate_text``: three significant figures with thousands separators: ``4,325``, ``17.0``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..conventions.ratelimit import DEFAULT_CUSTOMER_LIMIT, DEFAULT_IP_LIMIT

__all__ = ["DEFINITIONS", "capacity_plan", "max_achieved", "rate_text", "thin_ticks"]

#: what each figure is, word for word as summary.json states it
DEFINITIONS = {
    "knee_rps": "the highest offered rate the target still served on time (achieved within the knee tolerance "
                "of offered, p95 not climbing), the step before the first degraded one",
    "breakpoint_rps": "the offered rate of the first step that broke an SLO (p95, p99, error rate, share of 429s)",
    "max_achieved_rps": "the most answers per second the target gave in any step's hold window, whoever limited it",
    "onset_rps": "the per-customer rate limit: the slope of the accepted count over the windows where 429s were "
                 "sustained (a token bucket passes exactly its rate there, whatever its burst)",
}


def rate_text(value: float | None) -> str:
    """A rate (req/s) rounded for reading: three significant figures, never fewer than the units."""
    if value is None:
        return "n/a"
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    if abs(value) < 1:  # an uncertainty or a trickle: two significant figures, no trailing zeros
        return f"{value:.2g}"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, 2 - magnitude)
    return f"{value:,.{decimals}f}" if decimals else f"{round(value):,}"


def max_achieved(steps: Sequence[Any]) -> tuple[float | None, float | None]:
    """(max achieved req/s, the offered rate of that step) over every step (``StepResult``)."""
    best = max(steps, key=lambda s: s.rps, default=None)
    return (best.rps, best.offered_rps) if best is not None else (None, None)


def thin_ticks(values: Sequence[float], *, min_ratio: float = 1.25, max_ticks: int = 10) -> list[float]:
    """Offered rates to label on a log axis: distinct, each at least ``min_ratio`` above the last
    labelled one and at most ``max_ticks`` of them (the last rate always), so labels never overlap."""
    distinct = sorted({v for v in values if v > 0})
    if not distinct:
        return []
    ratio = max(min_ratio, (distinct[-1] / distinct[0]) ** (1 / max(max_ticks - 1, 1)))
    kept = [distinct[0]]
    for v in distinct[1:]:
        if v / kept[-1] >= ratio:
            kept.append(v)
    if kept[-1] != distinct[-1]:
        if distinct[-1] / kept[-1] < ratio and len(kept) > 1:
            kept[-1] = distinct[-1]
        else:
            kept.append(distinct[-1])
    return kept


def capacity_plan(*, onset: float | None = None, uncertainty: float | None = None, burst: float | None = None,
                  knee: float | None = None, breakpoint: float | None = None, max_achieved_rps: float | None = None,
                  customer_limit: float | None = None) -> dict[str, Any]:
    """A short paragraph for capacity planners, and its figures.

    One customer can sustain its per-customer limit (the measured onset, else the documented
    17 req/s); N customers behind one client IP share the per-IP limit (200 req/s, burst 400);
    the target itself (capacity runs) serves up to its knee on time, breaks an SLO at its breakpoint.
    """
    per_customer = onset if onset is not None else (customer_limit or DEFAULT_CUSTOMER_LIMIT.rate)
    measured = onset is not None
    ip = DEFAULT_IP_LIMIT
    # within the onset's uncertainty: 50.7 ± 1.4 req/s lets 4 customers share 200 req/s
    low = max(per_customer - (uncertainty or 0.0), per_customer * 0.5)
    per_ip = math.floor(ip.rate / low + 1e-9) if per_customer > 0 else None
    sentences = []
    if measured:
        plus = f" ± {rate_text(uncertainty)}" if uncertainty is not None else ""
        spike = f", after a burst of about {burst:.0f} requests at once" if burst is not None else ""
        sentences.append(f"One customer can sustain {rate_text(per_customer)}{plus} req/s (the measured "
                         f"rate-limit onset){spike}; anything above is answered 429.")
    else:
        sentences.append(f"One customer can sustain at most {rate_text(per_customer)} req/s (the per-customer "
                         "limit, not measured by this run).")
    if per_ip is not None:
        sentences.append(f"Behind one client IP (limit {ip.rate:g} req/s, burst {ip.burst:g}) at most {per_ip} "
                         f"customers can each use their full {rate_text(per_customer)} req/s; more customers "
                         f"from one IP share {ip.rate:g} req/s between them.")
    if knee is not None or breakpoint is not None:
        parts = []
        if knee is not None:
            parts.append(f"served up to {rate_text(knee)} req/s on time (knee)")
        if breakpoint is not None:
            parts.append(f"broke an SLO at {rate_text(breakpoint)} req/s (breakpoint)")
        if max_achieved_rps is not None:
            parts.append(f"answered at most {rate_text(max_achieved_rps)} req/s")
        target = knee if knee is not None else breakpoint
        customers = math.floor(target / per_customer) if target and per_customer > 0 else None
        ips = math.ceil(target / ip.rate) if target else None
        sentences.append("The target " + ", ".join(parts) + "." + (
            f" That is about {customers} customers at their full rate, from at least {ips} client "
            f"IP{'s' if ips != 1 else ''}."
            if customers is not None else ""))
    return {"text": " ".join(sentences), "per_customer_rps": per_customer, "per_customer_measured": measured,
            "ip_limit": str(ip), "customers_per_ip": per_ip, "knee_rps": knee, "breakpoint_rps": breakpoint,
            "max_achieved_rps": max_achieved_rps}
