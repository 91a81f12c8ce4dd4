"""``redact``: no secret the run knows, and nothing shaped like one, survives into written output;
text that only names a credential (the promises the suites quote) is left exactly as it is."""

from __future__ import annotations

import secrets

import pytest

from voipbin_harness.conventions.auth import mint_token, new_access_key
from voipbin_harness.conventions.rules import P, Promise, R
from voipbin_harness.redact import MASK, contains_secret, redact, redact_text, register_secret

JWT = mint_token({"id": "a", "customer_id": "c"}, "redact-test-key-" + "k" * 40)
KEY = new_access_key()


def test_registered_secret_is_masked_anywhere() -> None:
    secret = "pw-" + secrets.token_hex(8)
    assert redact_text(f"login with {secret} failed") == f"login with {secret} failed"
    register_secret(secret)
    assert secret not in redact_text(f"login with {secret} failed")
    assert MASK in redact_text(f"prefix{secret}suffix")


def test_short_or_empty_values_are_not_registered() -> None:
    register_secret("abc")  # too short: masking it would shred ordinary text
    register_secret(None)
    register_secret("")
    assert redact_text("abc abcdef") == "abc abcdef"


@pytest.mark.parametrize("text", [
    f"token {JWT}",
    f"curl -H 'Authorization: Bearer {JWT}' http://127.0.0.1/v1.0/flows",
    f"http://127.0.0.1/v1.0/flows?accesskey={KEY}&page_size=3",
    f"http://127.0.0.1/v1.0/flows?page_size=3&token={JWT}",
    f"Cookie: token={JWT}; other=1",
    f"Set-Cookie: token={JWT}; HttpOnly",
    f'{{"token": "{JWT}", "username": "u"}}',
    f"key={KEY}",
    f"the new key is {KEY}.",
])
def test_shapes_of_secrets_are_masked(text: str) -> None:
    out = redact_text(text)
    assert JWT not in out and KEY not in out and KEY[-6:] not in out, out
    assert MASK in out
    assert contains_secret(text) and not contains_secret(out)


def test_a_registered_password_is_masked_in_a_body_and_a_log_line() -> None:
    password = "hunter2-" + secrets.token_hex(4)
    register_secret(password)
    for text in (f'{{"username": "u", "password": "{password}"}}', f"login as u with {password} refused"):
        out = redact_text(text)
        assert password not in out and MASK in out, out


def test_values_registered_after_a_first_use_are_masked_too() -> None:
    """The known values are matched by one compiled pattern: a value minted later must join it."""
    first, later = "first-" + secrets.token_hex(6), "later-" + secrets.token_hex(6)
    register_secret(first)
    assert redact_text(f"{first} {later}") == f"{MASK} {later}"
    register_secret(later)
    assert redact_text(f"{first} {later}") == f"{MASK} {MASK}"


def test_a_value_containing_another_is_masked_whole() -> None:
    short = "inner-" + secrets.token_hex(4)
    long = f"outer-{short}-tail"
    register_secret(short)
    register_secret(long)
    assert redact_text(f"[{long}]") == f"[{MASK}]"


QUOTES = [
    "header Authorization: Bearer <jwt> (literal, case-sensitive `Bearer `)",
    "Set-Cookie: token=...; HttpOnly",
    "a Set-Cookie: token=<jwt>; HttpOnly. Wrong credentials or a bad body → 400",
    "cookie token → query ?token= → header Authorization: Bearer <jwt> → cookie accesskey → query ?accesskey=<key>.",
    "Access keys ... only work as ?accesskey= (or the cookie)",
    'POST /auth/login with JSON {"username","password"} → 200 {"username","token"}',
    "curl -H 'Authorization: Bearer $VOIPBIN_TOKEN' 'http://127.0.0.1/v1.0/flows?accesskey=${VOIPBIN_ACCESSKEY}'",
    "password: required; token: the JWT; accesskey=vb_ + 32 random characters",
    "GET /v1.0/accesskeys and vb_accesskeys_table; next_page_token=2024-05-01 10:00:00.000000",
]


@pytest.mark.parametrize("text", QUOTES)
def test_text_that_only_names_a_credential_is_untouched(text: str) -> None:
    """The false alarm of issue 12: masking the words around a credential mangled every quoted promise."""
    assert redact_text(text) == text
    assert not contains_secret(text)


def test_every_promise_and_rule_quote_survives_redaction() -> None:
    """What scenario descriptions and findings quote (conventions.rules) is never a secret."""
    quotes = [v.quote() for v in vars(P).values() if isinstance(v, Promise)]
    quotes += [v.quote() for v in vars(R).values() if hasattr(v, "quote") and hasattr(v, "promise")]
    assert len(quotes) > 20
    changed = [q for q in quotes if redact_text(q) != q]
    assert changed == []


def test_ordinary_text_is_untouched() -> None:
    text = "GET /v1.0/flows?page_size=10 -> 200 in 3 ms (request req_abc123, id 5e4a0680-eba3-4001-a000-000000000001)"
    assert redact_text(text) == text
    assert redact_text("") == ""


def test_structures_are_redacted_recursively_and_copied() -> None:
    original = {
        "headers": {"Authorization": f"Bearer {JWT}", "Accept": "application/json"},
        "body": [{"token": KEY, "name": "n"}, f"see {JWT}"],
        "password": "plain-text-pw",
        "count": 3,
        "raw": f"accesskey={KEY}".encode(),
    }
    out = redact(original)
    assert out["headers"]["Authorization"] == MASK and out["headers"]["Accept"] == "application/json"
    assert out["body"][0] == {"token": MASK, "name": "n"}
    assert JWT not in out["body"][1]
    assert out["password"] == MASK and out["count"] == 3
    assert KEY.encode() not in out["raw"]
    assert original["password"] == "plain-text-pw"  # the input is not modified
    assert repr(out).count(MASK) >= 5


def test_a_placeholder_under_a_credential_key_is_kept() -> None:
    document = {"token": "<jwt>", "password": "...", "authorization": "$VOIPBIN_TOKEN", "accesskey": MASK}
    assert redact(document) == document


def test_values_only_keeps_what_a_key_names_but_masks_real_secrets() -> None:
    """A suite's own data: a generated wrong password under "password" is evidence, not a secret."""
    document = {"password": "wrong-password-1", "token": JWT, "body": {"accesskey": KEY}}
    assert redact(document, fields=False) == {"password": "wrong-password-1", "token": MASK,
                                              "body": {"accesskey": MASK}}


def test_tuples_and_none_pass_through() -> None:
    assert redact((f"x {KEY}", None, 1.5)) == [f"x {MASK}", None, 1.5]
    assert redact(None) is None
