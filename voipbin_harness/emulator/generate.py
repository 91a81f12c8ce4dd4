"""Schema-driven values: deterministic for a given random source, valid by construction.

Responses come from tenant state first; what state does not hold (the fields of a new item the
client did not send, the body of an action) is generated here from the spec's schema, preferring
the spec's own ``example`` values so bodies read like the docs (stripe-mock's fixtures, minus the
fixture files). Address objects get a ``target`` that fits their ``type`` (E.164 for ``tel``).
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ..conventions.pagination import timestamp
from ..conventions.resources import is_e164, is_uuid
from .schemas import SchemaTools

__all__ = ["Generator", "new_uuid"]

_BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)  # generated date-times fall in 2026
_MAX_DEPTH = 6  # deeper than this, only required properties and minimal arrays
_PLAIN = re.compile(r"^\^?((?:\[[^\]]+\]|\\.|[^\[\]{}*+?()|^$\\])(?:\{\d+(?:,\d*)?\}|[*+?])?)*\$?$")
_PIECE = re.compile(r"(\[[^\]]+\]|\\.|[^\[\]{}*+?()|^$\\])(\{(\d+)(?:,(\d*))?\}|[*+?])?")


def new_uuid(rng: random.Random) -> str:
    """A UUID v4 drawn from ``rng`` (deterministic under a seed, unlike ``uuid.uuid4``)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Generator:
    """``Generator(tools).value(schema, rng)``: one valid instance of ``schema``."""

    def __init__(self, tools: SchemaTools) -> None:
        self.tools = tools

    def value(self, node: Any, rng: random.Random, name: str = "", depth: int = 0) -> Any:
        schema = self.tools.flat(node)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                return self.value(options[0], rng, name, depth + 1)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            choices = [v for v in enum if v is not None and v != ""] or enum
            return choices[rng.randrange(len(choices))]
        kind = self.tools.kind(schema)
        if kind == "object":
            return self._object(schema, rng, depth)
        if kind == "array":
            return self._array(schema, rng, name, depth)
        if kind == "string":
            return self._string(schema, rng, name)
        if kind == "integer":
            return self._number(schema, rng, integer=True)
        if kind == "number":
            return self._number(schema, rng, integer=False)
        if kind == "boolean":
            example = schema.get("example")
            return example if isinstance(example, bool) else rng.random() < 0.5
        return {}  # a schema that says nothing: any value is valid

    # -- containers ---------------------------------------------------------------------------
    def _object(self, schema: dict[str, Any], rng: random.Random, depth: int) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for prop, sub in properties.items():
            if depth >= _MAX_DEPTH and prop not in required or self.tools.write_only(sub):
                continue  # writeOnly: "never returned" (the spec's own words), so never generated for answers
            out[prop] = self.value(sub, rng, prop, depth + 1)
        _fit_address(out, rng)
        return out

    def _array(self, schema: dict[str, Any], rng: random.Random, name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems") or 0)
        high = schema.get("maxItems")
        count = max(low, 1 if depth < _MAX_DEPTH - 2 else 0)
        if isinstance(high, int):
            count = min(count, high)
        singular = name[:-1] if name.endswith("s") else name
        return [self.value(schema.get("items") or {}, rng, singular, depth + 1) for _ in range(count)]

    # -- scalars ------------------------------------------------------------------------------
    def _string(self, schema: dict[str, Any], rng: random.Random, name: str) -> str:
        fmt = schema.get("format")
        example = schema.get("example")
        if fmt == "uuid" or (name == "id" or name.endswith("_id")) and not (isinstance(example, str) and example
                                                                          and not is_uuid(example, allow_nil=True)):
            return new_uuid(rng)
        if fmt == "date-time":
            return timestamp(_BASE_TIME + timedelta(seconds=rng.randrange(300 * 86400),
                                                    microseconds=rng.randrange(10**6)))
        if fmt == "date":
            return (_BASE_TIME + timedelta(days=rng.randrange(300))).strftime("%Y-%m-%d")
        if fmt in ("email", "idn-email"):
            return f"user{rng.randrange(10**4)}@example.com"
        if fmt in ("uri", "url", "iri"):
            return f"https://example.com/{name or 'resource'}/{rng.randrange(10**4)}"
        if fmt == "ipv4":
            return f"192.0.2.{rng.randrange(1, 255)}"
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            if isinstance(example, str) and _matches(pattern, example):
                return example
            return _from_pattern(pattern, rng) or ""
        text = example if isinstance(example, str) else f"{name or 'value'}-{rng.randrange(10 ** 6)}"
        return _fit_length(text, schema)

    @staticmethod
    def _number(schema: dict[str, Any], rng: random.Random, *, integer: bool) -> int | float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        example = schema.get("example")
        lo = low if isinstance(low, (int, float)) else 0
        hi = high if isinstance(high, (int, float)) else max(lo, 0) + 1000
        if schema.get("exclusiveMinimum") is True:
            lo = lo + (1 if integer else 1e-6)
        if schema.get("exclusiveMaximum") is True:
            hi = hi - (1 if integer else 1e-6)
        if isinstance(example, (int, float)) and not isinstance(example, bool) and lo <= example <= hi \
                and (not integer or float(example).is_integer()):
            return int(example) if integer else example
        if integer:
            return rng.randint(int(lo), max(int(lo), int(hi)))
        return round(rng.uniform(lo, hi), 3) if hi > lo else lo


def _fit_length(text: str, schema: dict[str, Any]) -> str:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(high, int):
        text = text[:high]
    if isinstance(low, int) and len(text) < low:
        text = text + "x" * (low - len(text))
    return text


def _fit_address(obj: dict[str, Any], rng: random.Random) -> None:
    """An address-shaped object (``type`` + ``target``) gets a target that suits its type."""
    kind, target = obj.get("type"), obj.get("target")
    if not isinstance(kind, str) or not isinstance(target, str):
        return
    if kind == "tel" and not is_e164(target):
        obj["target"] = f"+1555{rng.randrange(10**7):07d}"
    elif kind == "email":
        obj["target"] = f"user{rng.randrange(10**4)}@example.com"
    elif kind == "sip":
        obj["target"] = f"sip:user{rng.randrange(10**4)}@example.com"
    elif kind in ("agent", "conference", "extension", "line") and not is_uuid(target):
        obj["target"] = new_uuid(rng)


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def _from_pattern(pattern: str, rng: random.Random) -> str | None:
    """A string matching a simple anchored pattern (literals, classes, ``{n}``, ``*+?``)."""
    if not _PLAIN.match(pattern):
        return None
    out: list[str] = []
    for piece, quant, exact, _upper in _PIECE.findall(pattern.strip("^$")):
        if piece.startswith("["):
            alphabet = _expand_class(piece[1:-1])
        else:
            alphabet = [piece[-1]] if piece.startswith("\\") else [piece]
        if quant.startswith("{"):
            count = int(exact)
        elif quant in ("*", "?"):
            count = 1 if quant == "?" else 3
        else:
            count = 3 if quant == "+" else 1
        out.extend(alphabet[rng.randrange(len(alphabet))] for _ in range(count))
    text = "".join(out)
    return text if _matches(pattern, text) else None


def _expand_class(body: str) -> list[str]:
    chars: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return chars or ["x"]
