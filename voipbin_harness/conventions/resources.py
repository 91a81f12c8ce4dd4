"""What the gateway does with resources: ids, server-set fields, create and delete answers.

Per-resource quirks are tables, not code (``BEHAVIOUR.md`` "Resources"): the emulator reads them
to answer, the checks and scenarios read them to know what to expect. Keys are the first path
segment of the collection under ``/v1.0`` (``"flows"``, ``"accesskeys"``...).
"""

from __future__ import annotations

import re

__all__ = [
    "BASE_PATH",
    "CONTROL_PREFIX",
    "COSTLY_SEGMENTS",
    "CREATE_STATUS",
    "DELETED_GET_STATUS",
    "INSUFFICIENT_BALANCE_OPERATIONS",
    "NOT_FOUND_FOR_OTHER_CUSTOMER",
    "OTHER_CUSTOMER_STATUS_DOCS",
    "OTHER_CUSTOMER_STATUS_GATEWAY",
    "SERVER_SET_FIELDS",
    "SINGLETONS",
    "UUID_RE",
    "WEBSOCKET_SEGMENTS",
    "create_status",
    "deleted_get_status",
    "invalid_id_reason",
    "is_costly",
    "is_e164",
    "is_id_param",
    "is_uuid",
    "resource_of",
    "other_customer_status",
]

#: Where the API lives on the gateway (``servers`` in the spec); the public /auth/* and /ping are outside it.
BASE_PATH = "/v1.0"
#: Where the project's emulator keeps its test-only control surface: outside the base path, so that it
#: can never collide with an API route; its clients (tests, scenarios' set-up) reach it by this prefix.
CONTROL_PREFIX = "/__emulator__"
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
NIL_UUID = "00000000-0000-0000-0000-000000000000"
#: A phone number as the spec's addresses carry it for type ``tel`` ("+14155551234"): E.164, ``+`` then
#: 2 to 15 digits, the first not 0.
E164_RE = re.compile(r"^\+[1-9][0-9]{1,14}$")

#: Fields the server sets on create, whatever the client sent.
SERVER_SET_FIELDS = ("id", "customer_id", "tm_create", "tm_update", "tm_delete")

#: Creates answer 200 with the object, except these collections.
CREATE_STATUS: dict[str, int] = {
    "contacts": 201,
    "contact_addresses": 201,  # BEHAVIOUR.md "contact addresses": the /contact_addresses resource
    "speakings": 201,
    "aiaudits": 202,
    "aipromptproposals": 202,
}

#: After a (soft) delete, GET answers 404 except for these collections.
DELETED_GET_STATUS: dict[str, int] = {
    "accesskeys": 409,
    "calls": 409,
    "outbound_configs": 409,
    "agents": 200,
}

#: Single-object resources: no collection, no id.
SINGLETONS = ("customer", "billing_account", "storage_account", "outbound_config", "me")

#: Another customer's resource: the gateway answers 403 for most, 404 for these; the docs say 404.
NOT_FOUND_FOR_OTHER_CUSTOMER = ("accesskeys", "contact_addresses")
OTHER_CUSTOMER_STATUS_GATEWAY = 403
OTHER_CUSTOMER_STATUS_DOCS = 404

#: Last path segments of the WebSocket endpoints (``/ws``, ``/service_agents/ws``, ``.../media_stream``):
#: the gateway upgrades them; a plain HTTP request gets an error, never a JSON body.
WEBSOCKET_SEGMENTS = ("ws", "media_stream")

#: (method, path) of the operations that spend balance; insufficient balance is 500 at the
#: gateway, 402 PAYMENT_REQUIRED per the docs.
INSUFFICIENT_BALANCE_OPERATIONS = (
    ("POST", "/calls"),
    ("POST", "/emails"),
    ("POST", "/groupcalls"),
    ("POST", "/messages"),
    ("POST", "/numbers"),
    ("POST", "/numbers/renew"),
)


def resource_of(path: str) -> str:
    """The resource a path template acts on: its last static segment that names a collection.

    ``/flows/{id}`` -> ``flows``, ``/contacts/{id}/addresses`` -> ``addresses``,
    ``/contacts/{id}/addresses/{address_id}`` -> ``addresses``; used as the key of the tables above.
    """
    static = [s for s in path.split("/") if s and not s.startswith("{")]
    segments = [s for s in path.split("/") if s]
    if segments and segments[-1].startswith("{") and len(segments) >= 2:
        return segments[-2]
    return static[-1] if static else ""


def is_uuid(value: object, *, allow_nil: bool = False) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value)) and (allow_nil or value != NIL_UUID)


def is_e164(value: object) -> bool:
    """Whether ``value`` is an E.164 phone number, the format of ``tel`` address targets."""
    return isinstance(value, str) and bool(E164_RE.match(value))



def create_status(collection: str) -> int:
    return CREATE_STATUS.get(collection, 200)


def deleted_get_status(collection: str) -> int:
    return DELETED_GET_STATUS.get(collection, 404)


def other_customer_status(collection: str, *, docs: bool = False) -> int:
    if docs or collection in NOT_FOUND_FOR_OTHER_CUSTOMER:
        return OTHER_CUSTOMER_STATUS_DOCS
    return OTHER_CUSTOMER_STATUS_GATEWAY


def is_id_param(name: str) -> bool:
    """Whether a path parameter names a resource id (``id``, ``call_id``, ``billing-id``...).

    The gateway parses these as UUIDs before the handler runs; other path parameters (an enum
    such as ``resource_type``) are not ids.
    """
    return name == "id" or name.endswith(("_id", "-id"))


def invalid_id_reason(param_schema: object) -> str:
    """``error.reason`` for a malformed (or nil) UUID in an id path parameter.

    INVALID_REQUEST_PARAMETER where the spec types the parameter ``format: uuid`` (bound by the
    framework), INVALID_ID where it is a plain string (checked by the handler) - BEHAVIOUR.md.
    """
    from .envelope import Reason

    if isinstance(param_schema, dict) and param_schema.get("format") == "uuid":
        return Reason.INVALID_REQUEST_PARAMETER
    return Reason.INVALID_ID


#: Path segments of the operations that cost money or reach people (calls, messages, e-mails,
#: campaigns, AI calls and messages, transfers): against a live target a harness sends a
#: non-safe request to them only when the operation is named one by one.
COSTLY_SEGMENTS = ("calls", "groupcalls", "aicalls", "providercalls", "transfers", "messages", "aimessages",
                   "emails", "campaigns")


def is_costly(method: str, path: str) -> bool:
    """Whether ``METHOD path`` spends balance or reaches a person: a non-GET request under one of
    ``COSTLY_SEGMENTS``, or one of ``INSUFFICIENT_BALANCE_OPERATIONS`` (number purchase and renewal)."""
    method = method.upper()
    if (method, path) in INSUFFICIENT_BALANCE_OPERATIONS:
        return True
    segments = [s for s in path.split("/") if s and not s.startswith("{")]
    return method not in ("GET", "HEAD", "OPTIONS") and any(s in COSTLY_SEGMENTS for s in segments)
