"""Forging tokens from a real one, for the authentication scenarios.

Each function takes the claims (or the token) the target issued at login and produces a token
that differs in exactly one documented way: signed with another key, another ``alg``, a changed
payload under the old signature, an ``expire`` in the past (``conventions.auth.mint_token``).
"""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import jwt

from .strategies import Tamper

__all__ = ["claims_of", "resigned", "tampered", "with_algorithm"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    """The payload of ``token`` without verifying it (we only re-use what the target issued)."""
    return jwt.decode(token, options={"verify_signature": False})


def resigned(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    """``claims`` signed with ``key``: a well-formed token with the wrong signature when the key is wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short generated keys are the point, not a mistake
        return jwt.encode(claims, key, algorithm=algorithm)


def with_algorithm(claims: dict[str, Any], algorithm: str, signature: bytes = b"") -> str:
    """A token whose header says ``alg: algorithm`` (``none``, ``RS256``...), signature as given."""
    header = _b64(json.dumps({"alg": algorithm, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{payload}.{_b64(signature)}"


def tampered(token: str, tamper: Tamper) -> str:
    """``token`` with its payload changed by ``tamper`` and its original signature kept."""
    header, _, signature = token.split(".")
    payload = _b64(json.dumps(tamper.apply(claims_of(token)), separators=(",", ":")).encode())
    return f"{header}.{payload}.{signature}"
