"""The conformant profile's promises about answers: declared statuses, schema-valid bodies, error
bodies that fit the error schema the spec declares.

Status rule: ``conventions.statuses.spec_fallback_status`` (a success becomes the operation's
declared success of the same class; an undeclared client error the first declared one of a fixed
preference list that never turns a refusal about a resource into a 400; 401, 405 and 429 unchanged).

Error rule (``fit_error``): the envelope of ``conventions.envelope`` is what the docs promise; the
error schema the operation's spec declares for the answered status (else its ``default``) is what
that spec version promises. The profile keeps the spec it was built from, so the envelope is made to
fit that schema: as is when it already fits (today's spec: ``ErrorResponse``); the inner error's
fields at the top level when the schema has no ``error`` property but names them (a flat
``{message, ...}`` error of an older version); then repaired like any body. A status declared
without a JSON schema keeps the envelope. An operation that declares no status of the error's class
(a spec version whose operations declare no 4xx) is answered with the natural status and the
envelope: refusing invalid input is the one promise left (OpenAPI does not expect a spec to list
every status a server may send), and answering a declared 2xx instead would call it valid.

Body rule: ``Repairer.repair`` walks a body against the response schema and drops a ``null`` the
schema does not allow (an optional field) or replaces it with a generated valid value (a required
one), drops ``writeOnly`` properties, and replaces any other invalid value with a generated one.
"""

from __future__ import annotations

import random
from typing import Any

from ..conventions.statuses import spec_fallback_status
from .generate import Generator
from .schemas import SchemaTools

__all__ = ["Repairer", "declared_status", "error_schema", "fit_error"]

_MISSING = object()


def declared_status(natural: int, declared: tuple[int, ...]) -> int:
    """The status the conformant profile answers for ``natural`` (declared statuses in order)."""
    return spec_fallback_status(natural, sorted(declared))


def error_schema(responses: dict[str, Any], http: int) -> Any:
    """The JSON schema an operation declares for answering ``http`` (its ``4XX``-style range, then
    its ``default``), or None."""
    for key in (str(http), f"{http // 100}XX", f"{http // 100}xx", "default"):
        if key in responses:
            return responses[key]
    return None


def fit_error(envelope: dict[str, Any], schema: Any, repairer: Repairer) -> Any:
    """``envelope`` made to fit ``schema`` (see the module docstring); unchanged without a schema."""
    if schema is None:
        return envelope
    tools = repairer.tools
    if tools.is_valid(schema, envelope):
        return envelope
    value: Any = envelope
    properties = tools.properties(schema)
    inner = envelope.get("error")
    if properties and "error" not in properties and isinstance(inner, dict) and set(properties) & set(inner):
        value = dict(inner)
    return repairer.repair(value, schema)


class Repairer:
    """Makes a value valid against a response schema, changing as little as possible."""

    def __init__(self, tools: SchemaTools, generator: Generator, seed: int) -> None:
        self.tools = tools
        self.generator = generator
        self.seed = seed

    def repair(self, value: Any, schema: Any) -> Any:
        fixed = self._fix(value, schema, "$")
        return self._generate(schema, "$") if fixed is _MISSING else fixed

    def _generate(self, schema: Any, where: str) -> Any:
        return self.generator.value(schema, random.Random(f"{self.seed}:repair:{where}"))

    def _fix(self, value: Any, schema: Any, where: str) -> Any:
        flat = self.tools.flat(schema)
        if value is None:
            return None if flat.get("nullable") is True or not flat else _MISSING
        for key in ("oneOf", "anyOf"):
            options = flat.get(key)
            if isinstance(options, list) and options:
                if any(self.tools.is_valid(option, value) for option in options):
                    return value
                return self._generate(options[0], where)
        kind = self.tools.kind(flat)
        if kind == "object":
            return self._object(value, flat, where) if isinstance(value, dict) else self._generate(flat, where)
        if kind == "array":
            return self._array(value, flat, where) if isinstance(value, list) else self._generate(flat, where)
        if kind is None and "enum" not in flat:
            return value
        return value if self.tools.is_valid(flat, value) else self._generate(flat, where)

    def _object(self, value: dict[str, Any], flat: dict[str, Any], where: str) -> dict[str, Any]:
        properties = flat.get("properties") or {}
        required = set(flat.get("required") or [])
        extra = flat.get("additionalProperties", True)
        out: dict[str, Any] = {}
        for name, item in value.items():
            sub = properties.get(name)
            if sub is None:
                if extra is False:
                    continue
                if isinstance(extra, dict):
                    item = self._fix(item, extra, f"{where}.{name}")
                    if item is _MISSING:
                        continue
                out[name] = item
                continue
            if self.tools.write_only(sub):
                continue
            fixed = self._fix(item, sub, f"{where}.{name}")
            if fixed is _MISSING:
                if name in required:
                    out[name] = self._generate(sub, f"{where}.{name}")
                continue
            out[name] = fixed
        for name in required:
            if name not in out and name in properties and not self.tools.write_only(properties[name]):
                out[name] = self._generate(properties[name], f"{where}.{name}")
        return out

    def _array(self, value: list[Any], flat: dict[str, Any], where: str) -> list[Any]:
        items = flat.get("items") or {}
        out = []
        for n, element in enumerate(value):
            fixed = self._fix(element, items, f"{where}[{n}]")
            if fixed is not _MISSING:
                out.append(fixed)
        low, high = flat.get("minItems"), flat.get("maxItems")
        while isinstance(low, int) and len(out) < low:
            out.append(self._generate(items, f"{where}[{len(out)}]"))
        if isinstance(high, int):
            out = out[:high]
        return out
