"""The documented E.164 rule as the contracts suite states it: patterns where the spec's schemas
can carry them (only for the operations that promise the 400, never on a shared component), an
expected 400 where they cannot (address targets of type tel), and valid numbers in workflows."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.generation.hypothesis.examples import generate_one

from contracts.phones import E164_PATTERN, EXAMPLE_E164, expected_refusal, with_phone_patterns
from tests.contracts.canned import answer, error_body
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.conventions.resources import is_e164
from voipbin_harness.emulator.schemas import SchemaTools
from voipbin_harness.spec import Spec
from voipbin_harness.spec.phones import PhoneRules

_OK = {"200": {"description": "ok"}}
_REFUSES = {"200": {"description": "ok"}, "400": {"description": "bad input"}}


def _body(ref: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}


#: One component with an E.164 field, used by an operation that promises the 400 and one that does not.
TINY: dict[str, Any] = {
    "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "/v1.0"}],
    "paths": {
        "/things": {"post": {"requestBody": _body("#/components/schemas/Thing"), "responses": _REFUSES}},
        "/others": {"post": {"requestBody": _body("#/components/schemas/Thing"), "responses": _OK}},
    },
    "components": {"schemas": {"Thing": {"type": "object", "required": ["phone"], "properties": {
        "phone": {"type": "string", "description": "Phone number in E.164 format."},
        "name": {"type": "string"}}}}},
}


def test_pattern_added_only_where_the_400_is_promised_and_the_source_is_untouched() -> None:
    spec = Spec(copy.deepcopy(TINY))
    patched = with_phone_patterns(spec, PhoneRules(spec))
    schema = patched["paths"]["/things"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["phone"]["pattern"] == E164_PATTERN
    assert "pattern" not in schema["properties"]["name"]
    assert "pattern" not in patched["components"]["schemas"]["Thing"]["properties"]["phone"]  # /others keeps it
    assert patched["paths"]["/others"]["post"]["requestBody"] == TINY["paths"]["/others"]["post"]["requestBody"]
    assert spec.document == TINY


@pytest.mark.parametrize(("label", "field"), [("POST /numbers", "number"), ("PUT /customer", "phone_number")])
def test_generated_valid_data_is_e164_and_negative_data_breaks_it(spec: Spec, label: str, field: str) -> None:
    patched = schemathesis.openapi.from_dict(with_phone_patterns(spec, PhoneRules(spec)))
    method, path = label.split(" ", 1)
    api = patched[path][method]
    assert re.match(E164_PATTERN, generate_one(api.as_strategy(generation_mode=GenerationMode.POSITIVE)).body[field])
    plain = schemathesis.openapi.from_dict(spec.document)[path][method]
    assert not is_e164(generate_one(plain.as_strategy(generation_mode=GenerationMode.POSITIVE)).body.get(field))


def test_400_to_a_tel_target_that_is_not_e164_is_expected(spec: Spec) -> None:
    api = schemathesis.openapi.from_dict(spec.document)["/contact_addresses"]["POST"]
    refusal = error_body(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER)
    bad = api.Case(body={"type": "tel", "target": ""}, media_type="application/json")
    rules = PhoneRules(spec)
    assert expected_refusal(rules, bad, answer(bad, 400, refusal))
    assert not expected_refusal(rules, bad, answer(bad, 201, {}))  # only the 400 is the rule's
    for body in ({"type": "tel", "target": "+14155550100"}, {"type": "email", "target": ""}):
        good = api.Case(body=body, media_type="application/json")
        assert not expected_refusal(rules, good, answer(good, 400, refusal))  # a 400 to a valid number is still a finding


def test_repaired_bodies_keep_the_rule_and_everything_else(spec: Spec) -> None:
    rules = PhoneRules(spec)
    body = {"source": {"type": "tel", "target": "x"},
            "destinations": [{"type": "tel", "target": "1"}, {"type": "email", "target": "a@b.c"}]}
    fixed = rules.repaired("POST /calls", body, EXAMPLE_E164)
    assert rules.body_problem("POST /calls", body) is not None and rules.body_problem("POST /calls", fixed) is None
    assert fixed["destinations"][1] == body["destinations"][1] and body["source"]["target"] == "x"
    assert rules.repaired("POST /numbers", {"number": ""}, EXAMPLE_E164) == {"number": EXAMPLE_E164}


def test_the_emulator_and_the_suite_derive_the_same_phone_fields(spec: Spec) -> None:
    shared, emulator = PhoneRules(spec), PhoneRules(spec, SchemaTools(spec))
    assert shared.body_fields == emulator.body_fields and shared.query_params == emulator.query_params
    assert {"POST /numbers", "PUT /customer", "POST /contact_addresses", "POST /calls"} <= set(shared.body_fields)
