"""What the gateway does with resources: ids, server-set fields, create and delete answers.

Per-resource quirks are tables, not code (``BEHAVIOUR.md`` "Resources"): the emulator reads them
to answer, the checks and scenarios read them to know what to expect. Keys are the first path
segment of the collection under ``/v1.0`` (``"flows"``, ``"accesskeys"``...).
"""

from __future__ import annotations

import re
import uuid

__all__ = [
    "CREATE_STATUS",
    "DELETED_GET_STATUS",
    "INSUFFICIENT_BALANCE_OPERATIONS",
    "NOT_FOUND_FOR_OTHER_CUSTOMER",
    "OTHER_CUSTOMER_STATUS_DOCS",
    "OTHER_CUSTOMER_STATUS_GATEWAY",
    "SERVER_SET_FIELDS",
    "SINGLETONS",
    "UUID_RE",
    "create_status",
    "deleted_get_status",
    "is_uuid",
    "resource_of",
    "new_id",
    "other_customer_status",
]

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
NIL_UUID = "00000000-0000-0000-0000-000000000000"

#: Fields the server sets on create, whatever the client sent.
SERVER_SET_FIELDS = ("id", "customer_id", "tm_create", "tm_update", "tm_delete")

#: Creates answer 200 with the object, except these collections.
CREATE_STATUS: dict[str, int] = {
    "contacts": 201,
    "addresses": 201,  # /contacts/{id}/addresses (contact addresses)
    "contact_addresses": 201,
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
NOT_FOUND_FOR_OTHER_CUSTOMER = ("accesskeys", "addresses", "contact_addresses")
OTHER_CUSTOMER_STATUS_GATEWAY = 403
OTHER_CUSTOMER_STATUS_DOCS = 404

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


def new_id() -> str:
    return str(uuid.uuid4())


def create_status(collection: str) -> int:
    return CREATE_STATUS.get(collection, 200)


def deleted_get_status(collection: str) -> int:
    return DELETED_GET_STATUS.get(collection, 404)


def other_customer_status(collection: str, *, docs: bool = False) -> int:
    if docs or collection in NOT_FOUND_FOR_OTHER_CUSTOMER:
        return OTHER_CUSTOMER_STATUS_DOCS
    return OTHER_CUSTOMER_STATUS_GATEWAY
