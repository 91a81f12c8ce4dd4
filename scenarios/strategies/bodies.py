"""Request bodies from the spec's schemas: valid ones (every required field plus the simple
optional ones, phone numbers made E.164) and valid ones broken in exactly one documented way
(``BadBody``: wrong type, missing required field, value outside the enum)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from voipbin_harness.conventions.resources import is_id_param
from voipbin_harness.spec import Spec
from voipbin_harness.spec.phones import PhoneRules

from .auth import agent_permissions
from .binding import Printed, bound_spec
from .values import SAFE, e164_numbers, names, unknown_ids

__all__ = ["BadBody", "bad_bodies", "breakable", "create_bodies", "request_bodies", "update_bodies"]

_phones: tuple[Spec, PhoneRules] | None = None  # the phone rules of the bound spec, built once

#: Fields whose generated value must come from a narrower strategy than the schema's.
_OVERRIDES: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("agents", "permission"): agent_permissions(),
    ("numbers", "number"): st.deferred(lambda: e164_numbers()),
}


def create_bodies(collection: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies for ``POST /<collection>``: every required field, plus the simple optional ones."""
    label = f"POST /{collection}"
    return _valid_phones(label, st.deferred(lambda: _object_body(_request_schema(label), collection)))


def update_bodies(collection: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies for ``PUT /<collection>/{id}``."""
    label = f"PUT /{collection}/{{id}}"
    return _valid_phones(label, st.deferred(lambda: _object_body(_request_schema(label), collection)))


def _valid_phones(label: str, bodies: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """``bodies`` with every phone number made E.164, as the docs require of valid input (the fields
    come from the spec, through the shared ``spec.phones`` rules)."""
    return st.tuples(bodies, e164_numbers()).map(lambda pair: _phone_rules().repaired(label, pair[0], pair[1]))


def _phone_rules() -> PhoneRules:
    global _phones
    spec = bound_spec()
    if _phones is None or _phones[0] is not spec:
        _phones = (spec, PhoneRules(spec))
    return _phones[1]


def request_bodies(label: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies for any operation with a JSON object body (``"POST /calls"``)."""
    collection = label.split(" ", 1)[1].strip("/").split("/")[0]
    return _valid_phones(label, st.deferred(lambda: _object_body(_request_schema(label), collection)))


def _request_schema(label: str) -> dict[str, Any]:
    spec = bound_spec()
    schema = spec.resolve(spec.operation(label).request_schema) or {}
    return schema if isinstance(schema, dict) else {}


def _value(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    spec = bound_spec()
    schema = spec.resolve(schema) or {}
    if "enum" in schema:
        return st.sampled_from([v for v in schema["enum"] if v is not None] or [None])
    kind = schema.get("type")
    if kind == "string":
        return unknown_ids() if schema.get("format") == "uuid" else names()
    if kind == "integer":
        return st.integers(min_value=max(0, schema.get("minimum", 0)), max_value=3600)
    if kind == "number":
        return st.integers(0, 1000).map(float)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.just([])
    if kind == "object" and depth < 2:
        return _object_body(schema, None, depth + 1)
    return st.just({}) if kind == "object" else st.none()


def _simple(schema: dict[str, Any]) -> bool:
    resolved = bound_spec().resolve(schema) or {}
    return "enum" in resolved or resolved.get("type") in ("string", "integer", "boolean", "number")


def _object_body(schema: dict[str, Any], collection: str | None, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    props: dict[str, Any] = schema.get("properties") or {}
    required = [k for k in schema.get("required") or [] if k in props]

    def field(name: str) -> st.SearchStrategy[Any]:
        override = _OVERRIDES.get((collection or "", name))
        if override is not None:
            return override
        resolved = bound_spec().resolve(props[name]) or {}
        if is_id_param(name) and resolved.get("type") == "string" and "enum" not in resolved:
            return unknown_ids()  # ids are UUIDs, whatever the request schema's (missing) format says
        return _value(props[name], depth)

    optional = {k: field(k) for k, v in props.items() if k not in required and _simple(v)}
    return st.fixed_dictionaries({k: field(k) for k in required}, optional=optional)


@dataclass(frozen=True)
class BadBody(Printed):
    """A valid body broken in one way: ``kind`` (wrong_type, missing_required, invalid_enum,
    non_e164) at ``field``."""

    kind: str
    field: str
    body: dict[str, Any]

    def __repr__(self) -> str:
        return f"BadBody({self.kind} at {self.field!r}: {json.dumps(self.body, ensure_ascii=False)[:200]})"


_INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)  # JSON numbers every client and server can carry
_WRONG_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.one_of(_INT32, st.booleans(), st.just([1]), st.just({"a": 1})),
    "integer": st.one_of(st.text(SAFE, min_size=1, max_size=8), st.booleans(), st.just([]), st.just(1.5)),
    "number": st.one_of(st.text(SAFE, min_size=1, max_size=8), st.booleans()),
    "boolean": st.one_of(st.text(SAFE, min_size=1, max_size=8), st.integers(2, 99)),
    "array": st.one_of(st.text(SAFE, min_size=1, max_size=8), _INT32, st.just({"a": 1})),
    "object": st.one_of(st.text(SAFE, min_size=1, max_size=8), _INT32, st.just([1])),
}


def bad_bodies(collection: str, kinds: tuple[str, ...] = ("wrong_type", "missing_required", "invalid_enum")
               ) -> st.SearchStrategy[BadBody]:
    """A valid ``POST /<collection>`` body broken in exactly one way the spec forbids."""
    return st.deferred(lambda: _bad_bodies(collection, kinds))


def _bad_bodies(collection: str, kinds: tuple[str, ...]) -> st.SearchStrategy[BadBody]:
    schema = _request_schema(f"POST /{collection}")
    spec = bound_spec()
    props = {k: spec.resolve(v) or {} for k, v in (schema.get("properties") or {}).items()}
    required = [k for k in schema.get("required") or [] if k in props]
    typed = [k for k, v in props.items() if v.get("type") in _WRONG_VALUES]
    enums = [k for k, v in props.items() if v.get("enum")]
    options: list[st.SearchStrategy[BadBody]] = []

    @st.composite
    def wrong_type(draw: st.DrawFn) -> BadBody:
        body = draw(create_bodies(collection))
        name = draw(st.sampled_from(typed))
        body[name] = draw(_WRONG_VALUES[props[name]["type"]])
        return BadBody("wrong_type", name, body)

    @st.composite
    def missing_required(draw: st.DrawFn) -> BadBody:
        body = draw(create_bodies(collection))
        gone = draw(st.lists(st.sampled_from(required), min_size=1, unique=True))
        for name in gone:
            body.pop(name, None)
        return BadBody("missing_required", ",".join(sorted(gone)), body)

    @st.composite
    def invalid_enum(draw: st.DrawFn) -> BadBody:
        body = draw(create_bodies(collection))
        name = draw(st.sampled_from(enums))
        allowed = props[name]["enum"]
        if props[name].get("type") == "integer":
            body[name] = draw(st.integers(-1000, 100_000).filter(lambda v: v not in allowed))
        else:
            body[name] = draw(st.text(st.sampled_from(SAFE + "_"), min_size=1, max_size=12)
                              .filter(lambda v: v not in allowed))
        return BadBody("invalid_enum", name, body)

    if "wrong_type" in kinds and typed:
        options.append(wrong_type())
    if "missing_required" in kinds and required:
        options.append(missing_required())
    if "invalid_enum" in kinds and enums:
        options.append(invalid_enum())
    if not options:
        raise ValueError(f"POST /{collection} has nothing to break in ways {kinds}")
    return st.one_of(options)


def breakable(collection: str, kind: str) -> bool:
    """Whether ``POST /<collection>``'s schema has something to break in way ``kind``."""
    try:
        _bad_bodies(collection, (kind,))
    except ValueError:
        return False
    return True
