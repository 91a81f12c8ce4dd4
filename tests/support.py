"""What the emulator tests share: a handle on one running emulator, its seeded credentials, and
small assertions for the VoIPBIN answers.

The seeded credentials are written here as issue 2 documents them (not read from the emulator's
tenant table): a test that logs in with them proves the documented values work. Customer ids are
not documented, so they are learned from ``GET /customer`` once per emulator.

Requests never go through a cookie jar: a login answer sets a ``token`` cookie, and a jar would
then send it with every later request, silently winning the credential order. Cookies are sent
only as explicit ``Cookie`` headers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from uuid import UUID

import httpx
import openapi_schema_validator

from voipbin_harness.conventions.auth import BEARER_PREFIX, LOGIN_PATH
from voipbin_harness.conventions.envelope import CONTENT_TYPE, REQUEST_ID_HEADER
from voipbin_harness.conventions.pagination import RESULT_FIELD
from voipbin_harness.conventions.resources import BASE_PATH
from voipbin_harness.emulator.config import PROFILES
from voipbin_harness.emulator.control import CONTROL_PREFIX
from voipbin_harness.spec import Spec

__all__ = [
    "ACCOUNTS",
    "FakeClock",
    "BODIES",
    "CONTROL",
    "HTTP_OF_ERROR_STATUS",
    "KEYS",
    "PROFILES",
    "Emu",
    "assert_answer",
    "assert_error",
    "is_uuid4",
    "request_problems",
    "schema_problems",
    "walk",
]

CONTROL = CONTROL_PREFIX
#: BEHAVIOUR.md "Error envelope" (lines 47-49): ``error.status`` maps 1:1 to the HTTP status. Written
#: out here, not read from ``conventions.envelope`` (the table the emulator answers from).
HTTP_OF_ERROR_STATUS = {"INVALID_ARGUMENT": 400, "UNAUTHENTICATED": 401, "PAYMENT_REQUIRED": 402,
                        "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "ALREADY_EXISTS": 409,
                        "FAILED_PRECONDITION": 409, "RESOURCE_EXHAUSTED": 429, "INTERNAL": 500,
                        "UNAVAILABLE": 503}

#: name -> (username, password), as issue 2 documents the seeded tenants.
ACCOUNTS: dict[str, tuple[str, str]] = {
    "alpha": ("admin@alpha.test", "alpha-secret"),
    "alpha-agent": ("agent@alpha.test", "alpha-agent-secret"),
    "bravo": ("admin@bravo.test", "bravo-secret"),
}
#: name -> seeded access key.
KEYS: dict[str, str] = {
    "alpha-key": "vb_alpha000000000000000000000000000",
    "bravo-key": "vb_bravo000000000000000000000000000",
}
JWT_KEY = "emulator-jwt-key"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")  # 2006-01-02T15:04:05.000000Z


_TEL = {"type": "tel", "target": "+15550001111"}
_TEL2 = {"type": "tel", "target": "+15550002222"}
_ACTIONS = [{"id": "5e4a0680-eba3-4001-a000-00000000a001", "type": "answer"}]

#: ``"METHOD /path"`` -> a request body that satisfies the spec's request schema (checked by
#: ``tests/emulator/test_resources.py``): the gateway checks no required field, the conformant
#: profile does, and the same body must serve both.
BODIES: dict[str, dict[str, Any]] = {
    "POST /flows": {"name": "flow", "detail": "by the tests", "actions": _ACTIONS},
    "PUT /flows/{id}": {"name": "renamed", "detail": "updated", "actions": _ACTIONS},
    "POST /contacts": {"first_name": "Ada", "last_name": "Lovelace", "display_name": "Ada", "source": "api"},
    "POST /contact_addresses": {"type": "tel", "target": "+15550004444", "name": "office"},
    "POST /speakings": {"reference_type": "call", "reference_id": str(uuid.uuid4()), "language": "en-US"},
    "POST /aiaudits": {"aicall_id": str(uuid.uuid4()), "language": "en-US"},
    "POST /aipromptproposals": {"ai_id": str(uuid.uuid4()), "audit_ids": [str(uuid.uuid4())]},
    "POST /accesskeys": {"name": "key", "detail": "by the tests"},
    "POST /outbound_configs": {"name": "outbound", "detail": "by the tests"},
    "POST /agents": {"username": "new-agent@alpha.test", "password": "a-long-password", "name": "New",
                     "detail": "d", "ring_method": "ringall", "permission": 16, "tag_ids": [], "addresses": []},
    "POST /outdials": {"campaign_id": str(uuid.uuid4()), "name": "outdial", "detail": "d", "data": "x"},
    "POST /outdials/{id}/targets": {"name": "t", "detail": "d", "data": "x",
                                    **{f"destination_{n}": _TEL for n in range(5)}},
    "POST /calls": {"source": _TEL, "destinations": [_TEL2], "actions": _ACTIONS},
    "POST /emails": {"destinations": [{"type": "email", "target": "a@example.test"}], "subject": "s",
                     "content": "c", "attachments": []},
    "POST /groupcalls": {"source": _TEL, "destinations": [_TEL2], "actions": _ACTIONS, "ring_method": "ring_all",
                         "answer_method": "hangup_others"},
    "POST /messages": {"source": _TEL, "destinations": [_TEL2], "text": "hello"},
    "POST /numbers": {"number": "+15550003333", "call_flow_id": str(uuid.uuid4()),
                      "message_flow_id": str(uuid.uuid4()), "name": "n", "detail": "d"},
    "POST /numbers/renew": {"tm_renew": "2030-01-01T00:00:00.000000Z"},
    "PUT /customer": {"name": "Renamed by tests", "detail": "updated", "email": "ops@alpha.test",
                      "phone_number": "+15550009999", "address": "1 Test Way", "webhook_method": "POST",
                      "webhook_uri": "https://example.test/hook"},
    "PUT /billing_account": {"name": "Renamed by tests", "detail": "updated"},
}


def _client(base_url: str = "", **kwargs: Any) -> httpx.Client:
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))  # accepts no cookie at all
    return httpx.Client(base_url=base_url, cookies=jar, timeout=kwargs.pop("timeout", 15), **kwargs)


class Emu:
    """One running emulator as a test sees it: URLs, credentials, control endpoints."""

    def __init__(self, origin: str, profile: str) -> None:
        self.origin = origin.rstrip("/")
        self.profile = profile
        self.base_url = self.origin + BASE_PATH
        self.http = _client()
        self._tokens: dict[str, str] = {}
        self._customer_ids: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    # -- raw requests -------------------------------------------------------------------
    def request(self, method: str, path: str, *, who: str | None = None, api: bool = True,
                headers: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None,
                **kwargs: Any) -> httpx.Response:
        """``method`` on the base path + ``path`` (or the origin + ``path`` when ``api=False``) as ``who``."""
        auth = self.auth(who) if who else {}
        all_headers = {**auth.get("headers", {}), **(headers or {})}
        all_params = {**auth.get("params", {}), **(params or {})}
        url = (self.base_url if api else self.origin) + path
        return self.http.request(method, url, headers=all_headers, params=all_params, **kwargs)

    def get(self, path: str, who: str | None = "alpha", **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, who=who, **kwargs)

    def post(self, path: str, who: str | None = "alpha", **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, who=who, **kwargs)

    def put(self, path: str, who: str | None = "alpha", **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, who=who, **kwargs)

    def delete(self, path: str, who: str | None = "alpha", **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, who=who, **kwargs)

    def create(self, path: str, body: Mapping[str, Any], who: str = "alpha") -> dict[str, Any]:
        """POST and return the created object; fails the test on anything but 2xx."""
        response = self.post(path, who=who, json=dict(body))
        assert 200 <= response.status_code < 300, f"POST {path}: {response.status_code} {response.text[:300]}"
        return response.json()

    # -- credentials --------------------------------------------------------------------
    def login(self, username: str, password: str) -> httpx.Response:
        return self.http.post(self.origin + LOGIN_PATH, json={"username": username, "password": password})

    def token(self, who: str) -> str:
        """The JWT of a seeded account (logged in once; tokens are stateless, so reset keeps them)."""
        if who not in self._tokens:
            response = self.login(*ACCOUNTS[who])
            assert response.status_code == 200, f"login as {who}: {response.status_code}"
            self._tokens[who] = response.json()["token"]
        return self._tokens[who]

    def auth(self, who: str) -> dict[str, Any]:
        """``{"headers": ...}`` (JWT as Bearer) for accounts, ``{"params": ...}`` for ``*-key``."""
        if who in KEYS:
            return {"params": {"accesskey": KEYS[who]}}
        return {"headers": {"Authorization": BEARER_PREFIX + self.token(who)}}

    def customer_id(self, who: str) -> str:
        """The customer id behind a seeded account, learned from ``GET /customer``."""
        tenant = who.split("-")[0]
        if tenant not in self._customer_ids:
            response = self.get("/customer", who=tenant)
            assert response.status_code == 200, f"GET /customer as {tenant}: {response.status_code}"
            self._customer_ids[tenant] = response.json()["id"]
        return self._customer_ids[tenant]

    # -- control endpoints --------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        response = self.http.request(method, self.origin + CONTROL + path, json=body)
        assert response.status_code < 300, f"{method} {CONTROL}{path}: {response.status_code} {response.text[:200]}"
        return response

    def reset(self) -> None:
        self.control("POST", "/reset")

    def set_balance(self, who: str, balance: float) -> None:
        self.control("PUT", f"/customers/{self.customer_id(who)}/balance", {"balance": balance})

    def set_frozen(self, who: str, frozen: bool) -> None:
        self.control("PUT", f"/customers/{self.customer_id(who)}/frozen", {"frozen": frozen})

    def set_rate_limits(self, **tiers: str | None) -> None:
        self.control("PUT", "/rate-limits", tiers)

    def config(self) -> dict[str, Any]:
        return self.control("GET", "/config").json()


def walk(emu: Emu, path: str, *, page_size: int, who: str = "alpha", max_pages: int = 200,
         params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Each page of ``GET path`` (``{"result", "next_page_token"}``), following tokens until ""
    or an empty page, bounded so that a looping emulator fails instead of hanging."""
    token = ""
    for _ in range(max_pages):
        query = {"page_size": page_size, **(params or {})}
        if token:
            query["page_token"] = token
        response = emu.get(path, who=who, params=query)
        assert response.status_code == 200, f"GET {path} {query}: {response.status_code} {response.text[:200]}"
        page = response.json()
        yield page
        token = page.get("next_page_token") or ""
        if not token or not page.get(RESULT_FIELD):
            return
    raise AssertionError(f"GET {path}: still paging after {max_pages} pages")


def is_uuid4(value: Any) -> bool:
    try:
        return isinstance(value, str) and UUID(value).version == 4 and str(UUID(value)) == value.lower()
    except ValueError:
        return False


def assert_error(response: httpx.Response, http_status: int, status: str | None = None,
                 reason: str | None = None) -> dict[str, Any]:
    """The answer is ``http_status`` with a well-formed VoIPBIN envelope (and the given status/reason).

    Written out here rather than through ``conventions.envelope_problems`` so that a mistake in
    the conventions module cannot hide a matching mistake in the emulator.
    """
    __tracebackhide__ = True
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code == http_status, (
        f"{where}: expected HTTP {http_status}, got {response.status_code}: {response.text[:300]}")
    assert response.headers.get("content-type") == CONTENT_TYPE, (
        f"{where}: Content-Type {response.headers.get('content-type')!r}")
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"{where}: not an envelope: {body!r}"
    error = body["error"]
    assert {"status", "reason", "message", "request_id"} <= set(error) <= {
        "status", "reason", "message", "request_id", "details"}, f"{where}: envelope keys {sorted(error)}"
    assert isinstance(error["message"], str) and error["message"].strip(), f"{where}: empty message"
    if "details" in error:
        assert isinstance(error["details"], list) and error["details"], f"{where}: details present but empty"
    assert error["request_id"] and error["request_id"] == response.headers.get(REQUEST_ID_HEADER), (
        f"{where}: request_id {error['request_id']!r} != {REQUEST_ID_HEADER} "
        f"{response.headers.get(REQUEST_ID_HEADER)!r}")
    if status is not None:
        assert error["status"] == status, f"{where}: error.status {error['status']!r}, expected {status}"
    if reason is not None:
        assert error["reason"] == reason, f"{where}: error.reason {error['reason']!r}, expected {reason}"
    return error


_COMPONENTS: dict[int, Any] = {}


def _ref_wins(node: Any) -> Any:
    """OpenAPI 3.0: "sibling values alongside $refs are ignored" (a ``type`` beside a ``$ref``
    must not be enforced, as the spec has ``{"type": "string", "$ref": "#/.../CommonAddress"}``)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return {"$ref": node["$ref"]}
        return {k: _ref_wins(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_ref_wins(v) for v in node]
    return node


def _validator(spec: Spec, schema: Mapping[str, Any], kind: type) -> Any:
    if id(spec) not in _COMPONENTS:
        _COMPONENTS[id(spec)] = _ref_wins(spec.document.get("components", {}))
    root = {**_ref_wins(dict(schema)), "components": _COMPONENTS[id(spec)]}
    return kind(root, format_checker=openapi_schema_validator.oas30_format_checker)


def schema_problems(spec: Spec, schema: Mapping[str, Any], instance: Any, *, limit: int = 5) -> list[str]:
    """How ``instance`` breaks a response ``schema`` of the spec (OpenAPI 3.0 rules: ``nullable``,
    ``readOnly``/``writeOnly``, formats, ``$ref`` siblings ignored), at most ``limit`` messages."""
    validator = _validator(spec, schema, openapi_schema_validator.OAS30ReadValidator)
    problems = []
    for error in validator.iter_errors(instance):
        problems.append(f"{error.json_path}: {error.message[:200]}")
        if len(problems) >= limit:
            break
    return problems


def request_problems(spec: Spec, label: str, body: Any) -> list[str]:
    """How ``body`` breaks the request schema of operation ``label``."""
    validator = _validator(spec, spec.operation(label).request_schema or {},
                           openapi_schema_validator.OAS30WriteValidator)
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(body)]


def assert_answer(emu: Emu, spec: Spec, label: str, response: httpx.Response, http_status: int,
                  status: str | None = None, reason: str | None = None) -> dict[str, Any]:
    """An error answer as BEHAVIOUR.md states it (``http_status``, the caller's literal), in either profile.

    Gateway: exactly ``http_status`` (with ``status``/``reason``). Conformant: the same when the
    operation declares ``http_status``; when it does not, the profile keeps to the spec's promise
    that only declared statuses are answered: some 4xx the operation declares (or ``http_status``
    when it declares none that could stand in), with an envelope whose ``status`` names that code
    (BEHAVIOUR.md lines 47-49) and whose ``reason`` still names the cause. Which declared code
    stands in is the emulator's choice, pinned by its own unit tests, not restated here.
    """
    __tracebackhide__ = True
    declared = [int(code) for code in spec.operation(label).declared_statuses if code.isdigit()]
    if emu.profile == "gateway" or http_status in declared:
        return assert_error(response, http_status, status, reason)
    allowed = {code for code in declared if 400 <= code < 500} | {http_status}
    assert response.status_code in allowed, (
        f"{label}: HTTP {response.status_code}, expected {http_status} or a declared 4xx {sorted(allowed)}")
    error = assert_error(response, response.status_code, None, reason)
    assert HTTP_OF_ERROR_STATUS.get(error["status"]) == response.status_code, (
        f"{label}: error.status {error['status']} on HTTP {response.status_code}")
    return error


class FakeClock:
    """A clock for ``pacing.Pacer`` that moves only when the pacer sleeps: no test waits for real."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
