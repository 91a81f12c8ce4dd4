"""Canned step statistics for the load suite's unit tests."""

from __future__ import annotations

import random

from voipbin_harness.loadgen.analysis import GeneratorLimits, StepResult, step_result
from voipbin_harness.loadgen.stats import StepBook, StepStats, record


def fill(stats: StepStats, *, answers: int, latency_ms: float, ok: int | None = None, r429: int = 0,
         errors: int = 0, lag_ms: float = 0.5, cpu: float = 20.0, seed: int = 0) -> StepStats:
    """Record ``answers`` answers around ``latency_ms`` into ``stats``."""
    rng = random.Random(seed)
    ok = answers - r429 - errors if ok is None else ok
    counts = stats.counts
    counts["done"] += answers
    counts["sent"] += answers
    counts["ok"] += ok
    counts["r429"] += r429
    counts["errors"] += errors
    counts["status:200"] += ok
    if r429:
        counts["status:429"] += r429
    if errors:
        counts["status:500"] += errors
    for _ in range(answers):
        record(stats.histograms["latency"], latency_ms * rng.uniform(0.8, 1.2) / 1000)
        record(stats.histograms["service"], latency_ms * rng.uniform(0.7, 1.0) / 1000)
        record(stats.histograms["lag"], lag_ms * rng.uniform(0.5, 1.0) / 1000)
    stats.peak("cpu", cpu)
    return stats


def result(offered: float, achieved: float, latency_ms: float, *, hold: float = 2.0, index: int = 0,
           errors: int = 0, r429: int = 0, lag_ms: float = 0.5, cpu: float = 20.0,
           limits: GeneratorLimits | None = None) -> StepResult:
    stats = fill(StepStats(), answers=int(achieved * hold), latency_ms=latency_ms, errors=errors, r429=r429,
                 lag_ms=lag_ms, cpu=cpu, seed=index)
    return step_result(index, f"{offered:g} req/s", offered, hold, stats, limits or GeneratorLimits())


def book_with(steps: dict[int, dict]) -> StepBook:
    book = StepBook()
    for index, kwargs in steps.items():
        fill(book.at(index), seed=index, **kwargs)
    return book
