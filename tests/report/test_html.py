"""index.html: self-contained, verdict first, findings with their evidence, escaped."""

from __future__ import annotations

import re
import time

from voipbin_harness.findings import finding_id
from voipbin_harness.report.baseline import Baseline, BaselineEntry
from voipbin_harness.report.document import build_document
from voipbin_harness.report.history import compare
from voipbin_harness.report.html import render_html
from voipbin_harness.report.suites import SuiteResult

KNOWN = finding_id("undeclared_status", "GET /flows/{id}", "404")
NEW = finding_id("tenant_isolation", "GET /flows", "leak")


def _document(new: bool = True) -> dict:
    findings = [{"id": KNOWN, "check": "undeclared_status", "operation": "GET /flows/{id}", "message": "404 undeclared",
                 "expected": "one of 200", "got": "404", "reproduce": "curl 'http://127.0.0.1/v1.0/flows/1'"}]
    if new:
        findings.append({"id": NEW, "check": "tenant_isolation", "operation": "GET /flows",
                         "message": "<script>alert(1)</script> leaked", "expected": "only alpha's items",
                         "got": "an item of bravo", "severity": "high",
                         "reproduce": "curl 'http://127.0.0.1/v1.0/flows' -H 'Authorization: Bearer ***'"})
    contracts = SuiteResult(name="contracts", title="Contracts", kind="pytest", status="failed", complete=True,
                            exit_code=1, summary={"complete": True, "findings": findings})
    load = SuiteResult(name="load-smoke", title="Load: smoke", kind="load", status="passed", complete=True, exit_code=0,
                       summary={"complete": True, "findings": [], "steps": [
                           {"name": "20 rps", "rps": 19.8, "p50": 1.0, "p95": 2.0, "p99": 3.0}]})
    baseline = Baseline(source="b.json", entries={KNOWN: BaselineEntry(KNOWN, "undeclared_status", "GET /flows/{id}",
                                                                       "BEHAVIOUR.md: 404 for a missing flow")})
    return build_document(started_epoch=time.time(), suites=[contracts, load], baseline=baseline,
                          target={"name": "emulator", "label": "embedded emulator (gateway profile)"},
                          spec={"title": "VoIPBin API", "version": "1.0.0"}, quick=True, versions={"python": "3"})


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_verdict_comes_first_with_the_counts() -> None:
    page = render_html(_document())
    text = _text(page)
    assert text.index("FAIL") < text.index("Suites") < text.index("Findings by check")
    assert "1 new finding not in the baseline" in text
    assert re.search(r"1 new 1 known 0 fixed", text)
    assert "PASS" in _text(render_html(_document(new=False)))


def test_each_finding_shows_its_evidence_and_badge() -> None:
    page = render_html(_document())
    assert "only alpha&#39;s items" in page and "an item of bravo" in page
    assert "curl &#39;http://127.0.0.1/v1.0/flows&#39; -H &#39;Authorization: Bearer ***&#39;" in page
    assert 'class="badge new"' in page and 'class="badge known"' in page
    assert "BEHAVIOUR.md: 404 for a missing flow" in page  # the reason a known finding is accepted
    assert page.count(f'id="f-{re.sub("[^A-Za-z0-9]", "-", NEW)}"') == 1


def test_text_from_the_target_is_escaped() -> None:
    page = render_html(_document())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_is_self_contained() -> None:
    page = render_html(_document())
    # nothing fetched from anywhere: no external stylesheet, script, image or font
    assert not re.search(r'<(script|link)\b', page)
    assert not re.search(r'src="(?!data:)', page)
    assert "url(http" not in page
    assert 'src="data:image/svg+xml;base64,' in page  # the load chart is inline


def test_trends_show_the_comparison_and_charts() -> None:
    first, second = _document(new=False), _document()
    second["history"] = compare(second, [first])
    text = _text(render_html(second))
    assert "New since the last run (1)" in text
    assert "Findings per run" in text


def test_a_run_in_progress_says_so() -> None:
    document = _document()
    document["running"] = "Scenarios"
    assert "Run in progress: Scenarios is running" in _text(render_html(document))


def test_pacing_budget_and_unexercised_operations_are_rendered() -> None:
    pacing = {"limit": "17:33", "source": "the gateway's documented per-customer limit (--rate to change)",
              "rate": 15.3, "slowed_to": 12.24, "requests": 4321, "paced_waits": 987, "paced_seconds": 123.4,
              "rate_limited": 7, "retry_waits": 6, "retry_wait_seconds": 6.5, "gave_up": 1}
    contracts = SuiteResult(name="contracts", title="Contracts", kind="pytest", status="incomplete", complete=False,
                            exit_code=2, budget_s=213.0, timeout_s=303.0, duration_s=250.0,
                            summary={"complete": False, "findings": [], "pacing": pacing,
                                     "plan": {"time_budget_s": 213.0},
                                     "operations": {"total": 410, "exercised": 408, "not_tested": [
                                         {"operation": "PUT /agents/{id}/password",
                                          "reason": "changes a credential the harness runs with"},
                                         {"operation": "POST /calls", "reason": "costs money: name it"}]}})
    scenarios = SuiteResult(name="scenarios", title="Scenarios", kind="pytest", status="passed", complete=True,
                            exit_code=0, summary={"complete": True, "findings": []})  # from before pacing: no block
    document = build_document(started_epoch=time.time(), suites=[contracts, scenarios], baseline=Baseline(),
                              target={"name": "http://127.0.0.1:1", "label": "http://127.0.0.1:1"}, spec={},
                              quick=True, versions={},
                              budget={"time_budget_s": 480.0, "depth": "quick", "rate": "17:33",
                                      "rate_source": "the gateway's documented per-customer limit"})
    text = _text(render_html(document))
    assert "Time budget 8 min 00 s" in text and "under 17:33 req/s:burst per customer" in text
    row = text[text.index("Contracts incomplete"):][:400]
    for figure in ("15.3 req/s", "3 min 33 s", "5 min 03 s", "4,321", "987", "2 min 03 s", "7", "6.5 s", "12.2"):
        assert figure in row, (figure, row)
    assert "Scenarios not reported by the suite" in text
    assert "2 operations left unexercised" in text
    assert "changes a credential the harness runs with 1 PUT /agents/{id}/password" in text
