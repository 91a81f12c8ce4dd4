"""The run document: every suite's summary merged into one ``summary.json``, with the verdict.

Verdict and exit code, in this order: a finding not in the baseline fails the run (``fail``,
exit 1); otherwise a run in which a suite could not run or did not finish is ``incomplete``
(exit 2: we cannot say everything holds, and nothing at all was tested is the extreme case);
otherwise ``pass`` (exit 0). Spec-lint defects describe the document, not the target: they are
reported and trended, never part of the verdict.
"""

from __future__ import annotations

import platform
import time
from importlib import metadata
from typing import Any

from .. import __version__
from ..conventions.rules import R
from ..findings import finding_id
from .baseline import Baseline, Evidence, classify
from .suites import SuiteResult

__all__ = ["FORMAT", "build_document", "checks_view", "load_figures", "pacing_view", "tool_versions", "unexercised"]

FORMAT = "voipbin-harness/check-report/1"
_TOOLS = ("schemathesis", "hypothesis", "locust", "pytest", "allure-pytest", "matplotlib")


def tool_versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    versions = {"voipbin-harness": __version__, "python": platform.python_version()}
    for name in _TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions.update(extra or {})
    return versions


def _number(mapping: dict[str, Any], *names: str) -> float | None:
    for name in names:
        value = mapping.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _step(raw: dict[str, Any], index: int) -> dict[str, Any]:
    latency = raw.get("latency_ms") if isinstance(raw.get("latency_ms"), dict) else raw
    return {
        "name": str(raw.get("name") or raw.get("label") or raw.get("step") or f"step {index + 1}"),
        "offered_rps": _number(raw, "offered_rps", "offered", "target_rps", "rate"),
        "rps": _number(raw, "rps", "achieved_rps", "throughput"),
        "p50": _number(latency, "p50", "p50_ms"),
        "p95": _number(latency, "p95", "p95_ms"),
        "p99": _number(latency, "p99", "p99_ms"),
        "p999": _number(latency, "p999", "p99_9", "p99.9", "p999_ms"),
        "requests": _number(raw, "requests", "answers", "num_requests", "count"),
        "errors": _number(raw, "errors", "failures", "num_failures"),
        "share_429": _number(raw, "share_429"),
    }


def load_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Per-step rps and latency percentiles, totals, and the ratelimit/capacity blocks of a load suite.

    Tolerant of where the load suite puts them (top level or under ``load``), since it is read
    from another process's file that may be partial.
    """
    block = summary.get("load") if isinstance(summary.get("load"), dict) else summary
    raw_steps = block.get("steps") if isinstance(block.get("steps"), list) else summary.get("steps")
    steps = [_step(s, i) for i, s in enumerate(raw_steps or []) if isinstance(s, dict)]
    raw_totals = next((x for x in (block.get("totals"), block.get("total"), block.get("overall"),
                                   summary.get("totals"), summary.get("overall")) if isinstance(x, dict)), None)
    if raw_totals is not None:
        totals = _step(raw_totals, 0)
        totals["name"] = "total"
    elif steps:
        totals = dict(steps[-1] if len(steps) > 1 else steps[0], name="total")
    else:
        totals = {}
    figures: dict[str, Any] = {"profile": summary.get("profile") or block.get("profile") or "",
                               "steps": steps, "totals": totals}
    for name in ("ratelimit", "capacity", "capacity_plan", "thresholds", "generator", "invalid", "verdict",
                 "stopped_early"):
        value = summary.get(name, block.get(name))
        if value is not None:
            figures[name] = value
    return figures


def _suite_failed_finding(suite: SuiteResult) -> dict[str, Any]:
    """A suite said it failed but reported no finding: say so rather than pass silently."""
    tests = suite.tests
    got = (f"{tests.get('failed', 0)} failed, {tests.get('errors', 0)} errors of {tests.get('total', 0)} tests"
           if tests else f"exit code {suite.exit_code}")
    return {"id": finding_id("suite-failed", "*", suite.name), "check": "suite-failed", "operation": "*",
            "suite": suite.name, "message": f"the {suite.title} suite failed without reporting a finding",
            "expected": "every failure reported as a finding", "got": got, "reproduce": suite.command,
            "severity": "high", "promise": "", "occurrences": 1}


def _threshold_findings(suite: SuiteResult) -> list[dict[str, Any]]:
    """A load run's broken thresholds (SLOs, rate-limit defects) as findings, when it reported
    them only in its ``thresholds.breaches`` block: a broken SLO is a failure to baseline or fix."""
    thresholds = suite.summary.get("thresholds")
    breaches = thresholds.get("breaches") if isinstance(thresholds, dict) else None
    found = []
    for breach in breaches if isinstance(breaches, list) else []:
        if not isinstance(breach, dict):
            continue
        name = str(breach.get("name") or "threshold")
        found.append({"id": finding_id("load-threshold", suite.name, name), "check": "load-threshold",
                      "operation": f"load {suite.name.removeprefix('load-')}", "suite": suite.name, "key": name,
                      "message": str(breach.get("message") or name),
                      "expected": f"{name} within {breach.get('limit')}", "got": f"{breach.get('value')}",
                      "reproduce": suite.command, "severity": "medium", "promise": "load/thresholds.toml",
                      "occurrences": 1})
    return found


def _collect(suites: list[SuiteResult]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for suite in suites:
        if suite.kind == "lint":
            continue  # spec defects are the document's, reported apart (see the module docstring)
        found = [dict(f) for f in suite.findings]
        if suite.kind == "load" and not found:
            found = _threshold_findings(suite)
        if suite.status == "failed" and not found:
            found = [_suite_failed_finding(suite)]
        for finding in found:
            finding.setdefault("suite", suite.name)
            finding["suite"] = finding["suite"] or suite.name
            fid = str(finding.get("id") or finding_id(str(finding.get("check", "")), str(finding.get("operation", "")),
                                                      str(finding.get("key", ""))))
            finding["id"] = fid
            if fid in merged:
                merged[fid]["occurrences"] = int(merged[fid].get("occurrences") or 1) + int(finding.get("occurrences") or 1)
                merged[fid].setdefault("also_in", []).append(suite.name)
            else:
                merged[fid] = finding
    return list(merged.values())


def pacing_view(suites: list[SuiteResult]) -> list[dict[str, Any]]:
    """Per suite that ran: the rate it sent at and why, its share of the time budget, and every
    wait (paced waits, 429s met, retry waits, gave up), read from its ``"pacing"`` and ``"plan"``
    blocks; a suite from before pacing (no block) is listed with what is known."""
    rows = []
    for suite in suites:
        if suite.status in ("skipped", "not-run") or suite.kind == "lint":
            continue
        pacing = suite.pacing or {}
        plan = suite.summary.get("plan") if isinstance(suite.summary.get("plan"), dict) else {}
        rows.append({
            "suite": suite.name, "title": suite.title, "status": suite.status, "complete": suite.complete,
            "reported": bool(pacing),
            "limit": pacing.get("limit"), "rate": pacing.get("rate"), "source": pacing.get("source") or "",
            "budget_s": suite.budget_s, "timeout_s": suite.timeout_s, "duration_s": suite.duration_s,
            "suite_budget_s": plan.get("time_budget_s") or plan.get("budget_s"),
            **{key: pacing.get(key) for key in ("requests", "paced_waits", "paced_seconds", "rate_limited",
                                                "retry_waits", "retry_wait_seconds", "gave_up", "slowed_to")},
        })
    return rows


def unexercised(suites: list[SuiteResult]) -> list[dict[str, Any]]:
    """Every operation a suite left unexercised, with its reason (contracts' ``operations`` block,
    and any suite that reports one the same way), grouped by reason."""
    groups: dict[tuple[str, str], list[str]] = {}
    for suite in suites:
        operations = suite.summary.get("operations")
        listed = operations.get("not_tested") if isinstance(operations, dict) else None
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict):
                operation, reason = str(item.get("operation", "?")), str(item.get("reason") or "no reason given")
            else:
                operation, reason = str(item), "no reason given"
            # a reason that names its operation ('... --allow-operation "PUT /customer"') is grouped without it
            groups.setdefault((suite.name, reason.replace(f' "{operation}"', "")), []).append(operation)
    return [{"suite": suite, "reason": reason, "operations": sorted(ops), "count": len(ops)}
            for (suite, reason), ops in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]), kv[0][1]))]


#: Checks that judge only 429 answers: a run that met none gives them nothing to look at.
_ONLY_ON_429 = frozenset({R.RATE_LIMIT_ANSWER.id, R.RATE_LIMIT_DECLARED.id})


def checks_view(suites: list[SuiteResult]) -> list[dict[str, Any]]:
    """Per suite that counts its checks (contracts' ``checks`` and ``checks_off`` blocks): how many
    it registered and applied, every registered check that never applied (passed + failed == 0: it
    asserted nothing, however green it looks), and every check switched off, with the reason."""
    rows = []
    for suite in suites:
        counts = suite.summary.get("checks")
        off = suite.summary.get("checks_off")
        if not isinstance(counts, dict) and not isinstance(off, dict):
            continue
        counts = counts if isinstance(counts, dict) else {}
        met_429 = bool((suite.pacing or {}).get("rate_limited"))
        never = []
        for name, tally in sorted(counts.items()):
            tally = tally if isinstance(tally, dict) else {}
            if int(tally.get("passed") or 0) + int(tally.get("failed") or 0) == 0:
                note = "no 429 was met" if name in _ONLY_ON_429 and not met_429 else ""
                never.append({"check": name, "skipped": int(tally.get("skipped") or 0), "note": note})
        rows.append({"suite": suite.name, "title": suite.title, "complete": suite.complete,
                     "registered": len(counts), "applied": len(counts) - len(never), "never_applied": never,
                     "off": [{"check": name, "reason": str(reason)}
                             for name, reason in sorted((off if isinstance(off, dict) else {}).items())]})
    return rows


def build_document(*, started_epoch: float, suites: list[SuiteResult], baseline: Baseline, target: dict[str, Any],
                   spec: dict[str, Any], quick: bool, interrupted: bool = False, scrubbed: list[str] | None = None,
                   command: str = "", versions: dict[str, str] | None = None, running: str = "",
                   budget: dict[str, Any] | None = None, coverage: dict[str, Any] | None = None,
                   evidence: Evidence | None = None) -> dict[str, Any]:
    """The whole run as one JSON-able document (written as ``summary.json``).

    ``coverage``: the run's coverage totals and ``--min-coverage`` gate (``report.coverage.summary_block``);
    a gate not reached fails an otherwise passing run (exit 1), with its reason. ``evidence``: which
    checks judged which operations (``report.coverage.check_evidence``), so that a known deviation
    is called fixed only when it was re-tested (``baseline.retested``)."""
    findings = _collect(suites)
    finished = {s.name for s in suites if s.complete and s.status in ("passed", "failed")}
    planned = [s for s in suites if s.status != "skipped"]
    complete = not interrupted and not running and all(s.name in finished for s in planned)
    if complete:
        finished.add("*")
    rate_limited = {s.name for s in suites if isinstance((s.pacing or {}).get("rate_limited"), int)
                    and (s.pacing or {})["rate_limited"] > 0}
    verdict_of = classify(findings, baseline, finished, rate_limited, evidence)
    tested = any(s.tested for s in suites if s.kind != "lint")
    new = len(verdict_of.new)
    verdict = "fail" if new else ("pass" if complete else "incomplete")
    exit_code = 1 if new else (0 if complete else 2)
    gate = (coverage or {}).get("gate")
    if verdict == "pass" and isinstance(gate, dict) and gate.get("passed") is False:
        verdict, exit_code = "fail", 1  # --min-coverage not reached: the reason is in coverage.gate
    load = {s.name: load_figures(s.summary) for s in suites if s.kind == "load" and s.summary}
    lint_suite = next((s for s in suites if s.kind == "lint"), None)
    severity_order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    findings.sort(key=lambda f: (bool(f.get("known")), severity_order.get(str(f.get("severity")), 4),
                                 str(f.get("check")), str(f.get("operation"))))
    now = time.time()
    return {
        "format": FORMAT,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_epoch)),
        "started_epoch": started_epoch,
        "duration_s": round(now - started_epoch, 1),
        "command": command,
        "quick": quick,
        "running": running,  # the suite running now, while the report is rewritten after each suite
        "complete": complete,
        "interrupted": interrupted,
        "tested": tested,
        "verdict": verdict,
        "exit_code": exit_code,
        "counts": {"findings": len(findings), "new": new, "known": len(verdict_of.known),
                   "fixed": len(verdict_of.fixed), "unchecked": len(verdict_of.unchecked),
                   "suites": len(planned), "suites_finished": len(finished - {"*"})},
        "target": target,
        "spec": spec,
        "tools": versions if versions is not None else tool_versions(),
        "baseline": {"source": baseline.source, "description": baseline.description, "entries": len(baseline.entries),
                     "rules": len(baseline.rules)},
        "budget": budget or {},
        "pacing": pacing_view(suites),
        "unexercised": unexercised(suites),
        "checks": checks_view(suites),
        "suites": [s.to_dict() for s in suites],
        "findings": findings,
        "fixed": verdict_of.fixed,
        "unchecked": verdict_of.unchecked,
        "load": load,
        "lint": ({k: lint_suite.summary.get(k) for k in ("spec", "counts", "findings")}
                 if lint_suite and lint_suite.summary else None),
        "scrubbed": scrubbed or [],
        "coverage": coverage or {},
    }
