"""What changed between two versions of the spec, per operation, and whether it breaks a client.

A pre-release gate: ``spec diff BASE REVISION`` exits 1 when the revision would break a client
written against BASE. Written here rather than taken from PyPI: the OpenAPI diff packages there
(api-schema-diff, schemawatch, ...) are one-author CLIs that do not tell a request's direction from
a response's (a narrowed enum breaks a client in a request, a widened one in a response), do not
follow this spec's ``allOf`` compositions, and do not recognise a moved path; oasdiff is Go.

Rules, for a client of the API (what it sends must stay accepted, what it reads must stay what it
parses):

- operations: removed (``path.removed`` when its whole path went), moved to another template or a
  renamed path parameter (``path.template_changed``) — breaking; added — not;
- parameters and request bodies: newly required, type/format changed, enum narrowed, removed —
  breaking; new optional ones, enums widened, required ones made optional — not;
- responses: a success status changed or removed, a property removed or made optional, a type or
  format changed, an enum widened, a value made nullable — breaking; new properties, new statuses,
  narrowed enums — not.

Operations are matched by method and path shape (parameters as ``{}``); each change names the
operation as BASE spells it (an added one as the revision does).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from .model import Operation, Spec
from .reader import SpecReader

__all__ = ["BREAKING", "NON_BREAKING", "Change", "DiffResult", "changed_since", "diff_specs"]

BREAKING = "breaking"
NON_BREAKING = "non-breaking"
_PARAM = re.compile(r"\{[^}]*\}")
_MAX_DEPTH = 12
_SHOWN = 8  # enum values listed in a message


@dataclass(frozen=True, slots=True)
class Change:
    severity: str  # BREAKING | NON_BREAKING
    operation: str  # "METHOD /path" as BASE spells it
    kind: str  # "parameter.required_added", "response.type_changed", ...
    message: str

    @property
    def breaking(self) -> bool:
        return self.severity == BREAKING


@dataclass
class DiffResult:
    base: Spec
    revision: Spec
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    matched: dict[str, str] = field(default_factory=dict)  # BASE label -> the revision's label

    @property
    def changed_operations(self) -> list[str]:
        """Labels, as the revision spells them, of the operations that changed or are new: what a
        run against the revision should exercise first."""
        seen: dict[str, None] = {}
        for change in self.changes:
            label = change.operation if change.kind == "operation.added" else self.matched.get(change.operation)
            if label is not None:
                seen.setdefault(label, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [asdict(c) for c in self.changes]}

    def report_block(self, limit: int = 100) -> dict[str, Any]:
        """What a run's report says about the change since the previous spec: counts, the changed
        operations, and the first ``limit`` changes, breaking ones first."""
        ordered = self.breaking + [c for c in self.changes if not c.breaking]
        return {"previous": self.base.source, "previous_operations": len(self.base.operations),
                **{k.replace("-", "_"): v for k, v in self.counts().items()},
                "changed_operations": len(self.changed_operations),
                "changes": [asdict(c) for c in ordered[:limit]], "shown": min(limit, len(ordered)),
                "total": len(ordered)}

    def counts(self) -> dict[str, int]:
        return {BREAKING: len(self.breaking), NON_BREAKING: len(self.changes) - len(self.breaking)}

    def headline(self) -> str:
        counts = self.counts()
        return (f"{_describe(self.base)} -> {_describe(self.revision)}: {counts[BREAKING]} breaking, "
                f"{counts[NON_BREAKING]} non-breaking change(s)")

    def render(self, limit: int | None = None) -> str:
        lines = [self.headline()]
        for severity in (BREAKING, NON_BREAKING):
            chosen = [c for c in self.changes if c.severity == severity]
            if not chosen:
                continue
            lines.append(f"\n{severity}: {len(chosen)}")
            shown = chosen if limit is None else chosen[:limit]
            lines.extend(f"  - {c.operation}: {c.message} [{c.kind}]" for c in shown)
            if len(shown) < len(chosen):
                lines.append(f"  ... {len(chosen) - len(shown)} more (--json lists them all)")
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"# spec diff\n\n{self.headline()}\n", "| severity | operation | kind | change |", "|---|---|---|---|"]
        lines += [f"| {c.severity} | `{c.operation}` | {c.kind} | {c.message.replace('|', '/')} |" for c in self.changes]
        return "\n".join(lines) + "\n"


def _describe(spec: Spec) -> str:
    return f"{spec.source} ({spec.title} {spec.version}, {len(spec.operations)} operations)".strip()


def _key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), _PARAM.sub("{}", path)


def diff_specs(base: Spec, revision: Spec) -> DiffResult:
    """Every change from ``base`` to ``revision``, in BASE's operation order, then the added ones."""
    differ = _Differ(base, revision)
    changes = list(differ.run())
    return DiffResult(base, revision, changes, differ.matched)


class _Differ:
    def __init__(self, base: Spec, revision: Spec) -> None:
        self.base, self.revision = base, revision
        self.rb, self.rr = SpecReader(base), SpecReader(revision)
        self.matched: dict[str, str] = {}

    # -- operations ---------------------------------------------------------------------------
    def run(self) -> Iterator[Change]:
        theirs = {_key(op.method, op.path): op for op in self.revision.operations}
        ours = {_key(op.method, op.path) for op in self.base.operations}
        added = [op for key, op in theirs.items() if key not in ours]
        revision_paths = {op.path for op in self.revision.operations}
        for op in self.base.operations:
            other = theirs.get(_key(op.method, op.path))
            if other is None:
                moved = _moved_to(op, added)
                if moved is not None:
                    added.remove(moved)
                    self.matched[op.label] = moved.label
                    yield Change(BREAKING, op.label, "path.template_changed",
                                 f"moved to {moved.label} (clients calling {op.path} get 404)")
                    yield from self._operation(op, moved)
                elif op.path not in revision_paths:
                    yield Change(BREAKING, op.label, "path.removed", f"the path {op.path} is gone, with this operation")
                else:
                    yield Change(BREAKING, op.label, "operation.removed", f"{op.method} is no longer on {op.path}")
                continue
            self.matched[op.label] = other.label
            if other.path != op.path:
                yield Change(BREAKING, op.label, "path.template_changed",
                             f"path template changed to {other.path} (same URL; generated clients' argument names change)")
            yield from self._operation(op, other)
        for op in added:
            yield Change(NON_BREAKING, op.label, "operation.added", "new operation")

    def _operation(self, old: Operation, new: Operation) -> Iterator[Change]:
        if old.raw == new.raw and old.parameters == new.parameters and self._same_components():
            return
        yield from self._parameters(old, new)
        yield from self._request_body(old, new)
        yield from self._responses(old, new)

    def _same_components(self) -> bool:
        same = getattr(self, "_same", None)
        if same is None:
            same = self._same = self.base.document.get("components") == self.revision.document.get("components")
        return same

    # -- parameters ---------------------------------------------------------------------------
    def _parameters(self, old: Operation, new: Operation) -> Iterator[Change]:
        label = old.label
        before = {(p.get("in"), p.get("name")): p for p in old.parameters if p.get("in") != "path"}
        after = {(p.get("in"), p.get("name")): p for p in new.parameters if p.get("in") != "path"}
        for key, param in before.items():
            where, name = key
            if key not in after:
                yield Change(BREAKING, label, "parameter.removed", f"{where} parameter {name!r} removed")
                continue
            now = after[key]
            if now.get("required") and not param.get("required"):
                yield Change(BREAKING, label, "parameter.became_required", f"{where} parameter {name!r} is now required")
            elif param.get("required") and not now.get("required"):
                yield Change(NON_BREAKING, label, "parameter.became_optional", f"{where} parameter {name!r} is now optional")
            yield from self._schema(label, f"{where} parameter {name!r}", param.get("schema"), now.get("schema"),
                                    "request", "parameter", 0, set())
        for key, param in after.items():
            if key in before:
                continue
            where, name = key
            if param.get("required"):
                yield Change(BREAKING, label, "parameter.required_added", f"new required {where} parameter {name!r}")
            else:
                yield Change(NON_BREAKING, label, "parameter.added", f"new optional {where} parameter {name!r}")
        for was, name in zip(old.path_params, new.path_params, strict=False):
            yield from self._schema(label, f"path parameter {was!r}", _path_schema(old, was), _path_schema(new, name),
                                    "request", "parameter", 0, set())

    # -- request body -------------------------------------------------------------------------
    def _request_body(self, old: Operation, new: Operation) -> Iterator[Change]:
        label = old.label
        before = self.rb.resolve(old.raw.get("requestBody"))
        after = self.rr.resolve(new.raw.get("requestBody"))
        if not before and not after:
            return
        if before and not after:
            yield Change(BREAKING, label, "request_body.removed", "the request body was removed")
            return
        if after and not before:
            required = bool(after.get("required"))
            yield Change(BREAKING if required else NON_BREAKING, label,
                         "request_body.required_added" if required else "request_body.added",
                         f"new {'required' if required else 'optional'} request body")
            return
        if after.get("required") and not before.get("required"):
            yield Change(BREAKING, label, "request_body.became_required", "the request body is now required")
        media_before, media_after = before.get("content") or {}, after.get("content") or {}
        for media in media_before:
            if media not in media_after:
                yield Change(BREAKING, label, "request_body.media_type_removed", f"request body no longer accepts {media}")
                continue
            yield from self._schema(label, "request body", (media_before[media] or {}).get("schema"),
                                    (media_after[media] or {}).get("schema"), "request", "request", 0, set())

    # -- responses ----------------------------------------------------------------------------
    def _responses(self, old: Operation, new: Operation) -> Iterator[Change]:
        label = old.label
        before, after = set(old.responses), set(new.responses)
        ok_before = sorted(s for s in before if s.startswith("2"))
        ok_after = sorted(s for s in after if s.startswith("2"))
        gone = [s for s in ok_before if s not in after]
        if gone:
            if ok_after:
                yield Change(BREAKING, label, "response.success_status_changed",
                             f"success status {', '.join(gone)} changed to {', '.join(ok_after)}")
            else:
                yield Change(BREAKING, label, "response.success_status_removed",
                             f"success status {', '.join(gone)} removed")
        for status in sorted(after - before):
            if status.startswith("2") and gone:
                continue  # reported with the change above
            yield Change(NON_BREAKING, label, "response.status_added", f"new response status {status}")
        for status in sorted(before - after):
            if not status.startswith("2"):
                yield Change(NON_BREAKING, label, "response.status_removed", f"response status {status} no longer declared")
        for status in sorted(before & after):
            yield from self._schema(label, f"response {status}", old.responses[status], new.responses[status],
                                    "response", "response", 0, set())
        if len(gone) == 1 and len(ok_after) == 1 and ok_after[0] not in before:
            yield from self._schema(label, f"response {gone[0]}->{ok_after[0]}", old.responses[gone[0]],
                                    new.responses[ok_after[0]], "response", "response", 0, set())

    # -- schemas ------------------------------------------------------------------------------
    def _schema(self, label: str, where: str, old: Any, new: Any, direction: str, prefix: str, depth: int,
                seen: set[tuple[str, str]]) -> Iterator[Change]:
        """Changes between two schemas read in ``direction`` ("request": the client writes it;
        "response": the client reads it)."""
        if old is None or new is None or depth > _MAX_DEPTH:
            return
        refs = (_ref(old), _ref(new))
        if refs[0] and refs[1]:
            if refs in seen:
                return
            seen = seen | {refs}
        a, b = self.rb.flat(old), self.rr.flat(new)
        if not a or not b or a == b and refs[0] == refs[1] and self._same_components():
            return
        reading = direction == "response"
        kind_a, kind_b = _type(self.rb, a), _type(self.rr, b)
        if kind_a and kind_b and kind_a != kind_b:
            yield Change(BREAKING, label, f"{prefix}.type_changed", f"{where}: type {kind_a} changed to {kind_b}")
            return
        yield from self._enum(label, where, a.get("enum"), b.get("enum"), reading, prefix)
        null_a, null_b = _nullable(a), _nullable(b)
        if reading and null_b and not null_a:
            yield Change(BREAKING, label, f"{prefix}.nullable_added", f"{where}: may now be null")
        elif not reading and null_a and not null_b:
            yield Change(BREAKING, label, f"{prefix}.nullable_removed", f"{where}: null is no longer accepted")
        if "items" in a and "items" in b:
            yield from self._schema(label, f"{where}[]", a["items"], b["items"], direction, prefix, depth + 1, seen)
        props_a, props_b = a.get("properties") or {}, b.get("properties") or {}
        if not isinstance(props_a, dict) or not isinstance(props_b, dict):
            return
        req_a, req_b = set(a.get("required") or []), set(b.get("required") or [])
        for name, sub in props_a.items():
            path = f"{where}.{name}"
            if name not in props_b:
                if reading:
                    yield Change(BREAKING, label, f"{prefix}.property_removed", f"{path} removed")
                else:
                    closed = b.get("additionalProperties") is False
                    yield Change(BREAKING if closed else NON_BREAKING, label, f"{prefix}.property_removed",
                                 f"{path} removed" + (" (and unknown properties are refused)" if closed else ""))
                continue
            if reading and name in req_a and name not in req_b:
                yield Change(BREAKING, label, f"{prefix}.property_optional", f"{path} is no longer always present")
            if not reading and name in req_b and name not in req_a:
                yield Change(BREAKING, label, f"{prefix}.property_required", f"{path} is now required")
            yield from self._schema(label, path, sub, props_b[name], direction, prefix, depth + 1, seen)
        for name in props_b:
            if name in props_a:
                continue
            if not reading and name in req_b:
                yield Change(BREAKING, label, f"{prefix}.property_required", f"new required property {where}.{name}")
            else:
                yield Change(NON_BREAKING, label, f"{prefix}.property_added", f"new property {where}.{name}")

    @staticmethod
    def _enum(label: str, where: str, old: Any, new: Any, reading: bool, prefix: str) -> Iterator[Change]:
        if not isinstance(old, list) and not isinstance(new, list):
            return
        if not isinstance(new, list):  # the enum was dropped: any value now
            yield Change(BREAKING if reading else NON_BREAKING, label,
                         f"{prefix}.enum_widened", f"{where}: no longer limited to {_values(old)}")
            return
        if not isinstance(old, list):
            yield Change(NON_BREAKING if reading else BREAKING, label,
                         f"{prefix}.enum_narrowed", f"{where}: now limited to {_values(new)}")
            return
        removed = [v for v in old if v not in new]
        added = [v for v in new if v not in old]
        if removed:
            yield Change(NON_BREAKING if reading else BREAKING, label, f"{prefix}.enum_narrowed",
                         f"{where}: {_values(removed)} no longer allowed")
        if added:
            yield Change(BREAKING if reading else NON_BREAKING, label, f"{prefix}.enum_widened",
                         f"{where}: new value(s) {_values(added)}")


def _moved_to(op: Operation, added: list[Operation]) -> Operation | None:
    """The added operation ``op`` most likely became: same operationId, else same method and path
    shape differing in exactly one static segment."""
    if op.operation_id:
        same_id = [o for o in added if o.operation_id == op.operation_id and o.method == op.method]
        if len(same_id) == 1:
            return same_id[0]
    mine = op.path.split("/")
    candidates = []
    for other in added:
        theirs = other.path.split("/")
        if other.method != op.method or len(theirs) != len(mine):
            continue
        differing = [(x, y) for x, y in zip(mine, theirs, strict=True) if x != y]
        if len(differing) == 1 and not any(_PARAM.fullmatch(s) for s in differing[0]):
            candidates.append(other)
    return candidates[0] if len(candidates) == 1 else None


def _path_schema(op: Operation, name: str) -> Any:
    param = op.param("path", name)
    return param.get("schema") if param else None


def _ref(node: Any) -> str:
    return node.get("$ref", "") if isinstance(node, dict) else ""


def _type(reader: SpecReader, flat: dict[str, Any]) -> str | None:
    kind = reader.kind(flat)
    if isinstance(kind, list):
        kind = "|".join(sorted(str(k) for k in kind if k != "null"))
    if kind is None:
        return None
    fmt = flat.get("format")
    return f"{kind} ({fmt})" if isinstance(fmt, str) and fmt else kind


def _nullable(flat: dict[str, Any]) -> bool:
    kind = flat.get("type")
    return flat.get("nullable") is True or (isinstance(kind, list) and "null" in kind)


def _values(values: Any) -> str:
    listed = [repr(v) for v in (values or [])]
    shown = ", ".join(listed[:_SHOWN])
    return shown + (f", ... ({len(listed)} in all)" if len(listed) > _SHOWN else "")


def changed_since(previous: str, spec: Spec) -> set[str]:
    """Labels of ``spec``'s operations that are new or changed since the spec at ``previous`` (a
    file, directory, URL, ``pinned`` or ``live``): what a run should exercise first."""
    from .model import load_spec

    return set(diff_specs(load_spec(previous), spec).changed_operations)
