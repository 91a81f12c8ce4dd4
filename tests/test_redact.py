"""``redact``: no secret the run knows, and nothing shaped like one, survives into written output."""

from __future__ import annotations

import secrets

import pytest

from voipbin_harness.conventions.auth import mint_token, new_access_key
from voipbin_harness.redact import MASK, redact, redact_text, register_secret

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
    f'{{"username": "u", "password": "hunter2-{KEY[-6:]}"}}',
    f"key={KEY}",
    f"the new key is {KEY}.",
])
def test_shapes_of_secrets_are_masked(text: str) -> None:
    out = redact_text(text)
    assert JWT not in out and KEY not in out and KEY[-6:] not in out, out
    assert MASK in out


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


def test_tuples_and_none_pass_through() -> None:
    assert redact((f"x {KEY}", None, 1.5)) == [f"x {MASK}", None, 1.5]
    assert redact(None) is None
