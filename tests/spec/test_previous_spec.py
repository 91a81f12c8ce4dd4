"""``--previous-spec``: ``check`` puts the spec diff in its report, and contracts exercise the changed
operations first; a spec version that declares no 4xx is one spec defect, not one per answer."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from voipbin_harness.check.plan import build_plan
from voipbin_harness.cli import build_parser, main
from voipbin_harness.spec import Spec, load_document, load_spec
from voipbin_harness.spec.adapt import SILENT_SPEC_CHECK, silent_spec_finding
from voipbin_harness.spec.diff import changed_since

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An older spec: PUT /tags/{id} did not exist yet and POST /flows answered 201."""
    document = copy.deepcopy(load_document("pinned"))
    del document["paths"]["/tags/{id}"]["put"]
    responses = document["paths"]["/flows"]["post"]["responses"]
    responses["201"] = responses.pop("200")
    path = tmp_path_factory.mktemp("previous") / "previous.json"
    path.write_text(json.dumps(document))
    return path


def test_changed_since(previous: Path) -> None:
    assert changed_since(str(previous), load_spec()) == {"POST /flows", "PUT /tags/{id}"}


def test_check_plans_contracts_with_the_previous_spec(previous: Path, tmp_path: Path) -> None:
    parser = build_parser()
    args = parser.parse_args(["check", "--quick", "--previous-spec", str(previous)])
    plans = {plan.name: plan for plan in build_plan(args, str(tmp_path))}
    argv = plans["contracts"].argv
    assert argv[argv.index("--previous-spec") + 1] == str(previous)
    assert "--previous-spec" not in plans["scenarios"].argv


def test_contracts_collect_the_changed_operations_first(previous: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "contracts", "--collect-only", "-q",
         "--previous-spec", str(previous), "--include-path", "^/(tags|flows)"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    assert len(ids) > 4, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert {ids[0], ids[1]} == {"contracts/test_operations.py::test_operation[POST /flows]",
                                "contracts/test_operations.py::test_operation[PUT /tags/{id}]"}


@pytest.mark.slow
def test_check_reports_the_diff(previous: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "check"
    assert main(["check", "--only", "spec-lint", "--quick", "--previous-spec", str(previous),
                 "--report-dir", str(report)]) == 0
    diff = json.loads((report / "summary.json").read_text())["spec"]["diff"]
    assert (diff["breaking"], diff["non_breaking"], diff["changed_operations"]) == (1, 1, 2)
    assert diff["changes"][0] == {"severity": "breaking", "operation": "POST /flows",
                                  "kind": "response.success_status_changed", "message": "success status 201 changed to 200"}
    assert json.loads((report / "spec-diff" / "diff.json").read_text())["changes"]
    assert "Changes since the previous spec" in (report / "index.html").read_text()


def test_check_refuses_an_unreadable_previous_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--only", "spec-lint", "--previous-spec", str(tmp_path / "nope.yaml"),
                 "--report-dir", str(tmp_path / "check")]) == 2
    assert "spec not found" in capsys.readouterr().err


def test_a_spec_silent_about_errors_is_one_spec_defect() -> None:
    spec = Spec({"openapi": "3.0.3", "paths": {
        "/flows": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/tags": {"get": {"responses": {"200": {"description": "ok"}, "4XX": {"description": "no"}}}}}}, "mini")
    assert not spec.operation("GET /flows").declares_class(404)
    assert spec.operation("GET /tags").declares_class(404) and not spec.operation("GET /tags").declares_class(500)
    finding = silent_spec_finding({"GET /flows": {400, 404}}, spec, "contracts")
    again = silent_spec_finding({"GET /flows": {404}, "GET /x": {400}}, spec, "contracts")
    assert finding.check == SILENT_SPEC_CHECK and finding.operation == "(spec)"
    assert "1 of 2 operations" in finding.message and "GET /flows (400/404)" in finding.got
    assert finding.id == again.id  # one defect a run, whatever the operations that showed it
