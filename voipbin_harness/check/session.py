"""One ``check`` run: the suites in turn, the report rewritten after each, then history and Allure.

Kept apart from the command so that tests can drive a whole run with their own plans (for
example a suite that crashes, or one that never ends) without going through argparse.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..coverage import COVERAGE_FILE
from ..errors import HarnessError
from ..redact import redact
from ..report.allure import generate_allure_report, merge_allure_results
from ..report.baseline import Baseline
from ..report.coverage import build_coverage, check_evidence, coverage_gate, read_records, summary_block
from ..report.document import build_document, tool_versions
from ..report.history import compare, load_history, run_key, store_run
from ..report.html import write_fallback_html, write_html
from ..report.output import scrub_tree, write_redacted_json
from ..report.suites import SuiteResult, read_suite_result
from ..spec import Spec, load_spec
from .progress import Progress
from .runner import SuitePlan, run_process

__all__ = ["CheckSession"]


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, ``kill``) stops the run like Ctrl-C: suites stopped, report written."""
    def _raise(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class CheckSession:
    report_dir: Path
    plans: list[SuitePlan]
    baseline: Baseline
    target: dict[str, Any]
    spec: dict[str, Any]
    quick: bool = False
    command: str = ""
    started: float = field(default_factory=time.time)
    history: str | None = None
    tolerance: float = 0.2
    fail_on_regression: bool = False
    allure_html: bool = True
    progress: Progress = field(default_factory=Progress)
    between_suites: Callable[[], None] | None = None  # e.g. reset a loopback emulator (see check.py)
    budget: dict[str, Any] = field(default_factory=dict)  # check.plan.budget_block: time budget and rate
    interrupted: bool = False
    scrubbed: list[str] = field(default_factory=list)
    min_coverage: float | None = None  # --min-coverage PCT: a gate on the share of operations exercised
    spec_model: Spec | None = None  # the run's spec as operations (loaded from spec["source"] when not given)

    def __post_init__(self) -> None:
        self.results = [SuiteResult(name=p.name, title=p.title, kind=p.kind, command=p.command_line,
                                    budget_s=p.budget_s, timeout_s=p.timeout) for p in self.plans]
        self.versions = tool_versions()
        self.coverage: dict[str, Any] | None = None  # coverage.json, rebuilt with each report

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Run every planned suite, write the report after each one; the final run document."""
        with _sigterm_as_interrupt():
            return self._run()

    def _run(self) -> dict[str, Any]:
        total = len(self.plans)
        self._header()
        try:
            self.write(running=self._next_title(0))
            for index, (plan, result) in enumerate(zip(self.plans, self.results, strict=True)):
                self._run_one(index, total, plan, result)
                if index + 1 < total:
                    self.write(running="" if self.interrupted else self._next_title(index + 1))
        except KeyboardInterrupt:  # between suites, or while writing: keep what we have
            self.interrupted = True
            for result in self.results:
                if result.status == "not-run" and not result.reason:
                    result.reason = "interrupted before its turn"
        return self.finish()

    def _run_one(self, index: int, total: int, plan: SuitePlan, result: SuiteResult) -> None:
        if plan.skipped:
            result.status, result.reason = "skipped", plan.skipped
            self.progress.skipped(index + 1, total, plan.title, plan.skipped, status="skipped")
            return
        if self.interrupted or plan.unavailable:
            result.status = "not-run"
            result.reason = "interrupted before its turn" if self.interrupted else plan.unavailable
            self.progress.skipped(index + 1, total, plan.title, result.reason)
            return
        suite_dir = self.report_dir / plan.name
        if self.between_suites is not None and plan.kind != "lint":
            self.between_suites()
        self.progress.start(index + 1, total, plan.title)
        result.started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        outcome = run_process(plan, suite_dir, on_tick=self.progress.tick)
        read_suite_result(result, suite_dir, self.report_dir, exit_code=outcome.exit_code,
                          interrupted=outcome.interrupted, timed_out=outcome.timed_out, error_line=outcome.error_line)
        result.duration_s = outcome.duration_s
        if outcome.timed_out or outcome.interrupted:
            kept = len(result.findings)
            why = f"timed out after {plan.timeout:.0f} s and stopped" if outcome.timed_out else "interrupted"
            result.reason = f"{why}; {kept} finding{'' if kept == 1 else 's'} made so far kept"
        self.scrubbed += [str(p.relative_to(self.report_dir)) for p in scrub_tree(suite_dir)]
        merge_allure_results(sorted(p for p in suite_dir.rglob("allure-results") if p.is_dir()),
                             self.report_dir / "allure-results")
        self.progress.finish(result.status, self._detail(result))
        if outcome.interrupted:
            self.interrupted = True

    def _next_title(self, start: int) -> str:
        return next((p.title for p in self.plans[start:] if not p.skipped and not p.unavailable), "")

    def _detail(self, result: SuiteResult) -> str:
        findings = [f for f in result.findings]
        new = sum(1 for f in findings if self.baseline.explain(f) is None)
        parts = []
        if result.tests:
            parts.append(f"{result.tests.get('passed', 0)}/{result.tests.get('total', 0)} tests passed")
        if result.kind == "lint":
            parts.append(f"{len(findings)} spec defects")
        else:
            parts.append(f"{len(findings)} findings ({new} new)")
        if result.reason:
            parts.append(result.reason)
        return ", ".join(parts)

    def _header(self) -> None:
        runnable = [p for p in self.plans if not p.skipped and not p.unavailable]
        budget = self.budget.get("time_budget_s")
        pacing = (f" · budget {budget / 60:g} min" if budget else "") + (
            f" · paced under {self.budget['rate']} per customer" if self.budget.get("rate") else "")
        self.progress.header(f"check: {self.target.get('label')} · {len(runnable)} suite{'' if len(runnable) == 1 else 's'} · "
                             f"{'quick' if self.quick else 'full'} run{pacing} · report in {self.report_dir}")

    # -- the report --------------------------------------------------------------------------
    def document(self, *, running: str = "") -> dict[str, Any]:
        records = read_records(self.report_dir, [p.name for p in self.plans])
        summary, evidence = None, check_evidence(records)
        spec = self._spec_model()
        if spec is not None:
            self.coverage = build_coverage(spec, records)
            summary = summary_block(self.coverage, coverage_gate(self.coverage["totals"], self.min_coverage))
        return build_document(started_epoch=self.started, suites=self.results, baseline=self.baseline,
                              target=self.target, spec=self.spec, quick=self.quick, interrupted=self.interrupted,
                              scrubbed=self.scrubbed, command=self.command, versions=self.versions, running=running,
                              budget=self.budget, coverage=summary, evidence=evidence)

    def _spec_model(self) -> Spec | None:
        """The run's spec as operations (for coverage: one entry per operation); None if it cannot be read."""
        if self.spec_model is None:
            try:
                self.spec_model = load_spec(self.spec.get("source") or None)
            except (HarnessError, OSError, ValueError):  # the report is written without coverage
                return None
        return self.spec_model

    def write(self, document: dict[str, Any] | None = None, *, running: str = "") -> dict[str, Any]:
        document = document or self.document(running=running)
        clean = redact(document)  # once, for both files
        write_redacted_json(self.report_dir / "summary.json", clean)
        if self.coverage is not None:
            write_redacted_json(self.report_dir / COVERAGE_FILE, self.coverage)  # templates, counts, names: no secret
        try:
            write_html(self.report_dir, clean, redacted=True, coverage=self.coverage)
        except Exception as exc:  # noqa: BLE001 - a page that cannot be drawn must not stop the run
            write_fallback_html(self.report_dir, clean, exc)
        return document

    def finish(self) -> dict[str, Any]:
        (self.report_dir / "allure-results").mkdir(parents=True, exist_ok=True)
        document = self.document()
        if self.allure_html and not self.interrupted:
            done, why = generate_allure_report(self.report_dir / "allure-results", self.report_dir / "allure-report")
            document["allure_report"] = "allure-report/index.html" if done else ""
            document["allure_report_note"] = why
        if self.history:
            previous = load_history(self.history, key=run_key(document))
            document["history"] = compare(document, previous, tolerance=self.tolerance)
            if self.fail_on_regression and document["history"]["regressions"] and document["verdict"] == "pass":
                document["verdict"], document["exit_code"] = "fail", 1
            stored = {k: v for k, v in document.items() if k != "history"}
            document["history"]["stored_as"] = store_run(self.history, stored).name
        self.write(document)
        self._footer(document)
        return document

    def _footer(self, document: dict[str, Any]) -> None:
        counts = document["counts"]
        width = shutil.get_terminal_size((100, 20)).columns
        line = (f"check: {document['verdict'].upper()} · {counts['new']} new, {counts['known']} known, "
                f"{counts['fixed']} fixed findings · {counts['suites_finished']}/{counts['suites']} suites finished "
                f"in {document['duration_s']:.0f} s")
        self.progress.header(line[: max(width, 80)])
        history = document.get("history")
        if history and history.get("previous"):
            self.progress.header(f"check: since the last run: {len(history['new_since_last'])} new, "
                                 f"{len(history['fixed_since_last'])} gone, "
                                 f"{len(history.get('known_came', [])) + len(history.get('known_went', []))} known "
                                 f"that came or went; {history['regressions']} load regressions")
        totals = (document.get("coverage") or {}).get("totals") or {}
        if totals:
            self.progress.header(f"check: coverage: {totals['exercised']}/{totals['operations']} operations exercised "
                                 f"({totals['exercised_pct'] or 0:g}%), {totals['declared_statuses_seen']}/"
                                 f"{totals['declared_statuses']} declared statuses seen · {COVERAGE_FILE}")
        gate = (document.get("coverage") or {}).get("gate") or {}
        if gate.get("reason"):
            self.progress.header(f"check: {gate['reason']}")
        self.progress.header(f"check: report: {self.report_dir / 'index.html'}")
