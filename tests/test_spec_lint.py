"""The linter lists the real spec's known defects and stays quiet about a clean document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voipbin_harness.spec import Spec
from voipbin_harness.spec.lint import lint

ROOT = Path(__file__).resolve().parents[1]


def _clean_spec() -> Spec:
    """A tiny document that keeps every rule the linter enforces."""
    error = {"description": "error", "content": {"application/json": {"schema": {"type": "object"}}}}
    item = {"type": "object", "properties": {"id": {"type": "string"},
                                             "tm_update": {"type": "string", "nullable": True},
                                             "tm_delete": {"type": "string", "nullable": True}}}
    responses = {code: error for code in ("400", "401", "403", "404", "429")}
    return Spec({
        "openapi": "3.0.0", "info": {"title": "t", "version": "1"},
        "servers": [{"url": "https://example.test/v1.0"}],
        "components": {"schemas": {"Item": item},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/items": {"post": {"operationId": "createItem",
                                "requestBody": {"content": {"application/json": {"schema": item}}},
                                "responses": {"200": {"description": "ok", "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}}}}, **responses}}},
            "/items/{id}": {"get": {"operationId": "getItem",
                                    "parameters": [{"name": "id", "in": "path", "required": True,
                                                    "schema": {"type": "string"}}],
                                    "responses": {"200": {"description": "ok"}, **responses}}},
        },
    })


def test_real_spec_defects_are_listed(spec: Spec) -> None:
    counts = lint(spec).counts()
    assert counts["spec.validator"] == 34  # the number openapi-spec-validator reports (README of the spec)
    assert counts["spec.security_scheme"] == 1
    assert counts["spec.operation_id"] == sum(1 for op in spec.operations if not op.operation_id) > 400
    assert counts["spec.undeclared_status"] > 0
    assert counts["spec.nullability"] > 0


def test_validator_defects_are_explained(spec: Spec) -> None:
    messages = {f.message for f in lint(spec).findings if f.check == "spec.validator"}
    assert any("has no 'description'" in m for m in messages)
    assert any("unknown field(s) encapsulation" in m for m in messages)


def test_undeclared_status_names_the_cause(spec: Spec) -> None:
    found = {(f.operation, f.key): f for f in lint(spec).findings if f.check == "spec.undeclared_status"}
    # BEHAVIOUR.md: POST /agents answers 200, the spec declares 201
    assert ("POST /agents", "200") in found
    assert "create" in found[("POST /agents", "200")].message


def test_clean_document_has_no_defect() -> None:
    result = lint(_clean_spec())
    assert result.findings == [], [f.message for f in result.findings]


def test_ids_are_stable_between_runs(spec: Spec) -> None:
    first = [f.id for f in lint(spec).findings]
    assert first == [f.id for f in lint(spec).findings]
    assert len(set(first)) == len(first)


@pytest.mark.parametrize("strict, code", [(False, 0), (True, 1)])
def test_cli_json_and_exit_code(strict: bool, code: int, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "voipbin_harness", "spec", "lint", "--json", "--report-dir", str(tmp_path)]
    result = subprocess.run(cmd + (["--strict"] if strict else []), capture_output=True, cwd=ROOT, check=False)
    assert result.returncode == code, result.stderr
    document = json.loads(result.stdout)
    assert document["spec"]["operations"] == 410
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["complete"] is True and len(summary["findings"]) == len(document["findings"])


def test_cli_unreadable_spec_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: [")
    result = subprocess.run([sys.executable, "-m", "voipbin_harness", "spec", "lint", "--spec", str(bad)],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
