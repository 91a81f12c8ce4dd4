"""The scenarios' HTTP client: every request goes through ``Api.request`` and comes back as an
``Exchange`` (``exchange.py``) that can describe itself (status, request id, body) and reproduce
itself (a curl line without secrets) for a finding.

Credentials are explicit per request (``Auth``), never held by the client: the authentication
scenarios send deliberately odd combinations, and a client that stored the ``token`` cookie set
by ``/auth/login`` would silently win over all of them (the cookie comes first in the gateway's
order). So cookies are sent as a header and the jar is emptied after every answer.

Pacing lives here and nowhere else (issue 9): every request goes through the target's ``Pacer``,
keyed by the customer whose bucket the gateway meters it in, and a 429 is waited out and the same
request sent again, so a scenario (and Hypothesis) never sees a 429 it did not ask for. The
customer is found the way the gateway finds it: the credential that wins the documented order
(``conventions.auth.find_credential``), looked up among the credentials the run was configured
with (``Api.own``); an unknown or invalid credential is not metered per customer, only per IP.
Every 429 met on the way is still held to the rate-limit promise, and a broken one is reported
under that promise's own check (``rate_limit_answer``), never under the scenario that met it.

Credential safety lives here too: the client refuses to send a request that could change,
disable or delete what the harness runs with (``conventions.credentials``: the caller itself, a
password or permission, an account setting), and any change to an agent, access key or customer
the run did not create itself (``UnsafeRequest``: a bug of the scenario, never sent).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from voipbin_harness import coverage
from voipbin_harness.conventions.auth import BEARER_PREFIX, find_credential
from voipbin_harness.conventions.credentials import CREDENTIAL_COLLECTIONS, SAFE_METHODS, credential_reason
from voipbin_harness.conventions.ratelimit import (
    LIMITED_BY_IP,
    RETRY_AFTER_HEADER,
    limited_by,
    rate_limit_problems,
    retry_after_seconds,
)
from voipbin_harness.conventions.statuses import AUTH_STUB_PREFIX
from voipbin_harness.findings import Finding
from voipbin_harness.pacing import AUTH_TIER, Answer, Pacer, answer_of
from voipbin_harness.redact import redact_text
from voipbin_harness.spec import Spec

from .exchange import MISSING, Exchange, json_or_none
from .failures import ScenarioFailure, stable_key
from .promises import R

__all__ = ["PRIMARY", "OTHER", "RATE_LIMIT_CHECK", "Api", "Auth", "Labeler", "UnsafeRequest"]

TRANSPORT_CHECK = R.TRANSPORT.id
#: The rate-limit promise's own check: a 429 that breaks it is reported here, whoever met it.
RATE_LIMIT_CHECK = R.RATE_LIMIT_ANSWER.id
#: Pacer keys: the primary customer (its admin, its agent and its access key share one bucket at
#: the gateway) and the other customer.
PRIMARY = "primary"
OTHER = "other"


@dataclass(frozen=True)
class Auth:
    """Where credentials go in one request. ``repr`` names placements only, never values, so
    that Hypothesis' printed examples carry no secret."""

    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    name: str = "none"

    @classmethod
    def none(cls) -> Auth:
        return cls()

    @classmethod
    def bearer(cls, token: str, name: str = "bearer") -> Auth:
        return cls(headers={"Authorization": BEARER_PREFIX + token}, name=name)

    @classmethod
    def accesskey(cls, key: str, name: str = "accesskey") -> Auth:
        return cls(query={"accesskey": key}, name=name)

    def __repr__(self) -> str:
        return f"Auth({self.name})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints examples with its own printer, which shows dataclass fields: not these."""
        printer.text(repr(self))


class Labeler:
    """Concrete path -> the spec's template (``/flows/3f..`` -> ``/flows/{id}``), for finding keys."""

    def __init__(self, spec: Spec) -> None:
        templates = sorted({op.path for op in spec.operations}, key=lambda p: (p.count("{"), -len(p)))
        self._compiled = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"), t)
                          for t in templates]

    def template(self, path: str) -> str:
        return next((t for regex, t in self._compiled if regex.match(path)), path)




class UnsafeRequest(RuntimeError):
    """A scenario asked for a request that could take away what the harness runs with."""




class Api:
    """Requests to one target, as any credentials; returns ``Exchange``s, never raises on HTTP status.

    ``pacer``: the target's (``Target.pacer``); None sends unpaced. ``on_finding`` receives the
    findings the client itself makes (a 429 that breaks the rate-limit promise)."""

    def __init__(self, origin: str, base_path: str, spec: Spec, *, timeout: float = 10.0,
                 pacer: Pacer | None = None, on_finding: Callable[[Finding], None] | None = None) -> None:
        self.origin = origin
        self.base_path = base_path
        self.spec = spec
        self.labeler = Labeler(spec)
        self._declared = {op.label: tuple(sorted(int(c) for c in op.declared_statuses if c.isdigit()))
                          for op in spec.operations}
        self.placeholders: dict[str, str] = {}  # secret value -> env variable name for curl lines
        self.pacer = pacer or Pacer(None, source="not paced")
        self.on_finding = on_finding
        self.requests = 0  # every request sent, retries included (the budget's measure)
        self._owners: dict[str, str] = {}  # credential value -> pacer key of its customer
        self._created: set[str] = set()  # ids of what this run created (POST answers): its own to change
        self._settle: dict[str | None, float] = {}  # pacer key ("*": all) -> monotonic time it is full again
        self._lock = threading.Lock()
        self.counts = {"deliberate_429": 0, "settle_waits": 0, "settle_seconds": 0.0}
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def name_secret(self, value: str | None, variable: str, *, customer: str | None = None) -> None:
        """Show ``value`` as ``$variable`` in reproduce lines instead of ``***``; with ``customer``,
        the credential is also metered as that customer's (``own``)."""
        if value:
            self.placeholders[value] = variable
            if customer is not None:
                self.own(value, customer)

    def own(self, credential: str | None, customer: str) -> None:
        """Requests whose winning credential is ``credential`` are paced as ``customer``'s."""
        if credential:
            self._owners[credential] = customer

    def customer_of(self, auth: Auth, headers: dict[str, str] | None = None) -> str | None:
        """The pacer key the gateway meters a request with these credentials under (None: IP only)."""
        sent = {k.lower(): v for k, v in {**auth.headers, **(headers or {})}.items()}
        credential = find_credential(auth.cookies, auth.query, sent)
        return self._owners.get(credential.value) if credential is not None else None

    def request(self, method: str, path: str, *, auth: Auth, params: dict[str, Any] | None = None,
                json: Any = MISSING, content: bytes | str | None = None,
                headers: dict[str, str] | None = None, label: str | None = None,
                absolute: bool = False, meet_limit: bool = False) -> Exchange:
        """``method`` ``base_path + path`` (or ``origin + path`` when ``absolute``), paced.

        ``meet_limit``: the request means to meet the rate limit (the rate-limit scenario): sent at
        once, its 429 handed back as it is; the next paced request of that customer first waits
        until the target's bucket has refilled (``Retry-After``)."""
        url = (self.origin if absolute else self.origin + self.base_path) + path
        query = {**(params or {}), **auth.query}
        sent: dict[str, str] = {**auth.headers, **(headers or {})}
        if auth.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in auth.cookies.items())
        body: bytes | None = None
        if json is not MISSING:
            body = orjson.dumps(json)
            sent.setdefault("Content-Type", "application/json")
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
            sent.setdefault("Content-Type", "application/json")
        label = label or f"{method} {path if absolute else self.labeler.template(path)}"
        exchange = Exchange(method, url, query, label, sent, body, 0, httpx.Headers(), b"", self.placeholders,
                            self._declared.get(label, ()))
        if not absolute:
            self._refuse_unsafe(method, path)
        key = self.customer_of(auth, headers)
        tier = AUTH_TIER if absolute and path.startswith(AUTH_STUB_PREFIX) else "customer"

        def send() -> httpx.Response:
            with self._lock:
                self.requests += 1
            try:
                return self._client.request(method, url, params=query or None, headers=sent, content=body)
            finally:
                self._client.cookies.clear()

        if not meet_limit:
            self._wait_settled(key)
        try:
            paced = self.pacer.call(send, _answer, key=key, tier=tier, retry=not meet_limit,
                                    on_limited=lambda r: self._check_limited(exchange, r))
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise  # the harness built a request it cannot send: a bug of the scenario, not a finding
        except httpx.HTTPError as exc:
            raise _transport_failure(exchange, exc) from None
        response = paced.response
        exchange.status, exchange.headers, exchange.content = (response.status_code, response.headers,
                                                               response.content)
        self._covered(exchange, json)
        if meet_limit and response.status_code == 429:
            self._drained(key, response)
        if method == "POST" and exchange.ok and isinstance(exchange.data, dict) and isinstance(exchange.data.get("id"), str):
            self._created.add(exchange.data["id"])
        if paced.gave_up:
            pytest.skip(f"{label} stayed rate limited (HTTP 429) after {paced.retries} retries: the target is "
                        f"busier than its limit ({self.pacer.summary()['limit']}) allows; not judged")
        return exchange

    def _covered(self, exchange: Exchange, body: Any) -> None:
        """Record the answer in the run's coverage (positive until a scenario expects a refusal of it)."""
        record = coverage.recorder()
        if not record.directory:
            return
        parameters: list[str] = []
        enums: dict[str, list[str]] = {}
        if self.spec.has(exchange.label):
            parameters, enums = coverage.tried_inputs(self.spec.operation(exchange.label), exchange.query,
                                                      body if isinstance(body, dict) else None, self.spec.resolve)
        record.exchange(exchange.label, exchange.status, parameters=parameters, enum_values=enums)

    # -- credential safety -------------------------------------------------------------------------
    def _refuse_unsafe(self, method: str, path: str) -> None:
        """Raise ``UnsafeRequest`` for a request that could change what the harness runs with."""
        if method.upper() in SAFE_METHODS:
            return
        template = self.labeler.template(path)
        reason = credential_reason(method, template)
        segments = path.strip("/").split("/")
        if reason is None and len(segments) >= 2 and segments[0] in CREDENTIAL_COLLECTIONS \
                and segments[1] not in self._created:
            reason = f"changes {CREDENTIAL_COLLECTIONS[segments[0]]} this run did not create (possibly a configured one)"
        if reason is not None:
            raise UnsafeRequest(f"not sent: {method} {template} {reason}")

    # -- rate limits -------------------------------------------------------------------------------
    def _check_limited(self, exchange: Exchange, response: httpx.Response) -> None:
        """A 429 met by a paced request: held to the rate-limit promise, under its own check."""
        if self.on_finding is None:
            return
        seen = Exchange(exchange.method, exchange.url, exchange.query, exchange.label, exchange.request_headers,
                        exchange.request_body, response.status_code, response.headers, response.content,
                        self.placeholders, exchange.declared)
        for problem in rate_limit_problems(seen.status, seen.headers, seen.data):
            self.on_finding(Finding(
                check=RATE_LIMIT_CHECK, operation="*", message=f"a 429 met while pacing: {problem}",
                expected="429 with Retry-After in whole seconds and the RESOURCE_EXHAUSTED envelope",
                got=seen.describe(), key=stable_key(problem), reproduce=seen.curl(), severity="medium",
                promise=R.RATE_LIMIT_ANSWER.quote()))

    def _drained(self, key: str | None, response: httpx.Response) -> None:
        """A deliberate 429: the bucket that ran dry is full again after ``Retry-After`` (1 s if unsaid)."""
        seconds = retry_after_seconds(response.headers.get(RETRY_AFTER_HEADER))
        data = json_or_none(response.content)
        scope = "*" if limited_by(data) == LIMITED_BY_IP else key
        with self._lock:
            self.counts["deliberate_429"] += 1
            self._settle[scope] = max(self._settle.get(scope, 0.0), time.monotonic() + (seconds or 1))

    def _wait_settled(self, key: str | None) -> None:
        """Before a paced request: wait out what a deliberate 429 drained (counted in ``summary``)."""
        if not self._settle:
            return
        with self._lock:
            until = max(self._settle.get(key, 0.0), self._settle.get("*", 0.0))
            wait = until - time.monotonic()
            if wait > 0:
                self.counts["settle_waits"] += 1
                self.counts["settle_seconds"] += wait
        if wait > 0:
            time.sleep(wait)

    def pacing_summary(self) -> dict[str, Any]:
        """``Pacer.summary()`` and the waits after the 429s the rate-limit scenario provoked."""
        with self._lock:
            extra = dict(self.counts)
        extra["settle_seconds"] = round(extra["settle_seconds"], 3)
        return {**self.pacer.summary(), **extra}


def _answer(response: httpx.Response) -> Answer:
    return answer_of(response.status_code, response.headers,
                     json_or_none(response.content) if response.status_code == 429 else None)


def _transport_failure(exchange: Exchange, exc: httpx.HTTPError) -> ScenarioFailure:
    """A target that does not answer (timeout, reset) breaks every promise at once: one finding."""
    return ScenarioFailure([Finding(
        check=TRANSPORT_CHECK, operation=exchange.label, message=f"no answer: {type(exc).__name__}",
        expected="an HTTP answer within the client timeout", got=redact_text(f"{type(exc).__name__}: {exc}"),
        key=type(exc).__name__, reproduce=exchange.curl(), severity="high",
        promise=R.TRANSPORT.quote(),
    )])
