"""The route table, compiled once from the spec (stripe-mock's ``initializeRouter``).

Every operation under the base path becomes a ``Route``; static paths are one dict lookup, the
rest are bucketed by segment count and tried with static segments before parameters. ``match``
answers Starlette's NONE / PARTIAL (the path exists, the method does not) / FULL.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..conventions.resources import INSUFFICIENT_BALANCE_OPERATIONS, invalid_id_reason, is_id_param
from ..spec import Operation, Spec
from .catalog import Catalog, RouteInfo

__all__ = ["Match", "Route", "Router", "compile_routes"]


class Match(enum.IntEnum):
    NONE = 0
    PARTIAL = 1  # the path is known, not with this method
    FULL = 2


@dataclass(eq=False)
class Route:
    """One operation, ready to answer."""

    op: Operation
    info: RouteInfo
    segments: tuple[str | None, ...]  # None where the template has a parameter
    names: tuple[str, ...]  # parameter names, in path order
    id_reasons: dict[str, str] = field(default_factory=dict)  # id param -> reason for a malformed UUID
    param_schemas: dict[str, Any] = field(default_factory=dict)
    spends: bool = False
    permission: int = 0  # bits the caller needs (0: any authenticated caller); set by auth

    @property
    def label(self) -> str:
        return self.op.label

    @property
    def kind(self) -> str:
        return self.info.kind


class Router:
    """``match(method, path)`` over the compiled routes; ``path`` is relative to the base path.

    ``strict`` (the conformant profile) follows OpenAPI: the path alone picks its template, the most
    specific one (a static segment beats a parameter, left to right), and that template's methods
    decide FULL or PARTIAL (405, its ``Allow``). Without it (the gateway, gin's per-method trees) a
    method is looked up in every template that fits the path, most specific first.
    Matching never looks at parameter values: a malformed id reaches its operation, which answers 400.
    """

    def __init__(self, routes: list[Route], strict: bool = False) -> None:
        self.routes = routes
        self.strict = strict
        self._static: dict[str, dict[str, Route]] = {}
        self._dynamic: dict[int, list[tuple[tuple[str | None, ...], dict[str, Route]]]] = {}
        grouped: dict[tuple[str | None, ...], dict[str, Route]] = {}
        for route in routes:
            if all(seg is not None for seg in route.segments):
                self._static.setdefault("/" + "/".join(route.segments), {})[route.op.method] = route  # type: ignore[arg-type]
            else:
                grouped.setdefault(route.segments, {})[route.op.method] = route
        for segments, methods in grouped.items():
            self._dynamic.setdefault(len(segments), []).append((segments, methods))
        for bucket in self._dynamic.values():  # static segments beat parameters, left to right
            bucket.sort(key=lambda entry: tuple(seg is None for seg in entry[0]))

    @property
    def path_count(self) -> int:
        return len(self._static) + sum(len(b) for b in self._dynamic.values())

    def _templates(self, path: str) -> Iterator[tuple[dict[str, Route], list[str]]]:
        """Every template that fits ``path``, most specific first, with the raw parameter values."""
        methods = self._static.get(path)
        if methods is not None:
            yield methods, []
        parts = path.split("/")[1:] if path.startswith("/") else []
        for segments, methods in self._dynamic.get(len(parts), ()):
            values: list[str] = []
            for want, got in zip(segments, parts, strict=True):
                if want is None:
                    if not got:
                        break
                    values.append(got)
                elif want != got:
                    break
            else:
                yield methods, values

    def match(self, method: str, path: str) -> tuple[Match, Route | None, dict[str, str], set[str]]:
        """(match, route, decoded path params, methods the path allows when not FULL)."""
        allowed: set[str] = set()
        for methods, values in self._templates(path):
            route = methods.get(method)
            if route is not None:
                return Match.FULL, route, {n: unquote(v) for n, v in zip(route.names, values, strict=True)}, set()
            allowed.update(methods)
            if self.strict:
                break
        return (Match.PARTIAL if allowed else Match.NONE), None, {}, allowed


def compile_routes(spec: Spec, catalog: Catalog) -> list[Route]:
    """One ``Route`` per operation; raises ValueError naming an operation it cannot compile."""
    routes: list[Route] = []
    spending = set(INSUFFICIENT_BALANCE_OPERATIONS)
    for op in spec.operations:
        try:
            segments = tuple(None if s.startswith("{") else s for s in op.segments)
            names = tuple(s[1:-1] for s in op.segments if s.startswith("{"))
            schemas = {p["name"]: p.get("schema") or {} for p in op.parameters if p.get("in") == "path"}
            route = Route(op, catalog.route_info(op, spec.base_path), segments, names,
                          id_reasons={n: invalid_id_reason(schemas.get(n)) for n in names if is_id_param(n)},
                          param_schemas=schemas, spends=(op.method, op.path) in spending)
        except Exception as exc:  # fail fast, naming the operation
            raise ValueError(f"cannot compile {op.label}: {exc}") from exc
        routes.append(route)
    return routes
