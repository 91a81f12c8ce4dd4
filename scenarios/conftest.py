"""pytest wiring of the scenarios suite: results, live safety, and the actors scenarios talk as.

The root ``conftest.py`` owns the shared options (--target, --spec, --report-dir, --seed,
--allow-writes...) and the ``spec``/``target`` fixtures; this file only adds what the suite
itself needs:

- results: ``DIR/junit.xml``, ``DIR/allure-results/`` and ``DIR/summary.json`` (suite
  "scenarios"; DIR = --report-dir, default ``reports/scenarios``). Findings are taken off the
  final exception of a failed scenario, so every finding has its failing test; the run exits 1
  whenever a finding exists, and 2 when the target cannot be used at all. ``summary.json`` is
  rewritten after every test and on SIGTERM/SIGINT (``"complete": false`` until the run ends);
- pacing and budget: the ``api`` client paces every request with ``target.pacer`` (``client``);
  ``--time-budget SECONDS`` plans every scenario's examples to fit (``budget``); both are reported
  in ``summary.json`` (``"pacing"``, ``"plan"``);
- live safety: scenarios marked ``writes`` are skipped, with the reason, on a non-loopback
  target unless --allow-writes;
- actors: ``alpha`` (the primary customer, JWT), ``alpha_by_key`` (its access key), ``bravo``
  (the other customer), ``agent`` (a customer-agent-level agent), ``control`` (the emulator's
  control endpoints); each skips with the reason when what it needs is not configured.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import core as hypothesis_core
from hypothesis import settings as hypothesis_settings
from hypothesis.vendor import pretty as hypothesis_pretty

from voipbin_harness import coverage
from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import WORKERS_DIR, SummaryWriter
from voipbin_harness.options import add_to_pytest
from voipbin_harness.options.scenarios import DEFAULT_REPORT_DIR, SCENARIOS
from voipbin_harness.spec import MissingOperation, Spec
from voipbin_harness.target import Target, is_loopback_url

from . import budget, strategies
from .actors import Actor
from .client import OTHER, PRIMARY, Api, Auth
from .control import Control
from .reporting import Results

# Schemathesis' pytest plugin (loaded in every pytest process) swaps Hypothesis' example printer for
# one that prints nothing, a speed-up for its own generated tests. A failing scenario must show the
# example (and the state machine program) that broke the promise, so this process gets it back.
hypothesis_core.RepresentationPrinter = hypothesis_pretty.RepresentationPrinter
_WRITER = pytest.StashKey[SummaryWriter]()
_RESULTS = pytest.StashKey[Results]()


# -- options ----------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    """The scenarios table (``voipbin_harness.options.scenarios``): what the root conftest or another
    suite's conftest of the same run declared already is left as it is."""
    add_to_pytest(parser, SCENARIOS)


# -- spec versions -------------------------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A scenario that needs an operation the spec in use lacks is skipped with the reason (the
    spec's ``MissingOperation``), never reported as a crash: suites adapt to the spec version."""
    outcome = yield
    report = outcome.get_result()
    missing = _missing_operation(call.excinfo.value) if call.excinfo is not None else None
    if missing is not None and report.failed:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {missing}")


def _missing_operation(error: BaseException | None, depth: int = 0) -> MissingOperation | None:
    """The ``MissingOperation`` behind ``error`` (Hypothesis may wrap it in a group), if any."""
    if error is None or depth > 8:
        return None
    if isinstance(error, MissingOperation):
        return error
    if isinstance(error, BaseExceptionGroup):
        found = [_missing_operation(e, depth + 1) for e in error.exceptions]
        return found[0] if found and all(found) else None
    return _missing_operation(error.__cause__, depth + 1)


# -- results --------------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Point JUnit and allure at the report dir before their plugins read the options."""
    config.addinivalue_line("markers", "writes: the scenario creates, changes or deletes data on the target")
    config.addinivalue_line("markers", "promise(p): the documented promise a scenario checks")
    report_dir = Path(config.getoption("--report-dir") or config.rootpath / DEFAULT_REPORT_DIR).resolve()
    if getattr(config.option, "xmlpath", None) is None:
        config.option.xmlpath = str(report_dir / "junit.xml")
    if getattr(config.option, "allure_report_dir", None) is None:
        config.option.allure_report_dir = str(report_dir / "allure-results")
        config.option.clean_alluredir = True
    target = config.getoption("--target")
    writer = SummaryWriter(
        report_dir, "scenarios", target={"name": target}, seed=config.getoption("--seed"),
        hypothesis_profile=hypothesis_settings.get_current_profile_name(),
        emulator_profile=config.getoption("--emulator-profile") if target == "emulator" else None,
    )
    config.stash[_WRITER] = writer
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # each process its own file (coverage.read_suite_coverage)
    coverage.open_recorder(report_dir / WORKERS_DIR / worker if worker else report_dir, "scenarios")
    results = config.stash[_RESULTS] = Results(writer)
    results.install_signal_handlers()
    config.pluginmanager.register(results, "scenarios-results")
    seed = config.getoption("--seed")
    if seed is not None and getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = seed  # the derandomized ci profile ignores it, by design


def pytest_unconfigure(config: pytest.Config) -> None:
    coverage.close_recorder()  # coverage.json, final


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Live safety: ``writes`` scenarios only on loopback targets, or with --allow-writes."""
    target = config.getoption("--target")
    loopback = target == "emulator" or (target != "live" and is_loopback_url(target))
    if loopback or config.getoption("--allow-writes"):
        return
    skip = pytest.mark.skip(reason=f"writes data: skipped on the non-loopback target {target!r} "
                                   "(read-only by default; pass --allow-writes to run it)")
    for item in items:
        if item.get_closest_marker("writes"):
            item.add_marker(skip)


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def _bind_spec(spec: Spec) -> None:
    strategies.use_spec(spec)


@pytest.fixture(scope="session", autouse=True)
def _plan(request: pytest.FixtureRequest, target: Target) -> None:
    """Plan every scenario's examples for the run's budget at the pacer's rate (``budget``)."""
    config = request.config
    budget_s = config.getoption("--time-budget", default=None)  # checked as pytest parsed it (options.values)
    items = [i for i in request.session.items if isinstance(i, pytest.Function) and not i.get_closest_marker("skip")]
    plan = budget.make_plan([(i.nodeid, i.originalname, budget.planned(i.function)) for i in items],
                            budget_s=budget_s, rate=target.pacer.rate)
    for item in items:
        if budget.planned(item.function) is not None:
            budget.apply(item.function, (plan.examples or {})[item.nodeid])
    config.stash[_RESULTS].plan = plan.to_dict()


@pytest.fixture(scope="session")
def api(target: Target, spec: Spec, pytestconfig: pytest.Config) -> Iterator[Api]:
    writer = pytestconfig.stash[_WRITER]
    writer.set(target={"name": target.name, "origin": target.origin})
    client = Api(target.origin, target.base_path, spec, pacer=target.pacer, on_finding=writer.add)
    results = pytestconfig.stash[_RESULTS]
    results.pacing, results.sent = client.pacing_summary, lambda: client.requests
    creds = target.credentials
    for value, variable, customer in (
            (target.token, "VOIPBIN_TOKEN", PRIMARY), (creds.accesskey, "VOIPBIN_ACCESSKEY", PRIMARY),
            (creds.other_accesskey, "VOIPBIN_OTHER_ACCESSKEY", OTHER), (creds.password, "VOIPBIN_PASSWORD", None),
            (creds.other_password, "VOIPBIN_OTHER_PASSWORD", None)):
        client.name_secret(value, variable, customer=customer)
    yield client
    client.close()


def _customer_id(actor: Actor) -> str | None:
    """The actor's customer id: ``GET /me`` (agents) or ``GET /customer`` (access keys)."""
    for path, field in (("/me", "customer_id"), ("/customer", "id")):
        exchange = actor.get(path)
        if exchange.ok and isinstance(exchange.data, dict) and isinstance(exchange.data.get(field), str):
            return exchange.data[field]
    return None


@pytest.fixture(scope="session")
def alpha(api: Api, target: Target) -> Actor:
    """The primary customer, by JWT when one is configured (else by access key)."""
    auth = Auth.bearer(target.token) if target.token else Auth.accesskey(target.credentials.accesskey or "")
    actor = Actor(api, auth, "alpha")
    actor.customer_id = _customer_id(actor)
    if actor.customer_id is None:
        raise HarnessError("the target does not say which customer the primary credentials belong to "
                           "(GET /me and GET /customer failed)")
    return actor


@pytest.fixture(scope="session")
def alpha_by_key(api: Api, target: Target, alpha: Actor) -> Actor:
    if not target.credentials.accesskey:
        pytest.skip("no access key configured for the primary customer (set VOIPBIN_ACCESSKEY)")
    return Actor(api, Auth.accesskey(target.credentials.accesskey), "alpha (access key)", alpha.customer_id)


@pytest.fixture(scope="session")
def bravo(api: Api, target: Target, alpha: Actor) -> Actor:
    """The second customer; cross-customer scenarios are skipped without one."""
    creds = target.credentials
    if not creds.has_other:
        pytest.skip("no second customer configured (set VOIPBIN_OTHER_USERNAME/VOIPBIN_OTHER_PASSWORD "
                    "or VOIPBIN_OTHER_ACCESSKEY)")
    token = target.other_token
    api.name_secret(token, "VOIPBIN_OTHER_TOKEN", customer=OTHER)
    auth = Auth.bearer(token) if token else Auth.accesskey(creds.other_accesskey or "")
    actor = Actor(api, auth, "bravo")
    actor.customer_id = _customer_id(actor)
    if actor.customer_id is None or actor.customer_id == alpha.customer_id:
        pytest.skip("the second customer's credentials do not identify a different customer")
    return actor


@pytest.fixture(scope="session")
def agent(api: Api, target: Target, alpha: Actor) -> Actor:
    """A customer-agent-level agent of the primary customer (VOIPBIN_AGENT_USERNAME/PASSWORD)."""
    creds = target.credentials
    if not (creds.agent_username and creds.agent_password):
        pytest.skip("no customer-agent-level agent configured (set VOIPBIN_AGENT_USERNAME and "
                    "VOIPBIN_AGENT_PASSWORD)")
    try:
        token = target.login(creds.agent_username, creds.agent_password)
    except HarnessError as exc:
        pytest.skip(f"the configured agent cannot log in: {exc.one_line()}")
    api.name_secret(token, "VOIPBIN_AGENT_TOKEN", customer=PRIMARY)  # one customer bucket at the gateway
    return Actor(api, Auth.bearer(token), "agent", alpha.customer_id)


@pytest.fixture(scope="session")
def control(target: Target) -> Iterator[Control]:
    """The emulator's control endpoints; scenarios that need them skip on any other target."""
    if not target.is_loopback:
        pytest.skip(f"needs the emulator's control endpoints; the target {target.name!r} is not on loopback")
    found, why = Control.probe(target.origin)
    if found is None:
        pytest.skip(f"needs the emulator's control endpoints: {why}")
    yield found
    found.close()


@pytest.fixture(scope="session")
def jwt_key(target: Target) -> str:
    key = target.credentials.jwt_key or os.environ.get("VOIPBIN_JWT_KEY")
    if not key:
        pytest.skip("the target's JWT signing key is not known (set VOIPBIN_JWT_KEY to mint tokens)")
    return key
