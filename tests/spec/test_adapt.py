"""Suites adapt to the spec version they are given (issue 10, item 2): a small edited spec (the pinned
one minus a few operations, written to tmp_path) is served by the emulator, read by ``spec lint``,
and a scenario that names a missing operation skips it with the reason instead of crashing."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ACCOUNTS
from voipbin_harness.cli import main
from voipbin_harness.emulator import EmulatorConfig, running_emulator
from voipbin_harness.spec import MissingOperation, Spec, load_document, load_spec
from voipbin_harness.spec.adapt import gaps, present

ROOT = Path(__file__).resolve().parents[2]
REMOVED = {"/queues": "post", "/outplans/{id}": None}  # None: the whole path


@pytest.fixture(scope="module")
def edited_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    document: dict[str, Any] = copy.deepcopy(load_document("pinned"))
    for path, method in REMOVED.items():
        if method is None:
            del document["paths"][path]
        else:
            del document["paths"][path][method]
    target = tmp_path_factory.mktemp("spec") / "older.json"
    target.write_text(json.dumps(document))
    return target


def test_missing_operation_is_a_key_error_that_names_the_spec(edited_spec: Path) -> None:
    spec = load_spec(str(edited_spec))
    with pytest.raises(KeyError) as caught:
        spec.operation("POST /queues")
    assert isinstance(caught.value, MissingOperation)
    assert str(caught.value) == f"the spec ({edited_spec}) has no operation POST /queues"
    assert spec.has("GET /queues") and not spec.has("GET /queues", "POST /queues")


def test_present_and_gaps(edited_spec: Path) -> None:
    spec = load_spec(str(edited_spec))
    values = ("flows", "queues", "outplans")
    assert present(spec, values, ("POST /{}",)) == ("flows", "outplans")
    assert present(spec, values, ("GET /{}/{{id}}",)) == ("flows", "queues")
    assert gaps(spec, values, ("POST /{}", "GET /{}/{{id}}")) == {
        "queues": f"the spec ({edited_spec}) has no POST /queues",
        "outplans": f"the spec ({edited_spec}) has no GET /outplans/{{id}}"}
    assert present(Spec({"paths": {}}, "empty"), values) == ()


def test_the_emulator_serves_what_the_edited_spec_has(edited_spec: Path) -> None:
    spec = load_spec(str(edited_spec))
    assert len(spec.operations) == 410 - 1 - 3  # POST /queues; GET, PUT, DELETE /outplans/{id}
    with running_emulator(spec, EmulatorConfig(customer_limit=None, ip_limit=None, auth_ip_limit=None)) as emu, \
            httpx.Client(base_url=emu.base_url, timeout=10) as client:
        username, password = ACCOUNTS["alpha"]
        token = httpx.post(f"{emu.origin}/auth/login", json={"username": username, "password": password}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/queues", headers=headers).status_code == 200
        assert client.post("/queues", headers=headers, json={"name": "q"}).status_code == 404


def test_spec_lint_reads_the_edited_spec(edited_spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "lint", "--spec", str(edited_spec), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["spec"]["operations"] == 406


@pytest.mark.slow
def test_scenarios_skip_what_the_spec_lacks_with_the_reason(edited_spec: Path, tmp_path: Path) -> None:
    """Issue 10: one scenario crashed with a KeyError on an operation only the current spec has."""
    report = tmp_path / "scenarios"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "scenarios/", "--spec", str(edited_spec),
         "--emulator-profile", "conformant", "--report-dir", str(report),
         "-k", "malformed_json_body or malformed_uuid or lifecycle"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads((report / "summary.json").read_text())
    reasons = {entry["test"]: entry["reason"] for entry in summary["skipped"]}
    assert reasons["scenarios/test_lifecycle.py::test_lifecycle_matches_the_model[queues]"].endswith(
        "has no operation POST /queues")
    assert reasons["scenarios/test_errors.py::test_malformed_json_body_is_400 [queues]"].endswith("has no POST /queues")
    assert reasons["scenarios/test_errors.py::test_malformed_uuid_in_path_is_400 [outplans]"].endswith(
        "has no GET /outplans/{id}")
    assert summary["counts"]["failed"] == 0 and "KeyError" not in proc.stdout
