"""The pytest plugin masks secrets where pytest, JUnit and allure-pytest write them, and nothing else.

A tiny suite, run in its own pytest process with the plugin, fails with a registered secret and a
JWT in its assertion, its output, an allure attachment and a test parameter; it also quotes a
promise that only names a credential. No secret reaches the JUnit file, the allure results or the
terminal, and the quote arrives intact.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from voipbin_harness.conventions.auth import mint_token

REPO = Path(__file__).resolve().parents[1]
SECRET = "registered-Secret-7f3a9c"
JWT = mint_token({"id": "a", "customer_id": "c"}, "redact-pytest-key-" + "k" * 40)
QUOTE = "Set-Cookie: token=<jwt>; HttpOnly and ?accesskey=<key>"

SUITE = f'''
import allure
import pytest

from voipbin_harness.redact import register_secret

register_secret({SECRET!r})  # as target.py does with a credential it reads


def test_leaks_everywhere():
    print("stdout has {JWT} and {SECRET}")
    allure.dynamic.description({QUOTE!r})
    allure.attach("attached {JWT} / {SECRET}", name="exchange")
    assert False, "failed with {SECRET} and {JWT}"


@pytest.mark.parametrize("token", ["{JWT}"], ids=["minted"])
def test_parameter(token):
    assert token
'''


def test_no_secret_in_junit_allure_or_terminal_and_quotes_intact(tmp_path: Path) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE)
    junit, allure_dir = tmp_path / "out" / "junit.xml", tmp_path / "out" / "allure-results"
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "voipbin_harness.redact_pytest", "-p", "no:locust",
                             "-p", "no:cacheprovider", "-q", "-rA", f"--junitxml={junit}", f"--alluredir={allure_dir}",
                             "test_suite.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]  # one test fails, as written
    written = [junit, *allure_dir.iterdir()]
    assert len(written) >= 4  # JUnit, two results, one attachment (and stdout)
    blob = "\n".join(p.read_text() for p in written)
    terminal = result.stdout + result.stderr
    for text, where in ((blob, "the files"), (terminal, "the terminal")):
        assert SECRET not in text and JWT not in text, f"a secret in {where}"
    assert "***" in blob and "failed with ***" in terminal  # masked, not dropped
    assert QUOTE in blob  # a quoted promise is not a secret


def test_the_root_conftest_loads_the_plugin_for_every_suite() -> None:
    assert '"voipbin_harness.redact_pytest"' in (REPO / "conftest.py").read_text()
