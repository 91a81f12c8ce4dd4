"""Nightly regression: runs kept, compared with the last one and with the recent median."""

from __future__ import annotations

from pathlib import Path

from voipbin_harness.report.history import compare, load_history, run_key, store_run
from voipbin_harness.report.html import render_html


def _run(epoch: float, ids: list[str], rps: float = 100.0, p99: float = 20.0, quick: bool = True,
         finished: tuple[str, ...] = ("contracts",), known: tuple[str, ...] = ()) -> dict:
    return {"started_epoch": epoch, "started_at": f"t{epoch}", "quick": quick, "verdict": "pass",
            "target": {"name": "emulator", "emulator_profile": "gateway"},
            "suites": [{"name": s, "status": "passed", "complete": True} for s in finished],
            "findings": [{"id": i, "suite": "contracts", "check": "c", "operation": f"GET /{i}", "known": i in known}
                         for i in ids],
            "counts": {"findings": len(ids), "new": 0, "known": len(ids)},
            "load": {"load-smoke": {"totals": {"rps": rps, "p50": 5.0, "p95": 10.0, "p99": p99}}}}


def test_runs_are_stored_and_read_back_oldest_first(tmp_path: Path) -> None:
    for epoch in (3000.0, 1000.0, 2000.0):
        store_run(tmp_path, _run(epoch, []))
    store_run(tmp_path, _run(4000.0, [], quick=False))  # another kind of run: not compared
    (tmp_path / "run-garbage.json").write_text("{")
    runs = load_history(tmp_path, key=run_key(_run(0, [])))
    assert [r["started_epoch"] for r in runs] == [1000.0, 2000.0, 3000.0]


def test_two_runs_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    first, second = store_run(tmp_path, _run(1000.0, [])), store_run(tmp_path, _run(1000.0, []))
    assert first != second and first.exists() and second.exists()


def test_new_and_gone_since_the_last_run() -> None:
    result = compare(_run(2, ["a", "c"]), [_run(0, ["x"]), _run(1, ["a", "b"])])
    assert [f["id"] for f in result["new_since_last"]] == ["c"]
    assert [f["id"] for f in result["fixed_since_last"]] == ["b"]
    assert result["previous"]["started_at"] == "t1"


def test_a_suite_that_did_not_finish_last_time_makes_nothing_new() -> None:
    result = compare(_run(2, ["a", "c"]), [_run(1, [], finished=())])
    assert result["new_since_last"] == [] and result["fixed_since_last"] == []


def test_load_figures_against_the_median_of_the_last_five() -> None:
    previous = [_run(i, [], rps=1000.0, p99=20.0) for i in range(5)] + [_run(5, [], rps=10.0, p99=500.0)]
    # the outlier is one of the last five: the median is still 1000 rps / 20 ms
    slow = compare(_run(9, [], rps=700.0, p99=30.0), previous)
    metrics = {m["name"]: m for m in slow["metrics"]}
    assert metrics["load-smoke rps"]["median"] == 1000.0 and metrics["load-smoke rps"]["regressed"]
    assert metrics["load-smoke p99"]["regressed"] and metrics["load-smoke p99"]["change"] == 0.5
    assert slow["regressions"] == 2
    steady = compare(_run(9, [], rps=900.0, p99=22.0), previous)
    assert steady["regressions"] == 0


def test_tiny_latency_moves_are_not_regressions() -> None:
    run = _run(1, [])
    run["load"]["load-smoke"]["totals"]["p50"] = 1.4  # +40% of 1.0 ms, but only 0.4 ms
    before = [_run(i, []) for i in range(3)]
    for document in before:
        document["load"]["load-smoke"]["totals"]["p50"] = 1.0
    metrics = {m["name"]: m for m in compare(run, before)["metrics"]}
    assert not metrics["load-smoke p50"]["regressed"]


def test_nothing_is_judged_before_three_earlier_runs() -> None:
    slow = _run(9, [], rps=100.0, p99=90.0)
    early = {m["name"]: m for m in compare(slow, [_run(0, []), _run(1, [])])["metrics"]}
    assert not early["load-smoke p99"]["regressed"] and not early["load-smoke p99"]["judged"]
    judged = {m["name"]: m for m in compare(slow, [_run(i, []) for i in range(3)])["metrics"]}
    assert judged["load-smoke p99"]["regressed"]


def test_first_run_has_nothing_to_compare() -> None:
    result = compare(_run(0, ["a"]), [])
    assert result["previous"] is None and result["runs"] == 0 and len(result["series"]) == 1


def test_a_known_deviation_that_comes_and_goes_is_marked_known_not_news() -> None:
    """Nightly: the baseline's deviation k shows one night, not the next, then again; n is really new."""
    nights = [_run(0, ["k"], known=("k",)), _run(1, [], known=("k",))]
    back = compare(_run(2, ["k", "n"], known=("k",)), nights)
    assert [f["id"] for f in back["new_since_last"]] == ["n"]
    assert [(f["id"], f["known"]) for f in back["known_came"]] == [("k", True)]
    gone = compare(_run(3, [], known=("k",)), [*nights, _run(2, ["k"], known=("k",))])
    assert gone["fixed_since_last"] == [] and [f["id"] for f in gone["known_went"]] == ["k"]
    assert gone["new_since_last"] == []


def test_a_new_finding_seen_in_an_earlier_run_says_when() -> None:
    result = compare(_run(3, ["n", "m"]), [_run(0, ["n"]), _run(1, ["n"]), _run(2, [])])
    seen = {f["id"]: f["seen_before"] for f in result["new_since_last"]}
    assert seen == {"n": "t1", "m": ""}  # n came back (still not in the baseline: still new); m is a first


def test_the_page_lists_a_returning_known_deviation_apart_from_the_news() -> None:
    from tests.report.test_html import KNOWN, _document, _text

    before = _document(new=False)
    before["findings"] = []  # last night the known deviation did not show
    tonight = _document(new=False)
    tonight["history"] = compare(tonight, [before])
    text = _text(render_html(tonight))
    assert "New since the last run (0)" in text
    assert "Known deviations that came or went since the last run (1)" in text
    assert tonight["history"]["known_came"][0]["id"] == KNOWN
