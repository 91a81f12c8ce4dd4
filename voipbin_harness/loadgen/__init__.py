"""The load suite's machinery (the profiles themselves are plain locustfiles in ``load/``).

Pure modules, importable without Locust (and its gevent monkey-patching): ``plan`` (open-model
steps and tickets), ``stats`` (HDR histograms per step, exact merge), ``analysis`` (knee,
breakpoint, generator or target), ``thresholds``, ``ratelimit``, ``report`` (summary.json and
exit code), ``chart``, ``options``, ``profiles``, ``pools``. Locust glue: ``session``, ``users``, ``wiring``.
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
