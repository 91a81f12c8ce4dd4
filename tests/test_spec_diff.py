"""``spec diff``: each change kind on small edited specs, its severity for a client, the CLI's exit
codes and output shapes, and the issue's acceptance case on the pinned spec."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from voipbin_harness.cli import main
from voipbin_harness.spec import Spec, load_document
from voipbin_harness.spec.diff import BREAKING, NON_BREAKING, diff_specs


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "ok", "content": {"application/json": {"schema": schema}}}


def _base() -> dict[str, Any]:
    flow = {"$ref": "#/components/schemas/Flow"}
    error = _json({"$ref": "#/components/schemas/Error"})
    return {
        "openapi": "3.0.3",
        "info": {"title": "mini", "version": "1"},
        "servers": [{"url": "https://api.example.test/v1.0"}],
        "paths": {
            "/flows": {
                "get": {"parameters": [{"name": "page_size", "in": "query", "schema": {"type": "integer"}}],
                        "responses": {"200": _json({"type": "object", "properties": {
                            "result": {"type": "array", "items": flow}}}), "400": error}},
                "post": {"requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/FlowCreate"}}}},
                    "responses": {"200": _json(flow), "400": error}},
            },
            "/flows/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"responses": {"200": _json(flow), "404": error}},
                "delete": {"responses": {"200": _json(flow), "404": error}},
            },
            "/calls": {"get": {"operationId": "listCalls", "responses": {"200": _json({"type": "object"})}}},
        },
        "components": {"schemas": {
            "Flow": {"type": "object", "required": ["id", "name"], "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string"},
                "status": {"type": "string", "enum": ["active", "ended"]},
                "tm_create": {"type": "string"},
            }},
            "FlowCreate": {"allOf": [
                {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                {"type": "object", "properties": {"detail": {"type": "string"},
                                                  "type": {"type": "string", "enum": ["flow", "campaign"]}}},
            ]},
            "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
        }},
    }


Edit = Callable[[dict[str, Any]], None]


def _schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]


def _create_props(doc: dict[str, Any]) -> dict[str, Any]:
    return _schemas(doc)["FlowCreate"]["allOf"][1]["properties"]


def _rename_path(doc: dict[str, Any], old: str, new: str) -> None:
    doc["paths"] = {new if k == old else k: v for k, v in doc["paths"].items()}


CASES: list[tuple[str, Edit, str, str, str]] = [
    ("removed operation", lambda d: d["paths"]["/flows/{id}"].pop("delete"),
     "DELETE /flows/{id}", "operation.removed", BREAKING),
    ("removed path", lambda d: d["paths"].pop("/calls"), "GET /calls", "path.removed", BREAKING),
    ("new required query parameter",
     lambda d: d["paths"]["/flows"]["get"]["parameters"].append(
         {"name": "customer_id", "in": "query", "required": True, "schema": {"type": "string"}}),
     "GET /flows", "parameter.required_added", BREAKING),
    ("new optional query parameter",
     lambda d: d["paths"]["/flows"]["get"]["parameters"].append(
         {"name": "status", "in": "query", "schema": {"type": "string"}}),
     "GET /flows", "parameter.added", NON_BREAKING),
    ("parameter became required",
     lambda d: d["paths"]["/flows"]["get"]["parameters"][0].update(required=True),
     "GET /flows", "parameter.became_required", BREAKING),
    ("parameter type changed",
     lambda d: d["paths"]["/flows"]["get"]["parameters"][0].update(schema={"type": "string"}),
     "GET /flows", "parameter.type_changed", BREAKING),
    ("changed success status",
     lambda d: d["paths"]["/flows"]["post"]["responses"].update({"201": d["paths"]["/flows"]["post"]["responses"].pop("200")}),
     "POST /flows", "response.success_status_changed", BREAKING),
    ("removed success status", lambda d: d["paths"]["/flows/{id}"]["delete"]["responses"].pop("200"),
     "DELETE /flows/{id}", "response.success_status_removed", BREAKING),
    ("new error status", lambda d: d["paths"]["/flows/{id}"]["get"]["responses"].update({"403": {"description": "no"}}),
     "GET /flows/{id}", "response.status_added", NON_BREAKING),
    ("newly required body property", lambda d: _schemas(d)["FlowCreate"]["allOf"][1].update(required=["detail"]),
     "POST /flows", "request.property_required", BREAKING),
    ("new required body property",
     lambda d: _schemas(d)["FlowCreate"]["allOf"][0].update(
         required=["name", "actions"], properties={"name": {"type": "string"}, "actions": {"type": "array"}}),
     "POST /flows", "request.property_required", BREAKING),
    ("new optional body property", lambda d: _create_props(d).update(note={"type": "string"}),
     "POST /flows", "request.property_added", NON_BREAKING),
    ("request body became required",
     lambda d: d["paths"]["/flows/{id}"]["delete"].update(requestBody={"required": True, "content": {
         "application/json": {"schema": {"type": "object"}}}}),
     "DELETE /flows/{id}", "request_body.required_added", BREAKING),
    ("response property type changed", lambda d: _schemas(d)["Flow"]["properties"]["tm_create"].update(type="integer"),
     "GET /flows/{id}", "response.type_changed", BREAKING),
    ("response property format changed", lambda d: _schemas(d)["Flow"]["properties"]["id"].pop("format"),
     "GET /flows/{id}", "response.type_changed", BREAKING),
    ("narrowed request enum", lambda d: _create_props(d)["type"].update(enum=["flow"]),
     "POST /flows", "request.enum_narrowed", BREAKING),
    ("widened request enum", lambda d: _create_props(d)["type"].update(enum=["flow", "campaign", "chat"]),
     "POST /flows", "request.enum_widened", NON_BREAKING),
    ("widened response enum", lambda d: _schemas(d)["Flow"]["properties"]["status"].update(enum=["active", "ended", "paused"]),
     "GET /flows/{id}", "response.enum_widened", BREAKING),
    ("narrowed response enum", lambda d: _schemas(d)["Flow"]["properties"]["status"].update(enum=["active"]),
     "GET /flows/{id}", "response.enum_narrowed", NON_BREAKING),
    ("removed response property", lambda d: _schemas(d)["Flow"]["properties"].pop("tm_create"),
     "GET /flows/{id}", "response.property_removed", BREAKING),
    ("response property made optional", lambda d: _schemas(d)["Flow"].update(required=["id"]),
     "GET /flows/{id}", "response.property_optional", BREAKING),
    ("response property made nullable", lambda d: _schemas(d)["Flow"]["properties"]["name"].update(nullable=True),
     "GET /flows/{id}", "response.nullable_added", BREAKING),
    ("new response property", lambda d: _schemas(d)["Flow"]["properties"].update(detail={"type": "string"}),
     "GET /flows/{id}", "response.property_added", NON_BREAKING),
    ("changed path template", lambda d: _rename_path(d, "/flows/{id}", "/flows/{flow_id}"),
     "GET /flows/{id}", "path.template_changed", BREAKING),
    ("moved path", lambda d: _rename_path(d, "/calls", "/phone_calls"), "GET /calls", "path.template_changed", BREAKING),
    ("added operation", lambda d: d["paths"]["/calls"].update(post={"responses": {"200": _json({"type": "object"})}}),
     "POST /calls", "operation.added", NON_BREAKING),
]


def _revised(edit: Edit) -> Spec:
    document = _base()
    edit(document)
    return Spec(document, "revision")


@pytest.mark.parametrize(("edit", "operation", "kind", "severity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_kind_is_found_with_its_severity(edit: Edit, operation: str, kind: str, severity: str) -> None:
    result = diff_specs(Spec(_base(), "base"), _revised(edit))
    found = [(c.operation, c.kind, c.severity) for c in result.changes]
    assert (operation, kind, severity) in found, result.render()
    expected_breaking = severity == BREAKING or any(s == BREAKING for *_, s in found)
    assert bool(result.breaking) == expected_breaking


def test_non_breaking_edits_alone_leave_nothing_breaking() -> None:
    for name, edit, _op, _kind, severity in CASES:
        if severity == NON_BREAKING:
            assert not diff_specs(Spec(_base(), "base"), _revised(edit)).breaking, name


def test_a_spec_against_itself_has_no_change() -> None:
    assert diff_specs(Spec(_base(), "base"), Spec(_base(), "same")).changes == []


def test_a_shared_component_change_is_named_on_every_operation_that_uses_it() -> None:
    result = diff_specs(Spec(_base(), "base"), _revised(lambda d: _schemas(d)["Flow"]["properties"].pop("name")))
    named = {c.operation for c in result.changes if c.kind == "response.property_removed"}
    assert named == {"GET /flows", "POST /flows", "GET /flows/{id}", "DELETE /flows/{id}"}


def test_a_moved_operation_is_not_also_reported_removed_and_added() -> None:
    result = diff_specs(Spec(_base(), "base"), _revised(lambda d: _rename_path(d, "/calls", "/phone_calls")))
    assert [c.kind for c in result.changes] == ["path.template_changed"]
    assert result.changed_operations == ["GET /phone_calls"]


def test_changed_operations_are_spelled_as_the_revision_spells_them() -> None:
    def edit(d: dict[str, Any]) -> None:
        _rename_path(d, "/flows/{id}", "/flows/{flow_id}")
        d["paths"]["/calls"]["post"] = {"responses": {"200": _json({"type": "object"})}}

    result = diff_specs(Spec(_base(), "base"), _revised(edit))
    assert set(result.changed_operations) == {"GET /flows/{flow_id}", "DELETE /flows/{flow_id}", "POST /calls"}


# -- the command ----------------------------------------------------------------------------------
def _write(tmp_path: Path, name: str, document: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def test_cli_json_shape_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _write(tmp_path, "base.json", _base())
    revision = _revised(lambda d: d["paths"]["/flows/{id}"].pop("delete")).document
    assert main(["spec", "diff", base, _write(tmp_path, "rev.json", revision), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["changes"]
    assert out["changes"] == [{"severity": "breaking", "operation": "DELETE /flows/{id}", "kind": "operation.removed",
                               "message": "DELETE is no longer on /flows/{id}"}]
    assert main(["spec", "diff", base, base]) == 0


def test_cli_writes_the_report_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _write(tmp_path, "base.json", _base())
    revision = _write(tmp_path, "rev.json", _revised(lambda d: _create_props(d).update(note={"type": "string"})).document)
    assert main(["spec", "diff", base, revision, "--report-dir", str(tmp_path / "out")]) == 0
    assert "0 breaking, 1 non-breaking" in capsys.readouterr().out
    written = json.loads((tmp_path / "out" / "diff.json").read_text())
    assert written["changes"][0]["kind"] == "request.property_added"
    assert "request.property_added" in (tmp_path / "out" / "diff.md").read_text()


@pytest.mark.parametrize("bad", ["missing.yaml", "not-openapi.json"])
def test_cli_cannot_run_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    (tmp_path / "not-openapi.json").write_text('{"hello": 1}')
    assert main(["spec", "diff", _write(tmp_path, "base.json", _base()), str(tmp_path / bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_issue_acceptance_on_the_pinned_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10 "Done when": five breaking edits of the current spec named, the optional one not."""
    document = copy.deepcopy(load_document("pinned"))
    paths = document["paths"]
    del paths["/tags/{id}"]["delete"]
    paths["/flows"]["get"].setdefault("parameters", []).append(
        {"name": "customer_id", "in": "query", "required": True, "schema": {"type": "string"}})
    paths["/agents"]["get"].setdefault("parameters", []).append(
        {"name": "name_prefix", "in": "query", "schema": {"type": "string"}})
    responses = paths["/flows"]["post"]["responses"]
    responses["201"] = responses.pop("200")
    body = paths["/tags"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body["properties"]["color"] = {"type": "string"}
    body["required"] = [*body["required"], "color"]
    document["components"]["schemas"]["TagManagerTag"]["properties"]["tm_create"] = {"type": "integer"}
    assert main(["spec", "diff", "pinned", _write(tmp_path, "rev.json", document), "--json"]) == 1
    changes = json.loads(capsys.readouterr().out)["changes"]
    breaking = {(c["operation"], c["kind"]) for c in changes if c["severity"] == "breaking"}
    assert {("DELETE /tags/{id}", "operation.removed"), ("GET /flows", "parameter.required_added"),
            ("POST /flows", "response.success_status_changed"), ("POST /tags", "request.property_required"),
            ("GET /tags/{id}", "response.type_changed")} <= breaking
    assert not any(c["operation"] == "GET /agents" and c["severity"] == "breaking" for c in changes)
    assert ("GET /agents", "parameter.added") in {(c["operation"], c["kind"]) for c in changes}
    assert main(["spec", "diff", "pinned", "pinned"]) == 0
