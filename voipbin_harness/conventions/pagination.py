"""How VoIPBIN lists page: ``page_size`` / ``page_token`` in, ``result`` / ``next_page_token`` out.

The gateway (``BEHAVIOUR.md``) and the public docs disagree on one point, the last page: the
gateway puts a non-empty token on every non-empty page (only an empty page carries ``""``), the
docs say an empty or absent token marks the last page. Both readings are named here so that the
emulator can produce either and the checks can say which one they hold a target to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "LAST_PAGE_DOCS",
    "LAST_PAGE_GATEWAY",
    "MAX_PAGE_SIZE",
    "PAGE_SIZE_PARAM",
    "PAGE_SIZE_EXCEPTIONS",
    "PAGE_TOKEN_PARAM",
    "InvalidPageSize",
    "list_body",
    "list_problems",
    "page_size_limits",
    "page_token_for",
    "parse_page_size",
    "parse_timestamp",
    "timestamp",
]

PAGE_SIZE_PARAM = "page_size"
PAGE_TOKEN_PARAM = "page_token"
RESULT_FIELD = "result"
NEXT_TOKEN_FIELD = "next_page_token"

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100

#: Resources whose lists page differently: (default page size, cap or None for no cap).
PAGE_SIZE_EXCEPTIONS: dict[str, tuple[int, int | None]] = {
    "contact_addresses": (20, None),  # BEHAVIOUR.md: "contact_addresses: default 20, no cap"
}

#: How a target marks the last page.
LAST_PAGE_GATEWAY = "gateway"  # a token on every non-empty page; "" only on an empty page
LAST_PAGE_DOCS = "docs"  # "" (or no token) on the last page

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class InvalidPageSize(ValueError):
    """``page_size`` is not an integer: the gateway answers 400 INVALID_REQUEST_PARAMETER."""


def parse_page_size(raw: str | None, *, default: int = DEFAULT_PAGE_SIZE, cap: int | None = MAX_PAGE_SIZE) -> int:
    """The page size the gateway uses: 0, negative or above the cap silently become the default."""
    if raw is None or raw == "":
        return default
    try:
        size = int(raw.strip())
    except ValueError:
        raise InvalidPageSize(f"page_size must be an integer, got {raw!r}") from None
    if size <= 0 or (cap is not None and size > cap):
        return default
    return size


def timestamp(moment: datetime | None = None) -> str:
    """RFC 3339 UTC with microseconds, the format of ``tm_create`` and of page tokens."""
    return (moment or datetime.now(UTC)).strftime(_TS_FORMAT)


def parse_timestamp(value: str) -> datetime | None:
    """A ``tm_*`` / page-token string as a datetime, or None if it is not one."""
    try:
        return datetime.strptime(value, _TS_FORMAT).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def page_token_for(last_item: Mapping[str, Any]) -> str:
    """The token for the page after the one that ends with ``last_item``: its ``tm_create``."""
    return str(last_item.get("tm_create") or "")


def list_body(items: list[Any], next_page_token: str) -> dict[str, Any]:
    return {RESULT_FIELD: items, NEXT_TOKEN_FIELD: next_page_token}


def list_problems(body: Any, *, page_size: int | None = None) -> list[str]:
    """Every way ``body`` breaks the list convention; empty when it keeps it."""
    if not isinstance(body, dict):
        return [f"a list answer must be an object with {RESULT_FIELD!r}, got {type(body).__name__}"]
    problems: list[str] = []
    result = body.get(RESULT_FIELD)
    if not isinstance(result, list):
        problems.append(f"{RESULT_FIELD!r} must be an array, got {type(result).__name__}")
    token = body.get(NEXT_TOKEN_FIELD)
    if NEXT_TOKEN_FIELD in body and token is not None and not isinstance(token, str):
        problems.append(f"{NEXT_TOKEN_FIELD!r} must be a string, got {type(token).__name__}")
    if isinstance(result, list) and page_size is not None and page_size > 0 and len(result) > page_size:
        problems.append(f"page holds {len(result)} items, more than page_size={page_size}")
    return problems


def page_size_limits(resource: str) -> tuple[int, int | None]:
    """(default, cap) of ``page_size`` for a resource (``resources.resource_of`` names it)."""
    return PAGE_SIZE_EXCEPTIONS.get(resource, (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
