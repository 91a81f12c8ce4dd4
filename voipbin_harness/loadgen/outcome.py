"""What a finished run concluded (``Outcome``), its exit code and its one-line headline.

The bottom of the judging side: ``results``, ``ratelimit`` and ``chart`` build or draw an
``Outcome``; the profiles in ``load/`` choose which one to build. Imports nothing of the
machinery, so no module that uses it can form a circle through it.

Exit codes: 1 when a finding was made (a defect in the target's answers is a fact whatever the
generator did); else 2 when the run is invalid; else 1 when a threshold is broken; else 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ExitCode
from ..findings import Finding
from .analysis import StepResult
from .thresholds import Breach

__all__ = ["VERDICT_WORDS", "Outcome", "exit_code", "headline"]

#: summary.json's ``verdict`` for each exit code (the headline shouts the bad ones).
VERDICT_WORDS = {ExitCode.OK: "pass", ExitCode.FAILURES: "fail", ExitCode.UNUSABLE: "invalid"}


@dataclass
class Outcome:
    """Everything a run concluded; ``summary`` holds the profile-specific blocks."""

    profile: str
    steps: list[StepResult]
    summary: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # generator trouble that did not change the verdict
    chart_x: str = "offered"  # "offered" (req/s) or "time" (window start, s)
    # lines on the chart: label -> the figure (req/s), or (x position, figure) when the figure is
    # not where it is drawn (max achieved: drawn at the offered rate of its step)
    marks: dict[str, float | tuple[float, float]] = field(default_factory=dict)


def exit_code(outcome: Outcome) -> ExitCode:
    if outcome.findings:
        return ExitCode.FAILURES
    if outcome.invalid:
        return ExitCode.UNUSABLE
    if outcome.breaches:
        return ExitCode.FAILURES
    return ExitCode.OK


def headline(outcome: Outcome, code: int, figures: str) -> str:
    """``voipbin-harness load <profile>: <verdict> - <figures>`` and one indented line per breach,
    finding and reason the run is invalid (the command prints these lines as the run's verdict)."""
    word = VERDICT_WORDS[ExitCode(code)]
    verdict = word if word == "pass" else word.upper()
    parts = [b.message for b in outcome.breaches] + [f"finding: {f.message}" for f in outcome.findings]
    parts += [f"invalid: {reason}" for reason in outcome.invalid]
    tail = ("\n  " + "\n  ".join(parts)) if parts else ""
    return f"voipbin-harness load {outcome.profile}: {verdict} - {figures}{tail}"
