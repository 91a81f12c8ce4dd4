"""Reading the spec's schemas: ``$ref`` / ``allOf`` flattening, list shapes, and validators.

OpenAPI 3.0 schemas are not JSON Schema: ``nullable`` needs rewriting and ``$ref`` siblings are
ignored. ``to_json_schema`` does the small conversion Schemathesis does for 3.0 documents, so the
conformant profile validates requests exactly as a correct client generator expects. Validators
(``jsonschema_rs``, Draft 4 with format checks, as Schemathesis uses for 3.0) are compiled on
first use and cached: start-up never pays for them.
"""

from __future__ import annotations

import uuid
from typing import Any

import jsonschema_rs

from ..conventions.pagination import RESULT_FIELD
from ..spec import Spec
from ..spec.reader import SpecReader

__all__ = ["SchemaTools"]


def _uuid_format(value: object) -> bool:
    """``format: uuid``, which Draft 4 leaves unchecked; checked as Schemathesis does (``uuid.UUID``)."""
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


_FORMATS = {"uuid": _uuid_format}

_CHILD_MAPS = ("properties", "patternProperties")
_CHILD = ("items", "additionalProperties", "not")
_CHILD_LISTS = ("allOf", "anyOf", "oneOf")
_DROPPED = ("example", "examples", "nullable", "discriminator", "xml", "externalDocs", "deprecated",
            "readOnly", "writeOnly")


class SchemaTools(SpecReader):
    """Schema helpers bound to one spec; every cache is keyed by node identity and bounded by the spec."""

    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        # keyed by id(node); the node is kept in the entry so that its id cannot be reused
        self._validators: dict[int, tuple[Any, Any]] = {}
        self._components: dict[str, Any] | None = None

    # -- navigation (resolve, flat, properties, kind: inherited from SpecReader) --------------
    def ref(self, node: Any) -> str | None:
        """The component a node stands for: its ``$ref``, or that of a lone ``allOf`` member."""
        if not isinstance(node, dict):
            return None
        if isinstance(node.get("$ref"), str):
            return node["$ref"]
        members = node.get("allOf")
        if isinstance(members, list) and len(members) == 1:
            return self.ref(members[0])
        return None

    def nullable(self, node: Any) -> bool:
        return self.flat(node).get("nullable") is True

    def write_only(self, node: Any) -> bool:
        return self.flat(node).get("writeOnly") is True

    def list_shape(self, node: Any) -> tuple[str, Any] | None:
        """``("wrapped", item)`` for ``{"result": [item]}``, ``("bare", item)`` for ``[item]``, else None."""
        if node is None:
            return None
        flat = self.flat(node)
        if flat.get("type") == "array":
            return ("bare", flat.get("items") or {})
        result = (flat.get("properties") or {}).get(RESULT_FIELD)
        if result is not None and self.flat(result).get("type") == "array":
            return ("wrapped", self.flat(result).get("items") or {})
        return None

    # -- validation ---------------------------------------------------------------------------
    def validator(self, node: Any) -> Any:
        """A compiled Draft 4 validator (formats checked) for ``node``; ``$ref``s resolve in the spec."""
        entry = self._validators.get(id(node))
        if entry is not None and entry[0] is node:
            return entry[1]
        root = to_json_schema(node)
        root = root if isinstance(root, dict) else {}
        if _has_ref(root):
            root = {**root, "components": self._converted_components()}
        try:
            found = jsonschema_rs.Draft4Validator(root, validate_formats=True, formats=_FORMATS)
        except Exception:  # noqa: BLE001 - a schema the validator cannot read accepts everything
            found = jsonschema_rs.Draft4Validator({}, validate_formats=True)
        self._validators[id(node)] = (node, found)
        return found

    def is_valid(self, node: Any, value: Any) -> bool:
        try:
            return bool(self.validator(node).is_valid(value))
        except Exception:  # noqa: BLE001 - e.g. an integer too large for the validator
            return False

    def first_error(self, node: Any, value: Any) -> str | None:
        """A one-line description of the first violation, or None when ``value`` is valid."""
        try:
            for error in self.validator(node).iter_errors(value):
                where = "/".join(str(p) for p in error.instance_path) or "body"
                return f"{where}: {error.message}"[:300]
        except Exception as exc:  # noqa: BLE001
            return str(exc)[:300]
        return None

    def _converted_components(self) -> dict[str, Any]:
        if self._components is None:
            components = self.spec.document.get("components") or {}
            self._components = {"schemas": {name: to_json_schema(schema)
                                            for name, schema in (components.get("schemas") or {}).items()}}
        return self._components


def to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema Draft 4: ``nullable`` becomes a ``null`` type."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": node["$ref"]}
    out: dict[str, Any] = {}
    required = [r for r in node.get("required", []) if isinstance(r, str)] if isinstance(node.get("required"), list) else []
    for key, value in node.items():
        if key in _DROPPED or key.startswith("x-") or key == "required":
            continue
        if key in _CHILD_MAPS and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
            for name, sub in value.items():  # a boolean `required` on a property belongs to the parent
                if isinstance(sub, dict) and sub.get("required") is True and name not in required:
                    required.append(name)
        elif key in _CHILD and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in _CHILD_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(sub) for sub in value]
        else:
            out[key] = value
    if required:
        out["required"] = required
    if node.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if isinstance(out.get("enum"), list) and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif kind is None:
            return {"anyOf": [out, {"type": "null"}]}
    return out


def _has_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_has_ref(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_ref(v) for v in node)
    return False
