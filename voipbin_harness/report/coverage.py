"""The run's API coverage: every suite's ``coverage.json`` held against the spec, one entry per operation.

``coverage.json`` in the report dir answers what peers (TraceCov, swagger-coverage) measure: per
operation of the spec, the suites that exercised it, the declared statuses seen and never seen,
the undeclared statuses seen, positive and negative cases, the query parameters and enum values
tried. An operation the run never reached is listed too (all zeros), so the file always has one
entry per operation of the spec and a reader can see the gaps. What the suites sent outside the
spec (``/auth/login``, a wrong method) is listed apart under ``outside_spec``.

The same records say which ``(suite, check, operation)`` was judged in this run and how: the evidence
``baseline.classify`` needs before calling a known deviation fixed (``check_evidence``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..coverage import NEGATIVE, POSITIVE, read_suite_coverage
from ..spec import Operation, Spec

__all__ = ["COVERAGE_FORMAT", "build_coverage", "check_evidence", "coverage_gate", "html_rows", "read_records",
           "summary_block"]

COVERAGE_FORMAT = "voipbin-harness/coverage-report/1"
HTML_ROWS = 600  # the page's table is capped (the spec has 410): everything is in coverage.json


def read_records(report_dir: Path, suites: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{suite: {operation: record}}`` for every suite folder that holds a record."""
    records = {}
    for suite in suites:
        record = read_suite_coverage(report_dir / suite)
        if record:
            records[suite] = record
    return records


def check_evidence(records: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[tuple[str, str, str], dict[str, int]]:
    """``{(suite, check, operation): {"passed": n, "failed": n, "cut": n}}``: how often each check judged
    each operation and how it came out, and how often the suite's time budget held cases of that operation
    back (``cut``): the evidence ``baseline.classify`` asks for before "fixed"."""
    evidence: dict[tuple[str, str, str], dict[str, int]] = {}
    for suite, operations in records.items():
        for operation, record in operations.items():
            cut = int(record.get("cut") or 0)
            for check, counts in (record.get("checks") or {}).items():
                passed, failed = int((counts or {}).get("passed", 0)), int((counts or {}).get("failed", 0))
                if passed or failed:
                    evidence[(suite, check, operation)] = {"passed": passed, "failed": failed, "cut": cut}
    return evidence


def _declares(declared: set[str], status: int) -> str | None:
    """The declared code ``status`` falls under (exact, ``4XX`` class, ``default``), or None."""
    exact = str(status)
    if exact in declared:
        return exact
    family = f"{exact[0]}XX"
    if family in declared:
        return family
    return "default" if "default" in declared else None


def _query_enums(operation: Operation, spec: Spec) -> tuple[list[str], dict[str, list[str]]]:
    names, enums = [], {}
    for param in operation.parameters:
        if param.get("in") != "query":
            continue
        names.append(str(param.get("name")))
        schema = spec.resolve(param.get("schema") or {})
        if isinstance(schema, dict) and isinstance(schema.get("enum"), list):
            enums[str(param.get("name"))] = [str(v) for v in schema["enum"]]
    if operation.request_schema is not None:
        body = spec.resolve(operation.request_schema)
        for name, prop in ((body.get("properties") or {}) if isinstance(body, dict) else {}).items():
            prop = spec.resolve(prop)
            if isinstance(prop, dict) and isinstance(prop.get("enum"), list):
                enums[f"body.{name}"] = [str(v) for v in prop["enum"]]
    return names, enums


def _entry(operation: Operation, spec: Spec, by_suite: dict[str, dict[str, Any]]) -> dict[str, Any]:
    declared = {str(code) for code in operation.declared_statuses}
    seen: dict[str, int] = {}
    cases = {POSITIVE: 0, NEGATIVE: 0}
    tried: set[str] = set()
    enum_tried: dict[str, set[str]] = {}
    checks: dict[str, dict[str, int]] = {}
    for record in by_suite.values():
        for status, n in (record.get("statuses") or {}).items():
            seen[status] = seen.get(status, 0) + int(n)
        for kind in cases:
            cases[kind] += int((record.get("cases") or {}).get(kind, 0))
        tried.update(record.get("parameters") or [])
        for name, values in (record.get("enum_values") or {}).items():
            enum_tried.setdefault(name, set()).update(values)
        for name, counts in (record.get("checks") or {}).items():
            into = checks.setdefault(name, {"passed": 0, "failed": 0, "skipped": 0})
            for outcome in into:
                into[outcome] += int((counts or {}).get(outcome, 0))
    covered_codes = {_declares(declared, int(s)) for s in seen if s.isdigit()}
    undeclared = sorted((s for s in seen if s.isdigit() and _declares(declared, int(s)) is None), key=int)
    names, enums = _query_enums(operation, spec)
    exercised = cases[POSITIVE] + cases[NEGATIVE] > 0
    return {
        "operation": operation.label,
        "suites": sorted(s for s, r in by_suite.items() if sum((r.get("cases") or {}).values()) > 0),
        "exercised": exercised,
        "statuses": {"declared_seen": sorted(declared & covered_codes),
                     "declared_unseen": sorted(declared - covered_codes),
                     "undeclared_seen": undeclared,
                     "counts": dict(sorted(seen.items()))},
        "cases": cases,
        "parameters": {"tried": sorted(set(names) & tried), "untried": sorted(set(names) - tried)},
        "enum_values": {name: {"tried": [v for v in values if v in enum_tried.get(name, set())],
                               "untried": [v for v in values if v not in enum_tried.get(name, set())]}
                        for name, values in sorted(enums.items())},
        "checks": dict(sorted(checks.items())),
    }


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def build_coverage(spec: Spec, records: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The ``coverage.json`` document: one entry per operation of ``spec``, totals, what fell outside."""
    labels = {op.label for op in spec.operations}
    operations = []
    for operation in spec.operations:
        by_suite = {suite: dict(ops[operation.label]) for suite, ops in records.items() if operation.label in ops}
        operations.append(_entry(operation, spec, by_suite))
    outside: dict[str, dict[str, Any]] = {}
    for suite, ops in records.items():
        for label, record in ops.items():
            if label in labels:
                continue
            into = outside.setdefault(label, {"operation": label, "suites": [], "statuses": {}})
            into["suites"] = sorted({*into["suites"], suite})
            for status, n in (record.get("statuses") or {}).items():
                into["statuses"][status] = into["statuses"].get(status, 0) + int(n)
    total = len(operations)
    exercised = sum(1 for o in operations if o["exercised"])
    positive = sum(1 for o in operations if o["cases"][POSITIVE] > 0)
    declared = sum(len(o["statuses"]["declared_seen"]) + len(o["statuses"]["declared_unseen"]) for o in operations)
    declared_seen = sum(len(o["statuses"]["declared_seen"]) for o in operations)
    params = sum(len(o["parameters"]["tried"]) + len(o["parameters"]["untried"]) for o in operations)
    params_tried = sum(len(o["parameters"]["tried"]) for o in operations)
    enum_values = sum(len(e["tried"]) + len(e["untried"]) for o in operations for e in o["enum_values"].values())
    enum_tried = sum(len(e["tried"]) for o in operations for e in o["enum_values"].values())
    totals = {
        "operations": total,
        "exercised": exercised,
        "exercised_pct": _pct(exercised, total),
        "positive": positive,
        "only_negative": exercised - positive,
        "never": total - exercised,
        "declared_statuses": declared,
        "declared_statuses_seen": declared_seen,
        "declared_statuses_pct": _pct(declared_seen, declared),
        "undeclared_statuses_seen": sum(len(o["statuses"]["undeclared_seen"]) for o in operations),
        "parameters": params,
        "parameters_tried": params_tried,
        "parameters_pct": _pct(params_tried, params),
        "enum_values": enum_values,
        "enum_values_tried": enum_tried,
        "enum_values_pct": _pct(enum_tried, enum_values),
        "cases": {kind: sum(o["cases"][kind] for o in operations) for kind in (POSITIVE, NEGATIVE)},
        "by_suite": {suite: sum(1 for o in operations if suite in o["suites"]) for suite in sorted(records)},
    }
    return {"format": COVERAGE_FORMAT, "spec": {"source": spec.source, "version": spec.version},
            "totals": totals, "operations": operations, "outside_spec": sorted(outside.values(),
                                                                                key=lambda o: o["operation"])}


def coverage_gate(totals: Mapping[str, Any], minimum: float | None) -> dict[str, Any] | None:
    """``--min-coverage``: whether the share of operations exercised reaches ``minimum`` percent."""
    if minimum is None:
        return None
    pct = totals.get("exercised_pct") or 0.0
    passed = pct >= minimum
    reason = "" if passed else (f"coverage {pct:g}% of operations exercised is below --min-coverage {minimum:g}% "
                                f"({totals.get('exercised', 0)} of {totals.get('operations', 0)})")
    return {"minimum_pct": minimum, "exercised_pct": pct, "passed": passed, "reason": reason}


def summary_block(coverage: Mapping[str, Any], gate: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the run document (summary.json, the history) keeps of coverage: totals and the gate."""
    return {"file": "coverage.json", "totals": dict(coverage.get("totals") or {}), "gate": gate}


def html_rows(coverage: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The page's view: a row per exercised operation (those with negative cases only first, then
    fewest declared statuses seen), and the names of the operations never exercised."""
    rows, never = [], []
    for entry in coverage.get("operations") or []:
        if not entry["exercised"]:
            never.append(entry["operation"])
            continue
        cases = entry["cases"]
        enums = entry["enum_values"]
        params = entry["parameters"]
        rows.append({
            "operation": entry["operation"], "suites": ", ".join(entry["suites"]) or "–",
            "positive": cases[POSITIVE], "negative": cases[NEGATIVE],
            "seen": " ".join(entry["statuses"]["declared_seen"]) or "–",
            "unseen": " ".join(entry["statuses"]["declared_unseen"]) or "–",
            "undeclared": " ".join(entry["statuses"]["undeclared_seen"]) or "–",
            "params": f"{len(params['tried'])}/{len(params['tried']) + len(params['untried'])}",
            "enums": f"{sum(len(e['tried']) for e in enums.values())}/"
                     f"{sum(len(e['tried']) + len(e['untried']) for e in enums.values())}",
            "rank": (cases[POSITIVE] > 0, len(entry["statuses"]["declared_seen"])),
        })
    rows.sort(key=lambda r: (r["rank"], r["operation"]))
    return rows[:HTML_ROWS], never
