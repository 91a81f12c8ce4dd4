"""One module owns target and credentials: resolving names, reading the environment, starting the
embedded emulator, and refusing unreachable targets or rejected credentials with a HarnessError."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.support import ACCOUNTS, KEYS, Emu
from voipbin_harness.errors import HarnessError
from voipbin_harness.redact import redact_text
from voipbin_harness.target import LIVE_ORIGIN, credentials_from_env, is_loopback_url, open_target, resolve

ENV_NAMES = ("VOIPBIN_TARGET", "VOIPBIN_USERNAME", "VOIPBIN_PASSWORD", "VOIPBIN_TOKEN", "VOIPBIN_ACCESSKEY",
             "VOIPBIN_OTHER_USERNAME", "VOIPBIN_OTHER_PASSWORD", "VOIPBIN_OTHER_ACCESSKEY", "VOIPBIN_JWT_KEY",
             "VOIPBIN_AGENT_USERNAME", "VOIPBIN_AGENT_PASSWORD")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- resolving ----------------------------------------------------------------------------
def test_emulator_target_has_the_seeded_credentials() -> None:
    target = resolve("emulator")
    creds = target.credentials
    assert target.is_emulator and target.base_path == "/v1.0"
    assert (creds.username, creds.password) == ACCOUNTS["alpha"]
    assert (creds.other_username, creds.other_password) == ACCOUNTS["bravo"]
    assert (creds.agent_username, creds.agent_password) == ACCOUNTS["alpha-agent"]
    assert creds.accesskey == KEYS["alpha-key"] and creds.other_accesskey == KEYS["bravo-key"]
    assert creds.jwt_key == "emulator-jwt-key"
    assert creds.has_primary and creds.has_other


def test_default_target_is_the_emulator_and_env_overrides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve(None).is_emulator
    monkeypatch.setenv("VOIPBIN_TARGET", "live")
    assert resolve(None).origin == LIVE_ORIGIN
    assert resolve(None, env={}).is_emulator  # an explicit env mapping is used instead of os.environ


def test_live_target() -> None:
    target = resolve("live", env={"VOIPBIN_ACCESSKEY": "vb_" + "k" * 32})
    assert (target.origin, target.base_path, target.base_url) == (LIVE_ORIGIN, "/v1.0", LIVE_ORIGIN + "/v1.0")
    assert not target.is_loopback and not target.is_emulator
    assert target.credentials.accesskey == "vb_" + "k" * 32


@pytest.mark.parametrize(("name", "origin", "base_path"), [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "/v1.0"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080", "/v1.0"),
    ("http://127.0.0.1:8080/v1.0", "http://127.0.0.1:8080", "/v1.0"),
    ("https://staging.example.test/v2/", "https://staging.example.test", "/v2"),
])
def test_url_target(name: str, origin: str, base_path: str) -> None:
    target = resolve(name)
    assert (target.origin, target.base_path, target.base_url) == (origin, base_path, origin + base_path)


def test_base_path_comes_from_the_caller_for_a_bare_origin() -> None:
    assert resolve("http://127.0.0.1:9", base_path="/v9").base_url == "http://127.0.0.1:9/v9"


@pytest.mark.parametrize("name", ["ftp://127.0.0.1/", "nonsense", "http://", "127.0.0.1:8080"])
def test_bad_target_names_are_refused(name: str) -> None:
    with pytest.raises(HarnessError, match="--target"):
        resolve(name)


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:8080", True), ("http://127.8.9.10", True), ("http://localhost:1", True),
    ("http://[::1]:8080", True), ("https://api.voipbin.net", False), ("http://10.0.0.1", False),
    ("http://192.168.1.2:80", False), ("http://example.test", False),
])
def test_loopback_detection(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


# -- credentials from the environment -----------------------------------------------------
def test_credentials_from_env_reads_every_variable_and_registers_secrets() -> None:
    env = {name: f"value-of-{name.lower()}" for name in ENV_NAMES if name != "VOIPBIN_TARGET"}
    creds = credentials_from_env(env)
    assert creds.username == "value-of-voipbin_username"
    assert creds.other_accesskey == "value-of-voipbin_other_accesskey"
    assert creds.jwt_key == "value-of-voipbin_jwt_key"
    assert creds.agent_password == "value-of-voipbin_agent_password"
    for secret in ("password", "token", "accesskey", "other_password", "other_accesskey", "jwt_key"):
        value = f"value-of-voipbin_{secret}"
        assert value not in redact_text(f"x {value} y"), secret
        assert value not in repr(creds)


def test_empty_variables_count_as_absent() -> None:
    creds = credentials_from_env({"VOIPBIN_TOKEN": "", "VOIPBIN_USERNAME": "u"})
    assert creds.token is None and not creds.has_primary and not creds.has_other


def test_auth_placement() -> None:
    target = resolve("http://127.0.0.1:9", env={"VOIPBIN_TOKEN": "jwt-value", "VOIPBIN_ACCESSKEY": "vb_k"})
    assert target.auth("bearer") == {"headers": {"Authorization": "Bearer jwt-value"}}
    assert target.auth("accesskey") == {"params": {"accesskey": "vb_k"}}
    only_key = resolve("http://127.0.0.1:9", env={"VOIPBIN_ACCESSKEY": "vb_k"})
    assert only_key.auth("bearer") == {"params": {"accesskey": "vb_k"}}  # falls back to what exists
    with pytest.raises(HarnessError, match="no credentials"):
        resolve("http://127.0.0.1:9", env={}).auth()


# -- open_target against real servers ----------------------------------------------------
def test_open_target_emulator_starts_and_stops_a_child_process(spec: object) -> None:
    with open_target("emulator", emulator_args=["--no-rate-limit"]) as target:
        assert target.is_emulator and target.is_loopback and target.origin.startswith("http://127.0.0.1:")
        assert httpx.get(f"{target.origin}/ping", timeout=5).status_code == 200
        with target.client() as client:
            assert client.get("/customer").status_code == 200
        with target.client(other=True) as client:
            other = client.get("/customer")
        with target.client("accesskey") as client:
            mine = client.get("/customer")
        assert other.status_code == mine.status_code == 200 and other.json()["id"] != mine.json()["id"]
        origin = target.origin
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{origin}/ping", timeout=2)


def test_unreachable_url_is_refused() -> None:
    with pytest.raises(HarnessError, match="unreachable"), \
            open_target(f"http://127.0.0.1:{_free_port()}"):
        pass


def test_url_target_with_good_credentials(gateway: Emu, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOIPBIN_USERNAME", ACCOUNTS["alpha"][0])
    monkeypatch.setenv("VOIPBIN_PASSWORD", ACCOUNTS["alpha"][1])
    with open_target(gateway.origin) as target, target.client() as client:
        assert not target.is_emulator and target.is_loopback
        assert client.get("/me").json()["username"] == ACCOUNTS["alpha"][0]


@pytest.mark.parametrize("env", [
    pytest.param({"VOIPBIN_ACCESSKEY": "vb_" + "z" * 32}, id="unknown-accesskey"),
    pytest.param({"VOIPBIN_TOKEN": "not-a-jwt"}, id="garbage-token"),
    pytest.param({"VOIPBIN_USERNAME": "admin@alpha.test", "VOIPBIN_PASSWORD": "wrong"}, id="wrong-password"),
    pytest.param({}, id="no-credentials"),
])
def test_rejected_credentials_are_refused(gateway: Emu, monkeypatch: pytest.MonkeyPatch,
                                          env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(HarnessError) as caught, open_target(gateway.origin):
        pass
    assert "\n" not in caught.value.one_line()
