"""Type aliases shared by the emulator's modules (one place, as ``starlette/types.py``)."""

from __future__ import annotations

from typing import Any

__all__ = ["Item", "Json", "Schema"]

Json = Any  # a value orjson can serialise
Item = dict[str, Any]  # one stored resource, as the API returns it
Schema = dict[str, Any]  # an OpenAPI schema node, ``$ref``s possibly intact
