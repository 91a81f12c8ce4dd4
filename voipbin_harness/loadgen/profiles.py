"""The load profiles' settings and request mix, read from ``load/profiles.toml``.

Each profile table holds its shape defaults (rate, duration, steps...) and a ``weights`` table
of spec operation labels (``"GET /flows/{id}"``, relative to the base path). The kind of each
operation (list, read, create, delete...) follows from its method and path, as the spec's own
roles do, so that a new entry in the mix needs no code. Request bodies for creates and updates
are in ``[bodies]``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..conventions.resources import SINGLETONS, resource_of
from ..paths import repo_root

__all__ = ["DEFAULT_FILE", "PROFILES", "MixOp", "ProfileConfig", "ProfileError", "load_profile"]

#: The load profiles: one locustfile each, ``load/<name>.py``, and one table each in the TOML files.
PROFILES = ("smoke", "capacity", "ratelimit", "soak")
DEFAULT_FILE = repo_root() / "load" / "profiles.toml"
METHODS = ("GET", "POST", "PUT", "DELETE")
SHAPE_KEYS: dict[str, type] = {
    "rate": float, "start_rate": float, "step_factor": float, "settle": float, "hold": float,
    "window": float, "duration": float, "auth": str, "compliant_s": float, "recovery_s": float,
    "page_size": int,
}


class ProfileError(ValueError):
    """profiles.toml cannot be used."""


@dataclass(frozen=True, slots=True)
class MixOp:
    """One weighted operation of a mix: ``label`` as in the spec, ``kind`` from method and path."""

    label: str
    method: str
    path: str  # relative to the base path, e.g. "/flows/{id}"
    kind: str  # list | read | create | update | delete | singleton | call
    collection: str
    weight: int
    body: Mapping[str, Any] | None = None

    @property
    def id_param(self) -> str | None:
        """The name of the trailing path parameter, if the path ends with one."""
        last = self.path.rstrip("/").rsplit("/", 1)[-1]
        return last[1:-1] if last.startswith("{") and last.endswith("}") else None


@dataclass(frozen=True)
class ProfileConfig:
    name: str
    settings: Mapping[str, Any]
    ops: tuple[MixOp, ...] = field(default_factory=tuple)
    source: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)


def _kind(method: str, path: str) -> str:
    segments = [s for s in path.split("/") if s]
    has_params = any(s.startswith("{") for s in segments)
    ends_with_param = bool(segments) and segments[-1].startswith("{")
    if method == "GET":
        if segments and segments[0] in SINGLETONS and not has_params:
            return "singleton"
        return "read" if ends_with_param else ("list" if len(segments) == 1 else "call")
    if method == "POST" and len(segments) == 1:
        return "create"
    if method == "DELETE" and ends_with_param and len(segments) == 2:
        return "delete"
    if method == "PUT" and ends_with_param and len(segments) == 2:
        return "update"
    return "call"


def parse_op(label: str, weight: Any, bodies: Mapping[str, Any]) -> MixOp:
    parts = label.split()
    if len(parts) != 2 or parts[0].upper() not in METHODS or not parts[1].startswith("/"):
        raise ProfileError(f"mix entry {label!r} is not 'METHOD /path' (e.g. \"GET /flows/{{id}}\")")
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
        raise ProfileError(f"the weight of {label!r} must be a whole number >= 0")
    method, path = parts[0].upper(), parts[1]
    kind = _kind(method, path)
    body = bodies.get(f"{method} {path}")
    if kind in ("create", "update") and body is None:
        raise ProfileError(f"{label!r} needs a request body in [bodies]")
    if kind == "call" and "{" in path:
        raise ProfileError(f"{label!r}: only list, read, create, update, delete and singleton operations "
                           "can take part in a mix")
    return MixOp(f"{method} {path}", method, path, kind, resource_of(path), weight, body)


def load_profile(name: str, path: str | Path | None = None) -> ProfileConfig:
    """Settings and mix of profile ``name`` from ``path`` (default ``load/profiles.toml``)."""
    source = Path(path) if path else DEFAULT_FILE
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read profiles file {source}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profiles file {source} is not valid TOML: {exc}") from None
    table = document.get(name)
    if not isinstance(table, dict):
        raise ProfileError(f"profile [{name}] is not in {source}")
    bodies = document.get("bodies", {})
    settings: dict[str, Any] = {}
    for key, value in table.items():
        if key == "weights":
            continue
        kind = SHAPE_KEYS.get(key)
        if kind is None:
            raise ProfileError(f"{source}: unknown setting {key!r} in [{name}] (known: {', '.join(SHAPE_KEYS)})")
        if kind is str:
            if not isinstance(value, str):
                raise ProfileError(f"{source}: [{name}] {key} must be a string")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ProfileError(f"{source}: [{name}] {key} must be a number >= 0")
        settings[key] = kind(value)
    weights = table.get("weights", {})
    if not isinstance(weights, dict) or not weights:
        raise ProfileError(f"{source}: [{name}.weights] must list at least one operation")
    ops = tuple(parse_op(label, weight, bodies) for label, weight in weights.items())
    if not any(op.weight for op in ops):
        raise ProfileError(f"{source}: every weight in [{name}.weights] is 0")
    return ProfileConfig(name, settings, ops, str(source))
