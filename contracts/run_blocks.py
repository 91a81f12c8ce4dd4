"""What a contracts run knows per operation, and what it reports at the end: each operation's
state, the final cleanup of what it created, and the summary blocks built from them (``operations``,
``operation_states`` for merging a split run, ``credentials``, ``auth_probe``).

A mixin of ``contracts.runner.ContractRun``, kept apart so that the runner holds only sending and
judging; it reads the run's ``states``, ``ledger``, ``settings``, ``pacer`` and ``_findings``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import Finding
from voipbin_harness.spec import Operation

if TYPE_CHECKING:
    from voipbin_harness.pacing import Pacer

    from .ledger import Created, Ledger
    from .settings import ContractSettings

__all__ = ["OperationState", "RunBlocks"]


@dataclass
class OperationState:
    operation: Operation
    cases: int = 0
    answered: int = 0
    held_back: int = 0  # unexpected-method probes not sent under live safety
    held_credentials: int = 0  # requests that would change what the harness runs with
    credential_reason: str | None = None
    over_quota: int = 0  # cases not sent: the operation's quota was spent
    sent: int = 0  # authenticated case requests sent
    positive_sent: int = 0
    probed: bool = False
    gave_up_429: int = 0
    not_tested: str | None = None
    finding_ids: list[str] = field(default_factory=list)


class RunBlocks:
    states: dict[str, OperationState]
    ledger: Ledger
    settings: ContractSettings
    pacer: Pacer
    _findings: dict[str, Finding]
    _delete: Callable[[Created], int | None]  # the runner's paced DELETE of one recorded resource

    def findings_of(self, label: str) -> list[Finding]:
        state = self.states.get(label)
        return [self._findings[i] for i in state.finding_ids] if state else []

    def cleanup(self, *, deadline: float | None = None) -> dict[str, Any]:
        """DELETE everything the run created and has not deleted yet (until ``deadline``, epoch
        seconds, when the run was interrupted: what is left is listed, not lost)."""
        pending = self.ledger.pending()
        report: dict[str, Any] = {"created": self.ledger.created, "deleted_during_run": self.ledger.created - len(pending),
                                  "deleted": 0, "already_gone": 0, "failed": []}
        for index, entry in enumerate(pending):
            if deadline is not None and time.time() >= deadline:
                report["left"] = [{"operation": e.delete.label, "id": e.resource_id} for e in pending[index:]]
                break
            try:
                status = self._delete(entry) or 429
            except HarnessError as exc:
                report["failed"].append({"operation": entry.delete.label, "id": entry.resource_id, "error": exc.message})
                if deadline is not None:  # interrupted and the target stopped answering: do not wait on it
                    report["left"] = [{"operation": e.delete.label, "id": e.resource_id} for e in pending[index + 1:]]
                    break
                continue
            if 200 <= status < 300:
                report["deleted"] += 1
            elif status in (404, 409, 410):
                report["already_gone"] += 1
            else:
                report["failed"].append({"operation": entry.delete.label, "id": entry.resource_id, "status": status})
        return report

    def credentials_block(self) -> dict[str, Any]:
        """What the credential rule held back: requests (by operation) and how many identities it protected."""
        held = sorted(label for label, state in self.states.items() if state.held_credentials)
        return {"held_requests": sum(state.held_credentials for state in self.states.values()),
                "held_in_operations": held, "allowed_operations": sorted(self.settings.allow_operations)}

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
                    reason = f"stayed rate limited after {self.pacer.rule.max_retries} waits"
                elif state.held_credentials:
                    reason = (f"{state.credential_reason}: not sent unless named with "
                              f'--allow-operation "{label}"')
                elif state.held_back:
                    reason = "only unsafe requests generated, held back under live safety"
                else:
                    reason = "no request was sent (the operation's test did not run)"
            not_tested.append({"operation": label, "reason": reason})
        exercised = sum(1 for state in self.states.values() if state.answered)
        return {"total": len(self.states), "exercised": exercised, "not_tested": not_tested}
