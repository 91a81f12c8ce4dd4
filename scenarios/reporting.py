"""The suite's results: findings into ``summary.json`` (and allure), counts, and the exit code.

A pytest plugin object (registered by the suite's conftest) so that it keeps its state on itself
rather than in module globals. Findings are taken off the *final* exception of a failed scenario
(``failures.findings_in``): Hypothesis re-raises the shrunk example last, so the summary holds
one finding per distinct broken promise, each with its failing test.

Partial results survive (issue 9): findings go to ``findings.jsonl`` as they are met, and
``summary.json`` is rewritten after every test with the counts, the pacing and the requests sent so
far. A run stopped by SIGTERM/SIGINT (``check``'s timeout, Ctrl-C) writes its summary at once,
marked ``"complete": false`` with the reason, then unwinds as pytest does for Ctrl-C (fixtures tear
down, so what the scenarios created is deleted) and writes it again, still incomplete.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import allure
import orjson
import pytest

from voipbin_harness.errors import ExitCode, HarnessError
from voipbin_harness.findings import SummaryWriter
from voipbin_harness.redact import redact_text

from .failures import findings_in
from .promises import Promise
from .strategies.binding import SPEC_GAPS

__all__ = ["Results"]

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _spec_gaps() -> list[dict[str, str]]:
    """What scenarios left out because the spec in use lacks it (``strategies.SPEC_GAPS``)."""
    return [{"test": f"{test} [{value}]", "reason": reason} for (test, value), reason in sorted(SPEC_GAPS.items())]


class Results:
    def __init__(self, writer: SummaryWriter) -> None:
        self.writer = writer
        self.outcomes: Counter[str] = Counter()
        self.skipped: list[dict[str, str]] = []
        self.failed: list[str] = []
        self.unusable = ""
        self.stopped = ""  # why the run was stopped before its end (a signal), "" when it was not
        #: set by the suite's ``api`` fixture: the pacing summary and the count of requests sent
        self.pacing: Callable[[], dict[str, Any]] | None = None
        self.sent: Callable[[], int] | None = None
        self.plan: dict[str, Any] | None = None
        self.requests_by_test: dict[str, int] = {}

    # -- stopping --------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT: write the summary (incomplete) now, then stop as pytest does on Ctrl-C."""
        for signum in _STOP_SIGNALS:
            try:
                signal.signal(signum, self._on_signal)
            except ValueError:  # not the main thread (pytest run embedded elsewhere): keep the default
                return

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopped:  # a second signal while unwinding: stop at once, the summary is written
            raise KeyboardInterrupt
        self.stopped = f"stopped by {signal.Signals(signum).name}"
        self.progress()
        raise KeyboardInterrupt

    def progress(self) -> None:
        """Rewrite ``summary.json`` with what is known so far (still ``"complete": false``)."""
        self.writer.set(**self._state())

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "counts": {"passed": self.outcomes["passed"], "failed": self.outcomes["failed"],
                       "skipped": self.outcomes["skipped"], "findings": len(self.writer.findings)},
            "skipped": self.skipped + _spec_gaps(), "failed_tests": self.failed, "unusable": self.unusable or None,
            "stopped": self.stopped or None}
        if self.pacing is not None:
            state["pacing"] = self.pacing()
        if self.plan is not None:
            state["plan"] = {**self.plan, "sent": self.sent() if self.sent else None,
                             "requests_by_test": dict(self.requests_by_test)}
        return state

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        """Count the requests each test sends (set-up and tear-down included): the budget's measure."""
        before = self.sent() if self.sent else 0
        yield
        if self.sent is not None:
            self.requests_by_test[item.nodeid] = self.sent() - before
        self.progress()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        """Name the promise and the family in the allure report."""
        marker = item.get_closest_marker("promise")
        if marker and marker.args and isinstance(marker.args[0], Promise):
            allure.dynamic.description(marker.args[0].quote())
        module = getattr(item, "module", None)
        if module is not None:
            allure.dynamic.feature(module.__name__.rsplit(".", 1)[-1].removeprefix("test_"))
        yield

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        """Innermost wrapper: the report is redacted before allure, JUnit and the terminal read it."""
        outcome = yield
        report = outcome.get_result()
        _redact_report(report)
        if call.excinfo is None or not report.failed:
            return
        if call.excinfo.errisinstance(HarnessError):
            self.unusable = call.excinfo.value.one_line()
            item.session.shouldstop = f"the target cannot be used: {self.unusable}"
            return
        for finding in findings_in(call.excinfo.value):
            self.writer.add(finding)
            allure.attach(orjson.dumps(finding.to_dict(), option=orjson.OPT_INDENT_2),
                          name=f"finding {finding.id}", attachment_type=allure.attachment_type.JSON)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        _redact_report(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.passed:
            return
        if report.when == "teardown" and report.skipped:
            return
        self.outcomes[report.outcome] += 1
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.skipped.append({"test": report.nodeid, "reason": reason.removeprefix("Skipped: ")})
        elif report.failed:
            self.failed.append(report.nodeid if report.when == "call" else f"{report.nodeid} ({report.when})")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        findings = self.writer.findings
        if session.exitstatus == pytest.ExitCode.INTERRUPTED and not self.stopped:
            self.stopped = "interrupted"
        if self.stopped:
            self.progress()  # not close(): the run did not reach its end, so the summary stays incomplete
        else:
            self.writer.close(**self._state())
        if self.unusable:
            session.exitstatus = ExitCode.UNUSABLE
        elif findings and session.exitstatus == 0:
            session.exitstatus = ExitCode.FAILURES


def _redact_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Failure text carries whatever the test saw: fixture values (pytest prints the test's
    arguments), the example Hypothesis prints, answers. Secrets go through ``redact`` here, once,
    for every reader of the report."""
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        text = str(report.longrepr)
        masked = redact_text(text)
        if masked != text:
            report.longrepr = masked
    elif isinstance(report.longrepr, tuple):  # skips: (path, line, reason)
        path, line, reason = report.longrepr
        report.longrepr = (path, line, redact_text(reason))
    report.sections = [(title, redact_text(content)) for title, content in report.sections]
