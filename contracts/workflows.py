"""CRUD workflows built from the spec's structure (it has no links): for every collection that can
be created, read and deleted, create one resource, read it, find it in the list, update it, delete
it, and read it again, each answer held to every check and to the workflow rules of
``contracts.checks``. What a workflow creates is in the run's ledger, so it is deleted at the end
even when the workflow stops half way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from schemathesis import BaseSchema, Case, GenerationMode, Response
from schemathesis.generation.hypothesis.examples import generate_one

from voipbin_harness.conventions.pagination import PAGE_SIZE_PARAM, page_size_limits
from voipbin_harness.conventions.resources import resource_of
from voipbin_harness.findings import Finding
from voipbin_harness.spec import Operation, Spec
from voipbin_harness.spec.phones import PhoneRules

from . import checks
from .failures import ConventionFailure
from .phones import EXAMPLE_E164
from .runner import ContractRun
from .tally import FAILED, PASSED, SKIPPED

__all__ = ["Workflow", "WorkflowOutcome", "run_workflow", "workflows"]


@dataclass(frozen=True)
class Workflow:
    """The operations of one collection's CRUD cycle (list and update where the spec has them)."""

    create: Operation
    read: Operation
    delete: Operation
    list: Operation | None
    update: Operation | None

    @property
    def name(self) -> str:
        return self.create.path.strip("/")

    @property
    def operations(self) -> list[Operation]:
        return [op for op in (self.create, self.read, self.list, self.update, self.delete) if op is not None]


@dataclass
class WorkflowOutcome:
    name: str
    steps: list[str]
    stopped: str | None = None  # why the cycle ended early (not a failure by itself)
    findings: list[Finding] = field(default_factory=list)


def workflows(spec: Spec) -> tuple[list[Workflow], dict[str, str]]:
    """Every top-level collection's workflow, and the collections left out with the reason."""
    by_parent: dict[str, dict[str, Operation]] = {}
    for op in spec.operations:
        if op.role in ("read", "update", "delete"):
            by_parent.setdefault(op.path.rsplit("/", 1)[0], {})[op.role] = op
    lists = {op.path: op for op in spec.operations if op.role == "list"}
    found, skipped = [], {}
    for op in spec.operations:
        if op.role != "create":
            continue
        item = by_parent.get(op.path, {})
        if op.path_params:
            skipped[op.path.strip("/")] = "nested collection: it needs a parent resource the spec does not link"
        elif "read" not in item or "delete" not in item:
            skipped[op.path.strip("/")] = "the spec has no read or no delete route for its items"
        else:
            found.append(Workflow(op, item["read"], item["delete"], lists.get(op.path), item.get("update")))
    return found, skipped


def _positive(schema: BaseSchema, operation: Operation, phones: PhoneRules | None = None) -> Case:
    """A schema-valid case; with ``phones``, one that also keeps the documented E.164 rule (the schema's
    patterns cannot state it for address targets of type tel, see ``contracts.phones``)."""
    api = schema[operation.path][operation.method]
    case = generate_one(api.as_strategy(generation_mode=GenerationMode.POSITIVE))
    if phones is not None and phones.body_problem(operation.label, case.body) is not None:
        case.body = phones.repaired(operation.label, case.body, EXAMPLE_E164)
    return case


def _json(response: Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except ValueError:
        return None


class _Cycle:
    """One workflow's requests, each judged and recorded by the run."""

    def __init__(self, run: ContractRun, workflow: Workflow) -> None:
        self.run = run
        self.workflow = workflow
        self.outcome = WorkflowOutcome(workflow.name, [])

    def step(self, name: str, case: Case) -> Response | None:
        held = self.run.guard.request_reason(case.method, case.operation.path, case.path_parameters)
        if held is not None:
            self.outcome.stopped = f"{name}: {held}; not sent unless named with --allow-operation"
            return None
        response = self.run.send(case)
        if response is None:
            self.outcome.stopped = f"{name}: stayed rate limited"
            return None
        self.outcome.steps.append(f"{name}: {case.method} {case.formatted_path} -> {response.status_code}")
        self.outcome.findings += self.run.judge(case, response)
        self.run.track(case, self.run.spec.operation(case.operation.label), response)
        return response

    def rule(self, rule: Any, response: Response, case: Case, **kwargs: Any) -> None:
        """Hold the answer to a workflow rule, counting its outcome (``contracts.tally``)."""
        try:
            skipped = rule(response, case, **kwargs)
        except ConventionFailure as failure:
            self.run.tally.count({rule.__name__: FAILED})
            self.outcome.findings += self.run.record([failure], case, response)
            return
        self.run.tally.count({rule.__name__: SKIPPED if skipped else PASSED})

    def item_case(self, operation: Operation, resource_id: str, base: Case | None = None) -> Case:
        api = self.run.schema[operation.path][operation.method]
        params = {operation.path_params[-1]: resource_id}
        if base is None:
            return api.Case(path_parameters=params)
        return api.Case(path_parameters=params, query=base.query, body=base.body, media_type=base.media_type)


def run_workflow(run: ContractRun, workflow: Workflow) -> WorkflowOutcome:
    """Create, read, list, update, delete, read again; stop early (and say why) when a step cannot go on."""
    cycle = _Cycle(run, workflow)
    outcome = cycle.outcome
    if run.plan is not None and run.plan.workflows_over():
        run.plan.counts["workflows_past_deadline"] += 1
        outcome.stopped = f"not run: the time budget ({run.plan.time_budget_s:g} s, --time-budget) was spent"
        return outcome
    create = _positive(run.schema, workflow.create, run.phones)
    created = cycle.step("create", create)
    if created is None:
        return outcome
    if not 200 <= created.status_code < 300:
        outcome.stopped = f"create answered HTTP {created.status_code}; nothing to read back"
        return outcome
    entries = [e for e in run.ledger.pending() if e.delete.label == workflow.delete.label]
    body = _json(created)
    resource_id = body.get("id") if isinstance(body, dict) and isinstance(body.get("id"), str) else None
    if resource_id is None and entries:
        resource_id = entries[0].resource_id
    if resource_id is None:
        outcome.stopped = "create answered without an id"
        return outcome

    read_case = cycle.item_case(workflow.read, resource_id)
    read = cycle.step("read", read_case)
    if read is not None:
        cycle.rule(checks.created_resource_readable, read, read_case, created_id=resource_id)

    if workflow.list is not None and not any(p.get("required") for p in workflow.list.parameters
                                             if p.get("in") == "query"):
        default, cap = page_size_limits(resource_of(workflow.list.path))
        api = run.schema[workflow.list.path]["GET"]
        list_case = api.Case(query={PAGE_SIZE_PARAM: cap or default})
        listed = cycle.step("list", list_case)
        if listed is not None:
            cycle.rule(checks.created_resource_listed, listed, list_case, created_id=resource_id)

    if workflow.update is not None:
        cycle.step("update", cycle.item_case(workflow.update, resource_id, _positive(run.schema, workflow.update, run.phones)))

    deleted = cycle.step("delete", cycle.item_case(workflow.delete, resource_id))
    if deleted is None or not 200 <= deleted.status_code < 300:
        outcome.stopped = f"delete answered HTTP {deleted.status_code if deleted else 429}; left to the final cleanup"
        return outcome
    again_case = cycle.item_case(workflow.read, resource_id)
    again = cycle.step("read after delete", again_case)
    if again is not None:
        cycle.rule(checks.deleted_resource_gone, again, again_case)
    return outcome
