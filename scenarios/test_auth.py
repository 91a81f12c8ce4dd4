"""Authentication: who gets in, with what, and who is refused (BEHAVIOUR.md "Authentication").

Every refusal is held to the gateway's documented answer (401, the reason, the envelope) and
every acceptance is checked by what it returns, so that a target that lets a forged token in
fails here even when it answers with a plausible body.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given

from voipbin_harness.conventions.auth import (
    BEARER_PREFIX,
    LOGIN_FAILURE_STATUS,
    LOGIN_PATH,
    find_credential,
    mint_token,
)
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.conventions.pagination import PAGE_SIZE_PARAM, parse_timestamp
from voipbin_harness.target import Target

from . import strategies as s
from . import tokens
from .actors import Actor
from .budget import examples
from .client import Auth
from .exchange import Exchange
from .expect import expect_error
from .failures import Verdict
from .promises import P, R

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

#: A read every authenticated caller may do; the probe of the token scenarios.
PROBE = "/flows"
PROBE_PARAMS = {PAGE_SIZE_PARAM: 1}
AUTH_CHECK = R.AUTHENTICATION.id
ORDER_CHECK = R.CREDENTIAL_ORDER.id
LOGIN_CHECK = R.LOGIN.id
INVALID_TOKEN = "not-a-token"
INVALID_KEY = "vb_" + "0" * 32
REAL_ACCOUNT_SHAPES = frozenset({"wrong password", "password as number", "missing password"})
EXPIRY_WAIT_LIMIT = 3.0  # seconds the expired-access-key scenario may wait for its key to expire


# -- fixtures of this family -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def alpha_jwt(target: Target) -> str:
    if not target.token:
        pytest.skip("the token scenarios need a JWT (set VOIPBIN_TOKEN or VOIPBIN_USERNAME/VOIPBIN_PASSWORD)")
    return target.token


@pytest.fixture(scope="module")
def jwt_key_or_none(target: Target) -> str | None:
    return target.credentials.jwt_key


@pytest.fixture(scope="module")
def target_accesskey(alpha_by_key: Actor, target: Target) -> str:
    return target.credentials.accesskey or ""


@pytest.fixture(scope="module")
def known_keys(target: Target) -> set[str]:
    return {k for k in (target.credentials.accesskey, target.credentials.other_accesskey) if k}


@pytest.fixture(scope="module")
def login_credentials(target: Target) -> tuple[str, str]:
    creds = target.credentials
    if not (creds.username and creds.password):
        pytest.skip("the login scenarios need VOIPBIN_USERNAME and VOIPBIN_PASSWORD")
    return creds.username, creds.password


@pytest.fixture(scope="module")
def credentials_by_owner(target: Target, alpha_jwt: str, bravo: Actor) -> dict[str, dict[str, str]]:
    """A JWT and an access key of each customer, and an invalid one of each kind."""
    creds = target.credentials
    if not (creds.accesskey and creds.other_accesskey and target.other_token):
        pytest.skip("the credential-order scenario needs both customers' JWTs and access keys "
                    "(VOIPBIN_ACCESSKEY, VOIPBIN_OTHER_ACCESSKEY, VOIPBIN_OTHER_USERNAME/PASSWORD)")
    return {"alpha": {"token": alpha_jwt, "accesskey": creds.accesskey},
            "bravo": {"token": target.other_token, "accesskey": creds.other_accesskey},
            "invalid": {"token": INVALID_TOKEN, "accesskey": INVALID_KEY}}


@pytest.fixture
def expired_accesskey(alpha: Actor) -> Iterator[str]:
    """An access key created with the shortest expiry (``expire``: 1 second) and waited out."""
    made, key_id = alpha.create("accesskeys", {"name": "scenarios-expiring", "detail": "expires", "expire": 1})
    try:
        data = made.data if isinstance(made.data, dict) else {}
        key, tm_expire = data.get("token"), parse_timestamp(str(data.get("tm_expire") or ""))
        if not key_id or not isinstance(key, str):
            pytest.fail(f"POST /accesskeys did not return an id and a token: {made.describe()}")
        alpha.api.name_secret(key, "NEW_ACCESSKEY")
        if tm_expire is None:
            pytest.skip("the target did not report tm_expire for a key created with expire=1, so its expiry "
                        "cannot be waited out")
        wait = (tm_expire - datetime.now(UTC)).total_seconds()
        if wait > EXPIRY_WAIT_LIMIT:
            pytest.skip(f"a key created with expire=1 expires in {wait:.0f} s (expire is not in seconds on this "
                        f"target); waiting more than {EXPIRY_WAIT_LIMIT} s is out of this suite's budget")
        time.sleep(max(0.0, wait) + 0.05)
        yield key
    finally:
        if key_id:
            alpha.delete(f"/accesskeys/{key_id}")


def _refused(verdict: Verdict, exchange: Exchange, reason: str, what: str) -> None:
    """``exchange`` must be 401 with ``reason``: ``what`` names the credential for the message."""
    expect_error(verdict, exchange, Status.UNAUTHENTICATED, reasons=(reason,), why=what)


def _probe(alpha: Actor, auth: Auth) -> Exchange:
    return alpha.get(PROBE, params=PROBE_PARAMS, auth=auth)


# -- no credentials --------------------------------------------------------------------------------
@pytest.mark.promise(P.AUTH_REQUIRED)
@examples(25)
@given(path=s.read_paths())
def test_no_credentials_is_401_authentication_required(alpha: Actor, path: str) -> None:
    with Verdict(P.AUTH_REQUIRED, AUTH_CHECK) as verdict:
        _refused(verdict, alpha.get(path, auth=Auth.none()), Reason.AUTHENTICATION_REQUIRED, "no credentials")


# -- forged and broken JWTs --------------------------------------------------------------------------
@pytest.mark.promise(P.AUTH_INVALID)
@examples(20)
@given(token=s.random_tokens(), where=s.token_places())
def test_random_token_is_401_invalid_credentials(alpha: Actor, token: str, where: str) -> None:
    auth = {"header": Auth.bearer(token, "random token in header"),
            "query": Auth(query={"token": token}, name="random token in query"),
            "cookie": Auth(cookies={"token": token}, name="random token in cookie")}[where]
    with Verdict(P.AUTH_INVALID, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, auth), Reason.INVALID_CREDENTIALS, f"a random token in the {where}")


@pytest.mark.promise(P.JWT_SIGNATURE)
@examples(15)
@given(key=s.signing_keys(), algorithm=s.hmac_algorithms())
def test_token_signed_with_another_key_is_401(alpha: Actor, alpha_jwt: str, key: str, algorithm: str, jwt_key_or_none: str | None
                                             ) -> None:
    if key == jwt_key_or_none:
        return
    forged = tokens.resigned(tokens.claims_of(alpha_jwt), key, algorithm)
    with Verdict(P.JWT_SIGNATURE, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, Auth.bearer(forged, "re-signed token")), Reason.INVALID_CREDENTIALS,
                 f"the issued claims signed {algorithm} with another key")


@pytest.mark.promise(P.JWT_HMAC_ONLY)
@examples(10)
@given(algorithm=s.non_hmac_algorithms(), signature=s.signatures())
def test_token_with_non_hmac_alg_is_401(alpha: Actor, alpha_jwt: str, algorithm: str, signature: bytes) -> None:
    forged = tokens.with_algorithm(tokens.claims_of(alpha_jwt), algorithm, signature)
    with Verdict(P.JWT_HMAC_ONLY, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, Auth.bearer(forged, f"alg {algorithm}")), Reason.INVALID_CREDENTIALS,
                 f"a token with alg {algorithm!r}")


@pytest.mark.promise(P.JWT_SIGNATURE)
@examples(10)
@given(tamper=s.tampers())
def test_tampered_payload_is_401(alpha: Actor, alpha_jwt: str, tamper: s.Tamper) -> None:
    if tamper.apply(tokens.claims_of(alpha_jwt)) == tokens.claims_of(alpha_jwt):
        return  # the "change" keeps the claim as issued: the token is the valid one
    forged = tokens.tampered(alpha_jwt, tamper)
    with Verdict(P.JWT_SIGNATURE, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, Auth.bearer(forged, "tampered token")), Reason.INVALID_CREDENTIALS,
                 f"the issued token with {tamper.claim} changed, signature kept")


@pytest.mark.promise(P.JWT_EXPIRE)
@examples(10)
@given(age=s.expired_ages(), algorithm=s.hmac_algorithms())
def test_expired_token_is_401(alpha: Actor, alpha_jwt: str, jwt_key: str, age: timedelta, algorithm: str) -> None:
    claims = tokens.claims_of(alpha_jwt)
    fresh = mint_token(claims["agent"], jwt_key, algorithm="HS256")
    control = _probe(alpha, Auth.bearer(fresh, "fresh minted token"))
    if control.status != 200:
        pytest.skip(f"a token freshly minted with VOIPBIN_JWT_KEY is refused (HTTP {control.status}): "
                    "the key does not sign this target's tokens, so expiry cannot be tested")
    expired = mint_token(claims["agent"], jwt_key, expire=datetime.now(UTC) - age, algorithm=algorithm)
    with Verdict(P.JWT_EXPIRE, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, Auth.bearer(expired, "expired token")), Reason.INVALID_CREDENTIALS,
                 f"a token whose expire claim passed {age} ago")


@pytest.mark.promise(P.BEARER_LITERAL)
@examples(10)
@given(prefix=s.bearer_spellings())
def test_bearer_spelled_differently_is_401(alpha: Actor, alpha_jwt: str, prefix: str) -> None:
    auth = Auth(headers={"Authorization": prefix + alpha_jwt}, name=f"Authorization: {prefix!r}+token")
    credential = find_credential({}, {}, {"authorization": prefix + alpha_jwt})
    assert credential is not None and credential.value != alpha_jwt  # the convention's reading
    with Verdict(P.BEARER_LITERAL, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, auth), Reason.INVALID_CREDENTIALS, f"the issued token after {prefix!r}")


# -- access keys -----------------------------------------------------------------------------------
@pytest.mark.promise(P.ACCESSKEY_PLACEMENT)
def test_access_key_in_query_is_accepted_and_as_bearer_refused(alpha_by_key: Actor, target_accesskey: str) -> None:
    with Verdict(P.ACCESSKEY_PLACEMENT, AUTH_CHECK) as verdict:
        accepted = _probe(alpha_by_key, alpha_by_key.auth)
        verdict.expect(accepted.status == 200, accepted, f"a valid access key in ?accesskey= answered "
                       f"HTTP {accepted.status}", expected="HTTP 200", key=f"valid-key:{accepted.status}")
        for auth in (Auth.bearer(target_accesskey, "access key as Bearer"),
                     Auth(cookies={"accesskey": target_accesskey}, name="access key cookie")):
            exchange = _probe(alpha_by_key, auth)
            if auth.cookies:
                verdict.expect(exchange.status == 200, exchange, f"a valid access key in the accesskey cookie "
                               f"answered HTTP {exchange.status}", expected="HTTP 200",
                               key=f"cookie-key:{exchange.status}")
            else:
                _refused(verdict, exchange, Reason.INVALID_CREDENTIALS, "an access key sent as a Bearer token")


@pytest.mark.promise(P.AUTH_INVALID)
@examples(15)
@given(key=s.unknown_access_keys())
def test_unknown_access_key_is_401(alpha: Actor, key: str, known_keys: set[str]) -> None:
    if key in known_keys:
        return
    with Verdict(P.AUTH_INVALID, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, Auth.accesskey(key, "unknown access key")), Reason.INVALID_CREDENTIALS,
                 "an access key nobody issued")


@pytest.mark.writes
@pytest.mark.promise(P.ACCESSKEY_LIFECYCLE)
@examples(5)
@given(body=s.create_bodies("accesskeys"))
def test_deleted_access_key_is_refused(alpha: Actor, body: dict) -> None:
    body = {k: v for k, v in body.items() if k != "expire"}
    with Verdict(P.ACCESSKEY_LIFECYCLE, AUTH_CHECK) as verdict, alpha.created("accesskeys", body) as (made, key_id):
        key = made.data.get("token") if isinstance(made.data, dict) else None
        if not verdict.expect(bool(key_id and isinstance(key, str)), made, "creating an access key did not return "
                              "its id and raw key (token)", expected="200 with id and token",
                              key="create-accesskey"):
            return
        alpha.api.name_secret(key, "NEW_ACCESSKEY")
        used = _probe(alpha, Auth.accesskey(key, "new access key"))
        if not verdict.expect(used.status == 200, used, f"a freshly created access key answered HTTP {used.status}",
                              expected="HTTP 200", key=f"new-key:{used.status}"):
            return
        alpha.delete(f"/accesskeys/{key_id}")
        _refused(verdict, _probe(alpha, Auth.accesskey(key, "deleted access key")), Reason.INVALID_CREDENTIALS,
                 "an access key after DELETE /accesskeys/{id}")


@pytest.mark.writes
@pytest.mark.promise(P.ACCESSKEY_LIFECYCLE)
def test_expired_access_key_is_refused(alpha: Actor, expired_accesskey: str) -> None:
    with Verdict(P.ACCESSKEY_LIFECYCLE, AUTH_CHECK) as verdict:
        _refused(verdict, _probe(alpha, Auth.accesskey(expired_accesskey, "expired access key")),
                 Reason.INVALID_CREDENTIALS, "an access key past its tm_expire")


# -- which credential wins -------------------------------------------------------------------------
@pytest.mark.promise(P.CREDENTIAL_ORDER)
@examples(25)
@given(placement=s.credential_placements())
def test_first_credential_present_wins(alpha: Actor, bravo: Actor, credentials_by_owner: dict, placement: s.Placement
                                       ) -> None:
    auth, owner_of = _place(placement, credentials_by_owner)
    chosen = find_credential(auth.cookies, auth.query, {k.lower(): v for k, v in auth.headers.items()})
    exchange = alpha.get("/customer", auth=auth)
    with Verdict(P.CREDENTIAL_ORDER, ORDER_CHECK) as verdict:
        if chosen is None:
            _refused(verdict, exchange, Reason.AUTHENTICATION_REQUIRED, "no credentials")
            return
        slot = (chosen.source, "authorization" if chosen.source == "header" else
                ("accesskey" if chosen.kind == "accesskey" else "token"))
        winner = owner_of[slot]
        if winner == "invalid":
            _refused(verdict, exchange, Reason.INVALID_CREDENTIALS,
                     f"the first credential present ({slot[0]} {slot[1]}) is invalid; no fallback")
            return
        want = {"alpha": alpha.customer_id, "bravo": bravo.customer_id}[winner]
        got = exchange.data.get("id") if isinstance(exchange.data, dict) else None
        verdict.expect(exchange.status == 200 and got == want, exchange,
                       f"the {slot[0]} {slot[1]} credential comes first and belongs to {winner}, but the answer "
                       f"is HTTP {exchange.status} for customer {got}", expected=f"HTTP 200, customer {want}",
                       key=f"{slot[0]}:{slot[1]}", severity="high")


def _place(placement: s.Placement, creds: dict[str, dict[str, str]]) -> tuple[Auth, dict]:
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    query: dict[str, str] = {}
    owner_of: dict[tuple[str, str], str] = {}
    for (source, name), who in placement.slots:
        kind = "accesskey" if name == "accesskey" else "token"
        value = creds[who][kind]
        owner_of[(source, name)] = who
        if source == "header":
            headers["Authorization"] = BEARER_PREFIX + value
        elif source == "cookie":
            cookies[name] = value
        else:
            query[name] = value
    return Auth(headers=headers, cookies=cookies, query=query, name=repr(placement)), owner_of


# -- login -----------------------------------------------------------------------------------------
@pytest.mark.promise(P.LOGIN)
def test_login_succeeds_with_the_right_password(alpha: Actor, login_credentials: tuple[str, str]) -> None:
    username, password = login_credentials
    exchange = alpha.api.request("POST", LOGIN_PATH, auth=Auth.none(), json={"username": username,
                                                                           "password": password}, absolute=True)
    with Verdict(P.LOGIN, LOGIN_CHECK) as verdict:
        token = exchange.data.get("token") if isinstance(exchange.data, dict) else None
        if not verdict.expect(exchange.status == 200 and isinstance(token, str), exchange,
                              f"login with the right password answered HTTP {exchange.status} without a token",
                              expected='200 {"username", "token"}', key=f"login-ok:{exchange.status}"):
            return
        alpha.api.name_secret(token, "VOIPBIN_TOKEN")
        used = _probe(alpha, Auth.bearer(token, "token from login"))
        verdict.expect(used.status == 200, used, f"the token login returned is refused (HTTP {used.status})",
                       expected="HTTP 200", key=f"login-token:{used.status}")


@pytest.mark.promise(P.LOGIN)
@examples(10)
@given(password=s.login_passwords(), body_shape=s.login_body_shapes())
def test_login_fails_with_a_wrong_password_or_bad_body(alpha: Actor, target: Target,
                                                       login_credentials: tuple[str, str],
                                                       password: str, body_shape: str) -> None:
    username, right = login_credentials
    # never a wrong password for a real account of a real service: it may lock the account out
    assume(target.is_loopback or body_shape not in REAL_ACCOUNT_SHAPES)
    if password == right:
        return
    body = login_body(body_shape, username, password)
    exchange = alpha.api.request("POST", LOGIN_PATH, auth=Auth.none(), content=body, absolute=True)
    with Verdict(P.LOGIN, LOGIN_CHECK) as verdict:
        leaked = isinstance(exchange.data, dict) and "token" in exchange.data
        verdict.expect(exchange.status == LOGIN_FAILURE_STATUS and not leaked and
                       "token=" not in exchange.headers.get("set-cookie", ""), exchange,
                       f"a login with {body_shape} answered HTTP {exchange.status}"
                       + (" with a token" if leaked else ""),
                       expected=f"HTTP {LOGIN_FAILURE_STATUS}, no token, no token cookie",
                       key=f"{body_shape}:{exchange.status}:{leaked}", severity="critical" if exchange.ok else "medium")


def login_body(shape: str, username: str, password: str) -> str:
    """The raw body of a login attempt of the given ``shape`` (see ``strategies.login_body_shapes``)."""
    return {
        "wrong password": json.dumps({"username": username, "password": password}),
        "unknown username": json.dumps({"username": f"nobody-{len(password)}@nowhere.test", "password": password}),
        "missing password": json.dumps({"username": username}),
        "missing username": json.dumps({"password": password}),
        "password as number": json.dumps({"username": username, "password": len(password)}),
        "empty object": "{}",
        "not JSON": "username=" + username,
    }[shape]
