"""What the spec's paths mean as resources: collections, their item schemas, and each route's kind.

Compiled once at start-up from path shapes and ``Operation.role`` (no per-resource code): a
collection is a path that has ``/{id}`` item routes or a list; ``/service_agents/X`` shares the
store of ``/X`` when both return the same schema; a sub-collection whose operations answer with
the parent's schema (``POST /contacts/{id}/addresses`` returns the contact) lives *inside* the
parent item, in its array field of that name (``addresses``, or ``tag_ids`` for ``tags``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..conventions.resources import SINGLETONS, WEBSOCKET_SEGMENTS, is_id_param, resource_of
from ..spec import Operation, Spec
from .schemas import SchemaTools

__all__ = ["SERVICE_PREFIX", "Catalog", "CollectionSpec", "normalise"]

SERVICE_PREFIX = "/service_agents"
#: The collection that holds each singleton's object (``/me`` is the calling agent).
_SINGLETON_HOME = {"me": "/agents"}


def normalise(template: str) -> str:
    """``/outdials/{id}/targets/{target_id}`` -> ``/outdials/{}/targets/{}`` (names do not matter)."""
    return "/".join("{}" if seg.startswith("{") else seg for seg in template.split("/"))


@dataclass(eq=False)
class CollectionSpec:
    """One collection of the spec: ``/flows``, ``/outdials/{}/targets``..."""

    key: str
    resource: str  # the key of the conventions.resources tables
    depth: int  # number of parent ids
    item_schema: Any = None
    has_list: bool = False
    has_create: bool = False
    list_shape: str = "wrapped"
    embedded_field: str | None = None  # items live in this array field of the parent item
    embedded_ids: bool = False  # that field holds ids (``tag_ids``), not objects
    parent: CollectionSpec | None = None

    @property
    def virtual(self) -> bool:
        """No list and no create: its ids name items of other collections (``/recordingfiles/{id}``)."""
        return not self.has_list and not self.has_create and self.embedded_field is None


@dataclass(eq=False)
class RouteInfo:
    """What one operation does, as the handlers need it."""

    kind: str  # list|create|read|update|delete|sub_create|sub_update|sub_delete|singleton|action|websocket|download|auth_stub
    collection: CollectionSpec | None = None
    ids: tuple[tuple[str, CollectionSpec | None], ...] = ()  # id params in order, with the collection each names
    singleton: str | None = None
    success_status: int = 200
    success_schema: Any = None
    success_media: str | None = None
    declared: tuple[int, ...] = ()


class Catalog:
    """Collections and route kinds for a spec."""

    def __init__(self, spec: Spec, tools: SchemaTools) -> None:
        self.spec = spec
        self.tools = tools
        self.collections: dict[str, CollectionSpec] = {}
        self._aliases: dict[str, str] = {}
        self._build()

    def collection(self, key: str) -> CollectionSpec | None:
        return self.collections.get(self._aliases.get(key, key))

    def singleton_home(self, name: str) -> CollectionSpec | None:
        return self.collection(_SINGLETON_HOME.get(name, f"/{name}s"))

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        ops = self.spec.operations
        for op in ops:
            segs = op.segments
            if segs and segs[-1].startswith("{"):
                self._ensure(normalise("/" + "/".join(segs[:-1])))
            elif op.method == "GET" and self.tools.list_shape(self._success(op)[1]) is not None:
                self._ensure(normalise(op.path))
        for op in ops:
            key = normalise(op.path)
            coll = self.collections.get(key)
            if coll is None:
                continue
            schema = self._success(op)[1]
            if op.method == "GET":
                shape = self.tools.list_shape(schema)
                if shape is not None:
                    coll.has_list, coll.list_shape = True, shape[0]
                    coll.item_schema = coll.item_schema or shape[1]
            elif op.method == "POST":
                coll.has_create = True
        for op in ops:  # the item routes' own schema is the best description of an item
            segs = op.segments
            if op.method == "GET" and segs and segs[-1].startswith("{"):
                coll = self.collections[normalise("/" + "/".join(segs[:-1]))]
                schema = self._success(op)[1]
                if schema is not None and self.tools.kind(schema) == "object":
                    coll.item_schema = schema
        for op in ops:  # still unknown: what a create or an update answers
            coll = self._target_collection(op)
            if coll is not None and coll.item_schema is None and op.method in ("POST", "PUT", "DELETE"):
                coll.item_schema = self._success(op)[1]
        for coll in self.collections.values():
            self._link_parent(coll)
        for key, coll in self.collections.items():
            if key.startswith(SERVICE_PREFIX + "/"):
                base = self.collections.get(key[len(SERVICE_PREFIX):])
                if base is not None and self.tools.ref(base.item_schema) == self.tools.ref(coll.item_schema):
                    self._aliases[key] = base.key

    def _ensure(self, key: str) -> CollectionSpec:
        coll = self.collections.get(key)
        if coll is None:
            coll = self.collections[key] = CollectionSpec(key, resource_of(key), key.count("{}"))
        return coll

    def _target_collection(self, op: Operation) -> CollectionSpec | None:
        segs = op.segments
        if segs and segs[-1].startswith("{"):
            return self.collections.get(normalise("/" + "/".join(segs[:-1])))
        return self.collections.get(normalise(op.path))

    def _link_parent(self, coll: CollectionSpec) -> None:
        segs = coll.key.split("/")
        if len(segs) < 3 or segs[-2] != "{}":
            return
        parent = self.collections.get("/".join(segs[:-2]))
        coll.parent = parent
        if parent is None or parent.item_schema is None:
            return
        item_ref = self.tools.ref(coll.item_schema)
        if item_ref is None or item_ref != self.tools.ref(parent.item_schema):
            return
        props = self.tools.properties(parent.item_schema)
        name = segs[-1]
        singular_ids = (name[:-1] if name.endswith("s") else name) + "_ids"
        if name in props and self.tools.kind(props[name]) == "array":
            coll.embedded_field = name
            coll.item_schema = self.tools.flat(props[name]).get("items") or {}
        elif singular_ids in props:
            coll.embedded_field, coll.embedded_ids = singular_ids, True
            coll.item_schema = {"type": "string"}

    # -- routes -------------------------------------------------------------------------------
    def route_info(self, op: Operation, base_path: str) -> RouteInfo:
        status, schema, media = self._success(op)
        declared = tuple(sorted(int(c) for c in op.responses if c.isdigit()))
        info = RouteInfo("action", success_status=status, success_schema=schema, success_media=media,
                         declared=declared)
        segs = op.segments
        info.ids = tuple((name, self.collection(normalise("/" + "/".join(segs[:i]))))
                         for i, seg in enumerate(segs)
                         if seg.startswith("{") and is_id_param(name := seg[1:-1]))
        core = segs[1:] if segs[:1] == [SERVICE_PREFIX[1:]] else segs
        last_param = bool(segs) and segs[-1].startswith("{")
        if segs and segs[0] == "auth":
            info.kind = "auth_stub"
        elif segs and segs[-1] in WEBSOCKET_SEGMENTS:
            info.kind = "websocket"
        elif 300 <= status < 400:
            info.kind = "download"
        elif core and core[0] in SINGLETONS and not any(s.startswith("{") for s in segs) and op.method in ("GET", "PUT"):
            info.kind, info.singleton = "singleton", core[0]
        elif last_param and op.method in ("GET", "PUT", "DELETE"):
            target = self._target_collection(op)
            info.collection = self.collection(target.key) if target is not None else None
            prefix = "sub_" if info.collection is not None and info.collection.embedded_field else ""
            info.kind = prefix + {"GET": "read", "PUT": "update", "DELETE": "delete"}[op.method]
            if info.kind == "sub_read":
                info.kind = "read"
        elif not last_param:
            coll = self.collection(normalise(op.path))
            if coll is not None and op.method == "GET" and coll.has_list and self.tools.list_shape(schema):
                info.kind, info.collection = "list", coll
            elif coll is not None and op.method == "POST":
                info.kind, info.collection = ("sub_create" if coll.embedded_field else "create"), coll
        return info

    def _success(self, op: Operation) -> tuple[int, Any, str | None]:
        """The first declared non-error status, its JSON schema and its media type."""
        codes = sorted(c for c in op.responses if c.isdigit() and int(c) < 400)
        if not codes:
            return 200, None, None
        code = codes[0]
        raw = self.tools.resolve((op.raw.get("responses") or {}).get(code))
        content = raw.get("content") or {}
        media = next(iter(content), None)
        return int(code), op.responses.get(code), media
