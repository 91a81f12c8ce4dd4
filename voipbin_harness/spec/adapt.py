"""Suites adapt to the spec version they are given (issue 10, item 2).

A suite that names collections or operations ("flows", ``"GET /{}/{{id}}"``) keeps those the spec
has and leaves the others out with a reason that says which operation this spec lacks, for the
report; it never crashes on a ``KeyError``. ``needs`` are ``str.format`` templates with one ``{}``
for the value (``"POST /{}"``, ``"GET /{}/{{id}}"``); a value without needs is kept when any
operation of its collection exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..findings import Finding
from .model import Spec

__all__ = ["SILENT_SPEC_CHECK", "gaps", "present", "silent_spec_finding", "skip_reason"]

#: The check of the one finding about a spec version that declares no error status for operations
#: that refuse input (``silent_spec_finding``); its operation is ``"(spec)"``.
SILENT_SPEC_CHECK = "error_statuses_declared"


def _labels(value: Any, needs: Sequence[str]) -> list[str]:
    return [need.format(value) for need in needs]


def _missing(spec: Spec, value: Any, needs: Sequence[str]) -> list[str]:
    if not needs:
        return [] if any(op.collection == value for op in spec.operations) else [f"any operation on /{value}"]
    return [label for label in _labels(value, needs) if not spec.has(label)]


def present(spec: Spec, values: Iterable[Any], needs: Sequence[str] = ()) -> tuple[Any, ...]:
    """The ``values`` whose needed operations this spec has, in order."""
    return tuple(v for v in values if not _missing(spec, v, needs))


def gaps(spec: Spec, values: Iterable[Any], needs: Sequence[str] = ()) -> dict[Any, str]:
    """``{value: reason}`` for every value left out, the reason naming what the spec lacks."""
    out = {}
    for value in values:
        missing = _missing(spec, value, needs)
        if missing:
            out[value] = skip_reason(spec, missing)
    return out


def skip_reason(spec: Spec, missing: Sequence[str]) -> str:
    """One line for a report: which operations the spec in use does not have."""
    return f"the spec ({spec.source}) has no {', '.join(missing)}"


def silent_spec_finding(answered: dict[str, set[int]], spec: Spec, suite: str) -> Finding:
    """One defect of the spec for every operation that answered an error status of a class its spec
    entry does not declare at all (a version whose operations declare no 4xx): OpenAPI does not
    expect every status listed, so the answer is not the operation's fault, but the spec is silent
    about refusals a client must handle. Reported once a run with a stable id, not once per answer."""
    labels = sorted(answered)
    statuses = sorted({status for found in answered.values() for status in found})
    shown = ", ".join(f"{label} ({'/'.join(map(str, sorted(answered[label])))})" for label in labels[:5])
    more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
    return Finding(check=SILENT_SPEC_CHECK, operation="(spec)", suite=suite, key="no-declared-error-class",
                   message=f"{len(labels)} of {len(spec.operations)} operations refused requests with statuses "
                           f"({', '.join(map(str, statuses))}) of a class their spec entry declares none of",
                   expected="the error statuses an operation answers (or a 4XX/default response) in its spec entry",
                   got=f"{shown}{more}", severity="low",
                   promise="OpenAPI 3.0 Responses Object (documenting errors is expected, not required)")
