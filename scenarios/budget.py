"""How much each scenario may generate: the Hypothesis profile's ceiling, and the run's time budget.

The profile (``dev``/``ci``/``live``, root ``conftest.py``) sets the ceiling; a scenario that
costs many requests per example asks for fewer (``examples(at_most)``). Never more than the
profile allows, so that ``live`` (5 examples) stays gentle on a real service.

Against a rate-limited target the suite cannot send faster than its pacer (17 req/s for the live
gateway), so its duration is its request count over that rate. ``--time-budget SECONDS`` plans
the examples so that the suite fits: each scenario's request cost (``COSTS``, measured: requests
per example and per test, set-up included) times its examples must fit in the budget at the rate;
every scenario's examples are scaled by one factor, never below ``FLOOR`` (a property run on one
example still checks its promise once). The plan, the estimate and what was really sent go into
``summary.json`` under ``"plan"``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, settings

__all__ = ["COSTS", "FLOOR", "Cost", "Plan", "examples", "machine", "make_plan", "planned"]

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
#: No "target" (nothing to maximise) and no "explain" (it re-runs a failure many times over HTTP
#: to annotate lines; the finding already says what broke). Shrinking stays: it is what makes a
#: printed failure short enough to read.
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)

FLOOR = 2  # examples a scenario keeps however small the budget (fewer only when it asks for fewer)
#: Seconds of a run that send (almost) nothing: interpreter and pytest start, collection, logins.
STARTUP_S = 8.0
#: Share of the budget the plan fills: shrinking a failure and Hypothesis' own work take the rest.
FILL = 0.8
#: Requests per second of an unpaced run (the embedded emulator without limits, this machine).
UNPACED_RATE = 150.0


@dataclass(frozen=True, slots=True)
class Cost:
    """Requests one scenario sends: ``per_example`` for each example, ``fixed`` once (set-up)."""

    per_example: float
    fixed: float = 0.0


#: Measured (``plan.requests_by_test`` of ``summary.json``, per item of a parametrized scenario):
#: ``per_example`` from the conformant emulator, where every example runs; ``fixed`` adds set-up
#: and, for the scenarios the gateway's documented deviations fail, Hypothesis shrinking the
#: failure (about the same whatever the examples: it stops generating at the first failure).
#: A test not listed costs ``DEFAULT_COST``.
COSTS: dict[str, Cost] = {
    # authentication
    "test_no_credentials_is_401_authentication_required": Cost(1),
    "test_random_token_is_401_invalid_credentials": Cost(1),
    "test_token_signed_with_another_key_is_401": Cost(1),
    "test_token_with_non_hmac_alg_is_401": Cost(1),
    "test_tampered_payload_is_401": Cost(1),
    "test_expired_token_is_401": Cost(2),
    "test_bearer_spelled_differently_is_401": Cost(1),
    "test_access_key_in_query_is_accepted_and_as_bearer_refused": Cost(0, 3),
    "test_unknown_access_key_is_401": Cost(1),
    "test_deleted_access_key_is_refused": Cost(5),
    "test_expired_access_key_is_refused": Cost(0, 3),
    "test_first_credential_present_wins": Cost(1),
    "test_login_succeeds_with_the_right_password": Cost(0, 2),
    "test_login_fails_with_a_wrong_password_or_bad_body": Cost(1),
    # errors and status codes
    "test_malformed_uuid_in_path_is_400": Cost(1),
    "test_malformed_json_body_is_400": Cost(1),
    "test_field_of_the_wrong_type_is_4xx": Cost(1),
    "test_missing_required_field_is_4xx": Cost(1, 17),
    "test_value_outside_the_enum_is_4xx": Cost(1, 19),
    "test_number_that_is_not_e164_is_4xx": Cost(1, 53),
    "test_unknown_id_is_404": Cost(1),
    "test_unknown_route_is_404_route_not_found": Cost(1),
    "test_insufficient_balance_is_402": Cost(1, 12),
    "test_frozen_account_is_403_account_frozen": Cost(1),
    "test_rate_limited_request_is_429_with_retry_after": Cost(3),
    # lifecycle (a state machine example: up to ``steps`` rules, a list walk after each)
    "test_lifecycle_matches_the_model": Cost(45),
    # pagination
    "test_walk_shows_every_item_once_newest_first": Cost(8, 56),
    "test_items_created_during_a_walk_do_not_disturb_it": Cost(19, 71),
    "test_page_size_out_of_range_never_exceeds_the_maximum": Cost(1, 203),
    "test_no_page_is_larger_than_asked": Cost(1),
    "test_non_integer_page_size_is_400": Cost(1),
    "test_invalid_page_token_is_refused_or_ignored_never_5xx": Cost(1),
    # tenancy and permission
    "test_other_customer_cannot_get_update_delete_or_list": Cost(9, 185),
    "test_other_customer_cannot_read_existing_items": Cost(0, 3.5),
    "test_lists_show_only_the_callers_items": Cost(0, 4),
    "test_agent_is_refused_admin_reads": Cost(1),
    "test_agent_is_refused_admin_writes": Cost(6),
}
DEFAULT_COST = Cost(3, 2)


@dataclass
class Plan:
    """The examples of every scenario for one run, and what the plan expects it to cost."""

    budget_s: float | None
    rate: float | None  # requests/s the pacer lets through per customer (None: unpaced)
    factor: float = 1.0  # every scenario's examples were multiplied by this (then floored)
    examples: dict[str, int] | None = None  # test id -> examples planned
    estimated_requests: int = 0
    fits: bool = True

    @property
    def estimated_s(self) -> float:
        return round(STARTUP_S + self.estimated_requests / (self.rate or UNPACED_RATE), 1)

    def to_dict(self) -> dict[str, Any]:
        return {"budget_s": self.budget_s, "rate": round(self.rate, 3) if self.rate else None,
                "factor": round(self.factor, 3), "estimated_requests": self.estimated_requests,
                "estimated_s": self.estimated_s, "fits": self.fits, "floor": FLOOR,
                "examples": dict(self.examples or {})}


#: The factor of the current run, for state machines (their settings are made when they run).
_current = Plan(None, None)


def examples(at_most: int, **overrides: Any) -> settings:
    """Settings for a ``@given`` scenario: ``min(at_most, profile's max_examples)`` examples (the
    run's plan may lower it further before the scenario runs: ``apply``)."""
    quiet = [*_QUIET, *overrides.pop("suppress_health_check", ())]
    return settings(max_examples=max(1, min(at_most, settings.default.max_examples)),
                    suppress_health_check=quiet, phases=_PHASES, **overrides)


def machine(at_most: int, steps: int) -> settings:
    """Settings for a state machine: examples as ``examples``, scaled by the run's plan, ``steps``
    rules per example."""
    return examples(scaled(min(at_most, settings.default.max_examples), _current.factor),
                    stateful_step_count=steps)


def scaled(ceiling: int, factor: float) -> int:
    """``ceiling`` examples scaled by ``factor``, never below ``FLOOR`` (nor above ``ceiling``)."""
    return max(min(FLOOR, ceiling), min(ceiling, math.floor(ceiling * factor)))


def planned(function: Any) -> int | None:
    """The examples a ``@given`` scenario runs now (None for a test that is not one)."""
    current = getattr(function, "_hypothesis_internal_use_settings", None)
    return current.max_examples if current is not None and hasattr(function, "hypothesis") else None


def make_plan(tests: Iterable[tuple[str, str, int | None]], *, budget_s: float | None, rate: float | None,
              machine_ceiling: int = 8) -> Plan:
    """The plan for ``tests``: (test id, function name, examples now; None: not a ``@given`` test).

    Without a budget every scenario keeps its ceiling (the plan only reports the estimate). With
    one, the largest factor in (0, 1] whose total fits ``FILL`` of what the budget can send."""
    rows = []
    for test_id, name, ceiling in tests:
        cost = COSTS.get(name, DEFAULT_COST)
        if ceiling is None and cost.per_example:  # a state machine: its examples come from ``machine``
            ceiling = min(machine_ceiling, settings.default.max_examples)
        rows.append((test_id, cost, ceiling))

    def total(factor: float) -> float:
        return sum(cost.fixed + (cost.per_example * scaled(ceiling, factor) if ceiling else 0)
                   for _, cost, ceiling in rows)

    factor, fits = 1.0, True
    if budget_s is not None:
        capacity = max(0.0, budget_s - STARTUP_S) * (rate or UNPACED_RATE) * FILL
        if total(1.0) > capacity:
            low, high = 0.0, 1.0
            for _ in range(30):
                middle = (low + high) / 2
                low, high = (middle, high) if total(middle) <= capacity else (low, middle)
            factor, fits = low, total(low) <= capacity
    plan = Plan(budget_s, rate, factor, {test_id: scaled(ceiling, factor) for test_id, _, ceiling in rows if ceiling},
                math.ceil(total(factor)), fits)
    global _current
    _current = plan
    return plan


def apply(function: Any, examples_now: int) -> None:
    """Run the ``@given`` scenario ``function`` with ``examples_now`` examples."""
    current = getattr(function, "_hypothesis_internal_use_settings", None)
    if current is not None and current.max_examples != examples_now:
        function._hypothesis_internal_use_settings = settings(current, max_examples=examples_now)
