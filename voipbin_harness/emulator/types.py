"""Type aliases shared by the emulator's modules (one place, as ``starlette/types.py``)."""

from __future__ import annotations

from typing import Any

__all__ = ["Item"]

Item = dict[str, Any]  # one stored resource, as the API returns it
