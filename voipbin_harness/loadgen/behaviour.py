"""The base of a profile's behaviour on the judging side (master, or the single local process).

A locustfile in ``load/`` subclasses ``ProfileBehaviour`` with what makes its profile: ``monitor``
sees each step once it has settled (answers and worker reports in) and may stop the run early
or, for ratelimit, decide later phases; ``sample`` measures something beside the requests;
``outcome`` picks the verdict (``results``, ``ratelimit``) and ``figures`` the headline's numbers.
What every profile shares (settled step results, the reproduce command, the operation a
finding names) is here. The ``Session`` calls these; this module imports it, never the reverse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .analysis import StepResult, step_results
from .outcome import Outcome, headline
from .plan import Plan, Step
from .session import Session

__all__ = ["ProfileBehaviour"]


class ProfileBehaviour:
    """Defaults: no early stop, no later phases, nothing sampled; ``outcome`` is the profile's own."""

    compliant = False  # users honour Retry-After once the phases are decided (ratelimit only)

    def __init__(self, name: str) -> None:
        self.name = name
        self._settled: dict[int, StepResult] = {}

    # -- what every profile shares ---------------------------------------------------------------
    def settled_results(self, session: Session, settled: Sequence[Step]) -> list[StepResult]:
        """Results of settled steps, each computed once (its numbers no longer change)."""
        fresh = [s for s in settled if s.index not in self._settled]
        for result in step_results(Plan(tuple(fresh)), session.merged, session.options.thresholds.generator):
            self._settled[result.index] = result
        return [self._settled[s.index] for s in settled if s.index in self._settled]

    def reproduce(self, session: Session) -> str:
        """The command that runs this profile again against this target (no secret in it)."""
        o = session.options
        if o.reproduce:
            return o.reproduce
        target = o.target_name if o.target_name in ("emulator", "live") else o.host
        return f"voipbin-harness load --profile {self.name} --target {target}"

    def operation(self, session: Session) -> str:
        """The operation a finding names: the mix's only one, else ``*``."""
        ops = session.options.config.ops
        return ops[0].label if len(ops) == 1 else "*"

    def headline(self, session: Session, outcome: Outcome, code: int) -> str:
        return headline(outcome, code, self.figures(outcome))

    # -- what a profile may change ----------------------------------------------------------------
    def setup(self, session: Session) -> None:
        """Every process, once the session exists."""

    def monitor(self, session: Session, settled: Sequence[Step]) -> None:
        """master/local: called when more steps have settled."""

    def sample(self, session: Session, now: float) -> None:
        """master/local: after each settled step."""

    def waiting_for_decision(self, session: Session) -> bool:
        """True while the run must not end because a later phase is still to be decided."""
        return False

    def phase_plan(self, session: Session, phase: dict[str, Any]) -> Plan:
        """The plan once ``monitor`` decided ``phase`` (every process builds the same one)."""
        raise NotImplementedError(f"profile {self.name} has no later phases")

    def outcome(self, session: Session) -> Outcome:
        raise NotImplementedError(f"profile {self.name} must say how it is judged")

    def figures(self, outcome: Outcome) -> str:
        """The headline's numbers: by default the whole run's rate, percentiles and errors."""
        overall = outcome.summary.get("overall") or {}
        return (f"{overall.get('rps', 0):g} req/s achieved of {overall.get('offered_rps', 0):g} offered, "
                f"p50 {overall.get('p50')} ms, p95 {overall.get('p95')} ms, p99 {overall.get('p99')} ms, "
                f"errors {overall.get('error_rate', 0):.2%}")
