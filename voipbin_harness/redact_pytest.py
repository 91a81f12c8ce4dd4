"""Secrets masked where the pytest suites write, before anything is written (issue 12 item 3).

Registered by the root ``conftest.py`` (``pytest_plugins``), so it serves ``contracts/``,
``scenarios/`` and any ``pytest contracts/`` run alike. Two writers are covered:

- every test and collection report: its failure text (pytest prints the test's arguments,
  Hypothesis the falsifying example, a check the answer it saw) and its captured sections
  (stdout, stderr, log) are redacted in the innermost ``makereport`` wrapper, so that JUnit,
  the terminal and allure all read the masked text;
- allure-pytest's file writer: allure takes its failure message from the exception itself
  (``excinfo.exconly()``), not from the report, and writes parameters, descriptions and
  attachments of its own. ``RedactingFileLogger`` masks every result, container and attachment
  as it is written; it replaces ``AllureFileLogger`` before allure-pytest creates one.

Only values are masked (``voipbin_harness.redact``): a quoted promise stays as it is.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .redact import redact, redact_text

__all__ = ["redact_report"]

try:  # allure-pytest is a dev/suite dependency; without it there is nothing of its to redact
    import allure_pytest.plugin as _allure_plugin
    from allure_commons import hookimpl as _allure_hookimpl
    from allure_commons.logger import AllureFileLogger
    from attr import asdict
except ImportError:  # pragma: no cover - allure-pytest not installed
    _allure_plugin = None


def redact_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Mask secrets in a report's failure text and captured sections, in place."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        path, line, reason = longrepr
        report.longrepr = (path, line, redact_text(str(reason)))
    elif longrepr is not None:
        text = str(longrepr)
        masked = redact_text(text)
        if masked != text:
            report.longrepr = masked
    report.sections = [(title, redact_text(content)) for title, content in report.sections]


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Innermost wrapper: redacted before allure, JUnit and the terminal read the report."""
    outcome = yield
    redact_report(outcome.get_result())


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    outcome = yield
    redact_report(outcome.get_result())


if _allure_plugin is not None:

    class RedactingFileLogger(AllureFileLogger):  # type: ignore[misc]
        """allure-pytest's file writer, with every secret value masked before it reaches the disk."""

        def _report_item(self, item: Any) -> None:
            indent = 4 if os.environ.get("ALLURE_INDENT_OUTPUT") else None
            filename = item.file_pattern.format(prefix=uuid.uuid4())
            data = redact(asdict(item, filter=lambda _, v: v or v is False), fields=False)
            tmp_path = self._report_dir / f"{filename}.tmp"
            with open(tmp_path, "w", encoding="utf8") as handle:
                json.dump(data, handle, indent=indent, ensure_ascii=False)
            os.replace(tmp_path, self._report_dir / filename)

        @_allure_hookimpl
        def report_attached_data(self, body: str | bytes, file_name: str) -> None:
            super().report_attached_data(_redacted_body(body), file_name)

        @_allure_hookimpl
        def report_attached_file(self, source: str, file_name: str) -> None:
            data = Path(source).read_bytes()
            masked = _redacted_body(data)
            if masked == data:
                super().report_attached_file(source, file_name)
            else:
                super().report_attached_data(masked, file_name)

    def _redacted_body(body: str | bytes) -> str | bytes:
        if isinstance(body, str):
            return redact_text(body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body  # binary (a screenshot, an archive): no text secret to mask
        masked = redact_text(text)
        return body if masked == text else masked.encode("utf-8")

    # allure-pytest's pytest_configure creates its writer from this module attribute
    _allure_plugin.AllureFileLogger = RedactingFileLogger
