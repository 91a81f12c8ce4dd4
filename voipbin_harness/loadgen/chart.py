"""The run's chart: achieved rate and latency percentiles against offered rate (or time).

matplotlib with the Agg backend (no display needed, safe in CI and in Locust's process).
Left axis: offered and achieved req/s; right axis (log): p50, p95, p99 from the scheduled
send time. Generator-bound steps are shaded: their numbers are the generator's, not the target's.
Figures (knee, breakpoint, max achieved, onset) are the outcome's ``marks``, labelled with the
rounding of ``figures.rate_text``; x-axis labels are thinned so that they never overlap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

from .figures import rate_text, thin_ticks  # noqa: E402
from .plan import Plan  # noqa: E402

if TYPE_CHECKING:
    from .outcome import Outcome

__all__ = ["draw_chart"]


def draw_chart(outcome: Outcome, path: Path, *, plan: Plan) -> None:
    steps = outcome.steps
    starts = {s.index: s.start for s in plan.steps}
    if outcome.chart_x == "time":
        xs = [starts.get(s.index, 0.0) for s in steps]
        xlabel = "time since start (s)"
    else:
        xs = [s.offered_rps for s in steps]
        xlabel = "offered rate (req/s)"
    fig, left = plt.subplots(figsize=(9, 5.5), dpi=100)
    right = left.twinx()
    left.plot(xs, [s.offered_rps for s in steps], "--", color="grey", label="offered")
    left.plot(xs, [s.rps for s in steps], "o-", color="tab:blue", label="achieved")
    left.plot(xs, [s.goodput_rps for s in steps], ".:", color="tab:cyan", label="goodput (2xx)")
    for name, colour in (("p50", "tab:green"), ("p95", "tab:orange"), ("p99", "tab:red")):
        points = [(x, getattr(s, name)) for x, s in zip(xs, steps, strict=True) if getattr(s, name)]
        if points:
            right.plot([p[0] for p in points], [p[1] for p in points], "s-", color=colour, ms=3, label=f"{name} latency")
    for x, s in zip(xs, steps, strict=True):
        if s.generator_bound:
            left.axvspan(x * 0.97 if outcome.chart_x != "time" else x - 0.5, x * 1.03 if outcome.chart_x != "time" else x + 0.5,
                         color="grey", alpha=0.25)
    for label, mark in outcome.marks.items():
        x, value = mark if isinstance(mark, tuple) else (mark, mark)
        text = f"{label} {rate_text(value)} req/s"
        if outcome.chart_x == "time":  # a rate on a time axis: a level, not a position
            left.axhline(value, color="black", lw=0.8, ls="-.")
            left.annotate(text, xy=(0, value), xycoords=("axes fraction", "data"), xytext=(3, 3),
                          textcoords="offset points", fontsize=8)
        else:
            left.axvline(x, color="black", lw=0.8, ls="-.")
            left.annotate(text, xy=(x, 1), xycoords=("data", "axes fraction"), xytext=(3, -5),
                          textcoords="offset points", rotation=90, fontsize=8, va="top")
    if outcome.chart_x != "time" and len(xs) > 1 and min(xs) > 0:
        left.set_xscale("log")
        left.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: rate_text(v)))
        left.xaxis.set_minor_formatter(ticker.NullFormatter())
        left.set_xticks(thin_ticks(xs))
        plt.setp(left.get_xticklabels(), rotation=30, ha="right")
    if any(s.p99 for s in steps):
        right.set_yscale("log")
    left.set_xlabel(xlabel)
    left.set_ylabel("req/s")
    right.set_ylabel("latency from scheduled send (ms)")
    left.set_title(f"voipbin-harness load: {outcome.profile}")
    handles = left.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    left.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left", fontsize=8)
    left.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
