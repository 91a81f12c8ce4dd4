"""Where the checkout is: the suites, ``load/*.toml`` and the shipped baseline live beside the package."""

from __future__ import annotations

from pathlib import Path

__all__ = ["repo_root"]


def repo_root() -> Path:
    """The checkout this package runs from (the package's parent folder)."""
    return Path(__file__).resolve().parents[1]
