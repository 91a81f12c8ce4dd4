"""One ``summary.json`` out of the per-worker summaries of a run split over pytest-xdist workers.

Each worker exercises part of the operations (each against its own embedded emulator, or all against
the same URL) and writes ``DIR/.workers/<id>/summary.json`` with, besides the usual blocks, the
answer count and not-tested reason of every operation (``operation_states``). The controller merges
them once the workers are done (or the run is stopped): an operation is exercised when any worker got
an answer for it, a finding met by several workers is one finding with their occurrences summed, the
pacing counts are summed. Findings the workers logged to the run's ``findings.jsonl`` but not yet to
their summary (a worker stopped in between) are kept too; the merged summary is complete only when
every worker's was.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson

from voipbin_harness.coverage import merge_worker_files
from voipbin_harness.findings import (
    FINDINGS_LOG,
    WORKERS_DIR,
    Finding,
    SummaryWriter,
    read_findings_log,
    read_summary,
)
from voipbin_harness.pacing import merge_summaries

from .reporting import SPEC_OPERATION, UNDECLARED_429_KEY, undeclared_rate_limit_finding
from .summary import counts_block
from .tally import merge_blocks

__all__ = ["WORKERS_DIR", "merge_worker_summaries", "worker_dir"]

_SUMMED = ("requests",)
_NO_REASON = "no request was sent (the operation's test did not run)"


def worker_dir(report_dir: Path, worker_id: str) -> Path:
    return report_dir / WORKERS_DIR / worker_id


def merge_worker_summaries(report_dir: Path, suite: str, *, interrupted: bool = False) -> dict[str, Any] | None:
    """Write ``report_dir/summary.json`` from the workers' summaries; None when there are none."""
    folder = report_dir / WORKERS_DIR
    parts = []
    for path in sorted(folder.glob("*/summary.json")):
        try:
            parts.append(read_summary(path.parent))
        except (OSError, orjson.JSONDecodeError):
            continue
    if not parts:
        return None
    logged = read_findings_log(report_dir / FINDINGS_LOG)  # read before the merged writer empties the log
    first = parts[0]
    writer = SummaryWriter(report_dir, suite, target={**first.get("target", {}),
                                                      "origin": sorted({p["target"].get("origin", "") for p in parts})},
                           settings=first.get("settings", {}), workers=len(parts))
    writer.started = min(_epoch(p) for p in parts) or writer.started
    findings: dict[str, Finding] = {}
    for part in [*parts, {"findings": [f for f in logged if f.get("id") not in
                                       {g.get("id") for p in parts for g in p.get("findings", [])}]}]:
        for data in part.get("findings", []):
            known = findings.get(data["id"])
            if known is not None:
                known.occurrences += data.get("occurrences", 1)
                continue
            fields = {k: v for k, v in data.items() if k in Finding.__dataclass_fields__}
            findings[data["id"]] = Finding(**fields)
    undeclared = sorted({label for p in parts for label in p.get("undeclared_429", [])})
    for finding in findings.values():
        if finding.operation == SPEC_OPERATION and finding.key == UNDECLARED_429_KEY and undeclared:
            occurrences = finding.occurrences
            finding = undeclared_rate_limit_finding(undeclared, len(states_total(parts)) or len(undeclared))
            finding.occurrences = occurrences
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
                                                       for key in ("cases", "answered", "held_back", "held_credentials", "over_quota")})
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
    complete = not interrupted and all(p.get("complete") for p in parts)
    finish = writer.close if complete else writer.set
    stopped = next((p["stopped"] for p in parts if p.get("stopped")), None if complete else "interrupted")
    finish(
        **({"stopped": stopped} if stopped else {}),
        operations={"total": len(states), "exercised": len(states) - len(not_tested), "not_tested": not_tested},
        auth_probe={"probed": sum(p.get("probed", 0) for p in probes),
                    "public_per_spec": sorted({label for p in probes for label in p.get("public_per_spec", [])})},
        counts=counts, cleanup=cleanup, workflows=workflows,
        budget_exhausted=any(p.get("budget_exhausted") for p in parts),
        pacing=merge_summaries([p.get("pacing") or {} for p in parts]),
        plan=_summed_blocks([p.get("plan") or {} for p in parts], summed=_PLAN_COUNTS) if first.get("plan") else None,
        undeclared_429=undeclared, credentials=_summed_blocks([p.get("credentials") or {} for p in parts]),
        checks=merge_blocks(p.get("checks") or {} for p in parts), checks_off=first.get("checks_off") or {},
        **{key: sum(p.get(key, 0) for p in parts) for key in _SUMMED},
    )
    if complete:
        merge_worker_files(report_dir, suite)  # the workers' coverage.json, before their folder goes
        shutil.rmtree(folder, ignore_errors=True)
    return read_summary(report_dir)


_PLAN_COUNTS = ("cases_over_quota", "operations_at_quota", "operations_past_deadline", "workflows_past_deadline")


def states_total(parts: list[dict[str, Any]]) -> set[str]:
    return {label for p in parts for label in p.get("operation_states", {})}


def _summed_blocks(blocks: list[dict[str, Any]], summed: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One block out of the workers' (``pacing``, ``plan``...): numbers summed (only ``summed`` when
    given), lists joined, anything else the first worker's."""
    merged: dict[str, Any] = {}
    for block in blocks:
        for key, value in block.items():
            if key not in merged:
                merged[key] = list(value) if isinstance(value, list) else value
            elif isinstance(value, list):
                merged[key] = sorted(set(merged[key]) | set(value))
            elif (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and (summed is None or key in summed) and isinstance(merged[key], (int, float))):
                merged[key] = round(merged[key] + value, 3)
    return merged


def _epoch(part: dict[str, Any]) -> float:
    import calendar
    import time

    try:
        return float(calendar.timegm(time.strptime(part["started_at"], "%Y-%m-%dT%H:%M:%SZ")))
    except (KeyError, ValueError):
        return 0.0
