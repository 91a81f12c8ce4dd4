"""Fixtures for the report machinery's tests (see ``fakes.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.report.fakes import make_session as _make_session
from voipbin_harness.check.session import CheckSession


@pytest.fixture
def make_session(tmp_path: Path) -> Callable[..., CheckSession]:
    """``make_session(baseline=..., history=..., contracts="fail:0", ...)``: a CheckSession over fake suites."""
    def make(*, report_dir: Path | None = None, **options: Any) -> CheckSession:
        return _make_session(report_dir or tmp_path / "report", **options)
    return make
