"""HDR histograms per step: percentiles as hdrh computes them, and an exact merge across
processes through the same encode -> msgpack -> decode path Locust's reports take."""

from __future__ import annotations

import random

import msgpack
import pytest

from voipbin_harness.loadgen.stats import (
    RUN,
    StepBook,
    StepStats,
    new_histogram,
    percentiles_ms,
    record,
    values_at,
)


@pytest.mark.parametrize("seed", range(5))
def test_values_at_matches_hdrh(seed: int) -> None:
    rng = random.Random(seed)
    histogram = new_histogram()
    for _ in range(rng.choice([1, 3, 500, 5000])):
        record(histogram, rng.expovariate(1 / rng.choice([0.0005, 0.02, 3.0])))
    percentiles = [0, 1, 50, 90, 95, 99, 99.9, 99.99, 100]
    assert values_at(histogram, percentiles) == histogram.get_percentile_to_value_dict(percentiles)


def test_percentiles_in_ms_and_empty() -> None:
    histogram = new_histogram()
    assert percentiles_ms(histogram)["p99"] is None
    for ms in range(1, 101):
        record(histogram, ms / 1000)
    result = percentiles_ms(histogram)
    assert result["count"] == 100
    assert result["p50"] == pytest.approx(50, rel=0.002)
    assert result["p99"] == pytest.approx(99, rel=0.002)
    assert result["max"] == pytest.approx(100, rel=0.002)


def test_merge_across_processes_is_exact() -> None:
    rng = random.Random(7)
    samples = [(rng.randrange(3), rng.lognormvariate(-6, 1.5)) for _ in range(20_000)]
    single = StepBook()
    workers = [StepBook() for _ in range(3)]
    master = StepBook()
    for n, (step, seconds) in enumerate(samples):
        for book in (single, workers[n % 3]):
            stats = book.at(step)
            record(stats.histograms["latency"], seconds)
            stats.counts["done"] += 1
            stats.peak("cpu", n % 97)
        if n % 5000 == 4999:  # periodic reports, as a worker sends them
            for worker in workers:
                master.absorb(msgpack.unpackb(msgpack.packb(worker.export()), strict_map_key=False))
    for worker in workers:
        master.absorb(msgpack.unpackb(msgpack.packb(worker.export())))
    for step in range(3):
        expected, merged = single.at(step), master.at(step)
        assert merged.counts == expected.counts
        assert merged.peaks == expected.peaks
        a, b = expected.histograms["latency"], merged.histograms["latency"]
        assert b.get_total_count() == a.get_total_count()
        assert percentiles_ms(b) == percentiles_ms(a)
        assert list(b.counts) == list(a.counts)  # bucket for bucket
    assert all(not w.export() for w in workers), "an export resets what it shipped"


def test_combined_adds_steps_and_absorb_rejects_unknown_histograms() -> None:
    book = StepBook()
    record(book.at(0).histograms["latency"], 0.001)
    record(book.at(1).histograms["latency"], 0.002)
    book.at(RUN).counts["requests"] = 2
    assert book.combined([0, 1]).histograms["latency"].get_total_count() == 2
    with pytest.raises(ValueError):
        StepStats().absorb({"histograms": {"nope": new_histogram().encode()}})
