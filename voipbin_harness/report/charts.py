"""Charts for ``index.html``: matplotlib (Agg, no display), inlined as base64 SVG data URIs so
the page stays one self-contained file that can be mailed or attached to a CI run.

Built with ``matplotlib.figure.Figure`` rather than pyplot: no global figure state, nothing to
close, safe to call from a long-lived process.
"""

from __future__ import annotations

import base64
import functools
import io
import json
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["load_chart", "trend_charts"]

_STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
          "axes.grid": True, "grid.alpha": 0.3, "svg.hashsalt": "voipbin-harness"}
_COLORS = {"rps": "#2563eb", "p50": "#16a34a", "p95": "#d97706", "p99": "#dc2626", "p999": "#7c3aed",
           "new": "#dc2626", "known": "#94a3b8"}


def _encode(figure: Figure) -> str:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _new_figure(width: float = 7.0, height: float = 3.0) -> Figure:
    with matplotlib.rc_context(_STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def load_chart(title: str, figures: dict[str, Any]) -> str | None:
    """Latency percentiles and achieved rate per step, against offered rate when the profile has
    steps of different rates; a single step is drawn as bars of its percentiles.

    Memoised on the figures: the report is rewritten after every suite and a chart costs ~0.2 s.
    """
    return _load_chart(title, json.dumps(figures.get("steps", []), sort_keys=True, default=str))


@functools.lru_cache(maxsize=32)
def _load_chart(title: str, steps_json: str) -> str | None:
    figures = {"steps": json.loads(steps_json)}
    steps = [s for s in figures.get("steps", []) if s.get("rps") is not None or s.get("p50") is not None]
    if not steps:
        return None
    if len(steps) == 1:
        return _percentile_bars(title, steps[0])
    with matplotlib.rc_context(_STYLE):
        figure = _new_figure(7.0, 3.4)
        latency = figure.add_subplot(1, 1, 1)
        offered = [s.get("offered_rps") for s in steps]
        by_offered = all(o is not None for o in offered) and len(set(offered)) == len(offered)
        xs = offered if by_offered else list(range(1, len(steps) + 1))
        for key in ("p50", "p95", "p99", "p999"):
            ys = [s.get(key) for s in steps]
            if any(y is not None for y in ys):
                latency.plot(xs, [y if y is not None else float("nan") for y in ys], marker="o", ms=3,
                             color=_COLORS[key], label=f"{key.replace('p999', 'p99.9')} latency (ms)")
        latency.set_ylabel("latency (ms)")
        latency.set_xlabel("offered rate (req/s)" if by_offered else "step")
        if not by_offered:
            latency.set_xticks(xs, [s["name"] for s in steps], rotation=20 if len(steps) > 4 else 0)
        rate = latency.twinx()
        rate.grid(False)
        rate.spines["right"].set_visible(True)
        rate.plot(xs, [s.get("rps") if s.get("rps") is not None else float("nan") for s in steps], marker="s", ms=3,
                  color=_COLORS["rps"], linestyle="--", label="achieved rate (req/s)")
        rate.set_ylabel("achieved req/s")
        rate.set_ylim(bottom=0)
        latency.set_ylim(bottom=0)
        _legend_below(figure, latency, rate)
        latency.set_title(title, loc="left", fontsize=10)
        return _encode(figure)


def _percentile_bars(title: str, step: dict[str, Any]) -> str | None:
    keys = [k for k in ("p50", "p95", "p99", "p999") if step.get(k) is not None]
    if not keys:
        return None
    with matplotlib.rc_context(_STYLE):
        figure = _new_figure(7.0, 2.2)
        axes = figure.add_subplot(1, 1, 1)
        values = [step[k] for k in keys]
        bars = axes.barh([k.replace("p999", "p99.9") for k in keys], values, color=[_COLORS[k] for k in keys])
        axes.bar_label(bars, labels=[f"{v:.1f} ms" for v in values], padding=3, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel("latency (ms)")
        axes.set_xlim(0, max(values) * 1.25 or 1)
        rps = step.get("rps")
        axes.set_title(f"{title}: latency percentiles" + (f" at {rps:,.1f} req/s" if rps is not None else ""),
                       loc="left", fontsize=10)
        return _encode(figure)


def _legend_below(figure: Figure, *axes_list: Any) -> None:
    handles: list[Any] = []
    labels: list[str] = []
    for axes in axes_list:
        h, lab = axes.get_legend_handles_labels()
        handles += h
        labels += lab
    figure.legend(handles, labels, loc="outside lower center", ncol=min(5, len(labels)), fontsize=8, frameon=False)


def trend_charts(series: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(title, data URI) pairs: findings per run, then each load metric family per run."""
    if len(series) < 2:
        return []
    labels = [str(p.get("started_at", ""))[5:16].replace("T", " ") for p in series]
    xs = list(range(len(series)))
    charts: list[tuple[str, str]] = []
    with matplotlib.rc_context(_STYLE):
        figure = _new_figure(7.0, 2.6)
        axes = figure.add_subplot(1, 1, 1)
        known = [p.get("known", 0) for p in series]
        new = [p.get("new", 0) for p in series]
        axes.bar(xs, known, color=_COLORS["known"], label="known")
        axes.bar(xs, new, bottom=known, color=_COLORS["new"], label="new")
        axes.set_xticks(xs, labels, rotation=30, ha="right")
        axes.set_ylabel("findings")
        _legend_below(figure, axes)
        charts.append(("Findings per run", _encode(figure)))
        names = sorted({name for p in series for name in p.get("metrics", {})})
        suites = sorted({name.rsplit(" ", 1)[0] for name in names})
        for suite in suites:
            figure = _new_figure(7.0, 2.6)
            axes = figure.add_subplot(1, 1, 1)
            plotted = False
            for key in ("p50", "p95", "p99"):
                ys = [p.get("metrics", {}).get(f"{suite} {key}", float("nan")) for p in series]
                if any(y == y for y in ys):
                    axes.plot(xs, ys, marker="o", ms=3, color=_COLORS[key], label=f"{key} (ms)")
                    plotted = True
            axes.set_ylabel("latency (ms)")
            axes.set_ylim(bottom=0)
            rate = axes.twinx()
            rate.grid(False)
            rate.spines["right"].set_visible(True)
            ys = [p.get("metrics", {}).get(f"{suite} rps", float("nan")) for p in series]
            if any(y == y for y in ys):
                rate.plot(xs, ys, marker="s", ms=3, linestyle="--", color=_COLORS["rps"], label="req/s")
                plotted = True
            rate.set_ylabel("req/s")
            rate.set_ylim(bottom=0)
            if not plotted:
                continue
            axes.set_xticks(xs, labels, rotation=30, ha="right")
            _legend_below(figure, axes, rate)
            charts.append((f"{suite}: latency and throughput per run", _encode(figure)))
    return charts
