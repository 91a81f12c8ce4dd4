"""A suite stopped by its timeout (or that ignores being asked to stop) keeps every finding it
made: ``check`` reads its summary, its findings log and its workers' folders, marks it
incomplete and judges those findings against the baseline as usual."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from voipbin_harness.check.session import CheckSession
from voipbin_harness.findings import finding_id
from voipbin_harness.report.baseline import Baseline, BaselineEntry

Make = Callable[..., CheckSession]
# fake_suite.CATALOG: 0 undeclared_status, 1 error_envelope, 2 tenant_isolation, 3 pagination_contract
KNOWN_0 = Baseline(source="known.json", entries={
    finding_id("undeclared_status", "GET /flows/{id}", "404"): BaselineEntry(
        finding_id("undeclared_status", "GET /flows/{id}", "404"), "undeclared_status", "GET /flows/{id}",
        "accepted for the test", "contracts")})


def _suite(document: dict, name: str) -> dict:
    return next(s for s in document["suites"] if s["name"] == name)


def _checks(document: dict, suite: str) -> dict[str, bool]:
    """check -> known, for the findings of ``suite``."""
    return {f["check"]: f["known"] for f in document["findings"] if f["suite"] == suite}


def _gone(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("mode", ["hang", "hang-graceful", "hang-deaf"])
def test_a_suite_stopped_by_its_timeout_keeps_its_findings(make_session: Make, tmp_path: Path, mode: str) -> None:
    document = make_session(baseline=KNOWN_0, contracts=f"{mode}:0,2,3", timeout=3, grace=1).run()
    contracts = _suite(document, "contracts")
    assert contracts["status"] == "incomplete" and not contracts["complete"]
    assert contracts["reason"].startswith("timed out after 3 s") and "3 findings made so far kept" in contracts["reason"]
    # every finding made before the stop, new or known against the baseline as usual
    assert _checks(document, "contracts") == {"undeclared_status": True, "tenant_isolation": False,
                                              "pagination_contract": False}
    assert (document["verdict"], document["exit_code"], document["complete"]) == ("fail", 1, False)
    assert _gone(tmp_path / "report" / "contracts" / "pid")
    # the rest of the run went on
    assert _suite(document, "load-ratelimit")["status"] == "passed"
    page = (tmp_path / "report" / "index.html").read_text()
    assert "did not finish" in page and "made so far kept" in page
    assert page.count('class="finding new"') == 2


def test_findings_left_in_worker_folders_are_kept(make_session: Make, tmp_path: Path) -> None:
    """A suite split over pytest-xdist workers merges their folders only when it ends: stopped,
    its findings are in ``.workers/<id>/`` alone, and still reach the report."""
    document = make_session(contracts="hang:0,1,2,3:2", timeout=3, grace=1).run()
    contracts = _suite(document, "contracts")
    assert contracts["status"] == "incomplete"
    assert not (tmp_path / "report" / "contracts" / "summary.json").exists()
    assert set(_checks(document, "contracts")) == {"undeclared_status", "error_envelope", "tenant_isolation",
                                                   "pagination_contract"}
    # the workers' pacing is summed: two workers, each with the fake's block
    pacing = next(r for r in document["pacing"] if r["suite"] == "contracts")
    assert (pacing["requests"], pacing["rate_limited"], pacing["gave_up"]) == (2 * 4321, 14, 2)


def test_a_crashed_suite_without_a_summary_keeps_its_logged_findings(make_session: Make) -> None:
    document = make_session(scenarios="crash:2,3").run()
    scenarios = _suite(document, "scenarios")
    assert scenarios["status"] == "incomplete" and scenarios["exit_code"] == 3
    assert set(_checks(document, "scenarios")) == {"tenant_isolation"}  # it died right after the first


def test_the_document_states_the_budget_and_each_suites_pacing(make_session: Make, tmp_path: Path) -> None:
    make_session(contracts="pass:0", scenarios="pass:").run()
    document = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert document["budget"]["time_budget_s"] == 480.0 and document["budget"]["rate"] == "17:33"
    rows = {r["suite"]: r for r in document["pacing"]}
    assert set(rows) == {"contracts", "scenarios", "load-smoke", "load-ratelimit"}  # not spec lint
    assert rows["contracts"]["paced_seconds"] == 123.456 and rows["contracts"]["budget_s"] == 30.0
