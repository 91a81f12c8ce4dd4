"""Where the harness sends requests, and with which credentials: one module for every suite.

``--target emulator|live|URL`` (``$VOIPBIN_TARGET``, default ``emulator``). A URL is the origin;
the base path (``/v1.0``) comes from the spec's ``servers`` entry and login is
``POST {origin}/auth/login``. ``emulator`` starts the embedded emulator in a child process on a
free loopback port for the run and fills in every credential from its seeded tenants.

Credentials come from the environment only (never from a flag, so they stay out of shell
history and process lists) and are registered with ``redact`` the moment they are read.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from .conventions.auth import BEARER_PREFIX
from .conventions.ratelimit import DEFAULT_CUSTOMER_LIMIT, Limit
from .conventions.resources import BASE_PATH
from .errors import HarnessError
from .pacing import AUTH_TIER, Pacer, answer_of
from .redact import register_secret

__all__ = [
    "LIVE_ORIGIN",
    "RATE_ENV",
    "Credentials",
    "Target",
    "credentials_from_env",
    "is_loopback_url",
    "open_target",
    "rate_limit_of",
]

LIVE_ORIGIN = "https://api.voipbin.net"
RATE_ENV = "VOIPBIN_RATE"  # as --rate: the target's per-customer limit, RPS[:BURST] or "off"
_ENV = {
    "username": "VOIPBIN_USERNAME",
    "password": "VOIPBIN_PASSWORD",
    "token": "VOIPBIN_TOKEN",
    "accesskey": "VOIPBIN_ACCESSKEY",
    "other_username": "VOIPBIN_OTHER_USERNAME",
    "other_password": "VOIPBIN_OTHER_PASSWORD",
    "other_accesskey": "VOIPBIN_OTHER_ACCESSKEY",
    "jwt_key": "VOIPBIN_JWT_KEY",
    "agent_username": "VOIPBIN_AGENT_USERNAME",
    "agent_password": "VOIPBIN_AGENT_PASSWORD",
}


@dataclass(frozen=True)
class Credentials:
    """What the harness may authenticate with; every field optional."""

    username: str | None = None
    password: str | None = None
    token: str | None = None
    accesskey: str | None = None
    other_username: str | None = None
    other_password: str | None = None
    other_accesskey: str | None = None
    jwt_key: str | None = None
    agent_username: str | None = None  # a customer-agent-level (non-admin) agent, for permission checks
    agent_password: str | None = None

    def __repr__(self) -> str:
        present = [name for name in _ENV if getattr(self, name)]
        return f"Credentials(present={present})"

    @property
    def has_primary(self) -> bool:
        return bool(self.token or self.accesskey or (self.username and self.password))

    @property
    def has_other(self) -> bool:
        return bool(self.other_accesskey or (self.other_username and self.other_password))


def credentials_from_env(env: Mapping[str, str] | None = None) -> Credentials:
    env = os.environ if env is None else env
    values = {name: env.get(var) or None for name, var in _ENV.items()}
    for name, value in values.items():
        if name not in ("username", "other_username", "agent_username"):
            register_secret(value)
    return Credentials(**values)


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Target:
    """A resolved target: origin, base path, credentials, and how to reach it."""

    name: str  # "emulator", "live" or the URL given
    origin: str  # "http://127.0.0.1:8080"
    base_path: str  # "/v1.0"
    credentials: Credentials
    emulator_args: list[str] = field(default_factory=list)
    #: what every client of this process paces itself by (conventions.ratelimit, pacing.py)
    pacer: Pacer = field(default_factory=lambda: Pacer(None, source="not paced"), repr=False)
    _token: str | None = field(default=None, repr=False)
    _other_token: str | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return self.origin + self.base_path

    @property
    def is_loopback(self) -> bool:
        return is_loopback_url(self.origin)

    @property
    def is_emulator(self) -> bool:
        return self.name == "emulator"

    # -- authentication -------------------------------------------------------------------
    def login(self, username: str, password: str) -> str:
        """``POST {origin}/auth/login``; the JWT, or HarnessError when the target refuses."""
        try:
            response = self.pacer.call(
                lambda: httpx.post(f"{self.origin}/auth/login", json={"username": username, "password": password},
                                   timeout=15),
                lambda r: answer_of(r.status_code, r.headers), key=None, tier=AUTH_TIER).response
        except httpx.HTTPError as exc:
            raise HarnessError(f"target {self.origin} is unreachable: {exc}") from None
        if response.status_code != 200:
            raise HarnessError(f"login as {username} was refused (HTTP {response.status_code})",
                               hint="check VOIPBIN_USERNAME / VOIPBIN_PASSWORD")
        try:
            token = response.json()["token"]
        except (ValueError, KeyError, TypeError):
            raise HarnessError("login answered 200 without a token") from None
        register_secret(token)
        return token

    @property
    def token(self) -> str | None:
        """The primary customer's JWT (from VOIPBIN_TOKEN, or by logging in once)."""
        if self._token is None:
            creds = self.credentials
            if creds.token:
                self._token = creds.token
            elif creds.username and creds.password:
                self._token = self.login(creds.username, creds.password)
        return self._token

    @property
    def other_token(self) -> str | None:
        if self._other_token is None and self.credentials.other_username and self.credentials.other_password:
            self._other_token = self.login(self.credentials.other_username, self.credentials.other_password)
        return self._other_token

    def auth(self, kind: str = "bearer", *, other: bool = False) -> dict[str, Any]:
        """``{"headers": {...}}`` or ``{"params": {...}}`` to pass to an HTTP client call.

        ``kind`` is "bearer" (JWT) or "accesskey" (query). Falls back to the other kind when the
        asked one is not configured, so a target with only an access key still runs.
        """
        token = self.other_token if other else self.token
        key = self.credentials.other_accesskey if other else self.credentials.accesskey
        if kind == "accesskey" and key:
            return {"params": {"accesskey": key}}
        if token:
            return {"headers": {"Authorization": f"{BEARER_PREFIX}{token}"}}
        if key:
            return {"params": {"accesskey": key}}
        raise HarnessError("no credentials configured for the target",
                           hint="set VOIPBIN_TOKEN, VOIPBIN_ACCESSKEY or VOIPBIN_USERNAME + VOIPBIN_PASSWORD")

    def client(self, kind: str = "bearer", *, other: bool = False, **kwargs: Any) -> httpx.Client:
        """An httpx client on ``base_url``, authenticated as the primary (or other) customer."""
        auth = self.auth(kind, other=other)
        return httpx.Client(base_url=self.base_url, headers=auth.get("headers"), params=auth.get("params"),
                            timeout=kwargs.pop("timeout", 30), **kwargs)

    def check_reachable(self) -> None:
        """A one-line HarnessError when nothing answers at the origin."""
        parts = urlsplit(self.origin)
        try:
            with socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                          timeout=5):
                pass
        except OSError as exc:
            raise HarnessError(f"target {self.origin} is unreachable: {exc.strerror or exc}",
                               hint="is the server running? see --target") from None

    def check_credentials(self) -> None:
        """Prove the primary credentials work with one authenticated GET; HarnessError if not."""
        if not self.credentials.has_primary:
            raise HarnessError("no credentials configured for the target",
                               hint="set VOIPBIN_TOKEN, VOIPBIN_ACCESSKEY or VOIPBIN_USERNAME + VOIPBIN_PASSWORD")
        kind = "bearer" if (self.credentials.token or self.credentials.username) else "accesskey"
        with self.client(kind) as client:
            try:
                path = "/me" if kind == "bearer" else "/customer"
                response = self.pacer.call(lambda: client.get(path), lambda r: answer_of(r.status_code, r.headers),
                                           key="primary").response
            except httpx.HTTPError as exc:
                raise HarnessError(f"target {self.origin} is unreachable: {exc}") from None
        if response.status_code == 401:
            raise HarnessError("the target rejected the configured credentials (HTTP 401)",
                               hint="check VOIPBIN_TOKEN / VOIPBIN_ACCESSKEY / VOIPBIN_USERNAME")


def _emulator_credentials() -> Credentials:
    from .emulator.tenants import ALPHA, BRAVO, DEFAULT_JWT_KEY

    alpha_agent = next(a for a in ALPHA.agents if a is not ALPHA.admin)
    creds = Credentials(
        username=ALPHA.admin.username, password=ALPHA.admin.password, accesskey=ALPHA.accesskey,
        other_username=BRAVO.admin.username, other_password=BRAVO.admin.password,
        other_accesskey=BRAVO.accesskey, jwt_key=DEFAULT_JWT_KEY,
        agent_username=alpha_agent.username, agent_password=alpha_agent.password,
    )
    for secret in (creds.password, creds.accesskey, creds.other_password, creds.other_accesskey,
                   creds.jwt_key, creds.agent_password):
        register_secret(secret)
    return creds


#: Targets resolved in this process, by (name, base path, the VOIPBIN_* environment they were read from):
#: a command, its conftest and its settings all ask, and the answer must be one object read once.
_RESOLVED: dict[tuple[str, str, tuple[tuple[str, str], ...]], Target] = {}


def resolve(name: str | None = None, *, base_path: str = BASE_PATH,
            env: Mapping[str, str] | None = None) -> Target:
    """The target named by ``name`` (or ``$VOIPBIN_TARGET``), not yet started or checked.

    Resolved once per process for the same name and environment (an explicit ``env`` is never cached)."""
    if env is not None:
        return _resolve(name, base_path, env)
    key = (name or "", base_path, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("VOIPBIN_"))))
    if key not in _RESOLVED:
        _RESOLVED[key] = _resolve(name, base_path, os.environ)
    return _RESOLVED[key]


def _resolve(name: str | None, base_path: str, env: Mapping[str, str]) -> Target:
    name = (name or env.get("VOIPBIN_TARGET") or "emulator").strip()
    if name == "emulator":
        return Target("emulator", "", base_path, _emulator_credentials())
    if name == "live":
        return Target("live", LIVE_ORIGIN, base_path, credentials_from_env(env))
    parts = urlsplit(name)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HarnessError(f"--target must be 'emulator', 'live' or an http(s) URL, got {name!r}")
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.path.rstrip("/"):
        # a URL with the base path in it: accept it, the base path is then the one given
        base_path = parts.path.rstrip("/")
    return Target(name, origin, base_path, credentials_from_env(env))


def rate_limit_of(target: Target, rate: str | None = None,
                  env: Mapping[str, str] | None = None) -> tuple[Limit | None, str]:
    """The per-customer limit the harness paces itself by against ``target``, and where it comes from.

    ``rate`` (``--rate``, else ``$VOIPBIN_RATE``): ``RPS[:BURST]``, or ``off`` for no pacing. Without
    it: the limit the embedded emulator was started with; for any other target the gateway's
    documented per-customer limit, since that is what a VoIPBIN gateway promises to meter by."""
    env = os.environ if env is None else env
    text = (rate or env.get(RATE_ENV) or "").strip()
    if text.lower() == "off":
        return None, "off (--rate off)"
    if text:
        try:
            return Limit.parse(text, burst_optional=True), "--rate"
        except ValueError as exc:
            raise HarnessError(f"--rate: {exc}", hint="RPS, RPS:BURST or off") from None
    if target.is_emulator:
        from .options.emulator import NO_RATE_LIMIT, RATE_LIMIT

        args = target.emulator_args
        if NO_RATE_LIMIT.flag in args:
            return None, "off (the embedded emulator runs without limits)"
        if RATE_LIMIT.flag in args:
            return Limit.parse(args[args.index(RATE_LIMIT.flag) + 1]), "the embedded emulator's limit"
        return DEFAULT_CUSTOMER_LIMIT, "the embedded emulator's limit (the gateway's default)"
    return DEFAULT_CUSTOMER_LIMIT, "the gateway's documented per-customer limit (--rate to change)"


@contextmanager
def open_target(name: str | Target | None = None, *, spec_source: str | None = None, base_path: str = BASE_PATH,
                emulator_args: list[str] | None = None, check: bool = True, rate: str | None = None,
                share: int = 1) -> Iterator[Target]:
    """Resolve, start (for ``emulator``) and check a target; stop what was started on exit.

    ``rate`` and ``share`` set the target's pacer (``rate_limit_of``; ``share``: how many processes
    send at once)."""
    target = name if isinstance(name, Target) else resolve(name, base_path=base_path)
    if target.is_emulator:
        from .emulator.process import EmulatorProcess

        target = replace(target, emulator_args=list(emulator_args or []))
        limit, source = rate_limit_of(target, rate)
        with EmulatorProcess(emulator_args or [], spec=spec_source) as emulator:
            yield replace(target, origin=emulator.origin, pacer=Pacer(limit, source=source, share=share))
        return
    limit, source = rate_limit_of(target, rate)
    target = replace(target, pacer=Pacer(limit, source=source, share=share))
    if check:
        target.check_reachable()
        target.check_credentials()
    yield target
