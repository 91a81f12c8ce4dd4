"""The open-model plan and its tickets: rates, steps, slicing across processes, early stop."""

from __future__ import annotations

import pytest

from voipbin_harness.loadgen.plan import MAX_STEPS, Plan, Step, TicketDispenser, constant_plan, geometric_plan


def all_tickets(dispenser: TicketDispenser, limit: int = 100_000) -> list:
    tickets = []
    for _ in range(limit):
        ticket = dispenser.take()
        if ticket is None:
            return tickets
        tickets.append(ticket)
    raise AssertionError("the dispenser never ran out")


def test_geometric_plan_steps_up_to_the_max_rate_within_the_budget() -> None:
    plan = geometric_plan(50, 500, 2, settle=1, hold=2, budget=100)
    assert [s.rate for s in plan.steps] == [50, 100, 200, 400, 500]
    assert [s.start for s in plan.steps] == [0, 3, 6, 9, 12]
    assert plan.duration == 15 and plan.max_rate == 500


def test_geometric_plan_is_cut_by_the_budget() -> None:
    plan = geometric_plan(10, 10_000, 2, settle=0, hold=1, budget=3.5)
    assert [s.rate for s in plan.steps] == [10, 20, 40]


@pytest.mark.parametrize("args", [(0, 10, 2, 0, 1, 10), (20, 10, 2, 0, 1, 10), (1, 10, 1, 0, 1, 10),
                                  (1, 10, 2, 0, 0, 10), (1, 10, 2, 5, 5, 1)])
def test_geometric_plan_rejects_nonsense(args: tuple) -> None:
    with pytest.raises(ValueError):
        geometric_plan(*args)


def test_constant_plan_windows_and_first_settle() -> None:
    plan = constant_plan(10, 60, 20, settle=2)
    assert [(s.start, s.settle, s.hold) for s in plan.steps] == [(0, 2, 18), (20, 0, 20), (40, 0, 20)]
    assert plan.max_rate == 10


def test_a_plan_never_has_more_than_max_steps() -> None:
    assert len(constant_plan(1, 10_000, 1).steps) == MAX_STEPS
    with pytest.raises(ValueError):
        Plan(tuple(Step(i, 1, i, 0, 1) for i in range(MAX_STEPS + 1)))


def test_locate_finds_step_and_hold_window_and_pauses() -> None:
    plan = Plan((Step(0, 10, 0, 1, 2), Step(1, 20, 3, 0, 2), Step(7, 5, 6, 0, 1)))
    assert plan.locate(0.5) == (0, False)
    assert plan.locate(1.0) == (0, True)
    assert plan.locate(3.0) == (1, True)
    assert plan.locate(5.5) is None  # the pause between 5 and 6
    assert plan.locate(6.2) == (7, True)
    assert plan.locate(7.0) is None and plan.locate(-1) is None


def test_until_and_completed_cut_a_plan() -> None:
    plan = geometric_plan(10, 80, 2, settle=1, hold=1, budget=100)  # steps of 2 s at 0, 2, 4, 6
    cut = plan.until(4.5)
    assert [s.index for s in cut.steps] == [0, 1, 2]
    assert cut.steps[-1].settle == 0.5 and cut.steps[-1].hold == 0
    assert [s.index for s in plan.completed(4.5).steps] == [0, 1]


def test_tickets_follow_the_plan_exactly() -> None:
    plan = Plan((Step(0, 10, 0, 1, 1), Step(1, 4, 2, 0, 1)))
    tickets = all_tickets(TicketDispenser(plan, t0=1000.0))
    assert len(tickets) == 20 + 4
    assert [round(t.at - 1000, 6) for t in tickets[:3]] == [0, 0.1, 0.2]
    assert [t.hold for t in tickets[:20]] == [False] * 10 + [True] * 10
    assert all(t.step == 1 and t.hold for t in tickets[20:])
    assert [round(t.at - 1000, 6) for t in tickets[20:]] == [2, 2.25, 2.5, 2.75]


def test_processes_share_the_schedule_without_overlap() -> None:
    plan = geometric_plan(30, 300, 3, settle=0.5, hold=1, budget=10)
    whole = all_tickets(TicketDispenser(plan, 0.0))
    slices = [all_tickets(TicketDispenser(plan, 0.0, i, 3)) for i in range(3)]
    assert sorted(t.seq for s in slices for t in s) == [t.seq for t in whole]
    assert sorted(t.at for s in slices for t in s) == [t.at for t in whole]
    assert max(len(s) for s in slices) - min(len(s) for s in slices) <= len(plan.steps)


def test_stop_ends_the_schedule_early() -> None:
    dispenser = TicketDispenser(constant_plan(100, 10, 10), t0=0.0)
    dispenser.stop(1.0)
    tickets = all_tickets(dispenser)
    assert len(tickets) == 100 and tickets[-1].at < 1.0
    with pytest.raises(ValueError):
        TicketDispenser(constant_plan(1, 1, 1), 0.0, worker_index=2, worker_count=2)


def test_a_replanned_schedule_starts_where_the_old_one_was_cut() -> None:
    """ratelimit's refine phase: the new plan's tickets from ``start`` on, shared by the processes."""
    plan = Plan((Step(0, 10, 0, 0, 2), Step(1, 20, 2, 0, 1)))
    whole = all_tickets(TicketDispenser(plan, 0.0, start=1.5))
    assert len(whole) == 5 + 20 and min(t.at for t in whole) == 1.5
    slices = [all_tickets(TicketDispenser(plan, 0.0, i, 2, start=1.5)) for i in range(2)]
    assert sorted(t.at for s in slices for t in s) == [t.at for t in whole]
