"""SLO thresholds: a TOML file, one table per profile, values only in ``load/thresholds.toml``.

A user file (``--thresholds FILE``) is laid over the defaults key by key, so it names only what
it changes. This module knows which keys exist and their types (so a typo is a configuration
error, exit 2, not a silently ignored SLO); the values themselves live in the TOML file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import repo_root
from .analysis import GeneratorLimits, KneeRule, Slo
from .profiles import PROFILES

__all__ = ["DEFAULT_FILE", "Breach", "Thresholds", "ThresholdsError", "load_thresholds"]

DEFAULT_FILE = repo_root() / "load" / "thresholds.toml"

_GENERATOR = {"max_send_lag_ms": float, "max_cpu_percent": float}
_SLO = {"p95_ms": float, "p99_ms": float, "error_rate": float, "share_429": float, **_GENERATOR}
SCHEMA: dict[str, dict[str, type]] = {
    "generator": dict(_GENERATOR),
    "smoke": dict(_SLO),
    "capacity": {**_SLO, "knee_tolerance": float, "knee_latency_factor": float, "knee_latency_floor_ms": float,
                 "min_capacity_rps": float, "steps_past_breakpoint": int},
    "ratelimit": {**_GENERATOR, "retry_after_present_ratio": float, "envelope_ok_ratio": float, "max_early_retries": int,
                  "max_5xx": int, "require_limit": bool, "recovery_s": float, "expected_onset_rps": float,
                  "onset_tolerance": float},
    "soak": {**_SLO, "max_memory_growth_mb_per_min": float, "max_error_rate_growth": float},
}


class ThresholdsError(ValueError):
    """The thresholds file cannot be used (unreadable, unknown key, wrong type)."""


@dataclass(frozen=True)
class Breach:
    """One broken threshold: its name, the limit, the measured value, and a sentence."""

    name: str
    limit: Any
    value: Any
    message: str


@dataclass(frozen=True)
class Thresholds:
    profile: str
    values: Mapping[str, Any]
    generator: GeneratorLimits
    source: str

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def slo(self) -> Slo:
        return Slo(self.get("p95_ms"), self.get("p99_ms"), self.get("error_rate"), self.get("share_429"))

    @property
    def knee_rule(self) -> KneeRule:
        defaults = KneeRule()
        return KneeRule(self.get("knee_tolerance", defaults.tolerance),
                        self.get("knee_latency_factor", defaults.latency_factor),
                        self.get("knee_latency_floor_ms", defaults.latency_floor_ms))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThresholdsError(f"cannot read thresholds file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdsError(f"thresholds file {path} is not valid TOML: {exc}") from None


def _checked(document: Mapping[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    for section, table in document.items():
        if section not in SCHEMA:
            raise ThresholdsError(f"{path}: unknown table [{section}] (known: {', '.join(SCHEMA)})")
        if not isinstance(table, Mapping):
            raise ThresholdsError(f"{path}: [{section}] must be a table")
        for key, value in table.items():
            kind = SCHEMA[section].get(key)
            if kind is None:
                raise ThresholdsError(f"{path}: unknown key {key!r} in [{section}] "
                                      f"(known: {', '.join(SCHEMA[section])})")
            if kind is bool and not isinstance(value, bool):
                raise ThresholdsError(f"{path}: [{section}] {key} must be true or false")
            if kind is not bool and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ThresholdsError(f"{path}: [{section}] {key} must be a number")
            if kind is not bool and value < 0:
                raise ThresholdsError(f"{path}: [{section}] {key} must not be negative")
            tables.setdefault(section, {})[key] = kind(value)
    return tables


def load_thresholds(profile: str, path: str | Path | None = None, *, defaults: Path = DEFAULT_FILE) -> Thresholds:
    """The thresholds of ``profile``: the defaults file with ``path`` (if any) laid over it."""
    if profile not in PROFILES:
        raise ThresholdsError(f"unknown load profile {profile!r} (known: {', '.join(PROFILES)})")
    merged = _checked(_read(defaults), defaults)
    if path is not None and Path(path).resolve() != defaults.resolve():
        for section, table in _checked(_read(Path(path)), Path(path)).items():
            merged.setdefault(section, {}).update(table)
    values = dict(merged.get(profile, {}))
    # a profile may loosen or tighten the generator limits: [generator] keys in its own table win
    generator = GeneratorLimits(**{**merged.get("generator", {}),
                                   **{k: values.pop(k) for k in _GENERATOR if k in values}})
    return Thresholds(profile, values, generator, str(path or defaults))
