"""Pagination values around the documented edges (``conventions.pagination``): page sizes valid,
invalid and not integers, page tokens no server handed out, and how many items a walk covers."""

from __future__ import annotations

from hypothesis import strategies as st

from voipbin_harness.conventions.pagination import MAX_PAGE_SIZE, InvalidPageSize, parse_page_size

from .values import SAFE

__all__ = ["invalid_page_tokens", "item_counts", "non_integer_page_sizes", "page_sizes", "small_page_sizes",
           "walk_page_sizes"]


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
        st.text(st.sampled_from(SAFE + ".-+"), min_size=1, max_size=12),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )
    return shapes.filter(not_integer)


def invalid_page_tokens() -> st.SearchStrategy[str]:
    """``page_token`` values no server handed out: garbage, and near-timestamps."""
    return st.one_of(
        st.text(st.sampled_from(SAFE + "-_:.+ "), min_size=1, max_size=40),
        st.sampled_from(["2024-13-45T99:99:99.000000Z", "yesterday", "0", "-1", "null", "%00"]),
    )


def small_page_sizes() -> st.SearchStrategy[int]:
    """Valid page sizes small enough that a walk over a few items takes several pages."""
    return st.integers(min_value=1, max_value=3)


def item_counts() -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=8)
