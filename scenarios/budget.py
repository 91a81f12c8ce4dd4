"""How much each scenario may generate, relative to the Hypothesis profile of the run.

The profile (``dev``/``ci``/``live``, root ``conftest.py``) sets the ceiling; a scenario that
costs many requests per example asks for fewer. Never more than the profile allows, so that
``live`` (5 examples) stays gentle on a real service, and the whole suite fits its time budget
(<= 60 s on the embedded emulator) with the defaults.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings

__all__ = ["examples", "machine"]

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
#: No "target" (nothing to maximise) and no "explain" (it re-runs a failure many times over HTTP
#: to annotate lines; the finding already says what broke). Shrinking stays: it is what makes a
#: printed failure short enough to read.
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)


def examples(at_most: int, **overrides: Any) -> settings:
    """Settings for a ``@given`` scenario: ``min(at_most, profile's max_examples)`` examples."""
    return settings(max_examples=max(1, min(at_most, settings.default.max_examples)),
                    suppress_health_check=_QUIET, phases=_PHASES, **overrides)


def machine(at_most: int, steps: int) -> settings:
    """Settings for a state machine: examples as ``examples``, ``steps`` rules per example."""
    return examples(at_most, stateful_step_count=steps)
