"""Thresholds: defaults from load/thresholds.toml, user overlays, and loud configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from voipbin_harness.loadgen.profiles import PROFILES
from voipbin_harness.loadgen.thresholds import DEFAULT_FILE, ThresholdsError, load_thresholds


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_has_defaults(profile: str) -> None:
    thresholds = load_thresholds(profile)
    assert thresholds.values, f"[{profile}] has no thresholds in {DEFAULT_FILE}"
    assert thresholds.generator.max_cpu_percent > 0 and thresholds.generator.max_send_lag_ms > 0


def test_an_overlay_changes_only_what_it_names(tmp_path: Path) -> None:
    overlay = tmp_path / "slo.toml"
    overlay.write_text("[capacity]\np99_ms = 42\n[generator]\nmax_send_lag_ms = 3\n")
    base, mine = load_thresholds("capacity"), load_thresholds("capacity", overlay)
    assert mine.get("p99_ms") == 42.0 and mine.slo.p99_ms == 42.0
    assert mine.get("p95_ms") == base.get("p95_ms")
    assert mine.generator.max_send_lag_ms == 3.0


def test_a_profile_table_overrides_the_generator_limits(tmp_path: Path) -> None:
    overlay = tmp_path / "t.toml"
    overlay.write_text("[ratelimit]\nmax_send_lag_ms = 250\n")
    thresholds = load_thresholds("ratelimit", overlay)
    assert thresholds.generator.max_send_lag_ms == 250 and "max_send_lag_ms" not in thresholds.values
    assert load_thresholds("capacity", overlay).generator.max_send_lag_ms == 10


@pytest.mark.parametrize("text, words", [
    ("[smoke]\np95 = 1\n", "unknown key 'p95'"),
    ("[smok]\np95_ms = 1\n", "unknown table [smok]"),
    ("[smoke]\np95_ms = 'fast'\n", "must be a number"),
    ("[ratelimit]\nrequire_limit = 1\n", "true or false"),
    ("[smoke]\nerror_rate = -1\n", "must not be negative"),
    ("[smoke\n", "not valid TOML"),
])
def test_a_bad_file_is_a_configuration_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ThresholdsError, match=words.replace("[", r"\[").replace("(", r"\(")):
        load_thresholds("smoke", path)


def test_missing_file_and_unknown_profile(tmp_path: Path) -> None:
    with pytest.raises(ThresholdsError, match="cannot read"):
        load_thresholds("smoke", tmp_path / "absent.toml")
    with pytest.raises(ThresholdsError, match="unknown load profile"):
        load_thresholds("stress")
