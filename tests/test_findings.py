"""Findings and ``summary.json``: stable ids, merging, crash-safe writing, redaction."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from voipbin_harness.conventions.auth import mint_token
from voipbin_harness.findings import Finding, SummaryWriter, finding_id, read_summary

JWT = mint_token({"id": "a", "customer_id": "c"}, "findings-test-key-" + "k" * 40)
REQUIRED_SUMMARY_KEYS = {"suite", "complete", "started_at", "duration_s", "findings"}
REQUIRED_FINDING_KEYS = {"id", "check", "operation", "message", "expected", "got", "reproduce", "severity",
                         "promise", "occurrences", "suite"}


def _finding(**overrides: object) -> Finding:
    values: dict[str, object] = {"check": "request_id_echo", "operation": "GET /flows", "message": "m",
                                 "expected": "e", "got": "g", "key": "401"}
    values.update(overrides)
    return Finding(**values)  # type: ignore[arg-type]


def _lines(directory: Path) -> list[dict]:
    return [json.loads(line) for line in (directory / "findings.jsonl").read_text().splitlines()]


def test_id_depends_on_what_the_defect_is_not_when_it_was_met() -> None:
    first = _finding(message="at 10:00", got="req_1", reproduce="curl a")
    second = _finding(message="at 11:00", got="req_2", reproduce="curl b", severity="high")
    assert first.id == second.id == finding_id("request_id_echo", "GET /flows", "401")
    assert first.id.startswith("request_id_echo:") and len(first.id.split(":")[1]) == 12
    assert _finding(key="403").id != first.id
    assert _finding(operation="GET /calls").id != first.id
    assert _finding(check="other").id != first.id


def test_id_is_the_same_in_another_process() -> None:
    # a hash of the text, not Python's randomised hash(): baselines compare ids across runs
    assert finding_id("c", "GET /x", "k") == "c:" + __import__("hashlib").sha256(b"c\x00GET /x\x00k").hexdigest()[:12]


def test_summary_is_incomplete_until_close(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path, "contracts", target={"name": "emulator", "origin": "http://127.0.0.1:1"})
    summary = read_summary(tmp_path)
    assert set(summary) >= REQUIRED_SUMMARY_KEYS
    assert summary["complete"] is False and summary["suite"] == "contracts" and summary["findings"] == []
    assert summary["target"]["name"] == "emulator"
    writer.close(counts={"operations": 3})
    summary = read_summary(tmp_path)
    assert summary["complete"] is True and summary["counts"] == {"operations": 3}
    assert isinstance(summary["duration_s"], (int, float)) and summary["duration_s"] >= 0


def test_each_finding_is_logged_at_once_and_reaches_the_summary(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path, "contracts")
    assert writer.add(_finding()) is True
    assert [line["id"] for line in _lines(tmp_path)] == [_finding().id]  # appended immediately
    writer.set(counts={"checked": 1})  # set() always rewrites summary.json
    summary = read_summary(tmp_path)
    assert summary["complete"] is False and summary["counts"] == {"checked": 1}
    assert [f["id"] for f in summary["findings"]] == [_finding().id]
    assert set(summary["findings"][0]) >= REQUIRED_FINDING_KEYS
    assert summary["findings"][0]["suite"] == "contracts"


def test_summary_catches_up_without_set_or_close(tmp_path: Path) -> None:
    """A run that dies between findings still leaves them in summary.json (written at most ~0.5 s
    after an add, so a later add past that interval rewrites it)."""
    writer = SummaryWriter(tmp_path, "scenarios")
    writer.add(_finding(key="a"))
    time.sleep(0.6)
    writer.add(_finding(key="b"))
    ids = {f["id"] for f in read_summary(tmp_path)["findings"]}
    assert ids == {_finding(key="a").id, _finding(key="b").id}
    assert read_summary(tmp_path)["complete"] is False


def test_same_defect_is_merged(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path, "contracts")
    assert writer.add(_finding(got="first")) is True
    assert writer.add(_finding(got="second")) is False
    assert writer.add(_finding(key="other")) is True
    writer.close()
    findings = read_summary(tmp_path)["findings"]
    assert len(findings) == 2
    merged = next(f for f in findings if f["id"] == _finding().id)
    assert merged["occurrences"] == 2 and merged["got"] == "first"
    assert len(_lines(tmp_path)) == 2  # the log holds each defect once


def test_secrets_never_reach_the_files(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path, "contracts", note=f"started with {JWT}")
    writer.add(_finding(got=f"Authorization: Bearer {JWT}",
                        reproduce=f"curl 'http://127.0.0.1:1/v1.0/flows?accesskey=vb_{'x' * 32}'"))
    writer.close()
    for name in ("summary.json", "findings.jsonl"):
        text = (tmp_path / name).read_text()
        assert JWT not in text and "vb_" + "x" * 32 not in text, name
    assert "***" in (tmp_path / "summary.json").read_text()


def test_writes_are_atomic_and_leave_no_temporaries(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path / "deep" / "dir", "load")
    for key in range(20):
        writer.add(_finding(key=str(key)))
    writer.close()
    assert sorted(p.name for p in (tmp_path / "deep" / "dir").iterdir()) == ["findings.jsonl", "summary.json"]
    assert len(read_summary(tmp_path / "deep" / "dir")["findings"]) == 20


def test_a_new_writer_starts_a_fresh_log(tmp_path: Path) -> None:
    SummaryWriter(tmp_path, "contracts").add(_finding())
    SummaryWriter(tmp_path, "contracts")
    assert _lines(tmp_path) == []


@pytest.mark.parametrize("severity", ["critical", "high", "medium", "low"])
def test_severity_is_kept(tmp_path: Path, severity: str) -> None:
    writer = SummaryWriter(tmp_path, "contracts")
    writer.add(_finding(severity=severity))
    writer.close()
    assert read_summary(tmp_path)["findings"][0]["severity"] == severity
