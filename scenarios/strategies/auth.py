"""Credentials and where they are placed, and tokens forged in each way the gateway must refuse
(``conventions.auth``): random and re-signed tokens, other algorithms, tampered payloads, expiry,
``Authorization`` spellings, unknown access keys, login attempts, agent permissions."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from voipbin_harness.conventions.auth import (
    BEARER_PREFIX,
    CREDENTIAL_ORDER,
    HMAC_ALGORITHMS,
    Permission,
    is_access_key,
)

from .binding import Printed
from .values import SAFE

__all__ = ["Placement", "Tamper", "agent_permissions", "bearer_spellings", "credential_placements",
           "expired_ages", "hmac_algorithms", "login_body_shapes", "login_passwords", "non_hmac_algorithms",
           "random_tokens", "signatures", "signing_keys", "tampers", "token_places", "unknown_access_keys"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def random_tokens() -> st.SearchStrategy[str]:
    """Tokens no server minted: random text, and three random base64url parts shaped like a JWT."""
    part = st.binary(min_size=1, max_size=40).map(_b64)
    jwt_shaped = st.tuples(part, part, part).map(".".join)
    header_ok = st.tuples(st.just(_b64(b'{"alg":"HS256","typ":"JWT"}')), part, part).map(".".join)
    text = st.text(st.sampled_from(SAFE + "-_.~+/="), min_size=1, max_size=80)
    return st.one_of(text, jwt_shaped, header_ok)


def token_places() -> st.SearchStrategy[str]:
    """Where a JWT can be sent: the ``Authorization`` header, ``?token=``, the ``token`` cookie."""
    return st.sampled_from(["header", "query", "cookie"])


def signatures() -> st.SearchStrategy[bytes]:
    """Signature bytes for tokens whose ``alg`` the gateway must refuse (empty included)."""
    return st.binary(max_size=64)


def signing_keys() -> st.SearchStrategy[str]:
    """HMAC keys to sign with; the scenario drops the real one."""
    return st.text(st.sampled_from(SAFE + "-_"), min_size=1, max_size=32)


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
    return st.one_of(fixed, cased).filter(lambda p: p != BEARER_PREFIX and not p[:1].isspace())


@dataclass(frozen=True)
class Tamper(Printed):
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
        st.text(SAFE, min_size=1, max_size=12).map(lambda u: Tamper("agent.username", u + "@x.test")),
    )


def expired_ages() -> st.SearchStrategy[timedelta]:
    """How long ago a minted token expired: a second to a month."""
    return st.integers(min_value=1, max_value=30 * 24 * 3600).map(lambda s: timedelta(seconds=s))


def unknown_access_keys() -> st.SearchStrategy[str]:
    """Well-formed access keys (``vb_`` + 32) that nobody issued (the scenario drops known ones)."""
    return st.text(st.sampled_from(SAFE), min_size=32, max_size=32).map(lambda s: "vb_" + s).filter(is_access_key)


def login_passwords() -> st.SearchStrategy[str]:
    """Wrong passwords (the scenario drops the right one)."""
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=40)


def login_body_shapes() -> st.SearchStrategy[str]:
    """Ways a login attempt can be wrong (the scenario builds the body of each)."""
    return st.sampled_from(["wrong password", "unknown username", "missing password", "missing username",
                            "password as number", "empty object", "not JSON"])


@dataclass(frozen=True)
class Placement(Printed):
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
