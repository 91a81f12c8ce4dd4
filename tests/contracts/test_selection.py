"""Live safety, the user's filters, the ledger of created resources and the merge of worker summaries:
the parts of the contracts suite that decide what is sent and what is reported."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from contracts.ledger import Ledger
from contracts.merge import merge_worker_summaries, worker_dir
from contracts.selection import filter_reason, method_allowed, safety_reason, unexpected_methods
from contracts.settings import ContractSettings
from voipbin_harness.findings import Finding, SummaryWriter
from voipbin_harness.spec import Spec

BASE = ContractSettings(
    target="live", spec_source=None, report_dir=Path("/tmp"), max_examples=5, include_tags=(), include_paths=(),
    seed=1, auth="bearer", allow_writes=False, allow_operations=frozenset(), phases=frozenset({"examples"}),
    loopback=False, request_budget=2000)


def test_loopback_targets_hold_nothing_back(spec: Spec) -> None:
    local = replace(BASE, loopback=True)
    assert safety_reason(spec.operation("POST /calls"), local) is None
    assert method_allowed("DELETE", local) and unexpected_methods(local) is None


def test_live_targets_get_only_safe_methods_without_allow_writes(spec: Spec) -> None:
    assert safety_reason(spec.operation("GET /flows"), BASE) is None
    assert "--allow-writes" in (safety_reason(spec.operation("POST /flows"), BASE) or "")
    assert not method_allowed("PUT", BASE)
    assert unexpected_methods(BASE) == ["OPTIONS", "TRACE"]


def test_costly_operations_need_naming_one_by_one(spec: Spec) -> None:
    writes = replace(BASE, allow_writes=True)
    assert safety_reason(spec.operation("POST /flows"), writes) is None
    for label in ("POST /calls", "POST /messages", "POST /emails", "POST /numbers", "POST /campaigns",
                  "POST /groupcalls"):
        assert f'--allow-operation "{label}"' in (safety_reason(spec.operation(label), writes) or ""), label
    named = replace(writes, allow_operations=frozenset({"POST /calls"}))
    assert safety_reason(spec.operation("POST /calls"), named) is None
    assert safety_reason(spec.operation("POST /messages"), named) is not None


def test_filters_or_within_and_across(spec: Spec) -> None:
    tagged = replace(BASE, include_tags=("flow",))
    assert filter_reason(spec.operation("GET /flows"), tagged) is None
    assert filter_reason(spec.operation("GET /calls"), tagged) is not None
    both = replace(tagged, include_paths=(re.compile(r"\{id\}"),))
    assert filter_reason(spec.operation("GET /flows/{id}"), both) is None
    assert filter_reason(spec.operation("GET /flows"), both) is not None


def test_ledger_records_creates_and_strikes_deletes(spec: Spec) -> None:
    ledger = Ledger(spec)
    created = ledger.record_create(spec.operation("POST /flows"), {}, {"id": "f1"})
    assert [(e.delete.label, e.params) for e in created] == [("DELETE /flows/{id}", {"id": "f1"})]
    calls = ledger.record_create(spec.operation("POST /calls"), {}, {"calls": [{"id": "c1"}], "groupcalls": [{"id": "g1"}]})
    assert {e.delete.label for e in calls} == {"DELETE /calls/{id}", "DELETE /groupcalls/{id}"}
    ledger.record_delete(spec.operation("DELETE /flows/{id}"), {"id": "f1"})
    assert {e.resource_id for e in ledger.pending()} == {"c1", "g1"}
    assert ledger.created == 3


def _worker(report: Path, name: str, answered: dict[str, int], finding: Finding) -> None:
    writer = SummaryWriter(worker_dir(report, name), "contracts", target={"name": "emulator", "origin": name})
    writer.add(finding)
    writer.close(operation_states={label: {"answered": n, "reason": None if n else "no request was sent (the "
                                           "operation's test did not run)"} for label, n in answered.items()},
                 counts={"cases": sum(answered.values())}, requests=10,
                 pacing={"limit": "17:33", "rate": 7.65, "requests": 10, "rate_limited": 1, "retry_waits": 1,
                         "retry_wait_seconds": 1.0},
                 cleanup={"created": 2, "deleted": 2, "already_gone": 0, "failed": []}, workflows={})


def test_worker_summaries_merge_into_one(tmp_path: Path) -> None:
    same = dict(check="status_code_conformance", operation="GET /a", message="m", expected="e", got="g", key="400")
    _worker(tmp_path, "gw0", {"GET /a": 3, "GET /b": 0, "GET /c": 0}, Finding(**same))
    _worker(tmp_path, "gw1", {"GET /a": 0, "GET /b": 2, "GET /c": 0}, Finding(**same))
    merged = merge_worker_summaries(tmp_path, "contracts")
    assert merged is not None and merged["complete"] and merged["workers"] == 2
    assert merged["operations"]["exercised"] == 2
    assert [n["operation"] for n in merged["operations"]["not_tested"]] == ["GET /c"]
    assert len(merged["findings"]) == 1 and merged["findings"][0]["occurrences"] == 2
    assert merged["requests"] == 20 and merged["cleanup"]["created"] == 4
    pacing = merged["pacing"]
    assert pacing["limit"] == "17:33" and pacing["rate_limited"] == 2 and pacing["retry_wait_seconds"] == 2.0
    assert not (tmp_path / ".workers").exists()
