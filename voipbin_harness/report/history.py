"""Nightly regression: keep every run's summary, compare this run with the ones before it.

``--history DIR`` keeps one file per run (``run-<UTC timestamp>.json``, the run's summary.json).
A run is compared only with earlier runs of the same kind (same target, emulator profile and
depth: a ``--quick`` run is not held against a release-gate run), and says:

- which findings are new since the last run and which were fixed since it (over the suites that
  ran to the end in both, so a suite that crashed last night does not make everything "new").
  Only news is listed there: a known deviation (one the baseline lists) that comes and goes
  between runs (a quick run tries fewer inputs, a race shows one night and not the next) is
  listed apart, in ``known_came`` and ``known_went``, marked known; a new one that an earlier
  run of the history had already shown carries ``seen_before`` (when it was last seen);
- which load figures moved beyond ``tolerance`` (default 20%) of the median of the last
  ``window`` (default 5) runs: throughput falling, latency rising. Latency also has to move by
  at least ``min_delta_ms``, so that 1.0 ms -> 1.3 ms on a loopback emulator is not a regression,
  and nothing is judged before ``min_runs`` (3) earlier runs: a p99 of a short run moves by half
  from one run to the next on a busy machine, and the median of one run is that run.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from .output import write_json

__all__ = ["METRICS", "compare", "load_history", "run_key", "run_metrics", "store_run"]

# (suffix of the metric name, better direction, unit); metric names are "<suite> <suffix>"
METRICS = (("rps", "higher", "req/s"), ("p50", "lower", "ms"), ("p95", "lower", "ms"), ("p99", "lower", "ms"))


def run_key(document: dict[str, Any]) -> str:
    """What must match for two runs to be comparable."""
    target = document.get("target") or {}
    return "|".join(str(x) for x in (target.get("name", ""), target.get("emulator_profile", ""),
                                       "quick" if document.get("quick") else "full"))


def run_metrics(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"load-smoke p95": {"value": 12.0, "better": "lower", "unit": "ms"}, ...}`` for one run."""
    metrics: dict[str, dict[str, Any]] = {}
    for suite, figures in (document.get("load") or {}).items():
        totals = (figures or {}).get("totals") or {}
        for name, better, unit in METRICS:
            value = totals.get(name)
            if isinstance(value, (int, float)) and value == value:  # not NaN
                metrics[f"{suite} {name}"] = {"value": float(value), "better": better, "unit": unit}
    return metrics


def store_run(history_dir: str | os.PathLike[str], document: dict[str, Any]) -> Path:
    """Keep ``document`` as ``run-<timestamp>.json`` (a new name, never overwriting)."""
    directory = Path(history_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(document.get("started_epoch") or time.time()))
    path = directory / f"run-{stamp}.json"
    counter = 1
    while path.exists():
        path = directory / f"run-{stamp}-{counter}.json"
        counter += 1
    return write_json(path, document)


def load_history(history_dir: str | os.PathLike[str], *, key: str, exclude: Path | None = None) -> list[dict[str, Any]]:
    """Earlier comparable runs, oldest first; unreadable files are skipped (named in ``_skipped``)."""
    directory = Path(history_dir)
    runs: list[dict[str, Any]] = []
    if not directory.is_dir():
        return runs
    for path in sorted(directory.glob("run-*.json")):
        if exclude is not None and path.resolve() == exclude.resolve():
            continue
        try:
            document = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(document, dict) and run_key(document) == key:
            document["_file"] = path.name
            runs.append(document)
    runs.sort(key=lambda d: (d.get("started_epoch") or 0, d.get("_file", "")))
    return runs


def _finished(document: dict[str, Any]) -> set[str]:
    return {s["name"] for s in document.get("suites", []) if s.get("complete") and s.get("status") in ("passed", "failed")}


def _ids_by_suite(document: dict[str, Any], suites: set[str]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in document.get("findings", []) if f.get("suite") in suites and f.get("id")}


def compare(current: dict[str, Any], previous: list[dict[str, Any]], *, tolerance: float = 0.2, window: int = 5,
            min_delta_ms: float = 1.0, min_runs: int = 3) -> dict[str, Any]:
    """The ``history`` block of the run document (see the module docstring)."""
    result: dict[str, Any] = {"runs": len(previous), "tolerance": tolerance, "window": window, "min_runs": min_runs,
                              "previous": None, "new_since_last": [], "fixed_since_last": [], "known_came": [],
                              "known_went": [], "metrics": [],
                              "regressions": 0, "series": []}
    for document in [*previous, current]:
        result["series"].append(_point(document))
    if not previous:
        return result
    last = previous[-1]
    result["previous"] = {"file": last.get("_file", ""), "started_at": last.get("started_at", ""),
                          "verdict": last.get("verdict", "")}
    both = _finished(current) & _finished(last)
    now, before = _ids_by_suite(current, both), _ids_by_suite(last, both)
    came = [_brief(now[i]) for i in now if i not in before]
    went = [_brief(before[i]) for i in before if i not in now]
    result["new_since_last"] = [f for f in came if not f.get("known")]
    result["fixed_since_last"] = [f for f in went if not f.get("known")]
    result["known_came"] = [f for f in came if f.get("known")]
    result["known_went"] = [f for f in went if f.get("known")]
    for brief in result["new_since_last"]:
        brief["seen_before"] = _last_seen(brief["id"], previous[:-1])
    result["coverage"] = _coverage_trend(result["series"])
    recent = previous[-window:]
    history = [run_metrics(d) for d in recent]
    for name, figure in sorted(run_metrics(current).items()):
        values = [h[name]["value"] for h in history if name in h]
        if not values:
            continue
        median = statistics.median(values)
        value = figure["value"]
        change = (value - median) / median if median else 0.0
        if figure["better"] == "higher":
            regressed, improved = change < -tolerance, change > tolerance
        else:
            big_enough = abs(value - median) >= min_delta_ms
            regressed, improved = change > tolerance and big_enough, change < -tolerance and big_enough
        enough = len(values) >= min_runs  # the median of one or two runs is one noisy run
        result["metrics"].append({"name": name, "unit": figure["unit"], "better": figure["better"], "value": value,
                                  "median": median, "runs": len(values), "change": change,
                                  "regressed": regressed and enough, "improved": improved and enough,
                                  "judged": enough})
    result["regressions"] = sum(1 for m in result["metrics"] if m["regressed"])
    return result


def _last_seen(finding_id: str, earlier: list[dict[str, Any]]) -> str:
    """When an earlier run (oldest first) last had this finding; "" if none did."""
    for document in reversed(earlier):
        if any(f.get("id") == finding_id for f in document.get("findings", [])):
            return str(document.get("started_at", ""))
    return ""


def _brief(finding: dict[str, Any]) -> dict[str, Any]:
    return {k: finding.get(k) for k in ("id", "check", "operation", "suite", "message", "known")}


def _point(document: dict[str, Any]) -> dict[str, Any]:
    counts = document.get("counts") or {}
    return {"started_at": document.get("started_at", ""), "verdict": document.get("verdict", ""),
            "findings": counts.get("findings", 0), "new": counts.get("new", 0), "known": counts.get("known", 0),
            "duration_s": document.get("duration_s", 0.0),
            "metrics": {k: v["value"] for k, v in run_metrics(document).items()},
            "coverage": _coverage_point(document)}


#: The coverage figures kept per run for the trend (``report.coverage`` totals).
COVERAGE_FIGURES = ("exercised", "operations", "exercised_pct", "declared_statuses_pct", "parameters_pct",
                    "enum_values_pct")


def _coverage_point(document: dict[str, Any]) -> dict[str, Any] | None:
    totals = (document.get("coverage") or {}).get("totals")
    return {k: totals.get(k) for k in COVERAGE_FIGURES} if isinstance(totals, dict) and totals else None


def _coverage_trend(series: list[dict[str, Any]]) -> dict[str, Any] | None:
    """This run's coverage against the last run that recorded one: operations exercised and declared
    statuses seen, in percentage points (a run before coverage existed is passed over)."""
    points = [p["coverage"] for p in series if p.get("coverage")]
    if len(points) < 2 or not series[-1].get("coverage"):
        return None
    now, last = points[-1], points[-2]

    def change(key: str) -> float | None:
        a, b = now.get(key), last.get(key)
        return round(a - b, 1) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None

    return {"now": now, "last": last, "exercised_change": change("exercised_pct"),
            "declared_statuses_change": change("declared_statuses_pct")}
