"""Options, the remote guard, profiles and mixes: configuration problems are caught before a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from voipbin_harness.conventions.ratelimit import Limit
from voipbin_harness.loadgen.options import (
    ConfigError,
    build_plan,
    check_target,
    pool_size,
    resolve_options,
    setup_limit,
)
from voipbin_harness.loadgen.pools import IdPools
from voipbin_harness.loadgen.profiles import PROFILES, ProfileError, load_profile, parse_op
from voipbin_harness.spec import Spec

LOOPBACK = "http://127.0.0.1:8080"


@pytest.mark.parametrize("origin", [LOOPBACK, "http://localhost:1", "http://[::1]:8080"])
def test_loopback_needs_no_permission(origin: str) -> None:
    check_target(origin, allow_remote=None, max_rate=None, offered=1e6)


@pytest.mark.parametrize("allow, max_rate, offered, words", [
    (None, None, 10, "needs --allow-remote api.voipbin.net and --max-rate"),
    ("api.example.com", 20, 10, "names 'api.example.com' but the target is 'api.voipbin.net'"),
    ("api.voipbin.net", None, 10, "--max-rate RPS is required"),
    ("api.voipbin.net", 20, 50, "above --max-rate 20"),
])
def test_a_remote_target_needs_its_name_and_a_maximum_rate(allow: str | None, max_rate: float | None,
                                                           offered: float, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace(".", r"\.").replace("-", r"\-")):
        check_target("https://api.voipbin.net", allow_remote=allow, max_rate=max_rate, offered=offered)


def test_remote_allowed_with_both_and_rate_capped() -> None:
    options = resolve_options("capacity", {"vb_allow_remote": "API.voipbin.net", "vb_max_rate": 20},
                              "https://api.voipbin.net")
    assert options.rate == 20 and build_plan(options).max_rate == 20


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_resolves_and_plans(profile: str) -> None:
    options = resolve_options(profile, {}, LOOPBACK)
    plan = build_plan(options)
    assert plan.steps and plan.duration <= options.duration + 1e-6
    assert 20 <= pool_size(options, plan, 1) <= 1000


@pytest.mark.parametrize("values, words", [
    ({"vb_rate": -1}, "rate must be > 0"),
    ({"vb_auth": "basic"}, "auth must be one of"),
    ({"vb_duration": 0}, "duration must be"),
    ({"vb_pool": 0}, "pool must be"),
    ({"vb_step_factor": 1.0}, "step factor"),
    ({"vb_thresholds": "/nonexistent/t.toml"}, "cannot read thresholds"),
])
def test_bad_options_are_configuration_errors(values: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        resolve_options("capacity", values, LOOPBACK)
    with pytest.raises(ConfigError, match="no target"):
        resolve_options("smoke", {}, None)


def test_ratelimit_needs_room_for_its_phases() -> None:
    phases = resolve_options("ratelimit", {}, LOOPBACK)
    with pytest.raises(ConfigError, match="ratelimit needs a duration"):
        resolve_options("ratelimit", {"vb_duration": phases.compliant_s + phases.recovery_s}, LOOPBACK)


def test_an_access_key_mix_leaves_out_what_needs_an_agent() -> None:
    bearer = resolve_options("smoke", {}, LOOPBACK)
    keyed = resolve_options("smoke", {"vb_auth": "accesskey"}, LOOPBACK)
    assert "GET /me" in {op.label for op in bearer.config.ops}
    assert "GET /me" not in {op.label for op in keyed.config.ops}
    assert len(keyed.config.ops) == len(bearer.config.ops) - 1


def test_expected_onset_sets_the_threshold() -> None:
    options = resolve_options("ratelimit", {"vb_expected_onset": 50}, LOOPBACK)
    assert options.thresholds.get("expected_onset_rps") == 50


@pytest.mark.parametrize("profile", PROFILES)
def test_every_mix_operation_is_in_the_spec(profile: str, spec: Spec) -> None:
    labels = {op.label for op in spec.operations}
    for op in load_profile(profile).ops:
        assert op.label in labels, f"{op.label} of [{profile}.weights] is not a spec operation"


def test_operation_kinds_follow_method_and_path() -> None:
    bodies = {"POST /flows": {"name": "x"}, "PUT /flows/{id}": {"name": "y"}}
    kinds = {label: parse_op(label, 1, bodies).kind for label in
             ("GET /flows", "GET /flows/{id}", "POST /flows", "DELETE /flows/{id}", "PUT /flows/{id}", "GET /me",
              "GET /customer")}
    assert kinds == {"GET /flows": "list", "GET /flows/{id}": "read", "POST /flows": "create",
                     "DELETE /flows/{id}": "delete", "PUT /flows/{id}": "update", "GET /me": "singleton",
                     "GET /customer": "singleton"}
    assert parse_op("GET /flows/{id}", 1, {}).id_param == "id"


@pytest.mark.parametrize("text, words", [
    ('[smoke]\nrate = 1\n', "must list at least one operation"),
    ('[smoke]\nspeed = 1\n[smoke.weights]\n"GET /flows" = 1\n', "unknown setting 'speed'"),
    ('[smoke.weights]\n"FETCH /flows" = 1\n', "is not 'METHOD /path'"),
    ('[smoke.weights]\n"POST /flows" = 1\n', "needs a request body"),
    ('[smoke.weights]\n"GET /flows" = 0\n', "every weight"),
    ('[smoke.weights]\n"POST /calls/{id}/hold" = 1\n', "can take part in a mix"),
])
def test_bad_profiles_file(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=words.replace("[", r"\[").replace("{", r"\{")):
        load_profile("smoke", path)


def test_id_pools_keep_reads_off_what_the_run_created() -> None:
    pools = IdPools(created_names=["voipbin-harness load"], seed=1)
    pools.harvest("flows", [{"id": "a", "name": "seeded"}, {"id": "b", "name": "voipbin-harness load"}, "junk"])
    pools.add_created("flows", "c")
    assert {pools.pick("flows") for _ in range(20)} == {"a"}
    assert pools.pop_created("flows") == "c" and pools.pop_created("flows") is None
    assert pools.pick("agents") is None


def test_setup_requests_are_paced_under_the_targets_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The set-up limit is what every suite's ``--rate`` resolves to; the load command passes it on."""
    monkeypatch.delenv("VOIPBIN_RATE", raising=False)
    limit, source = setup_limit(resolve_options("smoke", {}, LOOPBACK))
    assert str(limit) == "17:33" and "documented" in source, "a URL target: the gateway's documented limit"
    given = resolve_options("smoke", {"vb_target_rate": "50:50", "vb_target_rate_source": "the emulator's"}, LOOPBACK)
    assert setup_limit(given) == (Limit(50, 50), "the emulator's")
    assert setup_limit(resolve_options("smoke", {"vb_target_rate": "off"}, LOOPBACK))[0] is None
    monkeypatch.setenv("VOIPBIN_RATE", "5")
    assert setup_limit(resolve_options("smoke", {}, LOOPBACK))[0] == Limit(5, 5)
    with pytest.raises(ConfigError, match="a rate limit is RPS or RPS:BURST"):
        resolve_options("smoke", {"vb_target_rate": "fast"}, LOOPBACK)
