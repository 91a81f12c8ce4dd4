"""One contracts run against one target: sends every case, waits out rate limits, checks every
answer, turns every failure into a finding, and deletes what it created.

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
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict
from schemathesis import BaseSchema, Case, CheckContext, GenerationMode, Response
from schemathesis.checks import run_checks
from schemathesis.core.failures import AcceptedNegativeData, Failure
from schemathesis.engine.run import PhaseName
from schemathesis.openapi.checks import JsonSchemaError, RejectedPositiveData

from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER
from voipbin_harness.conventions.ratelimit import RETRY_AFTER_HEADER, retry_after_seconds
from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import Finding, SummaryWriter
from voipbin_harness.spec import Operation, Spec
from voipbin_harness.spec.phones import PhoneRules
from voipbin_harness.target import Target

from .checks import PROBE_CHECKS, rate_limit_answer, rate_limit_declared
from .identity import callers
from .ledger import Created, Ledger
from .phones import expected_refusal
from .reporting import attach_exchange, finding_from_failure, reproduce
from .schema import REQUEST_TIMEOUT
from .selection import method_allowed
from .settings import ContractSettings

__all__ = ["BudgetExhausted", "ContractRun", "OperationState"]

MAX_RATE_LIMIT_RETRIES = 5  # per request
MAX_RETRY_WAIT = 30.0  # seconds per wait, whatever Retry-After says
DEFAULT_RETRY_WAIT = 1.0  # when a 429 gives no usable Retry-After


def _is_negative(case: Case) -> bool:
    """Whether any part of ``case`` was generated to break the schema."""
    meta = case.meta
    return meta is not None and (meta.generation.mode.is_negative
                                 or any(c.mode.is_negative for c in meta.components.values()))


class BudgetExhausted(Exception):
    """The run's request budget is spent."""


@dataclass
class OperationState:
    operation: Operation
    cases: int = 0
    answered: int = 0
    held_back: int = 0  # unexpected-method probes not sent under live safety
    probed: bool = False
    gave_up_429: int = 0
    not_tested: str | None = None
    finding_ids: list[str] = field(default_factory=list)


class ContractRun:
    def __init__(self, *, spec: Spec, schema: BaseSchema, target: Target, settings: ContractSettings,
                 writer: SummaryWriter) -> None:
        self.spec = spec
        self.schema = schema
        self.target = target
        self.settings = settings
        self.writer = writer
        self.base_url = target.base_url
        self.auth = target.auth(settings.auth)
        self.auth_kind = "accesskey" if "params" in self.auth else "bearer"
        self.ledger = Ledger(spec)
        self.phones = PhoneRules(spec)  # the documented E.164 rule: its 400s are expected
        self.states = {op.label: OperationState(op) for op in spec.operations}
        self.requests = 0
        self.rate_limit_waits = 0
        self.budget_exhausted = False
        self._ids = itertools.count(1)
        self._prefix = uuid.uuid4().hex[:8]
        self._lock = threading.Lock()
        self._findings: dict[str, Finding] = {}
        self.workflows: dict[str, Any] = {}  # name -> outcome (steps, stopped, finding ids)
        self._check_configs: dict[Any, Any] = {}  # (operation, phase) -> ChecksConfig, fixed for the run
        # one keep-alive session; on loopback it skips the per-request proxy lookup in the environment
        self.session = requests.Session()
        self.session.trust_env = not settings.loopback

    # -- setup ---------------------------------------------------------------------------------
    def open(self) -> None:
        """Learn who the run acts for (so checks can tell the caller's customer_id)."""
        key = self.auth.get("params", {}).get("accesskey")
        if key:
            response = self._raw_get("/customer")
            customer = response.get("id") if isinstance(response, dict) else None
            if isinstance(customer, str):
                callers.register(key, customer)

    def _raw_get(self, path: str) -> Any:
        try:
            answer = self.session.get(self.base_url + path, params=self.auth.get("params"),
                                      headers=self.auth.get("headers"), timeout=REQUEST_TIMEOUT)
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
        try:
            if not state.probed and self._is_probe_candidate(case, state.operation):
                state.probed = True
                probe = self.send(case, authenticated=False)
                if probe is not None:
                    self.judge(case, probe, checks=list(PROBE_CHECKS), authenticated=False)
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
        created = self.track(case, state.operation, response)
        if created and _is_negative(case):
            self._discard(created)  # junk the target should have refused: gone before other tests read lists

    @staticmethod
    def _is_probe_candidate(case: Case, operation: Operation) -> bool:
        positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
        return positive and case.method.upper() == operation.method

    def send(self, case: Case, *, authenticated: bool = True, budget: bool = True) -> Response | None:
        """Send ``case``; wait out 429s (bounded) and retry. None when it stayed rate limited."""
        response: Response | None = None
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            response = self._call(case, authenticated=authenticated, budget=budget)
            if response.status_code != 429:
                return response
            self.judge(case, response, checks=[rate_limit_answer, rate_limit_declared], authenticated=authenticated)
            if attempt == MAX_RATE_LIMIT_RETRIES:
                break
            wait = retry_after_seconds((response.headers.get(RETRY_AFTER_HEADER.lower()) or [None])[0])
            with self._lock:
                self.rate_limit_waits += 1
            time.sleep(min(float(wait) if wait is not None else DEFAULT_RETRY_WAIT, MAX_RETRY_WAIT))
        return None

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
        """Run the checks (every enabled one unless told) and record what fails; the new findings."""
        failures = self._failures(case, response, checks, authenticated=authenticated)
        if any(isinstance(f, AcceptedNegativeData) for f in failures):
            # the body of a 2xx to invalid input echoes that input: one defect, reported as the acceptance
            failures = [f for f in failures if not isinstance(f, JsonSchemaError)]
        if any(isinstance(f, RejectedPositiveData) for f in failures) and expected_refusal(self.phones, case, response):
            # a non-E.164 number the schema cannot rule out (an address target when type is tel): the docs promise this 400
            failures = [f for f in failures if not isinstance(f, RejectedPositiveData)]
        return self.record(failures, case, response, authenticated=authenticated) if failures else []

    def _failures(self, case: Case, response: Response, checks: list[Any] | None, *,
                  authenticated: bool) -> list[Failure]:
        """What ``case.validate_response`` runs, without rendering a report we do not use (it renders a
        curl line and the whole exchange for every failing answer: a third of the run's time)."""
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
        found = run_checks(case=case, response=response, ctx=ctx, checks=checks or ctx.internals.checks,
                           on_failure=lambda _name, collected, failure: collected.add(failure))
        return sorted(found, key=lambda f: (type(f).__name__, f._unique_key))

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
                          severity="high", promise="a server answers every request")
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

    # -- per operation and at the end ------------------------------------------------------------
    def findings_of(self, label: str) -> list[Finding]:
        state = self.states.get(label)
        return [self._findings[i] for i in state.finding_ids] if state else []

    def cleanup(self) -> dict[str, Any]:
        """DELETE everything the run created and has not deleted yet."""
        pending = self.ledger.pending()
        report: dict[str, Any] = {"created": self.ledger.created, "deleted_during_run": self.ledger.created - len(pending),
                                  "deleted": 0, "already_gone": 0, "failed": []}
        for entry in pending:
            try:
                status = self._delete(entry) or 429
            except HarnessError as exc:
                report["failed"].append({"operation": entry.delete.label, "id": entry.resource_id, "error": exc.message})
                continue
            if 200 <= status < 300:
                report["deleted"] += 1
            elif status in (404, 409, 410):
                report["already_gone"] += 1
            else:
                report["failed"].append({"operation": entry.delete.label, "id": entry.resource_id, "status": status})
        return report

    def auth_probe_block(self) -> dict[str, Any]:
        """How many operations were probed without credentials, and which the spec makes public (no 401)."""
        probed = [s.operation for s in self.states.values() if s.probed]
        return {"probed": len(probed),
                "public_per_spec": sorted(op.label for op in probed if "401" not in op.declared_statuses)}

    def operation_states(self, deselected: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Per operation: answers and why it was not tested (for merging the workers of a split run)."""
        reasons = {item["operation"]: item["reason"] for item in self.operations_block(deselected)["not_tested"]}
        return {label: {"answered": state.answered, "reason": reasons.get(label)}
                for label, state in self.states.items()}

    def operations_block(self, deselected: dict[str, str]) -> dict[str, Any]:
        """``{"total", "exercised", "not_tested": [{"operation", "reason"}]}`` over every operation."""
        not_tested = []
        for label, state in self.states.items():
            if state.answered:
                continue
            reason = deselected.get(label) or state.not_tested
            if reason is None:
                if state.gave_up_429:
                    reason = f"stayed rate limited after {MAX_RATE_LIMIT_RETRIES} waits"
                elif state.held_back:
                    reason = "only unsafe requests generated, held back under live safety"
                else:
                    reason = "no request was sent (the operation's test did not run)"
            not_tested.append({"operation": label, "reason": reason})
        exercised = sum(1 for state in self.states.values() if state.answered)
        return {"total": len(self.states), "exercised": exercised, "not_tested": not_tested}
