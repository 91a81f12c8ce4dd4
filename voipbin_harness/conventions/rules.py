"""Every VoIPBIN rule a suite checks: one id and one quoted promise each, stated once.

A ``Rule``'s ``id`` is the check name its findings carry in every suite (contracts, scenarios, load)
and in the baseline, so one rule never shows under two names and a finding's id
(``findings.finding_id(check, operation, key)``) is the same whichever suite met it. Its
``promise`` is the words it holds the target to, quoted with their ``source``; where the gateway's
code and the public docs disagree (``BEHAVIOUR.md``), ``reading`` says which one is enforced.

A scenario property quotes the exact clause it checks (``P``, below), which may be finer than its
rule (several authentication clauses, one ``authentication`` check); where a clause is the whole
rule, ``P`` holds the rule's own ``Promise``, so each quote is written once.

Sources: ``spec`` is the pinned OpenAPI document, ``BEHAVIOUR.md`` the reading of the gateway's
code, ``docs`` the public docs as ``BEHAVIOUR.md`` quotes them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["P", "RULES", "Promise", "R", "Rule", "rule"]


@dataclass(frozen=True, slots=True)
class Promise:
    """One documented promise: where it is written, the words, and the reading enforced."""

    source: str
    text: str
    reading: str = ""

    def quote(self) -> str:
        line = f'{self.source}: "{self.text}"'
        return f"{line} (enforced reading: {self.reading})" if self.reading else line


@dataclass(frozen=True, slots=True)
class Rule:
    """One VoIPBIN rule: ``id`` is its check name everywhere, ``promise`` what it holds the target to."""

    id: str
    promise: Promise

    @property
    def source(self) -> str:
        return self.promise.source

    def quote(self) -> str:
        return self.promise.quote()


def _rule(rule_id: str, source: str, text: str, reading: str = "") -> Rule:
    return Rule(rule_id, Promise(source, text, reading))


class R:
    """The rules, by name; ``R.X.id`` is the check name."""

    # -- every answer (contracts, scenarios, load) -----------------------------------------------
    ERROR_ENVELOPE = _rule(
        "error_envelope", "spec components.schemas.ErrorResponse, BEHAVIOUR.md",
        'ErrorResponse: {"error": {"status", "reason", "message", "request_id", "details"?}}; status: '
        "Canonical error status. Maps 1:1 to HTTP status code; the same id in the X-Request-Id response header.",
        reading="spec and gateway code (nested envelope); the docs' flat {\"error\": \"error_code\", "
                "\"message\"} shape is not enforced because no gateway code emits it")
    REQUEST_ID_ECHO = _rule(
        "request_id_echo", "BEHAVIOUR.md",
        "the same id in the X-Request-Id response header (an inbound X-Request-Id of ≤64 [A-Za-z0-9_-] is echoed)")
    JSON_CONTENT_TYPE = _rule(
        "json_content_type", "BEHAVIOUR.md", "Content-Type: application/json; charset=utf-8",
        reading="the media type application/json; the charset parameter is optional")
    AUTHENTICATION = _rule(
        "authentication", "BEHAVIOUR.md, spec responses.Unauthenticated",
        "no credentials | 401 | UNAUTHENTICATED / AUTHENTICATION_REQUIRED; "
        "401: Authentication required (UNAUTHENTICATED).",
        reading="operations whose responses omit 401 are public in the spec (it declares no security scheme)")
    RATE_LIMIT_ANSWER = _rule(
        "rate_limit_answer", "BEHAVIOUR.md, spec responses.TooManyRequests",
        "A limited request gets 429, header Retry-After: <whole seconds>, no X-RateLimit-* headers, body "
        '{"error":{"status":"RESOURCE_EXHAUSTED","reason":"RATE_LIMIT_EXCEEDED",...,"details":[{"limited_by":'
        '"ip"|"customer"}]}}')
    RATE_LIMIT_DECLARED = _rule(
        "rate_limit_declared", "BEHAVIOUR.md", "Any /v1.0 operation can be answered 429.",
        reading="so every operation's responses declare 429 (or a 4XX/default that covers it)")
    RATE_LIMIT_STATUS = _rule(
        "rate_limit_status", "BEHAVIOUR.md",
        "Per customer (agents and access keys share one bucket): 17 req/s, burst 33. Token buckets ... "
        "A limited request gets 429",
        reading="a request over the limit is answered 429, never a 5xx")
    SERVER_ERROR = _rule(
        "server_error", "spec responses.BadRequest, responses.InternalError",
        "400: Invalid request (INVALID_ARGUMENT). 500: Internal error (INTERNAL).",
        reading="input the target cannot use is a client error (4xx), never an internal error (5xx)")
    TRANSPORT = _rule("transport", "spec", "every operation declares the answers it gives (responses)",
                      reading="every request gets an HTTP answer within the client timeout")

    # -- pagination ------------------------------------------------------------------------------
    LIST_ANSWER_SHAPE = _rule(
        "list_answer_shape", "BEHAVIOUR.md",
        'response {"result": [...], "next_page_token": "..."}; page_size default 100, max 100',
        reading="at most the effective page_size items; whether the last page carries a token is "
                "pagination_last_page's rule")
    PAGINATION_WALK = _rule(
        "pagination_walk", "spec components.parameters.PageToken, CommonPagination",
        "page_token: Cursor token for pagination. Use the next_page_token value from the previous response. "
        "next_page_token: Cursor token for the next page of results.",
        reading="a walk visits every item exactly once and ends")
    PAGINATION_ORDER = _rule("pagination_order", "BEHAVIOUR.md", "Order is newest first (tm_create descending).")
    PAGE_SIZE = _rule(
        "page_size", "BEHAVIOUR.md, spec components.parameters.PageSize",
        "page_size: Number of results to return per page. page_size default 100, max 100; 0, negative or "
        "above max silently become 100")
    PAGINATION_LAST_PAGE = _rule(
        "pagination_last_page", "docs (as quoted in BEHAVIOUR.md)",
        "The docs say an empty or absent token marks the last page.",
        reading="docs; the gateway's code puts a non-empty token on every non-empty page, so a walk ends "
                "only on an extra, empty page")
    PAGE_TOKEN = _rule(
        "page_token", "spec responses.BadRequest", "400: Invalid request (INVALID_ARGUMENT).",
        reading="an unusable page_token is refused with 400 and the envelope, or ignored; never a 5xx")

    # -- resources -------------------------------------------------------------------------------
    CREATED_RESOURCE_IDENTITY = _rule(
        "created_resource_identity", "BEHAVIOUR.md",
        "On create the server sets id (UUID v4), customer_id (the caller's), tm_create (now)")
    CREATED_RESOURCE_READABLE = _rule(
        "created_resource_readable", "spec (GET /{collection}/{id})",
        "the created resource is read back by its id",
        reading="GET of a resource just created answers 2xx with that resource")
    CREATED_RESOURCE_LISTED = Rule("created_resource_listed", Promise(
        PAGINATION_ORDER.source, PAGINATION_ORDER.promise.text,
        reading="a resource just created is on the first page of its list"))
    DELETED_RESOURCE_GONE = _rule(
        "deleted_resource_gone", "BEHAVIOUR.md",
        "DELETE is a soft delete ... A later GET gives 404 for most resources, 409 for accesskeys, calls and "
        "outbound_configs, 200 (with tm_delete set) for agents.")
    RESOURCE_CREATE = _rule(
        "resource_create", "BEHAVIOUR.md",
        "Creates answer 200 with the object, except 201 for contacts, contact addresses and speakings, and 202 "
        "for aiaudits and aipromptproposals.",
        reading="a scenario's set-up create answers 2xx with the item")
    LIFECYCLE_MODEL = _rule(
        "lifecycle_model", "BEHAVIOUR.md",
        "On create the server sets id (UUID v4), customer_id (the caller's), tm_create (now) ... PUT updates "
        "the mutable fields and answers 200 with the whole object. DELETE is a soft delete ... A later GET "
        "gives 404 for most resources, 409 for accesskeys, calls and outbound_configs, 200 (with tm_delete "
        "set) for agents. Soft-deleted items are left out of most lists.")

    # -- credentials, tenancy, permission ----------------------------------------------------------
    CREDENTIAL_ORDER = _rule(
        "credential_order", "BEHAVIOUR.md",
        "Credentials are looked for in this order, first one present wins, no fallback if it is bad: "
        "cookie token → query ?token= → header Authorization: Bearer <jwt> → cookie accesskey → "
        "query ?accesskey=<key>.")
    LOGIN = _rule(
        "login", "BEHAVIOUR.md",
        'POST /auth/login with JSON {"username","password"} → 200 {"username","token"} and a '
        "Set-Cookie: token=<jwt>; HttpOnly. Wrong credentials or a bad body → 400 with an EMPTY body "
        "(not 401, not the envelope).")
    TENANT_ISOLATION = _rule(
        "tenant_isolation", "BEHAVIOUR.md, docs",
        "resource of another customer | 403 (most resources; 404 for accesskeys and contact addresses) | "
        "PERMISSION_DENIED. The docs instead say another customer's resource gives 404.",
        reading="never 2xx (both readings)")
    OTHER_CUSTOMER_STATUS = _rule(
        "other_customer_status", "docs (as quoted in BEHAVIOUR.md)",
        "The docs instead say another customer's resource gives 404.",
        reading="docs (404); each finding says when the target follows the gateway's 403 instead")
    LIST_ISOLATION = _rule(
        "list_isolation", "spec, BEHAVIOUR.md",
        "GET /accesskeys: Get accesskeys of the customer; on create the server sets customer_id (the caller's)",
        reading="a list shows the caller's items only")
    AGENT_PERMISSION = _rule(
        "agent_permission", "BEHAVIOUR.md",
        "agent lacks the permission | 403 | PERMISSION_DENIED / PERMISSION_DENIED; Agent permission bits: "
        "0x1 project super-admin, 0x10 customer agent, 0x20 customer admin, 0x40 customer manager.")

    # -- input and causes --------------------------------------------------------------------------
    BAD_INPUT_STATUS = _rule(
        "bad_input_status", "spec (request body schemas), spec responses.BadRequest",
        "the request body schema (types, required, enum); 400: Invalid request (INVALID_ARGUMENT).",
        reading="spec: input the schema forbids is a 4xx with the envelope, never a 5xx nor a 2xx; the "
                "gateway's code does not check required fields or enums (BEHAVIOUR.md)")
    STATUS_FOR_CAUSE = _rule(
        "status_for_cause", "BEHAVIOUR.md",
        "status maps 1:1 to HTTP: INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PAYMENT_REQUIRED 402, "
        "PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS 409, FAILED_PRECONDITION 409, "
        "RESOURCE_EXHAUSTED 429, INTERNAL 500, UNAVAILABLE 503.",
        reading="each documented cause answers its documented status")


#: Every rule by id (its check name).
RULES: dict[str, Rule] = {value.id: value for value in vars(R).values() if isinstance(value, Rule)}


def rule(rule_id: str) -> Rule:
    """The rule whose check name is ``rule_id``; KeyError names the unknown id."""
    return RULES[rule_id]


class P:
    """The promises scenario properties quote, by name: a rule's own, or a finer clause of one."""

    # -- authentication (clauses of R.AUTHENTICATION, R.CREDENTIAL_ORDER, R.LOGIN) -----------------
    AUTH_REQUIRED = R.AUTHENTICATION.promise
    AUTH_INVALID = Promise(
        "BEHAVIOUR.md",
        "malformed, badly signed, non-HMAC or expired JWT; unknown, expired or deleted access key "
        "| 401 | UNAUTHENTICATED / INVALID_CREDENTIALS")
    JWT_HMAC_ONLY = Promise("BEHAVIOUR.md", "JWT: HS256 (any HMAC alg accepted, anything else rejected)")
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
    CREDENTIAL_ORDER = R.CREDENTIAL_ORDER.promise
    ACCESSKEY_PLACEMENT = Promise(
        "BEHAVIOUR.md",
        "Access keys ... only work as ?accesskey= (or the cookie); sent as a Bearer token they fail "
        "as an invalid JWT. An access key acts as customer admin.")
    ACCESSKEY_LIFECYCLE = Promise(
        "BEHAVIOUR.md",
        "Access keys: vb_ + 32 random characters, created by POST /v1.0/accesskeys (the raw key is returned "
        "once, in token), optional expiry tm_expire. ... unknown, expired or deleted access key | 401 | "
        "UNAUTHENTICATED / INVALID_CREDENTIALS")
    LOGIN = R.LOGIN.promise

    # -- tenancy and permission ------------------------------------------------------------------
    TENANT_ISOLATION = R.TENANT_ISOLATION.promise
    LIST_ISOLATION = R.LIST_ISOLATION.promise
    AGENT_PERMISSION = R.AGENT_PERMISSION.promise

    # -- pagination ------------------------------------------------------------------------------
    PAGE_WALK = R.PAGINATION_WALK.promise
    PAGE_ORDER = R.PAGINATION_ORDER.promise
    PAGE_SIZE = R.PAGE_SIZE.promise
    PAGE_SIZE_INVALID = Promise(
        "BEHAVIOUR.md", "a non-integer gives 400 INVALID_ARGUMENT / INVALID_REQUEST_PARAMETER.")
    PAGE_TOKEN_INVALID = R.PAGE_TOKEN.promise
    LAST_PAGE = R.PAGINATION_LAST_PAGE.promise
    CREATED_DURING_WALK = Promise(
        "BEHAVIOUR.md",
        "page_token is the tm_create of the last item of the previous page; the next page holds items "
        "strictly older",
        reading="items created during a walk do not disturb it: every item present at its start is "
                "still seen exactly once")

    # -- errors and status codes -----------------------------------------------------------------
    ENVELOPE = R.ERROR_ENVELOPE.promise
    MALFORMED_JSON = Promise(
        "BEHAVIOUR.md, spec responses.BadRequest",
        "Malformed JSON body → 400 INVALID_ARGUMENT / INVALID_JSON_BODY.")
    MALFORMED_UUID = Promise(
        "BEHAVIOUR.md, spec responses.BadRequest/NotFound",
        "Malformed UUID in a path: 400 INVALID_ARGUMENT, reason INVALID_ID (ids typed as plain string) or "
        "INVALID_REQUEST_PARAMETER (ids typed format: uuid)",
        reading="a 4xx with the envelope, never a 5xx: 400 with the reason above, or 404 NOT_FOUND (the spec "
                "types most ids as plain strings, so no item has that id)")
    BAD_BODY = R.BAD_INPUT_STATUS.promise
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
    RATE_LIMIT = R.RATE_LIMIT_ANSWER.promise

    # -- lifecycle -------------------------------------------------------------------------------
    LIFECYCLE = R.LIFECYCLE_MODEL.promise
