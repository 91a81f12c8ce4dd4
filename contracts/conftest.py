"""pytest wiring of the contracts suite: its own options (the root conftest has the target ones),
where its reports go, which operations run, the once-per-run ``contract_run`` fixture, and turning
an operation's findings into that operation's test failure.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis.errors import HypothesisException
from schemathesis.core.errors import SchemathesisError

from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import Finding
from voipbin_harness.spec import load_spec
from voipbin_harness.target import Target

from .identity import callers
from .merge import WORKERS_DIR, merge_worker_summaries, worker_dir
from .runner import ContractRun
from .schema import build_schema, schemathesis_config
from .selection import filter_reason, safety_reason, validate_allowed
from .settings import DEFAULT_MAX_EXAMPLES, PHASES, Collected, ContractSettings, current, install
from .summary import ThrottledSummaryWriter, counts_block

SUITE = "contracts"
_RUN = pytest.StashKey[ContractRun]()
_SAFETY = pytest.StashKey[dict[str, str]]()
_MERGED = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contracts", "VoIPBIN contracts suite")
    group.addoption("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES, metavar="N",
                    help=f"fuzzing examples per operation (default {DEFAULT_MAX_EXAMPLES}; the examples and "
                         "coverage phases come on top)")
    group.addoption("--include-tag", action="append", default=[], metavar="TAG",
                    help="only operations with this tag (repeatable, OR'ed)")
    group.addoption("--include-path", action="append", default=[], metavar="REGEX",
                    help="only operations whose path matches (repeatable, OR'ed; AND'ed with --include-tag)")
    group.addoption("--auth", choices=["bearer", "accesskey"], default="bearer",
                    help="send the JWT as a Bearer header (default) or the access key as ?accesskey=")
    group.addoption("--allow-operation", action="append", default=[], metavar='"METHOD /path"',
                    help="against a non-loopback target, allow this operation that costs money or reaches "
                         "people (calls, messages, e-mails, campaigns, number purchase...); repeatable")
    group.addoption("--client-rate-limit", default=None, metavar="N/s|off",
                    help="client-side request rate (default: off on loopback, 5/s otherwise)")
    group.addoption("--request-budget", type=int, default=None, metavar="N",
                    help="stop sending after N requests (default: none on loopback, 2000 otherwise; 0 = none)")
    group.addoption("--phases", default=",".join(PHASES), metavar="LIST",
                    help=f"comma list of {', '.join(PHASES)} (default: all)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Read the settings, load the spec, and point JUnit and allure at the report folder (before their
    own plugins configure, hence tryfirst)."""
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
    if not _is_controller(config):  # the pytest-xdist controller collects nothing: its workers do
        schema = build_schema(spec, settings)
        if deselected:
            schema = schema.include(lambda ctx: ctx.operation.label not in deselected)
    install(Collected(settings, spec, schema, deselected))
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


def _worker_id(config: pytest.Config) -> str | None:
    """The pytest-xdist worker id ("gw0"...), or None in a single process or on the controller."""
    return getattr(config, "workerinput", {}).get("workerid")


def _is_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and _worker_id(config) is None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On the pytest-xdist controller: merge the workers' summaries into one."""
    if _is_controller(session.config):
        merged = merge_worker_summaries(current().settings.report_dir, SUITE)
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
                           settings=_settings_block(settings))
    run = ContractRun(spec=collected.spec, schema=collected.schema, target=target, settings=settings, writer=writer)
    run.open()
    pytestconfig.stash[_RUN] = run
    try:
        yield run
    finally:
        cleanup = run.cleanup()
        deselected = {**collected.deselected, **pytestconfig.stash.get(_SAFETY, {})}
        totals = {key: sum(getattr(state, key) for state in run.states.values())
                  for key in ("cases", "answered", "held_back")}
        extra = {"operation_states": run.operation_states(deselected)} if _worker_id(pytestconfig) else {}
        writer.close(operations=run.operations_block(deselected), counts=counts_block(writer.findings, **totals),
                     **extra,
                     rate_limit_waits=run.rate_limit_waits, requests=run.requests,
                     budget_exhausted=run.budget_exhausted, cleanup=cleanup, workflows=run.workflows,
                     auth_probe=run.auth_probe_block())
        callers.clear()


def _target_block(target: Target, settings: ContractSettings) -> dict[str, Any]:
    block: dict[str, Any] = {"name": target.name, "origin": target.origin, "base_path": target.base_path,
                             "auth": settings.auth}
    if target.is_emulator:
        block["emulator_profile"] = settings.emulator_profile
    return block


def _settings_block(settings: ContractSettings) -> dict[str, Any]:
    return {"max_examples": settings.max_examples, "seed": settings.seed, "phases": sorted(settings.phases),
            "include_tags": list(settings.include_tags), "include_paths": [p.pattern for p in settings.include_paths],
            "client_rate_limit": settings.client_rate_limit, "request_budget": settings.request_budget,
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
        line = (f"operations exercised: {block['exercised']}/{block['total']}; findings: {len(run.writer.findings)}; "
                f"requests: {run.requests}; rate-limit waits: {run.rate_limit_waits}")
        where = run.writer.directory
    elif (merged := config.stash.get(_MERGED, None)) is not None:
        ops = merged["operations"]
        line = (f"operations exercised: {ops['exercised']}/{ops['total']}; findings: {len(merged['findings'])}; "
                f"requests: {merged['requests']}; rate-limit waits: {merged['rate_limit_waits']} "
                f"({merged['workers']} workers)")
        where = current().settings.report_dir
    else:
        return
    terminalreporter.write_sep("-", "VoIPBIN contracts")
    terminalreporter.write_line(line)
    terminalreporter.write_line(f"report: {where / 'summary.json'}")
