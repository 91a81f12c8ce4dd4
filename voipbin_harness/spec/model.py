"""The spec as the harness uses it: operations with resolved parameters, bodies and responses.

The spec has no links and few ``operationId``s, so every part of the harness names an operation
by ``"METHOD /path/template"`` (its ``label``) and derives CRUD roles from the path's shape:
``/flows`` GET lists and POST creates, ``/flows/{id}`` GET reads, PUT updates and DELETE deletes,
anything deeper is a sub-resource or an action. One place decides that, here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .loader import default_spec_source, load_document, resolve_source

__all__ = ["METHODS", "MissingOperation", "Operation", "Spec", "load_spec"]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_PARAM = re.compile(r"^\{[^}]+\}$")


class MissingOperation(KeyError):
    """A suite named an operation this version of the spec does not have: a reason to skip what
    needs it (with this message), never a crash. A ``KeyError`` for the callers that expect one."""

    def __init__(self, label: str, source: str) -> None:
        super().__init__(label)
        self.label = label
        self.source = source

    def __str__(self) -> str:
        return f"the spec ({self.source}) has no operation {self.label}"


@dataclass(slots=True)
class Operation:
    method: str  # upper case
    path: str  # template, relative to the base path: "/flows/{id}"
    raw: dict[str, Any] = field(repr=False)
    parameters: list[dict[str, Any]] = field(repr=False)  # resolved, path-level merged in
    request_schema: dict[str, Any] | None = field(repr=False)  # JSON body schema ($refs intact)
    responses: dict[str, dict[str, Any] | None] = field(repr=False)  # status -> JSON schema or None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def operation_id(self) -> str | None:
        return self.raw.get("operationId")

    @property
    def tags(self) -> list[str]:
        return list(self.raw.get("tags") or [])

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    @property
    def collection(self) -> str:
        """First static segment: the resource family (``flows``, ``service_agents``...)."""
        return self.segments[0] if self.segments else ""

    @property
    def declared_statuses(self) -> set[str]:
        return set(self.responses)

    def declares_class(self, status: int) -> bool:
        """Whether this operation declares any status of ``status``'s class (``4XX``, ``default``
        included). An operation that declares none is silent about them, not promising their absence."""
        first = str(status)[0]
        return any(code == "default" or code[:1] == first for code in self.declared_statuses)

    @property
    def path_params(self) -> list[str]:
        return [s[1:-1] for s in self.segments if _PARAM.match(s)]

    def param(self, location: str, name: str) -> dict[str, Any] | None:
        return next((p for p in self.parameters if p.get("in") == location and p.get("name") == name), None)

    @property
    def is_paginated(self) -> bool:
        return self.method == "GET" and self.param("query", "page_size") is not None

    @property
    def role(self) -> str:
        """``list``, ``create``, ``read``, ``update``, ``delete`` (collection CRUD on the last two
        segments), ``singleton`` (static path read/written as one object) or ``action``."""
        segs = self.segments
        last_is_param = bool(segs) and bool(_PARAM.match(segs[-1]))
        if not last_is_param:
            if self.method == "GET":
                return "list" if self.is_paginated else "singleton"
            if self.method == "POST" and self._has_item_route:
                return "create"
            if self.method == "PUT" and not any(_PARAM.match(s) for s in segs):
                return "singleton"
            return "action"
        return {"GET": "read", "PUT": "update", "DELETE": "delete"}.get(self.method, "action")

    # set by Spec: whether "{path}/{id}" exists, so that POST /path creates items of it
    _has_item_route: bool = field(default=False, repr=False)


class Spec:
    """A loaded spec: the raw document plus its operations, in document order."""

    def __init__(self, document: dict[str, Any], source: str = "<memory>") -> None:
        self.document = document
        self.source = source
        self.operations: list[Operation] = self._build()
        self._by_label = {op.label: op for op in self.operations}

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", ""))

    @property
    def version(self) -> str:
        return str(self.document.get("info", {}).get("version", ""))

    @cached_property
    def base_path(self) -> str:
        """The path part of the first ``servers`` URL (``/v1.0``), or ``""``."""
        from urllib.parse import urlsplit

        servers = self.document.get("servers") or []
        url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
        return urlsplit(url).path.rstrip("/")

    def operation(self, label: str) -> Operation:
        """The operation ``"METHOD /path"``; ``MissingOperation`` when this spec has none."""
        try:
            return self._by_label[label]
        except KeyError:
            raise MissingOperation(label, self.source) from None

    def has(self, *labels: str) -> bool:
        """Whether this spec has every one of ``labels``."""
        return all(label in self._by_label for label in labels)

    def resolve(self, node: Any) -> Any:
        """Follow ``$ref``s into this document until a non-reference node is reached."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 32:
            node = self.pointer(node["$ref"])
            seen += 1
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise KeyError(f"external reference {ref!r} is not supported")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[part]
        return node

    def _build(self) -> list[Operation]:
        operations: list[Operation] = []
        paths = self.document.get("paths") or {}
        for path, item in paths.items():
            item = self.resolve(item) or {}
            shared = [self.resolve(p) for p in item.get("parameters", [])]
            for method in METHODS:
                raw = item.get(method)
                if not isinstance(raw, dict):
                    continue
                own = [self.resolve(p) for p in raw.get("parameters", [])]
                keys = {(p.get("in"), p.get("name")) for p in own}
                params = own + [p for p in shared if (p.get("in"), p.get("name")) not in keys]
                operations.append(Operation(
                    method=method.upper(), path=path, raw=raw, parameters=params,
                    request_schema=self._json_schema(self.resolve(raw.get("requestBody"))),
                    responses={str(code): self._json_schema(self.resolve(resp))
                               for code, resp in (raw.get("responses") or {}).items()},
                ))
        item_parents = {op.path.rsplit("/", 1)[0] for op in operations if _PARAM.match(op.segments[-1] if op.segments else "")}
        for op in operations:
            op._has_item_route = op.path in item_parents
        return operations

    @staticmethod
    def _json_schema(container: Any) -> dict[str, Any] | None:
        if not isinstance(container, dict):
            return None
        content = container.get("content") or {}
        for media, body in content.items():
            if "json" in media and isinstance(body, dict) and "schema" in body:
                return body["schema"]
        return None


def load_spec(source: str | None = None) -> Spec:
    """Load and model the spec from ``source`` (default: ``default_spec_source()``)."""
    source = resolve_source(source) if source else default_spec_source()
    return Spec(load_document(source), source)
