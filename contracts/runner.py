"""One contracts run against one target: sends every case, paced under the target's rate limit,
checks every answer, turns every failure into a finding, and deletes what it created.

Every request (cases, the unauthenticated probes, workflows, deletes, the first GETs) goes through
the process's ``Target.pacer`` (``voipbin_harness.pacing``): a 429 met anyway is held to the
rate-limit answer promise, waited out and sent again, and never blamed on the check that met it.
Requests that could change what the harness runs with (``conventions.credentials``) are not sent
unless named with ``--allow-operation``; with a time budget, an operation's cases beyond its quota
(``contracts.plan``) are not sent either, and every one of those is counted.

Every check's outcome on every answer judged is counted (passed, failed, or skipped by its guard:
``contracts.tally``, the built-ins' guards in ``contracts.builtins``), so a check that never applies
shows in ``summary.json`` instead of passing unseen; the end-of-run blocks are ``contracts.run_blocks``.

The pytest layer (``contracts/conftest.py``, the test modules) only hands cases to ``exercise``
and asks ``finish_operation`` for the operation's findings; nothing here fails inside Hypothesis,
so an operation's every case runs and every distinct defect is reported, not just the first.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
import requests
from _pytest.outcomes import Skipped
from requests.structures import CaseInsensitiveDict
from schemathesis import BaseSchema, Case, CheckContext, GenerationMode, Response
from schemathesis.core.failures import AcceptedNegativeData, Failure
from schemathesis.engine.run import PhaseName
from schemathesis.openapi.checks import JsonSchemaError, RejectedPositiveData, UndefinedStatusCode

from voipbin_harness import coverage
from voipbin_harness.conventions.auth import unverified_agent
from voipbin_harness.conventions.credentials import CREDENTIAL_COLLECTIONS, IdentityGuard
from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER
from voipbin_harness.conventions.pagination import (
    NEXT_TOKEN_FIELD,
    PAGE_SIZE_PARAM,
    PAGE_TOKEN_PARAM,
    RESULT_FIELD,
)
from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import Finding, SummaryWriter
from voipbin_harness.pacing import Answer, answer_of
from voipbin_harness.spec import Operation, Spec
from voipbin_harness.spec.adapt import silent_spec_finding
from voipbin_harness.spec.phones import PhoneRules
from voipbin_harness.target import Target

from .builtins import enabled_names, guarded
from .checks import PROBE_CHECKS, WORKFLOW_RULES, declares_rate_limit, rate_limit_answer, rate_limit_declared
from .identity import callers
from .ledger import Created, Ledger
from .phones import expected_refusal
from .plan import Plan
from .reporting import (
    attach_exchange,
    finding_from_failure,
    reproduce,
    request_of,
    undeclared_rate_limit_finding,
)
from .run_blocks import OperationState, RunBlocks
from .schema import REQUEST_TIMEOUT
from .selection import method_allowed
from .settings import ContractSettings
from .tally import FAILED, PASSED, CheckTally, Judged, judge_counted

__all__ = ["PACING_KEY", "BudgetExhausted", "ContractRun", "OperationState", "QuotaSpent"]

#: The pacer's key for the run's credential: the primary customer (its agents and keys share one bucket).
PACING_KEY = "primary"
#: Pages of a credential collection read at the start to learn which items existed before the run.
IDENTITY_PAGES = 5


def _is_negative(case: Case) -> bool:
    """Whether any part of ``case`` was generated to break the schema."""
    meta = case.meta
    return meta is not None and (meta.generation.mode.is_negative
                                 or any(c.mode.is_negative for c in meta.components.values()))


class BudgetExhausted(Exception):
    """The run's request budget is spent."""


class QuotaSpent(Skipped):
    """The operation sent its quota of cases (or the time budget ran out): stop generating more.

    A skip exception, so that Hypothesis ends the test at once instead of reporting a failure;
    ``contracts/conftest.py`` turns it back into the operation's verdict."""


def _response_answer(response: Response) -> Answer:
    """What the pacer needs of a Schemathesis response (body decoded only for a 429)."""
    headers = CaseInsensitiveDict({name: values[0] for name, values in response.headers.items() if values})
    body = None
    if response.status_code == 429:
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
    return answer_of(response.status_code, headers, body)


class ContractRun(RunBlocks):
    def __init__(self, *, spec: Spec, schema: BaseSchema, target: Target, settings: ContractSettings,
                 writer: SummaryWriter, plan: Plan | None = None) -> None:
        self.spec = spec
        self.schema = schema
        self.target = target
        self.settings = settings
        self.writer = writer
        self.plan = plan
        self.pacer = target.pacer
        self.guard = IdentityGuard(allowed=settings.allow_operations)
        self.undeclared_429: set[str] = set()  # operations that answered a 429 their spec entry does not declare
        self.silent_spec: dict[str, set[int]] = {}  # operation -> error statuses of a class its entry declares none of
        self.base_url = target.base_url
        self.auth = target.auth(settings.auth)
        self.auth_kind = "accesskey" if "params" in self.auth else "bearer"
        self.ledger = Ledger(spec)
        self.phones = PhoneRules(spec)  # the documented E.164 rule: its 400s are expected
        self.states = {op.label: OperationState(op) for op in spec.operations}
        self.requests = 0
        self.budget_exhausted = False
        self._ids = itertools.count(1)
        self._prefix = uuid.uuid4().hex[:8]
        self._lock = threading.Lock()
        self._findings: dict[str, Finding] = {}
        self.workflows: dict[str, Any] = {}  # name -> outcome (steps, stopped, finding ids)
        self._check_configs: dict[Any, Any] = {}  # (operation, phase) -> ChecksConfig, fixed for the run
        rules = WORKFLOW_RULES if "stateful" in settings.phases else ()
        self.tally = CheckTally([*enabled_names(schema), *rules])  # every check's passed/failed/skipped
        self.coverage = coverage.open_recorder(writer.directory, "contracts")  # what was exercised (issue 12)
        # one keep-alive session; on loopback it skips the per-request proxy lookup in the environment
        self.session = requests.Session()
        self.session.trust_env = not settings.loopback

    # -- setup ---------------------------------------------------------------------------------
    def open(self) -> None:
        """Learn who the run acts for (so checks can tell the caller's customer_id), and which agents,
        access keys and customer existed before the run (never changed unless named)."""
        key = self.auth.get("params", {}).get("accesskey")
        customer = None
        if key:
            response = self._raw_get("/customer")
            customer = response.get("id") if isinstance(response, dict) else None
            if isinstance(customer, str):
                callers.register(key, customer)
        protected = self.guard.protected
        token = self.target.token if "headers" in self.auth else None
        agent = unverified_agent(token) if token else None
        for value in ((agent or {}).get("id"), (agent or {}).get("customer_id"), customer):
            if isinstance(value, str):
                protected.add(value)
        for collection in CREDENTIAL_COLLECTIONS:
            protected.update(self._existing_ids(f"/{collection}"))

    def _existing_ids(self, path: str) -> set[str]:
        """Ids listed by ``GET path`` (a few pages at most): what existed before the run."""
        ids: set[str] = set()
        params: dict[str, Any] = {PAGE_SIZE_PARAM: 100}
        for _ in range(IDENTITY_PAGES):
            body = self._raw_get(path, params)
            items = body.get(RESULT_FIELD) if isinstance(body, dict) else None
            if not isinstance(items, list) or not items:
                break
            ids.update(item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str))
            token = body.get(NEXT_TOKEN_FIELD)
            if not isinstance(token, str) or not token or token == params.get(PAGE_TOKEN_PARAM):
                break
            params[PAGE_TOKEN_PARAM] = token
        return ids

    def _raw_get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """A paced GET as the run's credential (housekeeping: not judged); the JSON body or None."""
        query = {**(self.auth.get("params") or {}), **(params or {})}

        def send() -> requests.Response:
            return self.session.get(self.base_url + path, params=query, headers=self.auth.get("headers"),
                                    timeout=REQUEST_TIMEOUT)

        try:
            answer = self.pacer.call(send, lambda r: answer_of(r.status_code, r.headers), key=PACING_KEY).response
            return answer.json() if answer.ok else None
        except (requests.RequestException, ValueError):
            return None

    # -- one case --------------------------------------------------------------------------------
    def exercise(self, case: Case) -> None:
        """Send ``case`` (probing authentication once per operation first), check the answer, record."""
        state = self.states[case.operation.label]
        state.cases += 1
        if not method_allowed(case.method, self.settings):
            state.held_back += 1
            return
        reason = self.guard.request_reason(case.method, case.operation.path, case.path_parameters,
                                           declared=case.method.upper() == state.operation.method)
        if reason is not None:
            state.held_credentials += 1
            state.credential_reason = state.credential_reason or reason
            return
        positive = self._is_probe_candidate(case, state.operation)
        if not self._admit(state, positive):
            return
        try:
            if not state.probed and positive:
                state.probed = True
                probe = self.send(case, authenticated=False)
                if probe is not None:
                    self.judge(case, probe, checks=list(PROBE_CHECKS), authenticated=False)
                    self._covered(case, probe, negative=True)
            state.sent += 1
            state.positive_sent += positive
            response = self.send(case)
        except requests.Timeout:
            self._timed_out(case)
            return
        except BudgetExhausted:
            self.budget_exhausted = True
            if state.answered == 0:
                state.not_tested = "request budget exhausted before this operation (see --request-budget)"
                pytest.skip(state.not_tested)
            return
        if response is None:
            state.gave_up_429 += 1
            return
        state.answered += 1
        self.judge(case, response)
        self._covered(case, response, negative=_is_negative(case))
        created = self.track(case, state.operation, response)
        if created and _is_negative(case):
            self._discard(created)  # junk the target should have refused: gone before other tests read lists

    def _covered(self, case: Case, response: Response, *, negative: bool) -> None:
        """Record the answer in the run's coverage: status, case kind, declared parameters and enum values."""
        operation = self.states[case.operation.label].operation
        query = case.query if isinstance(case.query, dict) else None
        parameters, enums = coverage.tried_inputs(operation, query, case.body if isinstance(case.body, dict) else None,
                                                  self.spec.resolve)
        self.coverage.exchange(operation.label, response.status_code, negative=negative, parameters=parameters,
                               enum_values=enums)

    def _admit(self, state: OperationState, positive: bool) -> bool:
        """Whether this case may be sent under the plan; False to pass it over. Raises ``QuotaSpent``
        (ending the operation's test) once the quota is spent or the time budget is over, and a skip
        when the time budget ran out before the operation sent anything."""
        plan = self.plan
        if plan is None:
            return True
        if plan.operations_over() and state.sent == 0:
            with self._lock:
                plan.counts["operations_past_deadline"] += 1
            state.not_tested = (f"the time budget ({plan.time_budget_s:g} s, --time-budget) was spent before this "
                                "operation's turn")
            pytest.skip(state.not_tested)
        quota = plan.quota_per_operation
        if plan.operations_over() or (quota is not None and state.sent >= quota):
            with self._lock:
                plan.counts["operations_at_quota"] += 1
            self.coverage.cut(state.operation.label)
            raise QuotaSpent("quota spent")
        if quota is not None and not positive and state.positive_sent == 0 and state.sent >= quota - 1:
            with self._lock:  # the last slot is kept for a positive case
                plan.counts["cases_over_quota"] += 1
            state.over_quota += 1
            self.coverage.cut(state.operation.label)
            return False
        return True

    @staticmethod
    def _is_probe_candidate(case: Case, operation: Operation) -> bool:
        positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
        return positive and case.method.upper() == operation.method

    def send(self, case: Case, *, authenticated: bool = True, budget: bool = True) -> Response | None:
        """Send ``case`` paced; a 429 is judged as a rate-limit answer only, waited out and sent again
        (``pacing.Pacer.call``). None when it stayed rate limited."""
        paced = self.pacer.call(lambda: self._call(case, authenticated=authenticated, budget=budget),
                                _response_answer, key=PACING_KEY if authenticated else None,
                                on_limited=lambda response: self._rate_limited(case, response, authenticated))
        return None if paced.gave_up else paced.response

    def _rate_limited(self, case: Case, response: Response, authenticated: bool) -> None:
        """A 429 met on the way: hold it to the rate-limit answer promise (Retry-After, envelope,
        limited_by); an operation whose spec entry does not declare 429 is noted for the one spec
        finding (``spec_findings``), never a finding of the operation."""
        self.judge(case, response, checks=[rate_limit_answer], authenticated=authenticated)
        operation = self.spec.operation(case.operation.label)
        declared = declares_rate_limit(operation)
        self.tally.count({rate_limit_declared.__name__: PASSED if declared else FAILED})
        self.coverage.check(operation.label, rate_limit_declared.__name__, PASSED if declared else FAILED)
        if not declared:
            with self._lock:
                self.undeclared_429.add(operation.label)

    def spec_findings(self) -> None:
        """The gateway's undeclared 429s are one defect of the spec, reported once a run; so are error
        statuses of a class an operation's spec entry declares none of (``_spec_silence``)."""
        if self.undeclared_429:
            self.writer.add(undeclared_rate_limit_finding(sorted(self.undeclared_429), len(self.spec.operations)))
        if self.silent_spec:
            self.writer.add(silent_spec_finding(self.silent_spec, self.spec, "contracts"))

    def _spec_silence(self, case: Case, failures: list[Failure]) -> list[Failure]:
        """An undeclared error status on an operation whose spec entry declares no status of its class
        (a spec version whose operations declare no 4xx) is the spec's silence, not the operation's
        defect: noted for the one spec finding (issue 10)."""
        kept = []
        for failure in failures:
            status = getattr(failure, "status_code", 0)
            if isinstance(failure, UndefinedStatusCode) and status >= 400 and status != 429:
                operation = self.spec.operation(case.operation.label)
                if not operation.declares_class(status):
                    with self._lock:
                        self.silent_spec.setdefault(operation.label, set()).add(status)
                    continue
            kept.append(failure)
        return kept

    def _call(self, case: Case, *, authenticated: bool, budget: bool) -> Response:
        with self._lock:
            if budget and self.settings.request_budget is not None and self.requests >= self.settings.request_budget:
                raise BudgetExhausted
            self.requests += 1
            request_id = f"contracts_{self._prefix}_{next(self._ids)}"
        headers = {REQUEST_ID_HEADER: request_id}
        params = None
        if authenticated:
            headers.update(self.auth.get("headers", {}))
            params = self.auth.get("params")
        for attempt in (1, 2):
            try:
                return case.call(base_url=self.base_url, session=self.session, headers=headers, params=params,
                                 timeout=REQUEST_TIMEOUT)
            except requests.ConnectionError as exc:
                if attempt == 2:
                    raise HarnessError(f"target {self.target.origin} stopped answering: {type(exc).__name__}") from None
                time.sleep(0.5)
        raise AssertionError("unreachable")

    # -- judging ---------------------------------------------------------------------------------
    def judge(self, case: Case, response: Response, *, checks: list[Any] | None = None,
              authenticated: bool = True) -> list[Finding]:
        """Run the checks (every enabled one unless told), count each one's outcome (``contracts.tally``)
        and record what fails; the new findings."""
        judged = self._judged(case, response, checks, authenticated=authenticated)
        failures = self._spec_silence(case, sorted(judged.all_failures, key=lambda f: (type(f).__name__, f._unique_key)))
        if any(isinstance(f, AcceptedNegativeData) for f in failures):
            # the body of a 2xx to invalid input echoes that input: one defect, reported as the acceptance
            failures = [f for f in failures if not isinstance(f, JsonSchemaError)]
        if any(isinstance(f, RejectedPositiveData) for f in failures) and expected_refusal(self.phones, case, response):
            # a non-E.164 number the schema cannot rule out (an address target when type is tel): the docs promise this 400
            failures = [f for f in failures if not isinstance(f, RejectedPositiveData)]
        outcomes = judged.outcomes(failures)
        self.tally.count(outcomes)
        self.coverage.checks(case.operation.label, outcomes)
        return self.record(failures, case, response, authenticated=authenticated) if failures else []

    def _judged(self, case: Case, response: Response, checks: list[Any] | None, *, authenticated: bool) -> Judged:
        """What ``case.validate_response`` runs, without rendering a report we do not use (it renders a
        curl line and the whole exchange for every failing answer: a third of the run's time), each
        built-in behind its applicability guard (``contracts.builtins``)."""
        phase = PhaseName.from_str(case.meta.phase.name.value) if case.meta is not None else None
        key = (case.operation.label, phase)
        config = self._check_configs.get(key)
        if config is None:
            config = self._check_configs[key] = case.operation.schema.config.checks_config_for(
                operation=case.operation, phase=phase.value if phase else None)
        transport_kwargs: dict[str, Any] = {"base_url": self.base_url, "session": self.session}
        if authenticated:
            transport_kwargs.update(self.auth)
        headers = transport_kwargs.get("headers")
        ctx = CheckContext(override=case._override, auth=None,
                           headers=CaseInsensitiveDict(headers) if headers else None, config=config,
                           transport_kwargs=transport_kwargs, response_checks=None, phase=phase)
        return judge_counted(guarded(checks or ctx.internals.checks), case=case, response=response, ctx=ctx)

    def record(self, failures: list[Failure], case: Case, response: Response, *,
               authenticated: bool = True) -> list[Finding]:
        """Findings for ``failures``; the ones new in this run are returned (and attached to allure)."""
        new = []
        for failure in failures:
            finding = finding_from_failure(failure, case, response, base_url=self.base_url,
                                           auth_kind=self.auth_kind if authenticated else None, known=self._findings)
            if self.writer.add(finding):
                with self._lock:
                    self._findings[finding.id] = finding
                    state = self.states.get(finding.operation)
                    if state is not None:
                        state.finding_ids.append(finding.id)
                attach_exchange(finding, response)
                new.append(finding)
        return new

    def _timed_out(self, case: Case) -> None:
        """No answer within the timeout: a finding of the operation (not a crash of the run)."""
        finding = Finding(check="response_time", operation=case.operation.label, suite="contracts", key="timeout",
                          message="No answer within the request timeout", expected=f"an answer within {REQUEST_TIMEOUT} s",
                          got="no answer (timed out)", reproduce=reproduce(case, self.base_url, self.auth_kind),
                          severity="high", promise="a server answers every request",
                          request=request_of(case, self.base_url, self.auth_kind))
        if self.writer.add(finding):
            with self._lock:
                self._findings[finding.id] = finding
                self.states[case.operation.label].finding_ids.append(finding.id)

    def track(self, case: Case, operation: Operation, response: Response) -> list[Created]:
        """Keep the ledger of created resources up to date; what this answer created."""
        if not 200 <= response.status_code < 300 or case.method.upper() != operation.method:
            return []
        if operation.role == "create":
            try:
                body = json.loads(response.content) if response.content else None
            except ValueError:
                return []
            return self.ledger.record_create(operation, case.path_parameters or {}, body)
        if operation.role == "delete":
            self.ledger.record_delete(operation, case.path_parameters or {})
        return []

    def _delete(self, entry: Created) -> int | None:
        """DELETE one recorded resource (housekeeping: not judged); its status, None if unanswered."""
        operation = self.schema[entry.delete.path][entry.delete.method]
        response = self.send(operation.Case(path_parameters=entry.params), budget=False)
        if response is not None and 200 <= response.status_code < 300:
            self.ledger.record_delete(entry.delete, entry.params)
        return response.status_code if response is not None else None

    def _discard(self, entries: list[Created]) -> None:
        for entry in entries:
            self._delete(entry)
