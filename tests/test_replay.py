"""``voipbin-harness replay``: a finding's request is recorded without a secret, re-sent exactly to another
target, and judged again: a finding met on the gateway emulator still holds there and no longer holds on the
conformant one (issue 12 item 4).

The end-to-end tests run the real suites (a small contracts selection, one scenario) against the session's
gateway emulator, take a finding from what they wrote, and replay it, in-process and through the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts.failures import ErrorEnvelopeViolation
from tests.contracts.suite import Outcome, contracts_env, run_contracts
from tests.scenarios.support import credentials_env, run_scenarios
from tests.support import ACCOUNTS, JWT_KEY, KEYS, Emu
from voipbin_harness.conventions.rules import R
from voipbin_harness.errors import HarnessError
from voipbin_harness.findings import Finding, SummaryWriter
from voipbin_harness.paths import repo_root
from voipbin_harness.replay import find_finding, not_replayable, replay_finding, request_form, target_path
from voipbin_harness.target import Target, resolve

SELECTION = ("--include-path", "^/flows", "--max-examples", "1", "--workers", "1", "--phases", "examples,fuzzing,stateful")
_SECRETS = [password for _, password in ACCOUNTS.values()] + list(KEYS.values()) + [JWT_KEY]
_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def _target(emu: Emu) -> Target:
    """A URL target on ``emu`` with the seeded tenants' credentials from the environment, as a user sets them."""
    return resolve(emu.origin, env=credentials_env())


def _no_secret(data: Any) -> None:
    text = json.dumps(data)
    assert not [s for s in _SECRETS if s in text] and "eyJ" not in text, text[:400]


# -- the request as data -------------------------------------------------------------------------------------------
def test_credentials_are_recorded_as_roles_never_as_values() -> None:
    named = {"tok-primary-1234": "VOIPBIN_TOKEN", "key-other-1234": "VOIPBIN_OTHER_ACCESSKEY",
             "pw-secret-1234": "VOIPBIN_PASSWORD", "key-made-by-run": "NEW_ACCESSKEY"}
    form = request_form(method="post", path="/v1.0/flows", base_path="/v1.0", operation="POST /flows", status=200,
                        query={"accesskey": "key-other-1234", "page_size": "5"},
                        headers={"Authorization": "Bearer tok-primary-1234", "X-Request-Id": "r1",
                                 "User-Agent": "x", "Cookie": "token=key-made-by-run; lang=en"},
                        body=b'{"username": "admin@alpha.test", "password": "pw-secret-1234"}', named=named)
    assert form["method"] == "POST" and form["query"] == {"page_size": "5"}
    assert form["headers"] == {"X-Request-Id": "r1"} and form["cookies"] == {"lang": "en"}
    roles = {(c["in"], c["role"], c.get("kind")) for c in form["credentials"]}
    assert roles == {("query", "other", "accesskey"), ("header", "primary", "jwt"), ("cookie", "minted", None)}
    assert form["body"] == {"username": "admin@alpha.test", "password": "$VOIPBIN_PASSWORD"}
    assert not any(secret in json.dumps(form) for secret in named)


def test_a_credential_that_is_no_secret_is_kept_and_a_forged_token_is_minted() -> None:
    form = request_form(method="GET", path="/v1.0/me", base_path="/v1.0", operation="GET /me", status=200,
                        headers={"Authorization": "Bearer nonsense"})
    assert form["credentials"] == [{"in": "header", "name": "Authorization", "role": "literal",
                                    "value": "Bearer nonsense"}]
    forged = request_form(method="GET", path="/v1.0/me", base_path="/v1.0", operation="GET /me", status=200,
                          headers={"Authorization": f"Bearer {_JWT}"})
    assert forged["credentials"][0]["role"] == "minted" and _JWT not in json.dumps(forged)
    finding = Finding(check="auth", operation="GET /me", message="m", expected="HTTP 401", got="HTTP 200",
                      request=forged).to_dict()
    assert "credential the original run made" in (not_replayable(finding) or "")


def test_a_scenario_exchange_knows_its_base_path_and_its_roles() -> None:
    import httpx

    from scenarios.exchange import Exchange

    named = {"tok-agent-1234": "VOIPBIN_AGENT_TOKEN", "pw-secret-1234": "VOIPBIN_PASSWORD"}
    item = Exchange("GET", "http://127.0.0.1:1/v1.0/flows/abc", {}, "GET /flows/{id}",
                    {"Authorization": "Bearer tok-agent-1234"}, None, 403, httpx.Headers(),
                    b'{"error": {"status": "PERMISSION_DENIED", "reason": "PERMISSION_DENIED"}}', named)
    form = item.request_form()
    assert form["base_path"] == "/v1.0" and form["path"] == "/v1.0/flows/abc" and form["role"] == "agent jwt (header)"
    assert form["answered"] == {"status": 403, "reason": "PERMISSION_DENIED"}
    login = Exchange("POST", "http://127.0.0.1:1/auth/login", {}, "POST /auth/login", {},
                     b'{"username": "agent@alpha.test", "password": "pw-secret-1234"}', 200, httpx.Headers(), b"", named)
    form = login.request_form()
    assert form["base_path"] == "" and form["body"]["password"] == "$VOIPBIN_PASSWORD" and form["role"] == "none"
    target = Target("t", "http://127.0.0.1:2", "/v2", resolve("http://127.0.0.1:2", env={}).credentials)
    assert target_path(target, item.request_form()) == "/v2/flows/abc" and target_path(target, form) == "/auth/login"


def test_findings_that_are_not_one_request_are_not_replayable() -> None:
    load = Finding(check="load-threshold", operation="*", message="p95", expected="< 500 ms", got="900 ms").to_dict()
    assert "not the answer to one request" in (not_replayable(load) or "")
    limited = Finding(check=R.RATE_LIMIT_ANSWER.id, operation="*", message="m", expected="e", got="g",
                      request=request_form(method="GET", path="/v1.0/flows", base_path="/v1.0",
                                           operation="GET /flows", status=429)).to_dict()
    assert "rate limit" in (not_replayable(limited) or "")


def test_a_finding_is_found_by_its_id_or_its_hex_part_in_a_suite_or_check_folder(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path / "contracts", "contracts")
    writer.add(Finding(check="c", operation="GET /x", message="m", expected="e", got="g", key="k"))
    writer.close()
    fid = writer.findings[0].id
    assert find_finding(tmp_path, fid)["id"] == fid  # a check folder: the suite's own below it
    assert find_finding(tmp_path / "contracts", fid.split(":")[1])["id"] == fid
    with pytest.raises(HarnessError, match="no finding"):
        find_finding(tmp_path, "c:000000000000")
    with pytest.raises(HarnessError, match="no report directory"):
        find_finding(tmp_path / "missing", fid)


# -- end to end: met on the gateway, replayed on both profiles -----------------------------------------------------
@pytest.fixture(scope="module")
def gateway_run(_gateway_server: Emu, tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, Path]:
    _gateway_server.reset()
    report = tmp_path_factory.mktemp("contracts")
    return run_contracts(_gateway_server.origin, report, "--rate", "off", *SELECTION), report


def _schema_finding(outcome: Outcome) -> dict[str, Any]:
    """A defect of the gateway the conformant profile does not have, met by a create (no resource needed)."""
    found = [f for f in outcome.findings("response_schema_conformance") if f["operation"] == "POST /flows"]
    assert found, outcome.explain()
    return found[0]


def test_every_contracts_finding_carries_its_request_without_a_secret(gateway_run: tuple[Outcome, Path]) -> None:
    outcome, report = gateway_run
    assert outcome.summary["findings"], outcome.explain()
    for finding in outcome.summary["findings"]:
        form = finding["request"]
        assert form["operation"] == finding["operation"] and form["path"].startswith("/v1.0/flows")
        assert form["role"] in ("primary jwt (header)", "none"), form
        assert "path_parameters" in form and form["answered"]["status"] >= 100
    _no_secret(outcome.summary)
    _no_secret(orjson.loads(b"[" + b",".join((report / "findings.jsonl").read_bytes().splitlines()) + b"]"))


def test_a_replayed_contracts_finding_holds_on_the_gateway_and_not_on_the_conformant_emulator(
        gateway_run: tuple[Outcome, Path], gateway: Emu, conformant: Emu, spec: Any) -> None:
    finding = _schema_finding(gateway_run[0])
    held = replay_finding(finding, _target(gateway), spec=spec)
    assert held.outcome == "holds", held.line()
    gone = replay_finding(finding, _target(conformant), spec=spec)
    assert gone.outcome == "gone", gone.line()
    assert "which response_schema_conformance accepts" in gone.line()


def test_a_finding_on_a_resource_of_the_original_run_is_not_judged(gateway_run: tuple[Outcome, Path], gateway: Emu,
                                                                   spec: Any) -> None:
    outcome, _ = gateway_run
    found = [f for f in outcome.summary["findings"]
             if "{id}" in f["operation"] and 200 <= f["request"]["answered"]["status"] < 300
             and f["check"] == "response_schema_conformance"]
    assert found, outcome.explain()
    verdict = replay_finding(found[0], _target(gateway), spec=spec)  # a reset emulator: the run's flow is gone
    assert verdict.outcome == "cannot" and "resource of the original run" in verdict.why, verdict.line()
    assert verdict.exit_code == 2


def _replay_cli(finding_id: str, report: Path, origin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voipbin_harness", "replay", finding_id, "--report-dir", str(report),
                           "--target", origin, "--rate", "off"], cwd=repo_root(), env=contracts_env(),
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_replay_command_exits_1_while_it_holds_0_once_gone_2_for_an_unknown_id(
        gateway_run: tuple[Outcome, Path], gateway: Emu, conformant: Emu) -> None:
    outcome, report = gateway_run
    finding_id = _schema_finding(outcome)["id"]
    held = _replay_cli(finding_id, report, gateway.origin)
    assert held.returncode == 1 and held.stdout.startswith("still holds: "), held.stdout + held.stderr
    gone = _replay_cli(finding_id, report, conformant.origin)
    assert gone.returncode == 0 and gone.stdout.startswith("no longer holds: "), gone.stdout + gone.stderr
    assert len(gone.stdout.strip().splitlines()) == 1
    unknown = _replay_cli("nope:000000000000", report, gateway.origin)
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1, unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_a_replayed_scenario_finding_holds_on_the_gateway_and_not_on_the_conformant_emulator(
        _gateway_server: Emu, conformant: Emu, tmp_path: Path, spec: Any) -> None:
    _gateway_server.reset()
    outcome = run_scenarios(_gateway_server.origin, ["scenarios/test_errors.py"], tmp_path,
                            extra=["-k", "test_missing_required_field_is_4xx"])
    found = [f for f in outcome.findings("bad_input_status") if f.get("request")]
    assert found, outcome.explain()
    finding = found[0]
    assert finding["request"]["role"] == "primary jwt (header)"
    _no_secret(outcome.summary)
    held = replay_finding(finding, _target(_gateway_server), spec=spec)
    assert held.outcome == "holds", held.line()
    gone = replay_finding(finding, _target(conformant), spec=spec)
    assert gone.outcome == "gone", gone.line()


def test_a_convention_check_is_rerun_on_the_new_answer(conformant: Emu, spec: Any) -> None:
    """A VoIPBIN convention check (not only Schemathesis's built-ins) judges the replayed answer: a target whose
    error envelope is right makes the envelope finding no longer hold."""
    item = "00000000-0000-4000-8000-000000000000"
    form = request_form(method="GET", path=f"/v1.0/flows/{item}", base_path="/v1.0", operation="GET /flows/{id}",
                        status=404, credentials=[{"in": "header", "name": "Authorization", "role": "primary",
                                                  "kind": "jwt"}], path_parameters={"id": item}, case="positive")
    check = ErrorEnvelopeViolation.checks[0]
    finding = Finding(check=check, operation="GET /flows/{id}", message="m", expected="e",
                      got="g", suite="contracts", key="not-json", request=form).to_dict()
    verdict = replay_finding(finding, _target(conformant), spec=spec)
    assert verdict.outcome == "gone" and f"HTTP 404, which {check} accepts" in verdict.got, verdict.line()
