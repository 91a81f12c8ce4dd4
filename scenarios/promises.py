"""The documented promises the scenarios check, quoted once, with their source.

Each property names one of these (``@promise(P.X)``); its quote travels into the allure
description and into the ``promise`` field of every finding, so a reader sees what was promised
and where without opening the code. Where the gateway's code and the public docs disagree
(``BEHAVIOUR.md``), ``reading`` says which one the scenario holds the target to.

Sources: ``spec`` is the pinned OpenAPI document, ``BEHAVIOUR.md`` the reading of the gateway's
code, ``docs`` the public docs as ``BEHAVIOUR.md`` quotes them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["P", "Promise"]


@dataclass(frozen=True, slots=True)
class Promise:
    """One documented promise: where it is written, the words, and the reading enforced."""

    source: str
    text: str
    reading: str = ""

    def quote(self) -> str:
        line = f'{self.source}: "{self.text}"'
        return f"{line} (enforced reading: {self.reading})" if self.reading else line


class P:
    """The promises, by name."""

    # -- authentication ------------------------------------------------------------------------
    AUTH_REQUIRED = Promise(
        "BEHAVIOUR.md, spec responses.Unauthenticated",
        "no credentials | 401 | UNAUTHENTICATED / AUTHENTICATION_REQUIRED; "
        "401: Authentication required (UNAUTHENTICATED).")
    AUTH_INVALID = Promise(
        "BEHAVIOUR.md",
        "malformed, badly signed, non-HMAC or expired JWT; unknown, expired or deleted access key "
        "| 401 | UNAUTHENTICATED / INVALID_CREDENTIALS")
    JWT_HMAC_ONLY = Promise(
        "BEHAVIOUR.md",
        "JWT: HS256 (any HMAC alg accepted, anything else rejected)")
    JWT_SIGNATURE = Promise(
        "BEHAVIOUR.md",
        "malformed, badly signed, non-HMAC or expired JWT ... | 401 | UNAUTHENTICATED / INVALID_CREDENTIALS")
    JWT_EXPIRE = Promise(
        "BEHAVIOUR.md",
        'claims {"type":"agent","agent":{...},"expire":"<RFC3339 µs UTC>"} — a custom expire string, '
        "no standard exp; ... expired JWT | 401 | UNAUTHENTICATED / INVALID_CREDENTIALS")
    BEARER_LITERAL = Promise(
        "BEHAVIOUR.md",
        "header Authorization: Bearer <jwt> (literal, case-sensitive `Bearer `)",
        reading="gateway code: any other spelling is a present but invalid credential, 401 INVALID_CREDENTIALS")
    CREDENTIAL_ORDER = Promise(
        "BEHAVIOUR.md",
        "Credentials are looked for in this order, first one present wins, no fallback if it is bad: "
        "cookie token → query ?token= → header Authorization: Bearer <jwt> → cookie accesskey → "
        "query ?accesskey=<key>.")
    ACCESSKEY_PLACEMENT = Promise(
        "BEHAVIOUR.md",
        "Access keys ... only work as ?accesskey= (or the cookie); sent as a Bearer token they fail "
        "as an invalid JWT. An access key acts as customer admin.")
    ACCESSKEY_LIFECYCLE = Promise(
        "BEHAVIOUR.md",
        "Access keys: vb_ + 32 random characters, created by POST /v1.0/accesskeys (the raw key is returned "
        "once, in token), optional expiry tm_expire. ... unknown, expired or deleted access key | 401 | "
        "UNAUTHENTICATED / INVALID_CREDENTIALS")
    LOGIN = Promise(
        "BEHAVIOUR.md",
        'POST /auth/login with JSON {"username","password"} → 200 {"username","token"} and a '
        "Set-Cookie: token=<jwt>; HttpOnly. Wrong credentials or a bad body → 400 with an EMPTY body "
        "(not 401, not the envelope).")

    # -- tenancy and permission ----------------------------------------------------------------
    TENANT_ISOLATION = Promise(
        "BEHAVIOUR.md, docs",
        "resource of another customer | 403 (most resources; 404 for accesskeys and contact addresses) | "
        "PERMISSION_DENIED. The docs instead say another customer's resource gives 404.",
        reading="never 2xx (both readings); the status is held to the docs reading (404), "
                "each finding says when the target follows the gateway's 403 instead")
    LIST_ISOLATION = Promise(
        "spec, BEHAVIOUR.md",
        "GET /accesskeys: Get accesskeys of the customer; on create the server sets customer_id (the caller's)",
        reading="a list shows the caller's items only")
    AGENT_PERMISSION = Promise(
        "BEHAVIOUR.md",
        "agent lacks the permission | 403 | PERMISSION_DENIED / PERMISSION_DENIED; Agent permission bits: "
        "0x1 project super-admin, 0x10 customer agent, 0x20 customer admin, 0x40 customer manager.")

    # -- pagination ----------------------------------------------------------------------------
    PAGE_WALK = Promise(
        "spec components.parameters.PageToken, CommonPagination",
        "page_token: Cursor token for pagination. Use the next_page_token value from the previous response. "
        "next_page_token: Cursor token for the next page of results.",
        reading="a walk visits every item exactly once and ends")
    PAGE_ORDER = Promise("BEHAVIOUR.md", "Order is newest first (tm_create descending).")
    PAGE_SIZE = Promise(
        "BEHAVIOUR.md, spec components.parameters.PageSize",
        "page_size: Number of results to return per page. page_size default 100, max 100; 0, negative or "
        "above max silently become 100")
    PAGE_SIZE_INVALID = Promise(
        "BEHAVIOUR.md",
        "a non-integer gives 400 INVALID_ARGUMENT / INVALID_REQUEST_PARAMETER.")
    PAGE_TOKEN_INVALID = Promise(
        "spec responses.BadRequest",
        "400: Invalid request (INVALID_ARGUMENT).",
        reading="an unusable page_token is refused with 400 and the envelope, or ignored; never a 5xx")
    LAST_PAGE = Promise(
        "docs (as quoted in BEHAVIOUR.md)",
        "The docs say an empty or absent token marks the last page.",
        reading="docs; the gateway's code puts a non-empty token on every non-empty page, so a walk ends "
                "only on an extra, empty page")
    CREATED_DURING_WALK = Promise(
        "BEHAVIOUR.md",
        "page_token is the tm_create of the last item of the previous page; the next page holds items "
        "strictly older",
        reading="items created during a walk do not disturb it: every item present at its start is "
                "still seen exactly once")

    # -- errors and status codes ---------------------------------------------------------------
    ENVELOPE = Promise(
        "spec components.schemas.ErrorResponse, BEHAVIOUR.md",
        'ErrorResponse: {"error": {"status", "reason", "message", "request_id", "details"?}}; status: '
        "Canonical error status. Maps 1:1 to HTTP status code; the same id in the X-Request-Id response header.",
        reading="spec and gateway code (nested envelope); the docs' flat {\"error\": \"error_code\", "
                "\"message\"} shape is not enforced because no gateway code emits it")
    MALFORMED_JSON = Promise(
        "BEHAVIOUR.md, spec responses.BadRequest",
        "Malformed JSON body → 400 INVALID_ARGUMENT / INVALID_JSON_BODY.")
    MALFORMED_UUID = Promise(
        "BEHAVIOUR.md, spec responses.BadRequest/NotFound",
        "Malformed UUID in a path: 400 INVALID_ARGUMENT, reason INVALID_ID (ids typed as plain string) or "
        "INVALID_REQUEST_PARAMETER (ids typed format: uuid)",
        reading="a 4xx with the envelope, never a 5xx: 400 with the reason above, or 404 NOT_FOUND (the spec "
                "types most ids as plain strings, so no item has that id)")
    BAD_BODY = Promise(
        "spec (request body schemas), spec responses.BadRequest",
        "the request body schema (types, required, enum); 400: Invalid request (INVALID_ARGUMENT).",
        reading="spec: input the schema forbids is a 4xx with the envelope, never a 5xx nor a 2xx; the "
                "gateway's code does not check required fields or enums (BEHAVIOUR.md)")
    E164 = Promise(
        "spec POST /contact_addresses (target), components.schemas.NumberManagerNumber (number)",
        "target: The address value. E.164 format for tel, email address for email. number: The phone number "
        "in E.164 format (normal) or +899 format (virtual).",
        reading="a phone number that is not E.164 is a 4xx with the envelope, never a 5xx nor a 2xx")
    NOT_FOUND = Promise("spec responses.NotFound", "404: Resource not found (NOT_FOUND).")
    UNKNOWN_ROUTE = Promise(
        "BEHAVIOUR.md", "Unknown path → 404 NOT_FOUND / ROUTE_NOT_FOUND, no auth needed.")
    PAYMENT_REQUIRED = Promise(
        "spec responses.PaymentRequired, docs",
        "402: Payment required (PAYMENT_REQUIRED).",
        reading="docs and spec (402); the gateway's code answers 500 INTERNAL for insufficient balance")
    ACCOUNT_FROZEN = Promise("BEHAVIOUR.md", "frozen account | 403 | PERMISSION_DENIED / ACCOUNT_FROZEN")
    RATE_LIMIT = Promise(
        "BEHAVIOUR.md, spec responses.TooManyRequests",
        "A limited request gets 429, header Retry-After: <whole seconds>, no X-RateLimit-* headers, body "
        '{"error":{"status":"RESOURCE_EXHAUSTED","reason":"RATE_LIMIT_EXCEEDED",...,"details":[{"limited_by":'
        '"ip"|"customer"}]}}')

    # -- lifecycle -----------------------------------------------------------------------------
    LIFECYCLE = Promise(
        "BEHAVIOUR.md",
        "On create the server sets id (UUID v4), customer_id (the caller's), tm_create (now) ... PUT updates "
        "the mutable fields and answers 200 with the whole object. DELETE is a soft delete ... A later GET "
        "gives 404 for most resources, 409 for accesskeys, calls and outbound_configs, 200 (with tm_delete "
        "set) for agents. Soft-deleted items are left out of most lists.")
