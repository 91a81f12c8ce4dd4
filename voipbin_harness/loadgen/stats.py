"""Per-step statistics that merge exactly across generator processes.

Latencies go into HDR histograms (microseconds, 3 significant digits, 1 µs .. 5 min), which
add bucket by bucket: the p99 of the merged histogram is the p99 of all requests, not an
average of per-process p99s. A process ships what it recorded since its last report
(``StepBook.export``: counters, encoded histograms, peaks) and the master adds it
(``StepBook.absorb``); every value is sent exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

__all__ = ["HIGHEST_US", "HISTOGRAMS", "RUN", "StepBook", "StepStats", "new_histogram", "percentiles_ms", "record",
           "values_at"]

LOWEST_US = 1
HIGHEST_US = 300_000_000
SIGNIFICANT_DIGITS = 3
#: latency: from the scheduled send time to the answer (what a client arriving on time waits);
#: service: from the actual send to the answer (what Locust alone would report);
#: lag: how late the generator acted: a free user sending a ticket that was due, and an
#: event-loop probe waking from a short sleep (the generator's own health: it grows when the
#: process runs out of CPU or the machine is busy).
HISTOGRAMS = ("latency", "service", "lag")
RUN = -1  # the book key for run-wide facts that belong to no step


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record(histogram: HdrHistogram, seconds: float) -> None:
    """Record a duration in seconds (clamped into the histogram's range)."""
    histogram.record_value(min(HIGHEST_US, max(LOWEST_US, int(seconds * 1_000_000))))


def values_at(histogram: HdrHistogram, percentiles: list[float]) -> dict[float, int]:
    """``HdrHistogram.get_percentile_to_value_dict``, same answers, vectorised.

    hdrh walks its ~20k buckets in Python (milliseconds per call); inside a generator process
    that time is stolen from the send schedule, so the walk is a numpy cumulative sum here.
    """
    length = min(histogram.counts_len, histogram.encoder.payload.counts_len)
    cumulative = np.cumsum(np.ctypeslib.as_array(histogram.counts)[:length], dtype=np.int64)
    result = {}
    for p in percentiles:
        target = histogram.get_target_count_at_percentile(p)
        index = int(np.searchsorted(cumulative, target, side="left"))
        if index >= length:
            continue
        value = histogram.get_value_from_index(index)
        result[p] = (histogram.get_highest_equivalent_value(value) if p
                     else histogram.get_lowest_equivalent_value(value))
    return result


def percentiles_ms(histogram: HdrHistogram) -> dict[str, float | int | None]:
    """count, p50, p95, p99, p99.9 and max in milliseconds (None when nothing was recorded)."""
    count = histogram.get_total_count()
    if not count:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "p99_9": None, "max": None}
    values = values_at(histogram, [50, 95, 99, 99.9])
    return {
        "count": count,
        "p50": round(values[50] / 1000, 3),
        "p95": round(values[95] / 1000, 3),
        "p99": round(values[99] / 1000, 3),
        "p99_9": round(values[99.9] / 1000, 3),
        "max": round(histogram.get_max_value() / 1000, 3),
    }


class StepStats:
    """Counters, histograms and peaks of one step (or of the run, under key ``RUN``)."""

    __slots__ = ("counts", "histograms", "peaks")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.histograms: dict[str, HdrHistogram] = {name: new_histogram() for name in HISTOGRAMS}
        self.peaks: dict[str, float] = {}

    def peak(self, name: str, value: float) -> None:
        """Keep the largest value seen (peaks merge by max: "did any process reach it")."""
        if value > self.peaks.get(name, float("-inf")):
            self.peaks[name] = value

    def is_empty(self) -> bool:
        return not self.counts and not self.peaks and not any(h.get_total_count() for h in self.histograms.values())

    def payload(self, *, reset: bool = True) -> dict[str, Any]:
        """What a worker sends: plain types only (msgpack), histograms HdrHistogram-encoded."""
        data = {
            "counts": dict(self.counts),
            "histograms": {name: h.encode().decode("ascii") for name, h in self.histograms.items()
                           if h.get_total_count()},
            "peaks": dict(self.peaks),
        }
        if reset:  # fresh histograms: hdrh's reset() zeroes ~20k buckets in Python (ms each)
            self.counts.clear()
            self.histograms = {name: new_histogram() for name in HISTOGRAMS}
            self.peaks.clear()
        return data

    def absorb(self, payload: Mapping[str, Any]) -> None:
        self.counts.update(payload.get("counts", {}))
        for name, encoded in payload.get("histograms", {}).items():
            if name not in self.histograms:
                raise ValueError(f"unknown histogram {name!r} in a worker report")
            raw = encoded.encode("ascii") if isinstance(encoded, str) else encoded
            self.histograms[name].add(HdrHistogram.decode(raw))
        for name, value in payload.get("peaks", {}).items():
            self.peak(name, value)

    def merge(self, other: StepStats) -> None:
        """Add ``other`` into this one (exact, like absorb)."""
        self.counts.update(other.counts)
        for name, h in other.histograms.items():
            if h.get_total_count():
                self.histograms[name].add(h)
        for name, value in other.peaks.items():
            self.peak(name, value)


class StepBook:
    """``StepStats`` by step index; the master's book is the sum of every process's reports."""

    def __init__(self) -> None:
        self.steps: dict[int, StepStats] = {}
        self.reports = 0  # payloads absorbed (a worker sends one every report interval)

    def at(self, index: int) -> StepStats:
        stats = self.steps.get(index)
        if stats is None:
            stats = self.steps[index] = StepStats()
        return stats

    def export(self, *, reset: bool = True) -> dict[str, Any]:
        """Everything recorded since the last export, keyed by str(step index) (msgpack-safe)."""
        return {str(i): s.payload(reset=reset) for i, s in self.steps.items() if not s.is_empty()}

    def absorb(self, data: Mapping[str, Any]) -> None:
        for key, payload in data.items():
            self.at(int(key)).absorb(payload)
        self.reports += 1

    def combined(self, indexes: Iterable[int]) -> StepStats:
        """One StepStats holding the given steps added together (e.g. a whole smoke run)."""
        total = StepStats()
        for i in indexes:
            if i in self.steps:
                total.merge(self.steps[i])
        return total
