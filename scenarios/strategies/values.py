"""Plain values: human text, ids (unknown and malformed), paths (readable, admin-only, unknown),
phone numbers (E.164 and not) and bodies that are not JSON."""

from __future__ import annotations

import json
import re
import string
from typing import Any

from hypothesis import strategies as st

from voipbin_harness.conventions.auth import ANY_AGENT, Permission, required_permission
from voipbin_harness.conventions.resources import is_e164, is_uuid
from voipbin_harness.conventions.statuses import AUTH_STUB_PREFIX

from .binding import bound_spec

__all__ = ["SAFE", "admin_list_paths", "e164_numbers", "malformed_json", "malformed_uuids", "names",
           "non_e164_numbers", "read_paths", "unknown_ids", "unknown_routes"]

#: Characters every generated token-like value may use (letters and digits).
SAFE = string.ascii_letters + string.digits
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
        st.text(st.sampled_from(SAFE + "-_~"), min_size=1, max_size=40),
        st.integers(min_value=0, max_value=10**12).map(str),
    )
    return shapes.filter(lambda s: not is_uuid(s) and s not in (".", ".."))


def read_paths() -> st.SearchStrategy[str]:
    """Concrete paths of the spec's GET operations on customer data (path ids filled with random
    UUIDs). Not the ``/auth/*`` ones: signup and password reset serve callers who have no
    credentials yet (the gateway answers them 401 then 404, a spec-conformant server serves them)."""
    return st.deferred(_read_paths)


def _read_paths() -> st.SearchStrategy[str]:
    templates = sorted({op.path for op in bound_spec().operations
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
        op.path for op in bound_spec().operations
        if op.method == "GET" and op.role == "list" and not op.path_params and plain(op) and refused(op.path))))


def unknown_routes() -> st.SearchStrategy[str]:
    """Paths under the base path that the spec does not have (``/zz-<word>`` and below)."""
    word = st.text(st.sampled_from(string.ascii_lowercase + string.digits + "_"), min_size=1, max_size=16)
    return st.builds(lambda a, b: f"/zz-{a}" + (f"/{b}" if b else ""), word, st.one_of(st.none(), word))


def e164_numbers() -> st.SearchStrategy[str]:
    """Valid E.164 numbers (``+`` then 2 to 15 digits, no leading 0)."""
    return st.tuples(st.integers(1, 9), st.text(st.sampled_from(string.digits), min_size=7, max_size=12)).map(
        lambda parts: f"+{parts[0]}{parts[1]}")


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
    words = st.text(st.sampled_from(SAFE + "{}[]:,' "), min_size=1, max_size=30)
    return st.one_of(cut, fixed, words).filter(not_json)
