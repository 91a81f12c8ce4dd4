"""Read what one suite left in its report folder, whatever state it is in.

A suite may have passed, found failures, crashed half way, never started, or not exist yet in
this checkout; each case becomes a ``SuiteResult`` with a status and, when it did not finish, the
reason in one line. Nothing here raises on a bad or missing file: a report must still be written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..findings import WORKERS_DIR, read_findings_log
from ..pacing import merge_summaries

__all__ = ["STATUSES", "WORKERS_DIR", "SuiteResult", "junit_counts", "read_suite_result"]

# passed: ran, no failure. failed: ran, found failures. incomplete: started, did not finish
# (crash, timeout, Ctrl-C) but left results. error: could not run (exit 2, bad option, target
# unreachable). not-run: never started (missing command, interrupted before its turn).
# skipped: left out on purpose (--skip, load against a non-loopback target): not a gap in the run.
STATUSES = ("passed", "failed", "incomplete", "error", "not-run", "skipped")


@dataclass
class SuiteResult:
    """One suite's outcome as the run document records it."""

    name: str  # "contracts", "load-smoke"...
    title: str  # "Contracts", "Load: smoke"
    kind: str  # "lint" | "pytest" | "load"
    status: str = "not-run"
    reason: str = ""  # one line when the suite did not finish or could not run
    exit_code: int | None = None
    command: str = ""
    budget_s: float | None = None  # its share of the run's time budget (check.plan)
    timeout_s: float | None = None  # when check stops it
    started_at: str = ""
    duration_s: float = 0.0
    complete: bool = False
    tests: dict[str, int] = field(default_factory=dict)  # from junit.xml: total/passed/failed/errors/skipped
    summary: dict[str, Any] = field(default_factory=dict)  # the suite's own summary.json, as written
    files: list[str] = field(default_factory=list)  # report files, relative to the run's report dir

    @property
    def findings(self) -> list[dict[str, Any]]:
        found = self.summary.get("findings")
        return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []

    @property
    def tested(self) -> bool:
        """True when the suite exercised the target at all (even if it stopped half way)."""
        return self.status in ("passed", "failed") or (self.status == "incomplete" and bool(self.summary))

    @property
    def pacing(self) -> dict[str, Any] | None:
        """The suite's ``"pacing"`` block (``Pacer.summary()``), wherever a load suite put it."""
        for block in (self.summary, self.summary.get("load")):
            if isinstance(block, dict) and isinstance(block.get("pacing"), dict):
                return block["pacing"]
        return None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        summary = data.pop("summary")
        # the suite-specific blocks (operations, counts, load, ratelimit...) without the findings,
        # which the run document lists once, at the top level
        data["details"] = {k: v for k, v in summary.items()
                           if k not in ("findings", "suite", "complete", "started_at", "duration_s", "target")}
        data["findings"] = len(self.findings)
        return data


def read_summary_file(path: Path) -> tuple[dict[str, Any], str]:
    """(summary, problem): the parsed document, or {} and why it could not be read."""
    if not path.exists():
        return {}, "wrote no summary.json"
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        return {}, f"summary.json is unreadable ({exc.__class__.__name__})"
    if not isinstance(data, dict):
        return {}, "summary.json is not a JSON object"
    return data, ""


def _with_partial_results(summary: dict[str, Any], suite_dir: Path) -> dict[str, Any]:
    """Add what a stopped or crashed suite wrote but did not merge into its ``summary.json``.

    ``SummaryWriter`` appends every finding to ``findings.jsonl`` at once but rewrites
    ``summary.json`` at most twice a second, so a suite killed between the two knows more than
    its summary says; and a suite split over pytest-xdist workers merges their folders only at the
    end of its session, so a stopped one has its findings in ``.workers/<id>/`` alone. Findings
    are merged by id (occurrences kept from the first copy); the workers' pacing is summed when
    the suite's own summary has none.
    """
    findings = [f for f in (summary.get("findings") or []) if isinstance(f, dict)]
    seen = {f.get("id") for f in findings}
    sources = [suite_dir / "findings.jsonl"]
    workers = sorted(p for p in (suite_dir / WORKERS_DIR).glob("*") if p.is_dir())
    pacing: list[dict[str, Any]] = []
    for worker in workers:
        part, _ = read_summary_file(worker / "summary.json")
        findings_of_part = [f for f in (part.get("findings") or []) if isinstance(f, dict)]
        for finding in findings_of_part:
            if finding.get("id") not in seen:
                seen.add(finding.get("id"))
                findings.append(finding)
        if isinstance(part.get("pacing"), dict):
            pacing.append(part["pacing"])
        sources.append(worker / "findings.jsonl")
    for log in sources:
        for finding in read_findings_log(log):
            if finding.get("id") not in seen:
                seen.add(finding.get("id"))
                findings.append(finding)
    if not summary and (findings or workers):
        summary = {"complete": False}
    if findings:
        summary = {**summary, "findings": findings}
    if pacing and not isinstance(summary.get("pacing"), dict):
        summary = {**summary, "pacing": merge_summaries(pacing)}
    if workers and not summary.get("complete"):
        summary = {**summary, "workers_read": len(workers)}
    return summary


def junit_counts(directory: Path) -> dict[str, int]:
    """Totals over every JUnit XML file in ``directory`` (pytest writes one)."""
    totals = {"total": 0, "failed": 0, "errors": 0, "skipped": 0}
    seen = False
    for path in sorted(directory.glob("*.xml")):
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError):
            continue
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for suite in suites:
            seen = True
            totals["total"] += int(suite.get("tests", 0) or 0)
            totals["failed"] += int(suite.get("failures", 0) or 0)
            totals["errors"] += int(suite.get("errors", 0) or 0)
            totals["skipped"] += int(suite.get("skipped", 0) or 0)
    if not seen:
        return {}
    totals["passed"] = max(0, totals["total"] - totals["failed"] - totals["errors"] - totals["skipped"])
    return totals


def read_suite_result(result: SuiteResult, suite_dir: Path, report_dir: Path, *, exit_code: int | None,
                      interrupted: bool = False, timed_out: bool = False, error_line: str = "") -> SuiteResult:
    """Fill ``result`` from the suite's folder and how its process ended.

    ``exit_code`` follows the harness convention (0 ok, 1 failures, 2 could not run); None when the
    process never started. ``error_line`` is the last line the suite printed on stderr, used as
    the reason when it could not run.
    """
    result.exit_code = exit_code
    summary, problem = read_summary_file(suite_dir / "summary.json")
    if not summary.get("complete"):
        summary = _with_partial_results(summary, suite_dir)
    result.summary = summary
    if summary:
        result.complete = bool(summary.get("complete"))
        result.started_at = str(summary.get("started_at") or result.started_at)
        if isinstance(summary.get("duration_s"), (int, float)) and not result.duration_s:
            result.duration_s = float(summary["duration_s"])
    if suite_dir.is_dir():
        result.tests = junit_counts(suite_dir)
        result.files = sorted(str(p.relative_to(report_dir)) for p in suite_dir.rglob("*")
                              if p.is_file() and "allure-results" not in p.parts and not p.name.startswith("."))
    if exit_code is None:
        result.status = "not-run"
    elif interrupted or timed_out:
        result.status = "incomplete" if summary else "error"
        result.reason = "timed out" if timed_out else "interrupted"
        result.complete = False
    elif exit_code in (0, 1) and summary and result.complete:
        result.status = "passed" if exit_code == 0 else "failed"
    elif exit_code in (0, 1) and summary:
        result.status = "incomplete"
        result.reason = "the suite exited but its summary says it did not finish"
    elif exit_code in (0, 1):
        result.status = "incomplete"
        result.reason = f"the suite exited {exit_code} but {problem}"
    else:
        result.status = "incomplete" if summary.get("findings") else "error"
        result.reason = error_line or f"exited with code {exit_code}"
        result.complete = False
    return result
