"""Where a request carries a phone number, found in the spec once: THE one place that knows it.

Shared by the emulator (its conformant profile refuses non-E.164 numbers with 400) and the contracts
suite (it states the rule in the schema it hands Schemathesis, and knows such a 400 is expected).

The docs promise "400 bad input (E.164 numbers, ...)" but the spec's schemas carry no pattern for
phone numbers: only descriptions say so. Three spec-derived rules name the fields:

- an address object (properties ``type``, whose enum holds ``tel``, and ``target``): its ``target``
  is a phone number when the request's ``type`` is ``tel`` (bodies of calls, messages, contacts,
  agents' and contact addresses...);
- a request property or query parameter whose own description says E.164 without a condition
  ("Phone number in E.164 format to lookup", not "E.164 format for tel");
- a top-level body property that sets a field the operation's answer describes as E.164
  (``POST /numbers`` ``number``: "The phone number." in the request, E.164 in ``NumberManagerNumber``).

Only operations that declare 400 are checked: elsewhere a refusal would break the spec's statuses
(``GET /contacts/lookup`` declares 200, 401 and 500 only, so its E.164 ``phone`` is not refused).
A value equal to the field's own ``example`` in the spec is accepted whatever it looks like: the
spec's masked examples ("+155****4567") are what Schemathesis sends as valid in its examples phase.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from ..conventions.resources import is_e164
from .model import Operation, Spec
from .reader import SchemaReader, SpecReader

__all__ = ["PhoneField", "PhoneRules", "SchemaReader", "SpecReader"]

_E164 = re.compile(r"\bE\.?164\b", re.IGNORECASE)
_CONDITIONAL = re.compile(r"\bfor tel\b", re.IGNORECASE)  # "E.164 format for tel": depends on a sibling type
_TEL = "tel"
_ITEMS = "[]"
_MAX_DEPTH = 12
_REFUSAL = "400"


@dataclass(frozen=True)
class PhoneField:
    """One phone-number field of a request body: ``path`` from the root ("[]" = every array item).

    ``address``: the node at ``path`` is an address object, its ``target`` checked when ``type`` is tel.
    """

    path: tuple[str, ...]
    address: bool
    examples: frozenset[str]

    @property
    def where(self) -> str:
        return "".join("[]" if key == _ITEMS else f".{key}" for key in self.path).lstrip(".") or "$"


def _says_e164(description: Any) -> bool:
    return isinstance(description, str) and bool(_E164.search(description)) and not _CONDITIONAL.search(description)


class PhoneRules:
    """The phone-number fields of every operation's request, and the check of one request against them."""

    def __init__(self, spec: Spec, tools: SchemaReader | None = None) -> None:
        """``tools``: the schema reader to share caches with (the emulator's); a plain one otherwise."""
        self.tools: SchemaReader = tools if tools is not None else SpecReader(spec)
        self.body_fields: dict[str, tuple[PhoneField, ...]] = {}
        self.query_params: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
        for op in spec.operations:
            if _REFUSAL not in op.declared_statuses:
                continue  # a refusal would be an undeclared status: the conformant profile keeps both promises
            fields = self._body_fields(op)
            if fields:
                self.body_fields[op.label] = fields
            params = tuple((p["name"], self._examples(p, p.get("schema"))) for p in op.parameters
                           if p.get("in") == "query" and isinstance(p.get("name"), str)
                           and (_says_e164(p.get("description")) or _says_e164(self.tools.flat(p.get("schema")).get("description"))))
            if params:
                self.query_params[op.label] = params

    # -- derivation -----------------------------------------------------------------------------
    def _body_fields(self, op: Operation) -> tuple[PhoneField, ...]:
        if op.request_schema is None:
            return ()
        found: dict[tuple[str, ...], PhoneField] = {}
        self._walk(op.request_schema, (), found, set())
        answered = self._answer_properties(op)
        for name, sub in self.tools.properties(op.request_schema).items():
            if (name,) not in found and self._is_text(sub) and _says_e164((answered.get(name) or {}).get("description")):
                found[(name,)] = PhoneField((name,), False, self._examples(sub))
        return tuple(found.values())

    def _walk(self, node: Any, path: tuple[str, ...], found: dict[tuple[str, ...], PhoneField], seen: set[int]) -> None:
        flat = self.tools.flat(node)
        if id(flat) in seen or len(path) > _MAX_DEPTH:
            return
        seen = seen | {id(flat)}
        properties = flat.get("properties") or {}
        kind = self.tools.flat(properties["type"]) if "type" in properties else {}
        if _TEL in (kind.get("enum") or []) and "target" in properties and self._is_text(properties["target"]):
            found[path] = PhoneField(path, True, self._examples(properties["target"]))
        for name, sub in properties.items():
            if self._is_text(sub) and (_says_e164(sub.get("description") if isinstance(sub, dict) else None)
                                       or _says_e164(self.tools.flat(sub).get("description"))):
                found[(*path, name)] = PhoneField((*path, name), False, self._examples(sub))
            self._walk(sub, (*path, name), found, seen)
        if flat.get("type") == "array" and flat.get("items") is not None:
            self._walk(flat["items"], (*path, _ITEMS), found, seen)
        for key in ("oneOf", "anyOf"):
            for option in flat.get(key) or []:
                self._walk(option, path, found, seen)

    def _answer_properties(self, op: Operation) -> dict[str, Any]:
        """Top-level properties (flattened) of the operation's first 2xx answer schema."""
        for status in sorted(op.responses):
            if status.startswith("2") and op.responses[status] is not None:
                return {name: self.tools.flat(sub) for name, sub in self.tools.properties(op.responses[status]).items()}
        return {}

    def _is_text(self, node: Any) -> bool:
        flat = self.tools.flat(node)
        return self.tools.kind(flat) == "string" and not flat.get("format") and not flat.get("enum")

    def _examples(self, *nodes: Any) -> frozenset[str]:
        values: set[str] = set()
        for node in nodes:
            if not isinstance(node, dict):
                continue
            for source in (node, self.tools.flat(node)):
                if isinstance(source.get("example"), str):
                    values.add(source["example"])
                examples = source.get("examples")
                if isinstance(examples, list):
                    values.update(v for v in examples if isinstance(v, str))
        return frozenset(values)

    # -- checks -----------------------------------------------------------------------------------
    def body_problem(self, label: str, body: Any) -> str | None:
        """Why ``body`` carries a phone number that is not E.164 (None when it does not)."""
        for phone in self.body_fields.get(label, ()):
            for node in _nodes(body, phone.path):
                value = node
                if phone.address:
                    if not isinstance(node, dict) or node.get("type") != _TEL:
                        continue
                    value = node.get("target")
                if isinstance(value, str) and not is_e164(value) and value not in phone.examples:
                    field = f"{phone.where}.target" if phone.address else phone.where
                    return f"{field.removeprefix('$.')}: {value[:64]!r} is not an E.164 phone number"
        return None

    def repaired(self, label: str, body: Any, number: str) -> Any:
        """A copy of ``body`` with every phone number that breaks the rule replaced by ``number``
        (for a client that must send valid data, such as a CRUD workflow)."""
        body = copy.deepcopy(body)
        for phone in self.body_fields.get(label, ()):
            parents = _nodes(body, phone.path[:-1]) if phone.path and not phone.address else []
            for node in _nodes(body, phone.path) if phone.address else []:
                if isinstance(node, dict) and node.get("type") == _TEL and not self._keeps(node.get("target"), phone):
                    node["target"] = number
            for parent in parents:
                key = phone.path[-1]
                items = parent if key == _ITEMS and isinstance(parent, list) else None
                if items is not None:
                    items[:] = [number if not self._keeps(v, phone) else v for v in items]
                elif isinstance(parent, dict) and key in parent and not self._keeps(parent[key], phone):
                    parent[key] = number
        return body

    @staticmethod
    def _keeps(value: Any, phone: PhoneField) -> bool:
        return not isinstance(value, str) or is_e164(value) or value in phone.examples

    def query_problem(self, label: str, query: dict[str, list[str]]) -> str | None:
        """Why a query parameter that is a phone number is not E.164 (None when all are)."""
        for name, examples in self.query_params.get(label, ()):
            values = query.get(name)
            if values and not is_e164(values[0]) and values[0] not in examples:
                return f"query parameter {name!r}: {values[0][:64]!r} is not an E.164 phone number"
        return None


def _nodes(value: Any, path: tuple[str, ...]) -> list[Any]:
    """The values at ``path`` in ``value`` (every item where the path says "[]")."""
    current = [value]
    for key in path:
        following: list[Any] = []
        for node in current:
            if key == _ITEMS and isinstance(node, list):
                following.extend(node)
            elif key != _ITEMS and isinstance(node, dict) and key in node:
                following.append(node[key])
        current = following
    return current
