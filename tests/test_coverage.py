"""The shared coverage record (``voipbin_harness.coverage``): what one suite process exercised."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from voipbin_harness import coverage
from voipbin_harness.coverage import (
    COVERAGE_FILE,
    Recorder,
    counter_key,
    merge_worker_files,
    read_suite_coverage,
    tried_inputs,
    write_counts,
)
from voipbin_harness.findings import WORKERS_DIR
from voipbin_harness.spec import Spec, load_spec


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec()


def test_a_recorder_keeps_statuses_cases_checks_parameters_and_enums(tmp_path: Path) -> None:
    record = Recorder(tmp_path, "contracts")
    record.exchange("GET /agents", 200, parameters=["status"], enum_values={"status": ["busy"]})
    record.exchange("GET /agents", 400, negative=True, parameters=["page_size"])
    record.checks("GET /agents", {"not_a_server_error": "passed", "status_code_conformance": "failed",
                                  "negative_data_rejection": "skipped", "bogus": "maybe"})
    record.close()
    data = orjson.loads((tmp_path / COVERAGE_FILE).read_bytes())
    agents = data["operations"]["GET /agents"]
    assert data["complete"] is True and data["suite"] == "contracts"
    assert agents["statuses"] == {"200": 1, "400": 1}
    assert agents["cases"] == {"positive": 1, "negative": 1}
    assert agents["parameters"] == ["page_size", "status"]
    assert agents["enum_values"] == {"status": ["busy"]}
    assert agents["checks"]["status_code_conformance"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert "bogus" not in agents["checks"]


def test_an_expected_refusal_moves_a_case_from_positive_to_negative(tmp_path: Path) -> None:
    record = Recorder(tmp_path, "scenarios")
    record.exchange("POST /calls", 400)
    record.negative("POST /calls")
    assert record.operations()["POST /calls"]["cases"] == {"positive": 0, "negative": 1}


def test_without_an_open_recorder_hooks_record_nothing(tmp_path: Path) -> None:
    coverage.close_recorder()
    coverage.recorder().exchange("GET /agents", 200)
    coverage.recorder().check("GET /agents", "c", "passed")
    assert coverage.recorder().operations() == {}
    opened = coverage.open_recorder(tmp_path, "scenarios")
    coverage.recorder().exchange("GET /agents", 200)
    coverage.close_recorder()
    assert opened.operations()["GET /agents"]["statuses"] == {"200": 1}
    assert (tmp_path / COVERAGE_FILE).exists()


def test_only_declared_parameters_and_spec_enum_values_are_kept(spec: Spec) -> None:
    agents = spec.operation("GET /agents")
    parameters, enums = tried_inputs(agents, {"status": "busy", "page_size": 3, "accesskey": "secret-key-value"},
                                     resolve=spec.resolve)
    assert sorted(parameters) == ["page_size", "status"]  # the credential is not a declared parameter
    assert enums == {"status": ["busy"]}
    _, fuzzed = tried_inputs(agents, {"status": "not-an-enum-value"}, resolve=spec.resolve)
    assert fuzzed == {}  # a value outside the enum is never written (it could be anything)
    _, body = tried_inputs(spec.operation("POST /calls"), None, {"anonymous": "yes", "flow_id": "x"}, spec.resolve)
    assert body == {"body.anonymous": ["yes"]}


def test_load_counters_become_a_coverage_file(tmp_path: Path) -> None:
    counts = {counter_key("GET /agents", 200): 40, counter_key("GET /agents", 429): 2, "requests": 42,
              "status:200": 40}
    write_counts(tmp_path, "load", counts)
    agents = read_suite_coverage(tmp_path)["GET /agents"]
    assert agents["statuses"] == {"200": 40, "429": 2}
    assert agents["cases"]["positive"] == 42


def test_worker_files_are_read_and_merged(tmp_path: Path) -> None:
    for worker, status in (("gw0", 200), ("gw1", 404)):
        record = Recorder(tmp_path / WORKERS_DIR / worker, "contracts")
        record.exchange("GET /flows/{id}", status)
        record.check("GET /flows/{id}", "not_a_server_error", "passed")
        record.close()
    before = read_suite_coverage(tmp_path)["GET /flows/{id}"]
    assert before["statuses"] == {"200": 1, "404": 1}
    assert before["checks"]["not_a_server_error"]["passed"] == 2
    merge_worker_files(tmp_path, "contracts")
    merged = orjson.loads((tmp_path / COVERAGE_FILE).read_bytes())["operations"]["GET /flows/{id}"]
    assert merged["statuses"] == {"200": 1, "404": 1}


def test_cases_the_budget_held_back_are_counted_per_operation_and_become_evidence(tmp_path: Path) -> None:
    from voipbin_harness.report.coverage import check_evidence

    for worker in ("gw0", "gw1"):
        record = Recorder(tmp_path / WORKERS_DIR / worker, "contracts")
        record.check("GET /flows", "status_code_conformance", "passed")
        record.cut("GET /flows")
        record.close()
    merged = read_suite_coverage(tmp_path)
    assert merged["GET /flows"]["cut"] == 2
    evidence = check_evidence({"contracts": merged})
    assert evidence[("contracts", "status_code_conformance", "GET /flows")] == {"passed": 2, "failed": 0, "cut": 2}
