"""Each suite, run on its own, writes no secret anywhere: secrets are masked where they are written.

The target is a gateway emulator started here with a freshly minted JWT signing key; the run's
credentials are minted too (an access key created through the API, an agent created with a
random password), and the suites log in themselves, so the tokens they hold exist nowhere but in
their own process. Every file of each suite's report directory, and its terminal output, is
scanned for those values and for any JWT-shaped string, as the suite left them: no scrubbing
ran before the scan (``voipbin-harness load`` scrubs its own files after Locust, so for it the
proof is that it found nothing to scrub). Then ``scrub_tree``, what ``check`` runs on each suite's
folder, finds nothing to mask: a run with no secret in it reports nothing masked. Tens of seconds
per suite: marked slow.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from voipbin_harness.emulator.process import EmulatorProcess
from voipbin_harness.emulator.tenants import ALPHA, BRAVO, DEFAULT_JWT_KEY
from voipbin_harness.redact import register_secret
from voipbin_harness.report.output import scrub_tree

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


@dataclass
class Minted:
    origin: str
    env: dict[str, str]
    values: list[str]  # every secret of the run the test knows (the suites' own tokens it does not)


@pytest.fixture(scope="module")
def minted() -> Iterator[Minted]:
    jwt_key = "minted-jwt-key-" + secrets.token_urlsafe(24)
    with EmulatorProcess(["--no-rate-limit", "--jwt-key", jwt_key]) as emulator:
        origin = emulator.origin
        token = httpx.post(f"{origin}/auth/login", json={"username": ALPHA.admin.username,
                                                         "password": ALPHA.admin.password}).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        key = httpx.post(f"{origin}/v1.0/accesskeys", json={"name": "no-secrets", "detail": "minted"},
                         headers=bearer).json()["token"]
        agent_username, agent_password = f"minted-{secrets.token_hex(4)}@alpha.test", "pw-" + secrets.token_urlsafe(16)
        created = httpx.post(f"{origin}/v1.0/agents", headers=bearer,
                             json={"username": agent_username, "password": agent_password, "name": "minted",
                                   "permission": 16})
        assert created.status_code == 200, created.text
        env = {"VOIPBIN_TARGET": origin, "VOIPBIN_USERNAME": ALPHA.admin.username,
               "VOIPBIN_PASSWORD": ALPHA.admin.password, "VOIPBIN_ACCESSKEY": key, "VOIPBIN_JWT_KEY": jwt_key,
               "VOIPBIN_OTHER_USERNAME": BRAVO.admin.username, "VOIPBIN_OTHER_PASSWORD": BRAVO.admin.password,
               "VOIPBIN_OTHER_ACCESSKEY": BRAVO.accesskey, "VOIPBIN_AGENT_USERNAME": agent_username,
               "VOIPBIN_AGENT_PASSWORD": agent_password, "VOIPBIN_RATE": "off"}
        values = [jwt_key, token, key, agent_password, ALPHA.admin.password, BRAVO.admin.password, ALPHA.accesskey,
                  BRAVO.accesskey, DEFAULT_JWT_KEY]
        yield Minted(origin, env, values)


SUITES = {
    "contracts": ["contracts", "--max-examples", "1", "--phases", "examples,fuzzing"],
    "scenarios": ["scenarios", "--time-budget", "20", "--seed", "1"],
    "load": ["load", "--profile", "smoke", "--duration", "5", "--target-rate", "off"],
}


def _leaks(data: bytes, values: list[str]) -> list[str]:
    found = [f"value {v[:6]}…" for v in values if v.encode() in data]
    return found + [f"JWT {m.group()[:12].decode()}…" for m in JWT.finditer(data)]


@pytest.mark.parametrize("suite", list(SUITES))
def test_a_standalone_suite_writes_no_secret(suite: str, minted: Minted, tmp_path: Path) -> None:
    report = tmp_path / suite
    result = subprocess.run([sys.executable, "-m", "voipbin_harness", *SUITES[suite], "--report-dir", str(report)],
                            cwd=REPO, env={**os.environ, **minted.env}, capture_output=True, timeout=300,
                            check=False)
    tail = (result.stdout + result.stderr).decode("utf-8", "replace")[-2000:]
    assert result.returncode in (0, 1), tail
    files = [p for p in report.rglob("*") if p.is_file()]
    assert (report / "summary.json").is_file() and len(files) >= 3, tail
    leaks = {str(p.relative_to(report)): hits for p in files if (hits := _leaks(p.read_bytes(), minted.values))}
    output = _leaks(result.stdout + result.stderr, minted.values)
    assert leaks == {} and output == [], f"{leaks} / output: {output}"
    assert b"secrets found and masked" not in result.stderr  # load: its own after-run scrub had nothing to do
    if suite == "contracts":  # the suite did meet its credentials, and masked them where it wrote them
        assert any(b"Bearer ***" in p.read_bytes() for p in files), "no masked credential in any attachment"
    for value in minted.values:
        register_secret(value)  # as check does with every VOIPBIN_* credential it reads
    assert scrub_tree(report) == []  # what check would have reported as "Secrets masked": nothing
