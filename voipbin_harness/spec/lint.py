"""What is wrong with a VoIPBIN spec, as a list a person can read and a tool can diff.

Five kinds of defect: structural errors from ``openapi-spec-validator`` (re-explained, since its
``oneOf`` messages hide the cause), no ``securitySchemes`` although every operation needs
credentials, operations without an ``operationId``, statuses the gateway is known to send that the
operation does not declare (``conventions.statuses``; the 429 that any operation can get is one
document-wide defect, not one per operation), and fields the gateway sends as null that
the schema does not allow to be null (``SERVER_SET_FIELDS``). Each defect is a ``Finding`` with a
stable id, like every other suite's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from ..conventions.statuses import gateway_statuses
from ..findings import Finding
from .model import Spec

__all__ = ["KINDS", "LintResult", "lint"]

KINDS = {
    "spec.validator": "structural errors (openapi-spec-validator)",
    "spec.security_scheme": "no security scheme declared",
    "spec.operation_id": "operations without operationId",
    "spec.undeclared_status": "statuses the gateway sends that the operation does not declare",
    "spec.nullability": "fields the gateway sends as null that the schema does not allow to be null",
}
_SPELLED_OUT = 5  # a message shared by more operations is printed once, with a count
_NULL_UNTIL = {"tm_update": "updated", "tm_delete": "deleted"}  # BEHAVIOUR.md "Resources"


@dataclass
class LintResult:
    spec: Spec
    findings: list[Finding]

    def counts(self) -> dict[str, int]:
        counted = Counter(f.check for f in self.findings)
        return {kind: counted.get(kind, 0) for kind in KINDS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": {"source": self.spec.source, "title": self.spec.title, "version": self.spec.version,
                     "operations": len(self.spec.operations)},
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def render(self) -> str:
        lines = [f"{self.spec.title} {self.spec.version} ({self.spec.source}): "
                 f"{len(self.spec.operations)} operations, {len(self.findings)} defects"]
        for kind, title in KINDS.items():
            found = [f for f in self.findings if f.check == kind]
            lines.append(f"\n{title}: {len(found)}")
            groups: dict[str, list[str]] = {}
            for finding in found:
                groups.setdefault(finding.message, []).append(finding.operation)
            for message, operations in groups.items():
                if operations == ["*"]:
                    lines.append(f"  - {message}")
                elif len(operations) <= _SPELLED_OUT:
                    lines.extend(f"  - {operation}: {message}" for operation in operations)
                else:
                    sample = ", ".join(operations[:3])
                    lines.append(f"  - {message}: {len(operations)} operations ({sample}, ...)")
        return "\n".join(lines)


def lint(spec: Spec) -> LintResult:
    findings = [*_validator(spec), *_security(spec), *_operation_ids(spec), *_undeclared(spec), *_nullability(spec)]
    for finding in findings:
        finding.suite = "spec"
    return LintResult(spec, findings)


def _validator(spec: Spec) -> list[Finding]:
    version = str(spec.document.get("openapi", "3.0"))
    validator_cls = OpenAPIV31SpecValidator if version.startswith("3.1") else OpenAPIV30SpecValidator
    findings = []
    for error in validator_cls(spec.document).iter_errors():
        path = [str(p) for p in error.absolute_path]
        where = _operation_of(path)
        message = _explain(spec, path, error)
        findings.append(Finding(
            check="spec.validator", operation=where, key="/".join(path), severity="low",
            message=f"{message} (at {' > '.join(path[3:]) or '/'.join(path)})", expected="a valid OpenAPI document",
            got=message, promise="OpenAPI 3.0 specification",
        ))
    return findings


def _explain(spec: Spec, path: list[str], error: Any) -> str:
    """A readable cause: the validator only says 'not valid under any of the oneOf schemas'."""
    node: Any = spec.document
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and "$ref" not in node:
        if len(path) >= 2 and path[-2] == "responses" and "description" not in node:
            return f"response {path[-1]} has no 'description' (required)"
        if len(path) >= 2 and path[-2] == "parameters":
            allowed = {"name", "in", "description", "required", "deprecated", "allowEmptyValue", "style",
                       "explode", "allowReserved", "schema", "example", "examples", "content"}
            unknown = sorted(k for k in node if k not in allowed and not k.startswith("x-"))
            if unknown:
                return f"parameter {node.get('name')!r} has unknown field(s) {', '.join(unknown)}"
    return str(error.message).splitlines()[0][:200]


def _operation_of(path: list[str]) -> str:
    if len(path) >= 3 and path[0] == "paths" and path[2] in ("get", "put", "post", "delete", "patch"):
        return f"{path[2].upper()} {path[1]}"
    return "*"


def _security(spec: Spec) -> list[Finding]:
    schemes = (spec.document.get("components") or {}).get("securitySchemes")
    if schemes:
        return []
    return [Finding(
        check="spec.security_scheme", operation="*", severity="medium",
        message="components.securitySchemes is missing: tools cannot know that every operation needs "
                "a Bearer JWT or an ?accesskey=",
        expected="securitySchemes with bearer JWT and accesskey (query), and a top-level security requirement",
        got="no securitySchemes", promise="docs: 'Authorization: Bearer <jwt>' or '?accesskey=<key>'",
    )]


def _operation_ids(spec: Spec) -> list[Finding]:
    return [Finding(check="spec.operation_id", operation=op.label, severity="low",
                    message="no operationId", expected="an operationId", got="none",
                    promise="OpenAPI best practice; needed for links and generated clients")
            for op in spec.operations if not op.operation_id]


_RATE_LIMITED = "429"  # reported once for the whole document: see _undeclared_429


def _undeclared(spec: Spec) -> list[Finding]:
    findings = []
    without_429: list[str] = []
    for op in spec.operations:
        for status, cause in gateway_statuses(op).items():
            if status in op.declared_statuses or "default" in op.declared_statuses:
                continue
            if status == _RATE_LIMITED:
                without_429.append(op.label)
                continue
            findings.append(Finding(
                check="spec.undeclared_status", operation=op.label, key=status, severity="medium",
                message=f"the gateway answers {status} ({cause}), the spec does not declare it",
                expected=f"{status} among the declared responses", got=", ".join(sorted(op.declared_statuses)),
                promise="BEHAVIOUR.md (gateway source)",
            ))
    if without_429:
        findings.insert(0, _undeclared_429(spec, without_429))
    return findings


def _undeclared_429(spec: Spec, missing: list[str]) -> Finding:
    """ONE defect for the 429 that most operations do not declare, not one per operation.

    The gateway can answer 429 to any /v1.0 operation (its rate limit sits in front of them all),
    so the missing declaration is one omission of the document, fixed in one place (a shared
    response on every operation, or a default); listed per operation it would bury every other
    defect under 400 copies of the same sentence. The contracts suite reports it the same way,
    once (check ``rate_limit_declared``, operation "(spec)", key ``undeclared-429``)."""
    total = len(spec.operations)
    declared = total - len(missing)
    sample = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
    return Finding(
        check="spec.undeclared_status", operation="*", key="429", severity="medium",
        message=f"429 declared by {declared} of {total} operations: the gateway answers 429 (rate limit, per IP "
                f"or per customer) to any /v1.0 operation, {len(missing)} do not declare it",
        expected="429 among the declared responses of every /v1.0 operation (a shared response or a default)",
        got=f"declared by {declared} of {total} operations; missing on {len(missing)} ({sample})",
        promise='BEHAVIOUR.md "Rate limiting": "Any /v1.0 operation can be answered 429."',
    )


def _nullability(spec: Spec) -> list[Finding]:
    """Schemas of created resources whose ``tm_update``/``tm_delete`` cannot be null."""
    findings = []
    seen: set[str] = set()
    for op in spec.operations:
        if op.role != "create":
            continue
        schema = op.responses.get("200") or op.responses.get("201") or op.responses.get("202")
        if not isinstance(schema, dict) or "$ref" not in schema or schema["$ref"] in seen:
            continue
        seen.add(schema["$ref"])
        properties = (spec.resolve(schema) or {}).get("properties") or {}
        for field in _NULL_UNTIL:
            prop = spec.resolve(properties.get(field))
            if isinstance(prop, dict) and not _nullable(prop):
                name = schema["$ref"].rsplit("/", 1)[-1]
                findings.append(Finding(
                    check="spec.nullability", operation=op.label, key=f"{name}.{field}", severity="medium",
                    message=f"{field} is null until the resource is {_NULL_UNTIL[field]}, the created "
                            f"resource's schema does not allow null",
                    expected=f"{field}: nullable: true", got=f"{field}: {prop.get('type', 'untyped')}, not nullable",
                    promise="BEHAVIOUR.md: tm_update and tm_delete are null on create",
                ))
    return findings


def _nullable(prop: dict[str, Any]) -> bool:
    kind = prop.get("type")
    return bool(prop.get("nullable")) or kind is None and "$ref" not in prop and not prop.get("format") \
        or (isinstance(kind, list) and "null" in kind)
