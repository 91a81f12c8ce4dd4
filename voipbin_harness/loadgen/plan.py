"""The offered load of an open-model run: a plan of steps, and the tickets it hands out.

A closed model (N users, each sending its next request when the last one returned) slows down
with the server, so it never measures what a slow server does to clients who keep arriving.
Here a run is a plan of steps at fixed offered rates; every request is a ticket with a
*scheduled* send time, fixed before the run starts and whatever the server does. A generator
process takes the next ticket when it has a free user; if all its users are busy the ticket is
late, and the wait counts in that request's latency (no coordinated omission).

Times in a plan are seconds from the run's epoch ``t0``; tickets carry absolute epoch seconds
(``time.time()``), so that several generator processes, on one machine or several synchronised
ones, share one schedule: process ``i`` of ``n`` takes every ``n``-th ticket.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

__all__ = ["MAX_STEPS", "Plan", "Step", "Ticket", "TicketDispenser", "constant_plan", "geometric_plan"]

MAX_STEPS = 200  # a plan never has more steps than this, whatever the options say


@dataclass(frozen=True, slots=True)
class Step:
    """``rate`` req/s offered (by all generator processes together) from ``start`` for
    ``settle`` seconds that are not measured, then ``hold`` seconds that are."""

    index: int
    rate: float
    start: float
    settle: float
    hold: float
    label: str = ""

    @property
    def hold_start(self) -> float:
        return self.start + self.settle

    @property
    def end(self) -> float:
        return self.start + self.settle + self.hold


@dataclass(frozen=True, slots=True)
class Plan:
    """Ordered, non-overlapping steps (a gap between two is a pause); ``drain`` seconds after
    the last one let answers in flight arrive."""

    steps: tuple[Step, ...]
    drain: float = 1.0

    def __post_init__(self) -> None:
        if len(self.steps) > MAX_STEPS:
            raise ValueError(f"a plan has at most {MAX_STEPS} steps, got {len(self.steps)}")
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            if after.start < before.end - 1e-9:
                raise ValueError("plan steps must be in order and must not overlap")

    @property
    def duration(self) -> float:
        """Seconds from t0 to the last scheduled send."""
        return self.steps[-1].end if self.steps else 0.0

    @property
    def max_rate(self) -> float:
        return max((s.rate for s in self.steps), default=0.0)

    def locate(self, t: float) -> tuple[int, bool] | None:
        """(step index, inside its hold window) for ``t`` seconds after t0; None outside the plan."""
        if not self.steps or t < 0 or t >= self.duration:
            return None
        lo, hi = 0, len(self.steps) - 1
        while lo < hi:  # steps are few, but bisect keeps this O(log n) per request
            mid = (lo + hi + 1) // 2
            if self.steps[mid].start <= t:
                lo = mid
            else:
                hi = mid - 1
        step = self.steps[lo]
        if t < step.start or t >= step.end:
            return None  # in a pause between two steps
        return step.index, t >= step.hold_start

    def completed(self, t: float) -> Plan:
        """Only the steps that ended by ``t`` seconds (a step cut short is left out)."""
        return Plan(tuple(s for s in self.steps if s.end <= t + 1e-9), self.drain)

    def until(self, t: float) -> Plan:
        """This plan cut at ``t`` seconds: later steps dropped, the step running at ``t`` ends there."""
        kept: list[Step] = []
        for step in self.steps:
            if step.start >= t:
                break
            if step.end > t:
                settle = min(step.settle, t - step.start)
                step = replace(step, settle=settle, hold=max(0.0, t - step.start - settle))
            kept.append(step)
        return Plan(tuple(kept), self.drain)


def geometric_plan(start_rate: float, max_rate: float, factor: float, settle: float, hold: float,
                   budget: float, *, drain: float = 1.0) -> Plan:
    """Rates ``start_rate * factor**k`` up to ``max_rate`` (which is always the last rate
    when the budget allows), each step ``settle + hold`` seconds, as many as fit in ``budget``."""
    if start_rate <= 0 or max_rate < start_rate:
        raise ValueError(f"need 0 < start rate <= max rate, got {start_rate:g} and {max_rate:g}")
    if factor <= 1:
        raise ValueError(f"the step factor must be > 1, got {factor:g}")
    if hold <= 0 or settle < 0:
        raise ValueError("a step needs hold > 0 and settle >= 0 seconds")
    length = settle + hold
    fit = int(math.floor((budget + 1e-9) / length))
    if fit < 1:
        raise ValueError(f"the duration {budget:g}s is shorter than one step ({length:g}s)")
    rates: list[float] = []
    rate = start_rate
    while rate < max_rate * (1 - 1e-9) and len(rates) < min(fit, MAX_STEPS):
        rates.append(rate)
        rate *= factor
    if len(rates) < min(fit, MAX_STEPS):
        rates.append(max_rate)
    steps = tuple(Step(i, r, i * length, settle, hold, f"{r:g} req/s") for i, r in enumerate(rates))
    return Plan(steps, drain)


def constant_plan(rate: float, duration: float, window: float, *, settle: float = 0.0,
                  drain: float = 1.0) -> Plan:
    """One rate for ``duration`` seconds, cut in windows of ``window`` seconds so that trends
    (latency, errors, memory) show; the first window settles for ``settle`` seconds."""
    if rate <= 0 or duration <= 0:
        raise ValueError("a constant plan needs rate > 0 and duration > 0")
    window = min(max(window, 0.5), duration)
    count = max(1, min(MAX_STEPS, int(math.floor(duration / window + 1e-9))))
    window = duration / count
    steps = []
    for i in range(count):
        first_settle = min(settle, window / 2) if i == 0 else 0.0
        steps.append(Step(i, rate, i * window, first_settle, window - first_settle, f"window {i + 1}"))
    return Plan(tuple(steps), drain)


@dataclass(frozen=True, slots=True)
class Ticket:
    """One request of the plan: when it is due (epoch seconds) and which step it belongs to."""

    seq: int
    at: float
    step: int
    hold: bool


class TicketDispenser:
    """Hands out this process's tickets in schedule order.

    Process ``worker_index`` of ``worker_count`` takes the plan's tickets whose sequence number
    is ``worker_index`` modulo ``worker_count``; the union over processes is exactly the plan.
    ``stop(t)`` ends the schedule early (no ticket due at or after ``t`` seconds from t0);
    ``start`` begins it late (a plan changed at run time goes on from there: the tickets before
    it were another dispenser's).
    """

    def __init__(self, plan: Plan, t0: float, worker_index: int = 0, worker_count: int = 1, *,
                 start: float = 0.0) -> None:
        if not 0 <= worker_index < worker_count:
            raise ValueError(f"worker index {worker_index} is not in 0..{worker_count - 1}")
        self.plan, self.t0, self.start = plan, t0, start
        self.worker_index, self.worker_count = worker_index, worker_count
        self._stop_at = plan.duration
        self._tickets = self._all()

    def _all(self) -> Iterator[Ticket]:
        seq = 0
        for step in self.plan.steps:
            if step.end <= self.start:
                continue
            count = int(math.ceil(step.rate * (step.end - step.start) - 1e-9))
            for m in range(count):
                offset = step.start + m / step.rate
                if offset >= step.end:
                    break
                if offset < self.start:
                    continue
                if seq % self.worker_count == self.worker_index:
                    yield Ticket(seq, self.t0 + offset, step.index, offset >= step.hold_start)
                seq += 1

    def stop(self, t: float) -> None:
        self._stop_at = min(self._stop_at, t)

    @property
    def end(self) -> float:
        """Epoch seconds after which no ticket is due."""
        return self.t0 + self._stop_at

    def take(self) -> Ticket | None:
        """The next ticket, or None when the schedule is over."""
        ticket = next(self._tickets, None)
        if ticket is None or ticket.at >= self.end:
            self._tickets = iter(())
            return None
        return ticket
