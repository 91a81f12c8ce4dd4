"""Locust glue: one ``Session`` per Locust process runs the open-model schedule
(``wiring.install`` connects it to Locust's events).

Roles (Locust's): *local* (one process: it generates and judges), *master* (``--processes N``
or ``--master``: it judges, generates nothing) and *worker* (generates). The master fixes the
run's epoch ``t0`` and sends it to the workers (custom message ``vb_start``); every process
builds the same plan from the same options, and worker ``i`` of ``n`` takes every ``n``-th
ticket. Workers ship what they recorded since their last report in Locust's own report
(``report_to_master`` -> ``worker_report``), so histograms merge exactly; the master watches
settled steps (early stop, ratelimit phases: ``vb_cut``, ``vb_phase``) and, when Locust quits,
writes the verdict and sets the process exit code.

Set-up requests (warm-up, login, prefetch) go through this process's ``pacer`` (``pacing.Pacer``,
paced under the target's per-customer limit, 429s waited out); the scheduled requests never do:
they are the experiment. Workers ship their pacer's counts with their reports; summary.json's
``pacing`` block adds them up.

This module imports Locust (and so gevent's monkey-patching): pure modules never import it.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

import gevent
import gevent.lock
import locust.runners as locust_runners
from gevent.event import Event
from locust import __version__ as locust_version
from locust.runners import MasterRunner, WorkerRunner

from ..coverage import write_counts
from ..findings import SummaryWriter
from ..pacing import Pacer
from ..target import credentials_from_env
from .options import POOL_MAX, POOL_MIN, LoadOptions, build_plan, pool_size, setup_limit
from .plan import Plan, Ticket, TicketDispenser
from .pools import IdPools
from .results import write_outcome
from .sizing import recent_service_s, service_pool
from .stats import RUN, StepBook, record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .outcome import Outcome
    from .plan import Step

__all__ = ["REPORT_INTERVAL", "Behaviour", "Session", "session_of"]

log = logging.getLogger("voipbin_harness.load")
REPORT_INTERVAL = 1.0  # seconds between worker reports (Locust's default is 3)
locust_runners.WORKER_REPORT_INTERVAL = REPORT_INTERVAL
START_LEAD = 0.5  # seconds between the start decision and t0, on top of spawning time
START_WAIT_MAX = 30.0  # a user waits at most this long for the schedule to arrive
HARD_EXTRA_S = 60.0  # a run ends at the latest this long after t0 + --duration, whatever else happens
POOL_LOOKAHEAD = 2.0  # seconds: users are spawned for the rate due this far ahead
PROBE_S = 0.005  # the event-loop probe's sleep
PACING_COUNTS = ("requests", "paced_waits", "paced_seconds", "rate_limited", "retry_waits", "retry_wait_seconds",
                 "gave_up")


class Behaviour(Protocol):
    """What the session asks of its profile (``behaviour.ProfileBehaviour``, subclassed in ``load/``)."""

    compliant: bool

    def monitor(self, session: Session, settled: Sequence[Step]) -> None: ...
    def sample(self, session: Session, now: float) -> None: ...
    def waiting_for_decision(self, session: Session) -> bool: ...
    def phase_plan(self, session: Session, phase: dict[str, Any]) -> Plan: ...
    def outcome(self, session: Session) -> Outcome: ...
    def headline(self, session: Session, outcome: Outcome, code: int) -> str: ...


def session_of(environment: Any) -> Session:
    return environment.voipbin_session


class Session:
    """This process's part of the run."""

    def __init__(self, environment: Any, behaviour: Behaviour, options: LoadOptions) -> None:
        self.environment = environment
        self.behaviour = behaviour
        self.options = options
        self.base_plan: Plan = build_plan(options)
        self.plan: Plan = self.base_plan
        runner = environment.runner
        self.role = "worker" if isinstance(runner, WorkerRunner) else "master" if isinstance(runner, MasterRunner) else "local"
        self.book = StepBook()  # what this process recorded (a worker ships and resets it)
        self.merged = self.book if self.role == "local" else StepBook()  # everything, on master/local
        self.t0: float | None = None
        self.started = Event()
        self.phase_decided = Event()
        self.dispenser: TicketDispenser | None = None
        self.replanned = False  # the ramp's schedule was replaced at run time (ratelimit's refine phase)
        self.worker_index, self.workers = 0, 1
        self.pool = 0
        self.inflight = 0
        self.users_started = 0
        self.cut_at: float | None = None  # seconds from t0 after which no ticket is due
        self.stop_reason: str | None = None
        self.fatal: str | None = None
        self.memory: list[tuple[float, float]] = []
        self.phase: dict[str, Any] | None = None
        self.writer: SummaryWriter | None = None
        self.done = False
        bodies = [op.body for op in options.config.ops if op.body]
        self.ids = IdPools(created_names=[b["name"] for b in bodies if isinstance(b.get("name"), str)])
        self.read_collections = {op.collection for op in options.config.ops if op.kind in ("read", "update")}
        self.list_query = "?" + urlencode({"page_size": options.page_size})  # built once, not per request
        self.credentials = credentials_from_env()
        self.token: str | None = self.credentials.token
        self.login_lock = gevent.lock.Semaphore()
        self.prefetched: set[str] = set()
        limit, source = setup_limit(options)
        self.pacer = Pacer(limit, source=source, sleep=gevent.sleep)  # set-up requests only
        self.worker_pacing: dict[str, dict[str, Any]] = {}  # master: each worker's latest pacer summary
        self._service_s: float | None = None  # the latest service time that sizes the pool

    # -- the schedule -------------------------------------------------------------------------
    @property
    def generators(self) -> int:
        runner = self.environment.runner
        return max(1, runner.worker_count) if self.role == "master" else 1

    def users_total(self) -> int:
        """Users for all processes: enough for the highest rate due within POOL_LOOKAHEAD
        seconds (a pool that grows with the plan opens its connections as the rate needs them)."""
        if self.options.pool:
            self.pool = self.options.pool
        else:
            horizon = (time.time() - self.t0 + POOL_LOOKAHEAD) if self.t0 is not None else POOL_LOOKAHEAD
            if self.cut_at is not None and self.phase is None:
                horizon = min(horizon, self.cut_at)
            steps = [s for s in self.plan.steps if s.start <= horizon] or list(self.plan.steps[:1])
            rate = max((s.rate for s in steps), default=1.0)
            self.pool = max(self.pool, self._pool_for(rate))
        return self.pool * self.generators

    def _pool_for(self, rate: float) -> int:
        """Users per process for ``rate``: ``sizing.service_pool`` once a step has shown the
        target's service time, ``pool_size``'s generous 250 ms until then. A pool too small
        makes tickets late; lateness is counted in the latency (from the scheduled send time)."""
        if self.t0 is not None:
            self._service_s = recent_service_s(self.plan, self.merged, time.time() - self.t0) or self._service_s
        if self._service_s is None:
            return pool_size(self.options, self.plan, self.generators, rate=rate)
        return service_pool(rate / self.generators, self._service_s, low=POOL_MIN, high=POOL_MAX)

    def begin(self) -> None:
        """master/local, at test start: fix t0 and tell the workers."""
        users = self.users_total()
        t0 = time.time() + START_LEAD + users / self.spawn_rate()  # spawned, warmed up and logged in
        self.writer = SummaryWriter(self.options.report_dir, "load", profile=self.options.profile,
                                    target={"name": self.options.target_name, "origin": self.options.host})
        if self.role == "master":
            self.workers = self.generators
            self.environment.runner.send_message("vb_start", {"t0": t0, "workers": self.workers, "pool": self.pool})
        self.schedule(t0, 0, self.workers, self.pool)
        gevent.spawn(self._monitor)

    def spawn_rate(self) -> float:
        """Spawn the pool within ~0.2 s (its users warm up and wait for t0, they send nothing)."""
        return float(max(5 * self.users_total(), 20))

    def schedule(self, t0: float, index: int, workers: int, pool: int) -> None:
        """Every process: the epoch, this process's slice of the tickets, its users."""
        if index >= workers:
            self.fail(f"worker index {index} is outside 0..{workers - 1} (a worker reconnected?)")
            return
        self.t0, self.worker_index, self.workers, self.pool = t0, index, workers, pool
        self.dispenser = TicketDispenser(self.plan, t0, index, workers)
        if self.role != "master":
            gevent.spawn(self._sample_cpu)
            gevent.spawn(self._probe_loop)
        self.started.set()

    def wait_started(self) -> None:
        if not self.started.wait(timeout=START_WAIT_MAX):
            self.fail("the schedule never arrived from the master")

    def next_ticket(self) -> Ticket | None:
        return self.dispenser.take() if self.dispenser else None

    def void(self, ticket: Ticket) -> bool:
        """A ticket taken from a schedule that was re-planned since (its step was cut): not sent."""
        if not self.replanned or ticket.seq < 0 or self.t0 is None:
            return False
        step = next((s for s in self.plan.steps if s.index == ticket.step), None)
        return step is None or ticket.at - self.t0 >= step.end + 1e-6

    def locate(self, moment: float) -> tuple[int, bool] | None:
        return self.plan.locate(moment - self.t0) if self.t0 is not None else None

    def cut(self, reason: str, *, lead: float = 0.3) -> None:
        """master/local: end the schedule ``lead`` seconds from now (early stop)."""
        if self.cut_at is not None or self.t0 is None:
            return
        at = time.time() - self.t0 + lead
        self.stop_reason = reason
        self._apply_cut(at)
        if self.role == "master":
            self.environment.runner.send_message("vb_cut", {"at": at, "reason": reason})
        log.info("stopping early: %s", reason)

    def _apply_cut(self, at: float) -> None:
        self.cut_at = at
        if self.dispenser is not None:
            self.dispenser.stop(at)

    def set_phase(self, phase: dict[str, Any] | None) -> None:
        """Every process: the ratelimit profile's later phases (None: there are none).

        A phase with ``ramp_from`` re-plans the open-model ramp itself from that moment (new
        tickets, never backing off) up to ``cut``; a phase with ``final`` false leaves the
        decision open (the profile decides again once it has seen more)."""
        self.phase = phase
        if phase is not None:
            self.plan = self.behaviour.phase_plan(self, phase)
            start = phase.get("ramp_from")
            if start is not None and self.t0 is not None and getattr(self.dispenser, "start", None) != start:
                self.dispenser = TicketDispenser(self.plan, self.t0, self.worker_index, self.workers, start=start)
                self.replanned = True
            if self.dispenser is not None:
                self.dispenser.stop(phase["cut"])
        elif self.cut_at is None:
            self._apply_cut(time.time() - (self.t0 or time.time()))
        if phase is None or phase.get("final", True):
            self.phase_decided.set()

    def decide_phase(self, phase: dict[str, Any] | None) -> None:
        """master/local: decide the phases (or the next of them) and tell the workers."""
        if phase is not None:
            phase = {**phase, "users": self.users_total(), "pool": self.pool}
        if self.role == "master":
            self.environment.runner.send_message("vb_phase", {"phase": phase})
        self.set_phase(phase)

    @property
    def end(self) -> float | None:
        """Seconds from t0 after which nothing more is scheduled."""
        if self.t0 is None:
            return None
        ends = [self.plan.duration]
        if self.cut_at is not None and self.phase is None:
            ends.append(self.cut_at)
        return min(ends)

    def past_deadline(self) -> bool:
        """The hard bound of every loop here: t0 + --duration + HARD_EXTRA_S."""
        return self.t0 is not None and time.time() > self.t0 + self.options.duration + HARD_EXTRA_S

    def schedule_over(self) -> bool:
        """Every process: nothing is due any more and answers have had their drain time."""
        if self.past_deadline():
            return True
        if self.t0 is None or self.behaviour.waiting_for_decision(self):
            return False
        return time.time() > self.t0 + self.end + self.plan.drain

    def finished(self) -> bool:
        """master/local: the shape's signal to quit (schedule over, answers in, reports in)."""
        if self.fatal or self.past_deadline():
            return True
        if self.t0 is None or self.behaviour.waiting_for_decision(self):
            return False
        margin = self.plan.drain + (REPORT_INTERVAL + 0.5 if self.role == "master" else 0.2)
        return time.time() >= self.t0 + self.end + margin

    def fail(self, reason: str) -> None:
        """The run cannot go on (login refused, no schedule): it ends, invalid (exit 2)."""
        if not self.fatal:
            self.fatal = reason
            log.error("voipbin-harness load: %s", reason)

    # -- background greenlets -------------------------------------------------------------------
    def _monitor(self) -> None:
        """master/local: hand settled steps to the profile (early stop, phases), sample memory,
        and quit as soon as the run is over (the shape would notice only at its next 1 s tick)."""
        margin = REPORT_INTERVAL + 0.5 if self.role == "master" else 0.3
        judged, ended = -1, False
        while not self.done and not self.finished():
            gevent.sleep(0.1)
            now = time.time() - self.t0
            try:
                settled = [s for s in self.plan.steps if s.end + margin <= now]
                if settled and settled[-1].index != judged:
                    judged = settled[-1].index
                    self.behaviour.monitor(self, settled)
                    self.behaviour.sample(self, now)
                elif not ended and self.plan.steps and now >= self.plan.duration + margin:
                    ended = True
                    self.behaviour.monitor(self, list(self.plan.steps))
            except Exception:  # a bug in a profile's hook must not keep the run alive
                log.exception("voipbin-harness load: monitoring failed; ending the run")
                self.fail("the run's monitor failed (see locust.log)")
        if not self.done:
            self.environment.runner.quit()

    def _probe_loop(self) -> None:
        """generator processes: how late this process's event loop wakes a timer, all the time.

        Send lag is only measured when a free user waits for a ticket; when every user is busy
        (overload) there is none, yet a starved generator (no CPU, or a busy machine) still
        delays every answer it reads. This probe sleeps PROBE_S again and again and records the
        oversleep into the same ``lag`` histogram, so generator health is known at any load.
        """
        while not self.done and self.t0 is not None:
            before = time.time()
            gevent.sleep(PROBE_S)
            after = time.time()
            if self.schedule_over():
                return
            where = self.locate(after)
            if where is not None and where[1]:
                record(self.book.at(where[0]).histograms["lag"], max(0.0, after - before - PROBE_S))

    def _sample_cpu(self) -> None:
        """generator processes: mean CPU share of this process over each step's hold window."""
        i = 0
        while not self.done and i < 10_000:
            steps = self.plan.steps
            if i >= len(steps):
                if self.schedule_over():
                    return
                gevent.sleep(0.5)
                continue
            step = steps[i]
            gevent.sleep(max(0.0, self.t0 + step.hold_start - time.time()))
            cpu0, wall0 = time.process_time(), time.time()
            end = self.plan.steps[i].end if i < len(self.plan.steps) else step.end
            gevent.sleep(max(0.0, self.t0 + end - time.time()))
            wall = time.time() - wall0
            if wall > 0.2:
                stats = self.book.at(step.index)
                stats.peak("cpu", round(100 * (time.process_time() - cpu0) / wall, 1))
                stats.peak("pool", self.environment.runner.user_count)
            i += 1

    # -- the end ----------------------------------------------------------------------------------
    def pacing(self) -> dict[str, Any]:
        """summary.json's ``pacing``: this process's set-up pacing plus every worker's (counts summed)."""
        total = self.pacer.summary()
        for worker in self.worker_pacing.values():
            for key, value in worker.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) and key in PACING_COUNTS:
                    total[key] = round(total[key] + value, 3)
            if worker.get("slowed_to") is not None:
                total["slowed_to"] = min(filter(None, (total.get("slowed_to"), worker["slowed_to"])))
        total["scope"] = "set-up requests (warm-up, login, prefetch); the measured load is never paced"
        return total

    def finish(self) -> int:
        """master/local, on quitting: summary.json, chart, exit code."""
        self.done = True
        if self.writer is None:
            self.writer = SummaryWriter(self.options.report_dir, "load", profile=self.options.profile,
                                        target={"name": self.options.target_name, "origin": self.options.host})
        meta = self._meta()
        if self.fatal or self.t0 is None:
            reason = self.fatal or "the run never started"
            self.writer.close(**meta, verdict="invalid", exit_code=2, invalid=[reason], steps=[])
            print(f"voipbin-harness load: invalid run: {reason}", file=sys.stderr)
            return 2
        outcome = self.behaviour.outcome(self)
        write_counts(self.options.report_dir, "load", self.merged.at(RUN).counts)  # coverage.json (issue 12)
        code = write_outcome(outcome, self.writer, plan=self.plan, meta=meta,
                             chart_path=Path(self.options.report_dir) / "chart.png")
        print(self.behaviour.headline(self, outcome, int(code)))
        return int(code)

    def _meta(self) -> dict[str, Any]:
        o = self.options
        stats = self.environment.runner.stats if self.environment.runner else None
        locust_count = sum(e.num_requests for e in stats.entries.values()
                           if str(e.name).startswith(o.base_path + "/")) if stats else None
        return {
            "options": {"rate": o.rate, "start_rate": o.start_rate, "step_factor": o.step_factor,
                        "settle": o.settle, "hold": o.hold, "duration": o.duration, "auth": o.auth,
                        "max_rate": o.max_rate, "thresholds": o.thresholds.source, "profiles": o.config.source},
            "plan": [{"index": s.index, "label": s.label, "rate": s.rate, "start": round(s.start, 3),
                      "settle": s.settle, "hold": round(s.hold, 3)} for s in self.plan.steps],
            "generator": {"processes": self.workers, "users_per_process": self.pool, "role": self.role,
                          "locust": locust_version},
            "stopped_early": self.stop_reason,
            "merge_check": {"recorded": self.merged.at(RUN).counts["requests"], "locust": locust_count,
                            "worker_reports": self.merged.reports},
            "latency_note": "latency percentiles (ms) are measured from each request's scheduled send time",
            "pacing": self.pacing(),
        }
