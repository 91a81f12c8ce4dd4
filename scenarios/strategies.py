"""Every Hypothesis strategy of the scenarios suite, and nowhere else.

Request bodies come from the spec's schemas (valid ones, and valid ones broken in exactly one
documented way); the rest are composites over the VoIPBIN conventions: page sizes around the
documented edges, credentials and where they are placed, tokens forged in each way the gateway
must refuse. Scenario modules import from here and never call ``st.*`` themselves.

Spec-driven strategies are lazy (``st.deferred``): the suite binds the spec of the run with
``use_spec`` before the first example is drawn, so ``--spec`` is honoured.
"""

from __future__ import annotations

import base64
import json
import re
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from voipbin_harness.conventions.auth import (
    ANY_AGENT,
    CREDENTIAL_ORDER,
    HMAC_ALGORITHMS,
    Permission,
    is_access_key,
    required_permission,
)
from voipbin_harness.conventions.pagination import MAX_PAGE_SIZE, InvalidPageSize, parse_page_size
from voipbin_harness.conventions.resources import (
    INSUFFICIENT_BALANCE_OPERATIONS,
    is_e164,
    is_id_param,
    is_uuid,
)
from voipbin_harness.conventions.statuses import AUTH_STUB_PREFIX
from voipbin_harness.spec import Spec
from voipbin_harness.spec.phones import PhoneRules

__all__ = [
    "BadBody", "BadBodyCase", "Batch", "FieldCase", "GrowingBatch", "Placement", "ResourceCase",
    "SpendBodies", "Tamper", "admin_list_paths", "agent_permissions", "bad_bodies", "bad_body_cases",
    "batches", "bearer_spellings", "create_bodies", "credential_placements", "e164_cases", "e164_numbers",
    "expired_ages", "growing_batches", "hmac_algorithms", "invalid_page_tokens", "item_counts",
    "login_body_shapes", "login_passwords", "malformed_json", "malformed_uuids", "names",
    "non_e164_numbers", "non_hmac_algorithms", "non_integer_page_sizes", "page_sizes", "random_tokens",
    "read_paths", "request_bodies", "resource_cases", "sampled", "signatures", "signing_keys",
    "small_page_sizes", "spend_bodies", "tampers", "token_places", "unknown_access_keys", "unknown_ids",
    "unknown_routes", "update_bodies", "use_spec", "walk_page_sizes",
]

_spec: Spec | None = None


class _Printed:
    """Generated cases print as their ``repr`` in Hypothesis' failure output (not as the chain of
    ``map``/``flatmap`` calls that built them, which is what its printer shows otherwise)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def use_spec(spec: Spec) -> None:
    """Bind the run's spec; the suite's conftest calls it once per session."""
    global _spec
    _spec = spec


_phones: tuple[Spec, PhoneRules] | None = None


def _bound_spec() -> Spec:
    if _spec is None:
        raise RuntimeError("scenarios.strategies.use_spec(spec) was not called before drawing")
    return _spec


def sampled(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """One of ``values`` (a scenario's collections, operations...)."""
    return st.sampled_from(values)


# -- plain values -------------------------------------------------------------------------------
_SAFE = string.ascii_letters + string.digits
_TEXT = st.characters(categories=("L", "N", "Zs", "Pd", "Pc", "Po"), exclude_characters="\\\"'",
                      max_codepoint=0x2FFF)


def names() -> st.SearchStrategy[str]:
    """Human text for ``name``/``detail``: letters of any script, digits, spaces, punctuation."""
    return st.text(_TEXT, min_size=1, max_size=24).filter(lambda s: s.strip() == s and s != "")


def unknown_ids() -> st.SearchStrategy[str]:
    """Well-formed ids that no resource has (random UUID v4)."""
    return st.uuids(version=4).map(str)


def malformed_uuids() -> st.SearchStrategy[str]:
    """Path ids that are not UUIDs: cut, padded, without dashes, wrong alphabet, plain words.

    Not the nil UUID: it is well-formed (the gateway's code rejects it, the docs say nothing)."""
    uuid_text = st.uuids(version=4).map(str)
    shapes = st.one_of(
        uuid_text.map(lambda u: u[:-1]),
        uuid_text.map(lambda u: u + "0"),
        uuid_text.map(lambda u: u.replace("-", "")[:31]),
        uuid_text.map(lambda u: "g" + u[1:]),
        uuid_text.map(lambda u: u.replace("-", "_")),
        st.text(st.sampled_from(_SAFE + "-_~"), min_size=1, max_size=40),
        st.integers(min_value=0, max_value=10**12).map(str),
    )
    return shapes.filter(lambda s: not is_uuid(s) and s not in (".", ".."))


def read_paths() -> st.SearchStrategy[str]:
    """Concrete paths of the spec's GET operations on customer data (path ids filled with random
    UUIDs). Not the ``/auth/*`` ones: signup and password reset serve callers who have no
    credentials yet (the gateway answers them 401 then 404, a spec-conformant server serves them)."""
    return st.deferred(_read_paths)


def _read_paths() -> st.SearchStrategy[str]:
    templates = sorted({op.path for op in _bound_spec().operations
                        if op.method == "GET" and not op.path.startswith(AUTH_STUB_PREFIX)})

    @st.composite
    def filled(draw: st.DrawFn) -> str:
        template = draw(st.sampled_from(templates))
        return re.sub(r"\{[^}]+\}", lambda _: draw(unknown_ids()), template)

    return filled()


def admin_list_paths() -> st.SearchStrategy[str]:
    """``GET`` list paths (no path parameter) that a customer-agent-level agent may not call
    (``conventions.auth.required_permission``)."""
    def refused(path: str) -> bool:
        needed = required_permission(path)
        return needed != ANY_AGENT and not needed & Permission.CUSTOMER_AGENT

    def plain(op: Any) -> bool:  # no required query parameter: its validation would answer first
        return not any(p.get("in") == "query" and p.get("required") for p in op.parameters)

    return st.deferred(lambda: st.sampled_from(sorted(
        op.path for op in _bound_spec().operations
        if op.method == "GET" and op.role == "list" and not op.path_params and plain(op) and refused(op.path))))


def unknown_routes() -> st.SearchStrategy[str]:
    """Paths under the base path that the spec does not have (``/zz-<word>`` and below)."""
    word = st.text(st.sampled_from(string.ascii_lowercase + string.digits + "_"), min_size=1, max_size=16)
    return st.builds(lambda a, b: f"/zz-{a}" + (f"/{b}" if b else ""), word, st.one_of(st.none(), word))


# -- pagination --------------------------------------------------------------------------------
def page_sizes() -> st.SearchStrategy[int]:
    """Integers around the documented edges: 0, negative, 1..max, above max."""
    return st.one_of(st.just(0), st.integers(-(10**6), -1), st.integers(1, MAX_PAGE_SIZE),
                     st.sampled_from([MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE * 2]), st.integers(MAX_PAGE_SIZE + 1, 10**6))


def walk_page_sizes() -> st.SearchStrategy[int]:
    """Page sizes for walks over a few created items: mostly small (many pages), plus the edges."""
    return st.one_of(st.integers(1, 6), st.just(0), st.integers(-5, -1), st.just(MAX_PAGE_SIZE + 1))


def non_integer_page_sizes() -> st.SearchStrategy[str]:
    """``page_size`` values that are not integers (the gateway answers 400)."""
    def not_integer(raw: str) -> bool:
        if raw.strip() != raw or not raw:
            return False  # blanks: the gateway and Python disagree on whitespace; not a documented case
        try:
            parse_page_size(raw)
        except InvalidPageSize:
            return True
        return False

    shapes = st.one_of(
        st.sampled_from(["abc", "1.5", "1e3", "0x10", "ten", "--1", "5abc", "NaN", "∞", "true"]),
        st.text(st.sampled_from(_SAFE + ".-+"), min_size=1, max_size=12),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )
    return shapes.filter(not_integer)


def invalid_page_tokens() -> st.SearchStrategy[str]:
    """``page_token`` values no server handed out: garbage, and near-timestamps."""
    return st.one_of(
        st.text(st.sampled_from(_SAFE + "-_:.+ "), min_size=1, max_size=40),
        st.sampled_from(["2024-13-45T99:99:99.000000Z", "yesterday", "0", "-1", "null", "%00"]),
    )


def small_page_sizes() -> st.SearchStrategy[int]:
    """Valid page sizes small enough that a walk over a few items takes several pages."""
    return st.integers(min_value=1, max_value=3)


def item_counts() -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=8)


# -- authentication ----------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def random_tokens() -> st.SearchStrategy[str]:
    """Tokens no server minted: random text, and three random base64url parts shaped like a JWT."""
    part = st.binary(min_size=1, max_size=40).map(_b64)
    jwt_shaped = st.tuples(part, part, part).map(".".join)
    header_ok = st.tuples(st.just(_b64(b'{"alg":"HS256","typ":"JWT"}')), part, part).map(".".join)
    text = st.text(st.sampled_from(_SAFE + "-_.~+/="), min_size=1, max_size=80)
    return st.one_of(text, jwt_shaped, header_ok)


def token_places() -> st.SearchStrategy[str]:
    """Where a JWT can be sent: the ``Authorization`` header, ``?token=``, the ``token`` cookie."""
    return st.sampled_from(["header", "query", "cookie"])


def signatures() -> st.SearchStrategy[bytes]:
    """Signature bytes for tokens whose ``alg`` the gateway must refuse (empty included)."""
    return st.binary(max_size=64)


def signing_keys() -> st.SearchStrategy[str]:
    """HMAC keys to sign with; the scenario drops the real one."""
    return st.text(st.sampled_from(_SAFE + "-_"), min_size=1, max_size=32)


def hmac_algorithms() -> st.SearchStrategy[str]:
    return st.sampled_from(HMAC_ALGORITHMS)


def non_hmac_algorithms() -> st.SearchStrategy[str]:
    """``alg`` header values the gateway must refuse: ``none`` in any case, asymmetric algorithms."""
    return st.sampled_from(["none", "None", "NONE", "nOnE", "RS256", "RS512", "ES256", "PS256", "EdDSA", ""])


def bearer_spellings() -> st.SearchStrategy[str]:
    """``Authorization`` prefixes that are not the literal ``Bearer `` (case, spacing, other schemes)."""
    fixed = st.sampled_from(["bearer ", "BEARER ", "Bearer", "Bearer\t", "Token ", "JWT ", "Basic ", "BEARER:",
                             "bearer: ", "Bearer: "])
    cased = st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in "bearer")).map(lambda cs: "".join(cs) + " ")
    # HTTP strips leading whitespace from header values, so " Bearer " would arrive as "Bearer ".
    return st.one_of(fixed, cased).filter(lambda p: p != "Bearer " and not p[:1].isspace())


@dataclass(frozen=True)
class Tamper(_Printed):
    """One change to a valid token's payload, re-encoded without re-signing."""

    claim: str  # dotted path inside the claims
    value: Any

    def apply(self, claims: dict[str, Any]) -> dict[str, Any]:
        changed = json.loads(json.dumps(claims))
        node = changed
        *parents, leaf = self.claim.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = self.value
        return changed


def tampers() -> st.SearchStrategy[Tamper]:
    """Payload changes an attacker would try: other customer, more permission, later expiry."""
    return st.one_of(
        st.uuids(version=4).map(lambda u: Tamper("agent.customer_id", str(u))),
        st.uuids(version=4).map(lambda u: Tamper("agent.id", str(u))),
        st.sampled_from([Permission.PROJECT_SUPER_ADMIN, Permission.CUSTOMER_ADMIN, 0xFFFF]).map(
            lambda p: Tamper("agent.permission", p)),
        st.sampled_from(["2099-01-01T00:00:00.000000Z", "2030-06-01T12:00:00.000000Z"]).map(
            lambda e: Tamper("expire", e)),
        st.text(_SAFE, min_size=1, max_size=12).map(lambda u: Tamper("agent.username", u + "@x.test")),
    )


def expired_ages() -> st.SearchStrategy[timedelta]:
    """How long ago a minted token expired: a second to a month."""
    return st.integers(min_value=1, max_value=30 * 24 * 3600).map(lambda s: timedelta(seconds=s))


def unknown_access_keys() -> st.SearchStrategy[str]:
    """Well-formed access keys (``vb_`` + 32) that nobody issued (the scenario drops known ones)."""
    return st.text(st.sampled_from(_SAFE), min_size=32, max_size=32).map(lambda s: "vb_" + s).filter(is_access_key)


def login_passwords() -> st.SearchStrategy[str]:
    """Wrong passwords (the scenario drops the right one)."""
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=40)


def login_body_shapes() -> st.SearchStrategy[str]:
    """Ways a login attempt can be wrong (the scenario builds the body of each)."""
    return st.sampled_from(["wrong password", "unknown username", "missing password", "missing username",
                            "password as number", "empty object", "not JSON"])


@dataclass(frozen=True)
class Placement(_Printed):
    """Credentials placed at some of the gateway's lookup places: ``(source, name) -> who`` where
    who is "alpha", "bravo" (a valid credential of that customer) or "invalid"."""

    slots: tuple[tuple[tuple[str, str], str], ...]

    def __repr__(self) -> str:
        return "Placement(" + ", ".join(f"{s}:{n}={who}" for (s, n), who in self.slots) + ")"


def credential_placements() -> st.SearchStrategy[Placement]:
    """Any subset of the lookup places, each holding alpha's, bravo's or an invalid credential."""
    who = st.sampled_from(["alpha", "bravo", "invalid"])
    return st.lists(st.tuples(st.sampled_from(CREDENTIAL_ORDER), who), max_size=len(CREDENTIAL_ORDER),
                    unique_by=lambda pair: pair[0]).map(lambda pairs: Placement(tuple(pairs)))


def agent_permissions() -> st.SearchStrategy[int]:
    """Permission values a customer admin can give an agent (no project-level bits; each is in the
    spec's enum of ``AgentManagerAgentPermission``)."""
    return st.sampled_from([Permission.CUSTOMER_AGENT, Permission.CUSTOMER_MANAGER, Permission.CUSTOMER_ADMIN])


# -- bodies from the spec ----------------------------------------------------------------------
#: Fields whose generated value must come from a narrower strategy than the schema's.
_OVERRIDES: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("agents", "permission"): agent_permissions(),
    ("numbers", "number"): st.deferred(lambda: e164_numbers()),
}


def create_bodies(collection: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies for ``POST /<collection>``: every required field, plus the simple optional ones."""
    label = f"POST /{collection}"
    return _valid_phones(label, st.deferred(lambda: _object_body(_request_schema(label), collection)))


def update_bodies(collection: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies for ``PUT /<collection>/{id}``."""
    label = f"PUT /{collection}/{{id}}"
    return _valid_phones(label, st.deferred(lambda: _object_body(_request_schema(label), collection)))


def _valid_phones(label: str, bodies: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """``bodies`` with every phone number made E.164, as the docs require of valid input (the fields
    come from the spec, through the shared ``spec.phones`` rules)."""
    return st.tuples(bodies, e164_numbers()).map(lambda pair: _phone_rules().repaired(label, pair[0], pair[1]))


def _phone_rules() -> PhoneRules:
    global _phones
    spec = _bound_spec()
    if _phones is None or _phones[0] is not spec:
        _phones = (spec, PhoneRules(spec))
    return _phones[1]


def request_bodies(label: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies for any operation with a JSON object body (``"POST /calls"``)."""
    collection = label.split(" ", 1)[1].strip("/").split("/")[0]
    return _valid_phones(label, st.deferred(lambda: _object_body(_request_schema(label), collection)))


def _request_schema(label: str) -> dict[str, Any]:
    spec = _bound_spec()
    schema = spec.resolve(spec.operation(label).request_schema) or {}
    return schema if isinstance(schema, dict) else {}


def _value(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    spec = _bound_spec()
    schema = spec.resolve(schema) or {}
    if "enum" in schema:
        return st.sampled_from([v for v in schema["enum"] if v is not None] or [None])
    kind = schema.get("type")
    if kind == "string":
        return unknown_ids() if schema.get("format") == "uuid" else names()
    if kind == "integer":
        return st.integers(min_value=max(0, schema.get("minimum", 0)), max_value=3600)
    if kind == "number":
        return st.integers(0, 1000).map(float)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.just([])
    if kind == "object" and depth < 2:
        return _object_body(schema, None, depth + 1)
    return st.just({}) if kind == "object" else st.none()


def _simple(schema: dict[str, Any]) -> bool:
    resolved = _bound_spec().resolve(schema) or {}
    return "enum" in resolved or resolved.get("type") in ("string", "integer", "boolean", "number")


def _object_body(schema: dict[str, Any], collection: str | None, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    props: dict[str, Any] = schema.get("properties") or {}
    required = [k for k in schema.get("required") or [] if k in props]

    def field(name: str) -> st.SearchStrategy[Any]:
        override = _OVERRIDES.get((collection or "", name))
        if override is not None:
            return override
        resolved = _bound_spec().resolve(props[name]) or {}
        if is_id_param(name) and resolved.get("type") == "string" and "enum" not in resolved:
            return unknown_ids()  # ids are UUIDs, whatever the request schema's (missing) format says
        return _value(props[name], depth)

    optional = {k: field(k) for k, v in props.items() if k not in required and _simple(v)}
    return st.fixed_dictionaries({k: field(k) for k in required}, optional=optional)


@dataclass(frozen=True)
class ResourceCase(_Printed):
    """A collection with a body to create an item and a body to update it."""

    collection: str
    create: dict[str, Any]
    update: dict[str, Any]

    def __repr__(self) -> str:
        return (f"ResourceCase({self.collection}, create={json.dumps(self.create, ensure_ascii=False)[:120]}, "
                f"update={json.dumps(self.update, ensure_ascii=False)[:120]})")


def resource_cases(collections: tuple[str, ...]) -> st.SearchStrategy[ResourceCase]:
    """One of ``collections`` with a valid create body and a valid update body for it."""
    @st.composite
    def case(draw: st.DrawFn) -> ResourceCase:
        collection = draw(st.sampled_from(collections))
        return ResourceCase(collection, draw(create_bodies(collection)), draw(update_bodies(collection)))

    return case()


@dataclass(frozen=True)
class Batch(_Printed):
    """Bodies to create ``len(bodies)`` items of one collection, in order."""

    collection: str
    bodies: tuple[dict[str, Any], ...]

    def __repr__(self) -> str:
        return f"Batch({self.collection}, {len(self.bodies)} items)"


def batches(collections: tuple[str, ...], counts: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[Batch]:
    """A collection and a generated number of valid create bodies for it."""
    @st.composite
    def batch(draw: st.DrawFn) -> Batch:
        collection = draw(st.sampled_from(collections))
        count = draw(counts if counts is not None else item_counts())
        return Batch(collection, tuple(draw(create_bodies(collection)) for _ in range(count)))

    return batch()


@dataclass(frozen=True)
class SpendBodies(_Printed):
    """A valid body for each operation that spends balance (``resources.INSUFFICIENT_BALANCE_OPERATIONS``)."""

    bodies: tuple[tuple[str, dict[str, Any]], ...]

    def for_operation(self, path: str) -> dict[str, Any]:
        return dict(self.bodies)[path]

    def __repr__(self) -> str:
        return "SpendBodies(" + ", ".join(f"{p}={json.dumps(b)[:80]}" for p, b in self.bodies) + ")"


def spend_bodies() -> st.SearchStrategy[SpendBodies]:
    labels = [f"{method} {path}" for method, path in INSUFFICIENT_BALANCE_OPERATIONS]
    return st.tuples(*(request_bodies(label) for label in labels)).map(
        lambda bodies: SpendBodies(tuple((label.split(" ", 1)[1], body) for label, body in zip(labels, bodies,
                                                                                               strict=True))))


@dataclass(frozen=True)
class BadBodyCase(_Printed):
    collection: str
    bad: BadBody


def bad_body_cases(collections: tuple[str, ...], kind: str) -> st.SearchStrategy[BadBodyCase]:
    """One of ``collections`` whose create body can be broken in way ``kind``, and such a body."""
    def build() -> st.SearchStrategy[BadBodyCase]:
        eligible = [c for c in collections if _breakable(c, kind)]
        if not eligible:
            raise ValueError(f"none of {collections} has a create body to break with {kind}")
        return st.sampled_from(eligible).flatmap(
            lambda c: bad_bodies(c, (kind,)).map(lambda bad: BadBodyCase(c, bad)))

    return st.deferred(build)


def _breakable(collection: str, kind: str) -> bool:
    try:
        _bad_bodies(collection, (kind,))
    except ValueError:
        return False
    return True


def e164_numbers() -> st.SearchStrategy[str]:
    """Valid E.164 numbers (``+`` then 2 to 15 digits, no leading 0)."""
    return st.tuples(st.integers(1, 9), st.text(st.sampled_from(string.digits), min_size=7, max_size=12)).map(
        lambda parts: f"+{parts[0]}{parts[1]}")


@dataclass(frozen=True)
class GrowingBatch(_Printed):
    """Bodies for items created before a walk, and for more created during it (one collection)."""

    collection: str
    before: tuple[dict[str, Any], ...]
    during: tuple[dict[str, Any], ...]

    def __repr__(self) -> str:
        return f"GrowingBatch({self.collection}, {len(self.before)} before, {len(self.during)} during the walk)"


def growing_batches(collections: tuple[str, ...]) -> st.SearchStrategy[GrowingBatch]:
    @st.composite
    def batch(draw: st.DrawFn) -> GrowingBatch:
        collection = draw(st.sampled_from(collections))
        before = tuple(draw(create_bodies(collection)) for _ in range(draw(item_counts())))
        during = tuple(draw(create_bodies(collection)) for _ in range(draw(st.integers(1, 4))))
        return GrowingBatch(collection, before, during)

    return batch()


@dataclass(frozen=True)
class FieldCase(_Printed):
    """A valid body for ``label`` in which the scenario replaces ``field``."""

    label: str
    field: str
    body: dict[str, Any]


def e164_cases(fields: tuple[tuple[str, str, dict[str, Any]], ...]) -> st.SearchStrategy[FieldCase]:
    """One of ``(label, field, fixed values)``: a valid body for the operation, the fixed values set."""
    return st.sampled_from(fields).flatmap(
        lambda entry: request_bodies(entry[0]).map(lambda body: FieldCase(entry[0], entry[1], {**body, **entry[2]})))


@dataclass(frozen=True)
class BadBody(_Printed):
    """A valid body broken in one way: ``kind`` (wrong_type, missing_required, invalid_enum,
    non_e164) at ``field``."""

    kind: str
    field: str
    body: dict[str, Any]

    def __repr__(self) -> str:
        return f"BadBody({self.kind} at {self.field!r}: {json.dumps(self.body, ensure_ascii=False)[:200]})"


_INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)  # JSON numbers every client and server can carry
_WRONG_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "string": st.one_of(_INT32, st.booleans(), st.just([1]), st.just({"a": 1})),
    "integer": st.one_of(st.text(_SAFE, min_size=1, max_size=8), st.booleans(), st.just([]), st.just(1.5)),
    "number": st.one_of(st.text(_SAFE, min_size=1, max_size=8), st.booleans()),
    "boolean": st.one_of(st.text(_SAFE, min_size=1, max_size=8), st.integers(2, 99)),
    "array": st.one_of(st.text(_SAFE, min_size=1, max_size=8), _INT32, st.just({"a": 1})),
    "object": st.one_of(st.text(_SAFE, min_size=1, max_size=8), _INT32, st.just([1])),
}


def bad_bodies(collection: str, kinds: tuple[str, ...] = ("wrong_type", "missing_required", "invalid_enum")
               ) -> st.SearchStrategy[BadBody]:
    """A valid ``POST /<collection>`` body broken in exactly one way the spec forbids."""
    return st.deferred(lambda: _bad_bodies(collection, kinds))


def _bad_bodies(collection: str, kinds: tuple[str, ...]) -> st.SearchStrategy[BadBody]:
    schema = _request_schema(f"POST /{collection}")
    spec = _bound_spec()
    props = {k: spec.resolve(v) or {} for k, v in (schema.get("properties") or {}).items()}
    required = [k for k in schema.get("required") or [] if k in props]
    typed = [k for k, v in props.items() if v.get("type") in _WRONG_VALUES]
    enums = [k for k, v in props.items() if v.get("enum")]
    options: list[st.SearchStrategy[BadBody]] = []

    @st.composite
    def wrong_type(draw: st.DrawFn) -> BadBody:
        body = draw(create_bodies(collection))
        name = draw(st.sampled_from(typed))
        body[name] = draw(_WRONG_VALUES[props[name]["type"]])
        return BadBody("wrong_type", name, body)

    @st.composite
    def missing_required(draw: st.DrawFn) -> BadBody:
        body = draw(create_bodies(collection))
        gone = draw(st.lists(st.sampled_from(required), min_size=1, unique=True))
        for name in gone:
            body.pop(name, None)
        return BadBody("missing_required", ",".join(sorted(gone)), body)

    @st.composite
    def invalid_enum(draw: st.DrawFn) -> BadBody:
        body = draw(create_bodies(collection))
        name = draw(st.sampled_from(enums))
        allowed = props[name]["enum"]
        if props[name].get("type") == "integer":
            body[name] = draw(st.integers(-1000, 100_000).filter(lambda v: v not in allowed))
        else:
            body[name] = draw(st.text(st.sampled_from(_SAFE + "_"), min_size=1, max_size=12)
                              .filter(lambda v: v not in allowed))
        return BadBody("invalid_enum", name, body)

    if "wrong_type" in kinds and typed:
        options.append(wrong_type())
    if "missing_required" in kinds and required:
        options.append(missing_required())
    if "invalid_enum" in kinds and enums:
        options.append(invalid_enum())
    if not options:
        raise ValueError(f"POST /{collection} has nothing to break in ways {kinds}")
    return st.one_of(options)


def non_e164_numbers() -> st.SearchStrategy[str]:
    """Phone numbers that are not E.164 (``+`` then 2 to 15 digits, no leading 0)."""
    digits = st.text(st.sampled_from(string.digits), min_size=2, max_size=15)
    return st.one_of(
        digits.filter(lambda d: d[0] != "0"),  # no leading +
        digits.map(lambda d: "+0" + d[1:]),
        st.text(st.sampled_from(string.digits), min_size=16, max_size=20).map(lambda d: "+" + d),
        digits.map(lambda d: f"+1-{d}"),
        st.text(st.sampled_from(string.ascii_letters + " ()-"), min_size=1, max_size=12).map(lambda s: "+" + s),
        st.just("+"),
    ).filter(lambda n: not is_e164(n))


def malformed_json() -> st.SearchStrategy[str]:
    """Bodies that are not JSON: cut-off documents, single quotes, trailing commas, plain words."""
    def not_json(text: str) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return True
        return False

    document = st.fixed_dictionaries({"name": names(), "detail": names()}).map(json.dumps)
    cut = st.tuples(document, st.integers(1, 200)).map(lambda pair: pair[0][: max(1, len(pair[0]) - pair[1])])
    fixed = st.sampled_from(["{", "[1,", "{'name': 'x'}", '{"name": "x",}', "nul", "{name: 1}", '{"a" 1}',
                             "\x00", "{}}"])
    words = st.text(st.sampled_from(_SAFE + "{}[]:,' "), min_size=1, max_size=30)
    return st.one_of(cut, fixed, words).filter(not_json)
