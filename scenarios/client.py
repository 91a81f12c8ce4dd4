"""The scenarios' HTTP client: every request goes through ``Api.request`` and comes back as an
``Exchange`` that can describe itself (status, request id, body) and reproduce itself (a curl
line without secrets) for a finding.

Credentials are explicit per request (``Auth``), never held by the client: the authentication
scenarios send deliberately odd combinations, and a client that stored the ``token`` cookie set
by ``/auth/login`` would silently win over all of them (the cookie comes first in the gateway's
order). So cookies are sent as a header and the jar is emptied after every answer.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER
from voipbin_harness.findings import Finding
from voipbin_harness.redact import redact_text
from voipbin_harness.spec import Spec

from .failures import ScenarioFailure
from .promises import Promise

__all__ = ["Api", "Auth", "Exchange", "Labeler"]

_MISSING: Any = object()
_BODY_PREVIEW = 400
TRANSPORT_CHECK = "transport"
TRANSPORT_PROMISE = Promise("spec", "every operation declares the answers it gives (responses)")


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
        return cls(headers={"Authorization": f"Bearer {token}"}, name=name)

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


@dataclass
class Exchange:
    """One request and its answer (or the transport error that replaced the answer)."""

    method: str
    url: str  # without the query
    query: dict[str, Any]
    label: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    headers: httpx.Headers
    content: bytes
    placeholders: dict[str, str] = field(repr=False, default_factory=dict)
    declared: tuple[int, ...] = ()  # statuses the spec declares for the operation (empty: unknown)
    _data: Any = field(default=_MISSING, repr=False)

    @property
    def data(self) -> Any:
        """The JSON body, or None when the body is empty or not JSON."""
        if self._data is _MISSING:
            try:
                self._data = orjson.loads(self.content) if self.content else None
            except orjson.JSONDecodeError:
                self._data = None
        return self._data

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_id(self) -> str | None:
        return self.headers.get(REQUEST_ID_HEADER)

    def describe(self) -> str:
        """``HTTP 403 [X-Request-Id req_..] {...body...}``, redacted and truncated."""
        body = self.content[:_BODY_PREVIEW].decode("utf-8", "replace")
        if len(self.content) > _BODY_PREVIEW:
            body += f"... ({len(self.content)} bytes)"
        rid = f" [X-Request-Id {self.request_id}]" if self.request_id else ""
        return redact_text(f"HTTP {self.status}{rid} {body or '(empty body)'}")

    def curl(self) -> str:
        """A curl line that sends the same request; known credentials appear as ``$VOIPBIN_*``
        variables, any other secret (a minted token, a returned key, a password) as ``***``."""
        mask = self._mask
        url = redact_text(self.url)
        if self.query:
            url += "?" + "&".join(f"{quote(str(k))}={mask(str(v), quote_value=True)}"
                                  for k, v in self.query.items())
        parts = ["curl", "-sS", "-i", "-X", self.method, url]
        for name, value in self.request_headers.items():
            parts += ["-H", f"{name}: {self._mask_header(name, value)}"]
        if self.request_body is not None:
            parts += ["--data-raw", redact_text(self.request_body.decode("utf-8", "replace"))]
        return " ".join(_shell(p) for p in parts)

    def _mask(self, value: str, *, quote_value: bool = False) -> str:
        variable = self.placeholders.get(value)
        if variable:
            return f"\x00{variable}\x00"
        masked = redact_text(value)
        return quote(masked, safe="*") if quote_value else masked

    def _mask_header(self, name: str, value: str) -> str:
        low = name.lower()
        if low == "cookie":
            return "; ".join(f"{k}={self._mask(v)}" for k, _, v in
                             (pair.strip().partition("=") for pair in value.split(";")))
        if low == "authorization":
            scheme, space, credential = value.partition(" ")
            return f"{scheme} {self._mask(credential)}" if space else self._mask(value)
        return redact_text(f"{name}: {value}")[len(name) + 2:]


def _shell(arg: str) -> str:
    """Quote one argument for a POSIX shell; ``\\x00NAME\\x00`` markers become ``$NAME`` (expanded)."""
    if "\x00" not in arg:
        return shlex.quote(arg)
    escaped = re.sub(r'([\\"`$])', r"\\\1", arg)
    return '"' + re.sub("\x00([A-Z_]+)\x00", r"$\1", escaped) + '"'


class Api:
    """Requests to one target, as any credentials; returns ``Exchange``s, never raises on HTTP status."""

    def __init__(self, origin: str, base_path: str, spec: Spec, *, timeout: float = 10.0) -> None:
        self.origin = origin
        self.base_path = base_path
        self.spec = spec
        self.labeler = Labeler(spec)
        self._declared = {op.label: tuple(sorted(int(c) for c in op.declared_statuses if c.isdigit()))
                          for op in spec.operations}
        self.placeholders: dict[str, str] = {}  # secret value -> env variable name for curl lines
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def name_secret(self, value: str | None, variable: str) -> None:
        """Show ``value`` as ``$variable`` in reproduce lines instead of ``***``."""
        if value:
            self.placeholders[value] = variable

    def request(self, method: str, path: str, *, auth: Auth, params: dict[str, Any] | None = None,
                json: Any = _MISSING, content: bytes | str | None = None,
                headers: dict[str, str] | None = None, label: str | None = None,
                absolute: bool = False) -> Exchange:
        """``method`` ``base_path + path`` (or ``origin + path`` when ``absolute``)."""
        url = (self.origin if absolute else self.origin + self.base_path) + path
        query = {**(params or {}), **auth.query}
        sent: dict[str, str] = {**auth.headers, **(headers or {})}
        if auth.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in auth.cookies.items())
        body: bytes | None = None
        if json is not _MISSING:
            body = orjson.dumps(json)
            sent.setdefault("Content-Type", "application/json")
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
            sent.setdefault("Content-Type", "application/json")
        label = label or f"{method} {path if absolute else self.labeler.template(path)}"
        exchange = Exchange(method, url, query, label, sent, body, 0, httpx.Headers(), b"", self.placeholders,
                            self._declared.get(label, ()))
        try:
            response = self._client.request(method, url, params=query or None, headers=sent, content=body)
        except (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise  # the harness built a request it cannot send: a bug of the scenario, not a finding
        except httpx.HTTPError as exc:
            raise _transport_failure(exchange, exc) from None
        finally:
            self._client.cookies.clear()
        exchange.status, exchange.headers, exchange.content = (response.status_code, response.headers,
                                                               response.content)
        return exchange


def _transport_failure(exchange: Exchange, exc: httpx.HTTPError) -> ScenarioFailure:
    """A target that does not answer (timeout, reset) breaks every promise at once: one finding."""
    return ScenarioFailure([Finding(
        check=TRANSPORT_CHECK, operation=exchange.label, message=f"no answer: {type(exc).__name__}",
        expected="an HTTP answer within the client timeout", got=redact_text(f"{type(exc).__name__}: {exc}"),
        key=type(exc).__name__, reproduce=exchange.curl(), severity="high",
        promise=TRANSPORT_PROMISE.quote(),
    )])
