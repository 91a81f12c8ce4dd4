"""pytest wiring of the contracts suite: its own options (the root conftest has the target ones),
where its reports go, which operations run, the time-budget plan, the once-per-run ``contract_run``
fixture, turning an operation's findings into that operation's test failure, and keeping every
finding when the run is stopped (SIGINT, SIGTERM, a timeout): the summary is then written marked
``"complete": false`` before the process exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis.errors import HypothesisException
from schemathesis.core.errors import SchemathesisError

from voipbin_harness.coverage import close_recorder
from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import FINDINGS_LOG, Finding, SummaryWriter
from voipbin_harness.options import add_to_pytest
from voipbin_harness.options.contracts import CONTRACTS
from voipbin_harness.options.emulator import emulator_argv
from voipbin_harness.pacing import Pacer
from voipbin_harness.spec import Spec, load_spec
from voipbin_harness.spec.diff import changed_since
from voipbin_harness.target import Target, rate_limit_of, resolve

from .builtins import switched_off
from .identity import callers
from .merge import WORKERS_DIR, merge_worker_summaries, worker_dir
from .plan import Plan, make_plan, run_started
from .runner import ContractRun, QuotaSpent
from .schema import build_schema, schemathesis_config
from .selection import filter_reason, safety_reason, validate_allowed
from .settings import Collected, ContractSettings, current, install
from .summary import ThrottledSummaryWriter, counts_block
from .workflows import workflows

SUITE = "contracts"
_RUN = pytest.StashKey[ContractRun]()
_SAFETY = pytest.StashKey[dict[str, str]]()
_MERGED = pytest.StashKey[dict[str, Any]]()
#: Seconds an interrupted run still spends deleting what it created (the check runner allows 15).
INTERRUPTED_CLEANUP_S = 5.0
_interrupted = False  # set once the run is being stopped (SIGINT, SIGTERM, pytest.exit)
_first_signal: float | None = None
REPEAT_S = 10.0  # a second stop signal within this many seconds is the same stop


def pytest_addoption(parser: pytest.Parser) -> None:
    """The contracts table (``voipbin_harness.options.contracts``); the root conftest has the shared ones."""
    add_to_pytest(parser, CONTRACTS)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Read the settings, load the spec, and point JUnit and allure at the report folder (before their
    own plugins configure, hence tryfirst)."""
    started = run_started()
    _stop_on_signals()
    try:
        settings = ContractSettings.from_pytest(config)
        spec = load_spec(settings.spec_source)
        validate_allowed(spec, settings)
    except HarnessError as exc:
        raise pytest.UsageError(exc.one_line()) from None
    deselected = {op.label: reason for op in spec.operations if (reason := filter_reason(op, settings))}
    if len(deselected) == len(spec.operations):
        raise pytest.UsageError("the --include-tag/--include-path filters select no operation of the spec")
    schema = None
    plan = None
    if not _is_controller(config):  # the pytest-xdist controller collects nothing: its workers do
        if settings.time_budget is not None:
            try:
                plan = _plan(config, settings, spec, deselected, started)
            except HarnessError as exc:
                raise pytest.UsageError(exc.one_line()) from None
            settings = dataclasses.replace(settings, max_examples=plan.max_examples)
        schema = build_schema(spec, settings)
        if deselected:
            schema = schema.include(lambda ctx: ctx.operation.label not in deselected)
    install(Collected(settings, spec, schema, deselected, plan))
    if _worker_id(config):  # pytest-xdist worker: allure writes here, the controller cleaned the folder
        if hasattr(config.option, "allure_report_dir") and not config.option.allure_report_dir:
            config.option.allure_report_dir = str(settings.report_dir / "allure-results")
        config.option.clean_alluredir = False
        return
    if not config.option.xmlpath:
        config.option.xmlpath = str(settings.report_dir / "junit.xml")
    if hasattr(config.option, "allure_report_dir") and not config.option.allure_report_dir:
        config.option.allure_report_dir = str(settings.report_dir / "allure-results")
        config.option.clean_alluredir = True
    shutil.rmtree(settings.report_dir / WORKERS_DIR, ignore_errors=True)
    if _is_controller(config):
        # the run's summary exists (incomplete) from the start, and its findings.jsonl gets every worker's
        # findings as they are met: a run stopped any way keeps them (merged at the end)
        SummaryWriter(settings.report_dir, SUITE, target={"name": settings.target}, settings=_settings_block(settings))


def _workers(config: pytest.Config) -> int:
    """How many processes send at once: the pytest-xdist workers (1 without xdist)."""
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT") or getattr(config.option, "numprocesses", None) or 1
    try:
        return max(1, int(count))
    except ValueError:
        return 1


def _plan(config: pytest.Config, settings: ContractSettings, spec: Spec, deselected: dict[str, str],
          started: float) -> Plan:
    """The time-budget plan, from the same rate the target's pacer will use (``rate_limit_of``)."""
    target = settings.resolved or resolve(settings.target)
    if target.is_emulator:
        target = dataclasses.replace(target, emulator_args=emulator_argv(
            rate_limit=config.getoption("--emulator-rate-limit")))
    limit, _source = rate_limit_of(target, config.getoption("--rate"))
    workers = _workers(config)
    per_worker = Pacer(limit, share=workers).rate
    selected = [op for op in spec.operations if op.label not in deselected and safety_reason(op, settings) is None]
    labels = {op.label for op in selected}
    cycles = [w for w in workflows(spec)[0] if all(op.label in labels for op in w.operations)]
    assert settings.time_budget is not None
    return make_plan(time_budget=settings.time_budget, rate=per_worker * workers if per_worker else None,
                     workers=workers, operations=len(selected),
                     create_operations=sum(1 for op in selected if op.role == "create"),
                     workflows=len(cycles) if "stateful" in settings.phases else 0,
                     max_examples=settings.max_examples, started=started, request_budget=settings.request_budget)


def _stop_on_signals() -> None:
    """SIGTERM stops the run as Ctrl-C does (pytest then tears down and the summary is written). The
    same stop often arrives twice (a signal to the whole process group, and the ``contracts`` command
    passing it on): a repeat within ``REPEAT_S`` is ignored, so it cannot cut the summary short."""
    def interrupt(signum: int, frame: Any) -> None:
        global _interrupted, _first_signal
        now = time.monotonic()
        if _first_signal is not None and now - _first_signal < REPEAT_S:
            return
        _interrupted, _first_signal = True, now
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError):  # not the main thread: leave the defaults
            signal.signal(signum, interrupt)


def pytest_keyboard_interrupt(excinfo: Any) -> None:
    """The run is being stopped (a signal, or ``pytest.exit`` on a fatal error): the summary says incomplete."""
    global _interrupted
    _interrupted = True


def _worker_id(config: pytest.Config) -> str | None:
    """The pytest-xdist worker id ("gw0"...), or None in a single process or on the controller."""
    return getattr(config, "workerinput", {}).get("workerid")


def _is_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and _worker_id(config) is None


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Iterator[None]:
    """On the pytest-xdist controller: merge the workers' summaries into one, once pytest-xdist has
    stopped them (after the other hooks: its own shuts the workers down), even when interrupted."""
    try:
        return (yield)
    finally:
        if _is_controller(session.config):
            merged = merge_worker_summaries(current().settings.report_dir, SUITE,
                                            interrupted=_interrupted or exitstatus == pytest.ExitCode.INTERRUPTED)
            if merged is not None:
                session.config.stash[_MERGED] = merged


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect workflows the filters leave out; skip (with the reason) what live safety holds back.
    (Operations the filters leave out are not even built: the schema excludes them.)"""
    collected = current()
    safety: dict[str, str] = {}
    keep, drop = [], []
    for item in items:
        _give_unique_node_id(item)
        labels = _labels_of(item)
        if labels and all(label in collected.deselected for label in labels):
            drop.append(item)
            continue
        held = {label: reason for label in labels
                if (reason := safety_reason(collected.spec.operation(label), collected.settings))}
        if held:
            item.add_marker(pytest.mark.skip(reason=next(iter(held.values()))))
            safety.update(held)
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    previous = config.getoption("--previous-spec")
    if previous:  # a pre-release run: what changed since the previous spec first (a stable sort keeps the rest)
        try:
            changed = changed_since(previous, collected.spec)
        except HarnessError as exc:
            raise pytest.UsageError(f"--previous-spec: {exc.one_line()}") from None
        items.sort(key=lambda item: not changed.intersection(_labels_of(item)))
    config.stash[_SAFETY] = safety


def _give_unique_node_id(item: pytest.Item) -> None:
    """``test_operation[GET /flows]``, not ``test_operation`` for all 410: pytest 9 builds a Function's
    node id from ``originalname`` and the callspec, and Schemathesis 4.32 passes neither the operation
    (JUnit, allure and xdist all key tests by node id)."""
    label = getattr(item, "operation_label", None)
    if label and "[" not in item.nodeid:
        item._id = item.parent.id.child(getattr(item, "originalname", item.name)).with_params(label)


def _labels_of(item: pytest.Item) -> list[str]:
    """The operations an item exercises: its Schemathesis operation, or a workflow's operations."""
    label = getattr(item, "operation_label", None)
    if label:
        return [label]
    workflow = getattr(getattr(item, "callspec", None), "params", {}).get("workflow")
    return [op.label for op in workflow.operations] if workflow is not None else []


@pytest.fixture(scope="session")
def contract_run(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[ContractRun]:
    """The run: opened on the target once, summary written and everything created deleted at the end."""
    collected = current()
    settings = collected.settings
    try:
        target: Target = request.getfixturevalue("target")
        target.auth(settings.auth)  # logs in now: rejected credentials stop the run here
    except HarnessError as exc:
        pytest.exit(f"voipbin-harness: error: {exc.one_line()}", returncode=2)
    worker = _worker_id(pytestconfig)
    summary_dir = worker_dir(settings.report_dir, worker) if worker else settings.report_dir
    writer = ThrottledSummaryWriter(summary_dir, SUITE, target=_target_block(target, settings),
                                    settings=_settings_block(settings, target),
                                    shared_log=settings.report_dir / FINDINGS_LOG if worker else None)
    run = ContractRun(spec=collected.spec, schema=collected.schema, target=target, settings=settings, writer=writer,
                      plan=collected.plan)
    pytestconfig.stash[_RUN] = run
    try:
        run.open()
        yield run
    finally:
        run.spec_findings()
        deselected = {**collected.deselected, **pytestconfig.stash.get(_SAFETY, {})}

        def blocks(cleanup: dict[str, Any] | None) -> dict[str, Any]:
            totals = {key: sum(getattr(state, key) for state in run.states.values())
                      for key in ("cases", "answered", "held_back", "held_credentials", "over_quota")}
            extra = {"operation_states": run.operation_states(deselected)} if worker else {}
            return dict(operations=run.operations_block(deselected), counts=counts_block(writer.findings, **totals),
                        **extra, requests=run.requests, pacing=target.pacer.summary(),
                        plan=collected.plan.block() if collected.plan else None,
                        undeclared_429=sorted(run.undeclared_429), credentials=run.credentials_block(),
                        budget_exhausted=run.budget_exhausted, cleanup=cleanup, workflows=run.workflows,
                        auth_probe=run.auth_probe_block(), checks=run.tally.block(),
                        checks_off=switched_off(collected.spec, settings.phases))

        if _interrupted:  # findings first, then what cleanup the time allows, still marked incomplete
            writer.checkpoint(**blocks(None), stopped="interrupted (SIGINT/SIGTERM, a timeout, or a fatal error)")
            writer.checkpoint(**blocks(run.cleanup(deadline=time.time() + INTERRUPTED_CLEANUP_S)))
        else:
            writer.close(**blocks(run.cleanup()))
        close_recorder(complete=not _interrupted)  # coverage.json, marked complete or not
        callers.clear()


def _target_block(target: Target, settings: ContractSettings) -> dict[str, Any]:
    block: dict[str, Any] = {"name": target.name, "origin": target.origin, "base_path": target.base_path,
                             "auth": settings.auth}
    if target.is_emulator:
        block["emulator_profile"] = settings.emulator_profile
    return block


def _settings_block(settings: ContractSettings, target: Target | None = None) -> dict[str, Any]:
    return {"max_examples": settings.max_examples, "seed": settings.seed, "phases": sorted(settings.phases),
            "include_tags": list(settings.include_tags), "include_paths": [p.pattern for p in settings.include_paths],
            "rate": target.pacer.summary()["limit"] if target else None, "time_budget": settings.time_budget,
            "request_budget": settings.request_budget,
            "allow_writes": settings.allow_writes, "allow_operations": sorted(settings.allow_operations),
            "schemathesis": schemathesis_config(settings)}


class OperationFindings(AssertionError):
    """The operation broke promises: one line per finding (details in summary.json and allure)."""

    def __init__(self, label: str, findings: list[Finding]) -> None:
        lines = [f"{len(findings)} finding(s) on {label}:"]
        lines += [f"  [{f.check}] {f.message}\n    Expected: {f.expected}\n    Received: {f.got}\n"
                  f"    Reproduce: {f.reproduce}" for f in findings]
        super().__init__("\n".join(lines))


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[Any]:
    """After an operation's cases all ran, fail its test if they met any defect; an operation that
    Schemathesis cannot test is skipped with the reason (and listed as not tested)."""
    run = item.config.stash.get(_RUN, None)
    label = getattr(item, "operation_label", None)
    try:
        result = yield
    except QuotaSpent:  # the operation sent what the plan gives it: judged on those
        result = None
    except HarnessError as exc:
        pytest.exit(f"voipbin-harness: error: {exc.one_line()}", returncode=2)
    except (SchemathesisError, HypothesisException) as exc:
        state = run.states.get(label) if run is not None and label else None
        if state is not None and state.answered == 0:
            state.not_tested = f"Schemathesis cannot test it: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
            pytest.skip(state.not_tested)
        raise
    if run is not None and label:
        findings = run.findings_of(label)
        if findings:
            raise OperationFindings(label, findings)
    return result


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None:
        block = run.operations_block({**current().deselected, **config.stash.get(_SAFETY, {})})
        pacing = run.pacer.summary()
        line = (f"operations exercised: {block['exercised']}/{block['total']}; findings: {len(run.writer.findings)}; "
                f"requests: {run.requests}; 429s met: {pacing['rate_limited']}; paced waits: "
                f"{pacing['paced_waits']} ({pacing['paced_seconds']} s); retry waits: {pacing['retry_waits']}")
        where = run.writer.directory
    elif (merged := config.stash.get(_MERGED, None)) is not None:
        ops = merged["operations"]
        pacing = merged.get("pacing") or {}
        line = (f"operations exercised: {ops['exercised']}/{ops['total']}; findings: {len(merged['findings'])}; "
                f"requests: {merged['requests']}; 429s met: {pacing.get('rate_limited')}; paced waits: "
                f"{pacing.get('paced_waits')} ({pacing.get('paced_seconds')} s); retry waits: "
                f"{pacing.get('retry_waits')} ({merged['workers']} workers)")
        where = current().settings.report_dir
    else:
        return
    terminalreporter.write_sep("-", "VoIPBIN contracts")
    terminalreporter.write_line(line)
    terminalreporter.write_line(f"report: {where / 'summary.json'}")
