"""The three schema questions the phone rules ask (flattened node, properties, JSON type), answered
from the spec alone, so that code outside the emulator (the contracts suite) derives the very same
phone fields without importing the emulator. The emulator's ``SchemaTools`` extends this reader
with validators and is passed in there to share its caches.
"""

from __future__ import annotations

from typing import Any, Protocol

from .model import Spec

__all__ = ["SchemaReader", "SpecReader"]

_MAX_DEPTH = 16


class SchemaReader(Protocol):
    def flat(self, node: Any) -> dict[str, Any]: ...

    def properties(self, node: Any) -> dict[str, Any]: ...

    def kind(self, node: Any) -> str | None: ...


class SpecReader:
    """``$ref``s followed and ``allOf`` merged (properties and ``required`` united), cached by node identity."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._flat: dict[int, tuple[Any, dict[str, Any]]] = {}  # the node is kept so its id is not reused

    def resolve(self, node: Any) -> dict[str, Any]:
        try:
            resolved = self.spec.resolve(node)
        except (KeyError, TypeError):
            return {}
        return resolved if isinstance(resolved, dict) else {}

    def flat(self, node: Any) -> dict[str, Any]:
        entry = self._flat.get(id(node))
        if entry is None or entry[0] is not node:
            entry = self._flat[id(node)] = (node, self._flatten(node, 0))
        return entry[1]

    def _flatten(self, node: Any, depth: int) -> dict[str, Any]:
        resolved = self.resolve(node)
        members = resolved.get("allOf")
        if not isinstance(members, list) or depth > _MAX_DEPTH:
            return resolved
        merged = {k: v for k, v in resolved.items() if k != "allOf"}
        properties: dict[str, Any] = {}
        required: list[str] = []
        for member in members:
            part = self._flatten(member, depth + 1)
            for k, v in part.items():
                if k not in ("properties", "required"):
                    merged.setdefault(k, v)
            properties.update(part.get("properties") or {})
            required += [r for r in part.get("required") or [] if isinstance(r, str) and r not in required]
        properties.update(resolved.get("properties") or {})
        required += [r for r in resolved.get("required") or [] if isinstance(r, str) and r not in required]
        if properties:
            merged["properties"] = properties
            merged.setdefault("type", "object")
        if required:
            merged["required"] = required
        return merged

    def properties(self, node: Any) -> dict[str, Any]:
        props = self.flat(node).get("properties")
        return props if isinstance(props, dict) else {}

    def kind(self, node: Any) -> str | None:
        flat = self.flat(node)
        kind = flat.get("type")
        if isinstance(kind, str):
            return kind
        if "properties" in flat or "additionalProperties" in flat:
            return "object"
        return None
