"""The load suite's generic machinery; each profile's own behaviour is its locustfile in ``load/``.

Pure modules, importable without Locust (and its gevent monkey-patching), bottom up: ``plan``
(open-model steps and tickets), ``stats`` (HDR histograms per step, exact merge), ``analysis``
(step results, knee, breakpoint, generator or target), ``thresholds``, ``profiles`` (mixes),
``options``, ``pools``, ``sizing`` (the pool a process keeps), ``procmem``; ``outcome`` (a run's
conclusion, exit code, headline), ``figures`` (one definition and one rounding of each capacity
figure, the capacity plan), ``chart``, ``results`` (steady and capacity verdicts, summary.json),
``ratelimit`` (the climb, the refine phase and the onset estimate; the ratelimit verdict).
Locust glue: ``session`` (the schedule of one process), ``users``, ``shape``, ``behaviour`` (the
base a profile subclasses), ``wiring`` (``install``, ``judge``).
"""

from .analysis import GeneratorLimits, KneeRule, Slo, StepResult, find_breakpoint, find_knee, limited_by
from .plan import Plan, Step, Ticket, TicketDispenser, constant_plan, geometric_plan
from .stats import StepBook, StepStats, percentiles_ms
from .thresholds import Thresholds, ThresholdsError, load_thresholds

__all__ = [
    "GeneratorLimits",
    "KneeRule",
    "Plan",
    "Slo",
    "Step",
    "StepBook",
    "StepResult",
    "StepStats",
    "Thresholds",
    "ThresholdsError",
    "Ticket",
    "TicketDispenser",
    "constant_plan",
    "find_breakpoint",
    "find_knee",
    "geometric_plan",
    "limited_by",
    "load_thresholds",
    "percentiles_ms",
]
