"""Every Hypothesis strategy of the scenarios suite, and nowhere else.

Request bodies come from the spec's schemas (valid ones, and valid ones broken in exactly one
documented way); the rest are composites over the VoIPBIN conventions: page sizes around the
documented edges, credentials and where they are placed, tokens forged in each way the gateway
must refuse. Scenario modules import from here (``from . import strategies as s``) and never
call ``st.*`` themselves.

One module per concern, this package re-exports them all:
``binding`` (the run's spec, ``sampled``, ``SPEC_GAPS``), ``values`` (text, ids, paths, phone
numbers, non-JSON), ``paging`` (page sizes and tokens), ``auth`` (credentials and forged tokens),
``bodies`` (request bodies from the spec, valid and broken) and ``cases`` (composites over a
scenario's collections). Dependencies run one way: binding <- values <- paging, auth <- bodies <- cases.
"""

from __future__ import annotations

from .auth import (
    Placement,
    Tamper,
    agent_permissions,
    bearer_spellings,
    credential_placements,
    expired_ages,
    hmac_algorithms,
    login_body_shapes,
    login_passwords,
    non_hmac_algorithms,
    random_tokens,
    signatures,
    signing_keys,
    tampers,
    token_places,
    unknown_access_keys,
)
from .binding import CRUD, SPEC_GAPS, sampled, use_spec
from .bodies import BadBody, bad_bodies, create_bodies, request_bodies, update_bodies
from .cases import (
    BadBodyCase,
    Batch,
    FieldCase,
    GrowingBatch,
    ResourceCase,
    SpendBodies,
    bad_body_cases,
    batches,
    e164_cases,
    growing_batches,
    resource_cases,
    spend_bodies,
)
from .paging import (
    invalid_page_tokens,
    item_counts,
    non_integer_page_sizes,
    page_sizes,
    small_page_sizes,
    walk_page_sizes,
)
from .values import (
    admin_list_paths,
    e164_numbers,
    malformed_json,
    malformed_uuids,
    names,
    non_e164_numbers,
    read_paths,
    unknown_ids,
    unknown_routes,
)

__all__ = [
    "CRUD", "SPEC_GAPS", "BadBody", "BadBodyCase", "Batch", "FieldCase", "GrowingBatch", "Placement", "ResourceCase",
    "SpendBodies", "Tamper", "admin_list_paths", "agent_permissions", "bad_bodies", "bad_body_cases",
    "batches", "bearer_spellings", "create_bodies", "credential_placements", "e164_cases", "e164_numbers",
    "expired_ages", "growing_batches", "hmac_algorithms", "invalid_page_tokens", "item_counts",
    "login_body_shapes", "login_passwords", "malformed_json", "malformed_uuids", "names",
    "non_e164_numbers", "non_hmac_algorithms", "non_integer_page_sizes", "page_sizes", "random_tokens",
    "read_paths", "request_bodies", "resource_cases", "sampled", "signatures", "signing_keys",
    "small_page_sizes", "spend_bodies", "tampers", "token_places", "unknown_access_keys", "unknown_ids",
    "unknown_routes", "update_bodies", "use_spec", "walk_page_sizes",
]
