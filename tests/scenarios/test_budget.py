"""The scenarios' time-budget plan (``scenarios/budget.py``): without a budget every scenario keeps
the profile's examples; with one, the estimate fits it at the pacer's rate, every scenario keeps
at least ``FLOOR`` examples, and a budget too small for even that says so instead of pretending.
"""

from __future__ import annotations

import argparse

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios import budget
from voipbin_harness.commands.scenarios import build_pytest_args

TESTS = [
    ("t.py::test_unknown_id_is_404", "test_unknown_id_is_404", 15),
    ("t.py::test_no_page_is_larger_than_asked", "test_no_page_is_larger_than_asked", 20),
    ("t.py::test_walk_shows_every_item_once_newest_first", "test_walk_shows_every_item_once_newest_first", 15),
    ("t.py::test_lifecycle_matches_the_model[tags]", "test_lifecycle_matches_the_model", None),
    ("t.py::test_lists_show_only_the_callers_items[flows]", "test_lists_show_only_the_callers_items", None),
]


def test_without_a_budget_every_scenario_keeps_its_examples() -> None:
    plan = budget.make_plan(TESTS, budget_s=None, rate=15.3)
    assert plan.factor == 1.0 and plan.fits
    assert plan.examples == {"t.py::test_unknown_id_is_404": 15, "t.py::test_no_page_is_larger_than_asked": 20,
                             "t.py::test_walk_shows_every_item_once_newest_first": 15,
                             "t.py::test_lifecycle_matches_the_model[tags]": min(8, settings.default.max_examples)}
    assert plan.to_dict()["estimated_requests"] == plan.estimated_requests > 0


@given(budget_s=st.floats(min_value=20, max_value=600), rate=st.floats(min_value=1, max_value=200))
@settings(max_examples=60, deadline=None)
def test_a_budget_that_can_be_met_is_met_and_floors_hold(budget_s: float, rate: float) -> None:
    plan = budget.make_plan(TESTS, budget_s=budget_s, rate=rate)
    ceilings = {test_id: ceiling for test_id, _, ceiling in TESTS if ceiling}
    for test_id, examples in (plan.examples or {}).items():
        ceiling = ceilings.get(test_id, min(8, settings.default.max_examples))
        assert min(budget.FLOOR, ceiling) <= examples <= ceiling
    if plan.fits:
        assert plan.estimated_s <= budget_s
    else:  # only when even the floors do not fit
        assert all(n == min(budget.FLOOR, ceilings.get(t, 8)) for t, n in (plan.examples or {}).items())


def test_a_smaller_budget_never_plans_more_examples() -> None:
    large = budget.make_plan(TESTS, budget_s=200, rate=15.3)
    small = budget.make_plan(TESTS, budget_s=40, rate=15.3)
    assert small.factor < large.factor
    assert all(small.examples[t] <= n for t, n in (large.examples or {}).items())
    assert small.estimated_requests < large.estimated_requests


def test_state_machines_follow_the_plan_of_the_run() -> None:
    budget.make_plan(TESTS, budget_s=25, rate=2)
    assert budget.machine(8, 12).max_examples == min(budget.FLOOR, settings.default.max_examples)
    budget.make_plan(TESTS, budget_s=None, rate=None)
    assert budget.machine(8, 12).max_examples == min(8, settings.default.max_examples)


def test_the_cli_passes_rate_and_budget_on_to_pytest(tmp_path: object) -> None:
    args = argparse.Namespace(target="http://127.0.0.1:8080", report_dir="r", spec=None, seed=None,
                              emulator_profile="gateway", emulator_rate_limit=None, allow_writes=False, keyword=None,
                              target_rate="17:33", time_budget=120.0)
    argv = build_pytest_args(args)
    assert argv[argv.index("--rate") + 1] == "17:33"
    assert argv[argv.index("--time-budget") + 1] == "120"
