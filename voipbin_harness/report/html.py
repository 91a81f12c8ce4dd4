"""``index.html``: one self-contained page (inline CSS, charts as data URIs, no script, no fetch).

Reading order is the reader's questions in turn: did it pass (verdict, counts of new, known and
fixed findings)? what broke (findings grouped by check, then the same by operation, each with
expected, got and a curl to reproduce)? what did each suite do? what does the spec itself get
wrong (lint)? how fast (load figures, charts)? what changed since last night (trends)?
The document is redacted before rendering and the page is redacted again as text when written.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import jinja2

from ..redact import redact
from .charts import load_chart, trend_charts
from .coverage import html_rows
from .output import write_rendered, write_text

__all__ = ["render_html", "write_fallback_html", "write_html"]

_TEMPLATES = Path(__file__).with_name("templates")
_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_STATUS_LABEL = {"passed": "passed", "failed": "found failures", "incomplete": "did not finish",
                 "error": "could not run", "not-run": "did not run", "skipped": "skipped",
                 "running": "running"}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.ChainableUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    env.filters["duration"] = _duration
    env.filters["pct"] = lambda v: "–" if v is None else f"{v * 100:+.0f}%"
    env.filters["anchor"] = lambda fid: "f-" + "".join(c if c.isalnum() else "-" for c in str(fid))
    return env


def _num(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "–"
        if value.is_integer() and abs(value) >= 10:
            return f"{int(value):,}"
        return f"{value:,.{digits}f}"
    return str(value)


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def _group(findings: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        groups[str(finding.get(key) or "–")].append(finding)
    result = []
    for name, items in groups.items():
        items.sort(key=lambda f: (bool(f.get("known")), _SEVERITY.get(str(f.get("severity")), 4),
                                  str(f.get("operation")), str(f.get("check"))))
        new = sum(1 for f in items if not f.get("known"))
        result.append({"name": name, "findings": items, "new": new, "known": len(items) - new})
    result.sort(key=lambda g: (-g["new"], -len(g["findings"]), g["name"]))
    return result


def _lint_view(lint: Any) -> dict[str, Any] | None:
    """Spec lint output, whatever its exact shape: a count per kind and the items themselves."""
    if lint is None:
        return None
    items: list[Any] = []
    if isinstance(lint, list):
        items = lint
    elif isinstance(lint, dict):
        for key in ("defects", "problems", "items", "findings", "errors"):
            if isinstance(lint.get(key), list):
                items = lint[key]
                break
    kinds: dict[str, int] = defaultdict(int)
    rows = []
    for item in items:
        if isinstance(item, dict):
            kind = str(item.get("kind") or item.get("category") or item.get("type") or item.get("check") or "defect")
            where = str(item.get("operation") or item.get("location") or item.get("path") or item.get("pointer") or "")
            message = str(item.get("message") or item.get("detail") or item.get("description") or "")
        else:
            kind, where, message = "defect", "", str(item)
        kinds[kind] += 1
        rows.append({"kind": kind, "where": where, "message": message})
    extra = {k: v for k, v in lint.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)} \
        if isinstance(lint, dict) else {}
    return {"total": len(rows), "kinds": sorted(kinds.items(), key=lambda kv: -kv[1]), "rows": rows, "extra": extra}


_SKIP = object()


def _scalar(value: Any) -> Any:
    """A value fit for one cell: scalars as they are, short lists of scalars joined, else _SKIP."""
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    if isinstance(value, list) and len(value) <= 8 and all(isinstance(v, (int, float, str)) for v in value):
        return " – ".join(_num(v) for v in value) if len(value) == 2 else ", ".join(_num(v) for v in value)
    if isinstance(value, dict) and len(value) <= 6 and all(isinstance(v, (int, float, str)) for v in value.values()):
        return ", ".join(f"{k}: {_num(v)}" for k, v in value.items())
    return _SKIP


def _load_view(document: dict[str, Any]) -> list[dict[str, Any]]:
    titles = {s["name"]: s.get("title", s["name"]) for s in document.get("suites", [])}
    views = []
    for name, figures in (document.get("load") or {}).items():
        extras = []
        for block in ("ratelimit", "capacity"):
            value = figures.get(block)
            if isinstance(value, dict):
                extras.append({"name": block, "rows": [(k, _scalar(v)) for k, v in value.items()
                                                          if _scalar(v) is not _SKIP]})
        problems = [str(p) for p in (figures.get("invalid") or []) if p]
        thresholds = figures.get("thresholds")
        breaches = thresholds.get("breaches") if isinstance(thresholds, dict) else None
        problems += [b if isinstance(b, str) else (b.get("message") or str(b)) if isinstance(b, dict) else str(b)
                     for b in (breaches or [])]
        plan = figures.get("capacity_plan")
        views.append({"name": name, "title": titles.get(name, name), "figures": figures, "extras": extras,
                      "plan": plan.get("text") if isinstance(plan, dict) else None,
                      "problems": problems, "verdict": figures.get("verdict") or "",
                      "chart": load_chart(titles.get(name, name), figures)})
    return views


def render_html(document: dict[str, Any], *, redacted: bool = False, coverage: dict[str, Any] | None = None) -> str:
    """The page for ``document`` (a run document from ``build_document``); ``redacted`` when the
    caller already passed it through ``redact`` (the page shows nothing else). ``coverage``: the
    run's ``coverage.json`` (its per-operation table; the totals are in the document)."""
    doc = document if redacted else redact(document)
    findings = doc.get("findings", [])
    history = doc.get("history")
    context = {
        "doc": doc,
        "new": [f for f in findings if not f.get("known")],
        "by_check": _group(findings, "check"),
        "by_operation": _group(findings, "operation"),
        "lint": _lint_view(doc.get("lint")),
        "loads": _load_view(doc),
        "history": history,
        "trends": trend_charts(history.get("series", [])) if history else [],
        "status_label": _STATUS_LABEL,
        "coverage_rows": html_rows(coverage)[0] if coverage else [],
        "coverage_never": html_rows(coverage)[1] if coverage else [],
        "coverage_outside": (coverage or {}).get("outside_spec") or [],
    }
    return _environment().get_template("index.html").render(**context)


def write_html(report_dir: str | os.PathLike[str], document: dict[str, Any], *, redacted: bool = False,
               coverage: dict[str, Any] | None = None) -> Path:
    """``index.html`` for ``document``; with ``redacted`` the caller has passed it through ``redact``."""
    if redacted:
        return write_rendered(Path(report_dir) / "index.html", render_html(document, redacted=True, coverage=coverage))
    return write_text(Path(report_dir) / "index.html", render_html(document, coverage=coverage))


def write_fallback_html(report_dir: str | os.PathLike[str], document: dict[str, Any], error: Exception) -> Path:
    """A plain page when the real one cannot be rendered: the verdict, and where the data is."""
    from html import escape

    counts = document.get("counts", {})
    body = (f"<!doctype html><meta charset=utf-8><title>{escape(str(document.get('verdict', '')).upper())}</title>"
            f"<h1>{escape(str(document.get('verdict', '')).upper())}</h1>"
            f"<p>{counts.get('new', 0)} new, {counts.get('known', 0)} known, {counts.get('fixed', 0)} fixed findings.</p>"
            f"<p>The full page could not be drawn ({escape(error.__class__.__name__)}: {escape(str(error)[:300])}); "
            "every figure is in <a href='summary.json'>summary.json</a>.</p>")
    return write_text(Path(report_dir) / "index.html", body)
