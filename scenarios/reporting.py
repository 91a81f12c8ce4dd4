"""The suite's results: findings into ``summary.json`` (and allure), counts, and the exit code.

A pytest plugin object (registered by the suite's conftest) so that it keeps its state on itself
rather than in module globals. Findings are taken off the *final* exception of a failed scenario
(``failures.findings_in``): Hypothesis re-raises the shrunk example last, so the summary holds
one finding per distinct broken promise, each with its failing test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import allure
import orjson
import pytest

from voipbin_harness.errors import ExitCode, HarnessError
from voipbin_harness.findings import SummaryWriter
from voipbin_harness.redact import redact_text

from .failures import findings_in
from .promises import Promise

__all__ = ["Results"]


class Results:
    def __init__(self, writer: SummaryWriter) -> None:
        self.writer = writer
        self.outcomes: Counter[str] = Counter()
        self.skipped: list[dict[str, str]] = []
        self.failed: list[str] = []
        self.unusable = ""

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
        self.writer.close(counts={"passed": self.outcomes["passed"], "failed": self.outcomes["failed"],
                                  "skipped": self.outcomes["skipped"], "findings": len(findings)},
                          skipped=self.skipped, failed_tests=self.failed, unusable=self.unusable or None)
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
