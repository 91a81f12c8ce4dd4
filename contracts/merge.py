"""One ``summary.json`` out of the per-worker summaries of a run split over pytest-xdist workers.

Each worker exercises part of the operations (each against its own embedded emulator, or all against
the same URL) and writes ``DIR/.workers/<id>/summary.json`` with, besides the usual blocks, the
answer count and not-tested reason of every operation (``operation_states``). The controller merges
them once the workers are done: an operation is exercised when any worker got an answer for it, a
finding met by several workers is one finding with their occurrences summed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from voipbin_harness.findings import Finding, SummaryWriter, read_summary

from .summary import counts_block

__all__ = ["WORKERS_DIR", "merge_worker_summaries", "worker_dir"]

WORKERS_DIR = ".workers"
_SUMMED = ("rate_limit_waits", "requests")
_NO_REASON = "no request was sent (the operation's test did not run)"


def worker_dir(report_dir: Path, worker_id: str) -> Path:
    return report_dir / WORKERS_DIR / worker_id


def merge_worker_summaries(report_dir: Path, suite: str) -> dict[str, Any] | None:
    """Write ``report_dir/summary.json`` from the workers' summaries; None when there are none."""
    folder = report_dir / WORKERS_DIR
    parts = [read_summary(path.parent) for path in sorted(folder.glob("*/summary.json"))]
    if not parts:
        return None
    first = parts[0]
    writer = SummaryWriter(report_dir, suite, target={**first.get("target", {}),
                                                      "origin": sorted({p["target"].get("origin", "") for p in parts})},
                           settings=first.get("settings", {}), workers=len(parts))
    writer.started = min(_epoch(p) for p in parts) or writer.started
    findings: dict[str, Finding] = {}
    for part in parts:
        for data in part.get("findings", []):
            known = findings.get(data["id"])
            if known is not None:
                known.occurrences += data.get("occurrences", 1)
                continue
            fields = {k: v for k, v in data.items() if k in Finding.__dataclass_fields__}
            findings[data["id"]] = Finding(**fields)
    for finding in findings.values():
        writer.add(finding)
    states: dict[str, dict[str, Any]] = {}
    for part in parts:
        for label, state in part.get("operation_states", {}).items():
            merged = states.setdefault(label, {"answered": 0, "reason": None})
            merged["answered"] += state.get("answered", 0)
            if state.get("reason") and (merged["reason"] in (None, _NO_REASON)):
                merged["reason"] = state["reason"]
    not_tested = [{"operation": label, "reason": state["reason"] or _NO_REASON}
                  for label, state in states.items() if not state["answered"]]
    counts = counts_block(list(findings.values()), **{key: sum(p.get("counts", {}).get(key, 0) for p in parts)
                                                       for key in ("cases", "answered", "held_back")})
    cleanup: dict[str, Any] = {"created": 0, "deleted_during_run": 0, "deleted": 0, "already_gone": 0, "failed": []}
    for part in parts:
        for key, value in (part.get("cleanup") or {}).items():
            cleanup[key] = cleanup.get(key, 0) + value if not isinstance(value, list) else cleanup[key] + value
    workflows: dict[str, Any] = {}
    for part in parts:
        for name, outcome in (part.get("workflows") or {}).items():
            if outcome.get("steps") or name not in workflows:
                workflows[name] = outcome
    probes = [p.get("auth_probe") or {} for p in parts]
    writer.close(
        operations={"total": len(states), "exercised": len(states) - len(not_tested), "not_tested": not_tested},
        auth_probe={"probed": sum(p.get("probed", 0) for p in probes),
                    "public_per_spec": sorted({label for p in probes for label in p.get("public_per_spec", [])})},
        counts=counts, cleanup=cleanup, workflows=workflows,
        budget_exhausted=any(p.get("budget_exhausted") for p in parts),
        **{key: sum(p.get(key, 0) for p in parts) for key in _SUMMED},
    )
    shutil.rmtree(folder, ignore_errors=True)
    return read_summary(report_dir)


def _epoch(part: dict[str, Any]) -> float:
    import calendar
    import time

    try:
        return float(calendar.timegm(time.strptime(part["started_at"], "%Y-%m-%dT%H:%M:%SZ")))
    except (KeyError, ValueError):
        return 0.0
