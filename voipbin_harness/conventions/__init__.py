"""The VoIPBIN conventions, stated once.

The emulator produces them, the contract checks, scenarios and load profiles assert them;
none of those restates a literal that lives here. Where the gateway's code and the public docs
disagree (``BEHAVIOUR.md``), both readings are named.
"""

from . import auth, envelope, pagination, ratelimit, resources
from .auth import Credential, InvalidToken, Permission, decode_token, find_credential, mint_token
from .envelope import HTTP_FOR_STATUS, REQUEST_ID_HEADER, Reason, Status, envelope_problems
from .pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, list_problems, parse_page_size
from .ratelimit import Limit, rate_limit_problems, retry_after_seconds
from .resources import is_uuid

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "HTTP_FOR_STATUS",
    "MAX_PAGE_SIZE",
    "REQUEST_ID_HEADER",
    "Credential",
    "InvalidToken",
    "Limit",
    "Permission",
    "Reason",
    "Status",
    "auth",
    "decode_token",
    "envelope",
    "envelope_problems",
    "find_credential",
    "is_uuid",
    "list_problems",
    "mint_token",
    "pagination",
    "parse_page_size",
    "rate_limit_problems",
    "ratelimit",
    "resources",
    "retry_after_seconds",
]
