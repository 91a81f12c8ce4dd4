"""CRUD workflows over every top-level collection, built from the spec's structure: create, read,
list, update, delete, read again. Collections the spec gives no cycle are listed in the summary."""

from __future__ import annotations

import pytest

from contracts.runner import ContractRun
from contracts.settings import current
from contracts.workflows import Workflow, run_workflow, workflows

_collected = current()
_workflows, _left_out = workflows(_collected.spec)
_enabled = "stateful" in _collected.settings.phases


@pytest.mark.parametrize("workflow", _workflows, ids=[w.name for w in _workflows])
def test_workflow(workflow: Workflow, contract_run: ContractRun) -> None:
    if not _enabled:
        pytest.skip("the stateful phase is off (--phases)")
    outcome = run_workflow(contract_run, workflow)
    contract_run.workflows[workflow.name] = {
        "steps": outcome.steps, "stopped": outcome.stopped, "findings": [f.id for f in outcome.findings]}
    for name, reason in _left_out.items():
        contract_run.workflows.setdefault(name, {"steps": [], "stopped": f"not run: {reason}", "findings": []})
    if outcome.findings:
        lines = [f"[{f.check}] {f.operation}: expected {f.expected}; received {f.got}" for f in outcome.findings]
        pytest.fail(f"workflow {workflow.name}: {len(outcome.findings)} finding(s)\n" + "\n".join(lines),
                    pytrace=False)
