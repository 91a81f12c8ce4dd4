"""The load profiles' own options, for the ``locust`` command and for ``voipbin-harness load``.

Every option is prefixed ``--vb-`` (Locust owns the plain names), is declared in the load table
(``voipbin_harness.options.load``, with its validator) and defaults to the profile's table in
``load/profiles.toml``; ``voipbin-harness load`` hands its flags on as these, so a profile run by
hand with ``locust -f load/<profile>.py --vb-...`` is exactly the same run.
Locust forwards custom options to its workers, so every process builds the same plan.

No secret is ever an option: credentials come from the environment (``VOIPBIN_*``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..conventions.auth import CALLER_AGENT_PATHS
from ..conventions.ratelimit import Limit
from ..conventions.resources import BASE_PATH
from ..options import add_to_locust
from ..options.load import AUTH_KINDS, LOAD
from ..target import is_loopback_url
from .plan import Plan, constant_plan, geometric_plan
from .profiles import ProfileConfig, load_profile
from .thresholds import Thresholds, load_thresholds

__all__ = ["AUTH_KINDS", "ConfigError", "LoadOptions", "add_arguments", "build_plan", "check_target",
           "pool_size", "resolve_options", "setup_limit"]

POOL_SECONDS = 0.25  # a process keeps enough users for its rate x 250 ms of latency ...
POOL_MIN, POOL_MAX = 20, 1000  # ... within these bounds

class ConfigError(ValueError):
    """The run cannot start as configured (exit 2, one line)."""


def add_arguments(parser: Any) -> None:
    """Register the ``--vb-*`` options on Locust's parser (``events.init_command_line_parser``), from
    the load table that ``voipbin-harness load`` is built from too (``voipbin_harness.options.load``)."""
    add_to_locust(parser, LOAD)


@dataclass(frozen=True)
class LoadOptions:
    profile: str
    host: str
    base_path: str
    rate: float
    start_rate: float
    step_factor: float
    settle: float
    hold: float
    window: float
    duration: float
    pool: int | None
    compliant_s: float
    recovery_s: float
    auth: str
    page_size: int
    report_dir: Path
    thresholds: Thresholds
    config: ProfileConfig
    allow_remote: str | None
    max_rate: float | None
    server_pid: int | None
    target_name: str
    reproduce: str | None = None
    target_rate: str | None = None  # set-up pacing (``setup_limit``); the measured load is never paced
    target_rate_source: str | None = None


def resolve_options(profile: str, values: Mapping[str, Any], host: str | None) -> LoadOptions:
    """Options given (``vb_*`` keys) over the profile's defaults; ConfigError when unusable."""
    if not host:
        raise ConfigError("no target: pass --host http://127.0.0.1:PORT (or use voipbin-harness load --target)")

    def given(name: str) -> Any:
        return values.get("vb_" + name)

    try:
        config = load_profile(profile, given("profiles"))
        thresholds = load_thresholds(profile, given("thresholds"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if given("expected_onset") is not None:
        thresholds = replace(thresholds, values={**thresholds.values, "expected_onset_rps": given("expected_onset")})

    def pick(name: str, fallback: Any) -> Any:
        value = given(name)
        return config.get(name, fallback) if value is None else value

    max_rate = given("max_rate")
    rate = float(pick("rate", 10.0))
    if max_rate is not None:
        if max_rate <= 0:
            raise ConfigError("--max-rate must be > 0")
        rate = min(rate, max_rate)  # a ceiling, also for the profile's own default
    options = LoadOptions(
        profile=profile, host=host.rstrip("/"), base_path=(given("base_path") or BASE_PATH).rstrip("/"),
        rate=rate, start_rate=min(float(pick("start_rate", rate)), rate),
        step_factor=float(pick("step_factor", 1.5)), settle=float(pick("settle", 0.0)),
        hold=float(pick("hold", 3.0)), window=float(pick("window", 0.0)), duration=float(pick("duration", 10.0)),
        pool=given("pool"), compliant_s=float(pick("compliant_s", 6.0)), recovery_s=float(pick("recovery_s", 6.0)),
        auth=str(pick("auth", "bearer")), page_size=int(config.get("page_size", 10)),
        report_dir=Path(given("report_dir") or f"reports/load/{profile}"),
        thresholds=thresholds, config=config, allow_remote=given("allow_remote"), max_rate=max_rate,
        server_pid=given("server_pid"), target_name=given("target_name") or host, reproduce=given("reproduce"),
        target_rate=given("target_rate"), target_rate_source=given("target_rate_source"),
    )
    if options.auth == "accesskey" and any(op.path in CALLER_AGENT_PATHS for op in config.ops):
        kept = tuple(op for op in config.ops if op.path not in CALLER_AGENT_PATHS)  # no agent behind a key
        if not kept:
            raise ConfigError(f"the {profile} mix only calls {', '.join(CALLER_AGENT_PATHS)}, which needs a JWT")
        options = replace(options, config=replace(config, ops=kept))
    _validate(options)
    check_target(options.host, allow_remote=options.allow_remote, max_rate=options.max_rate, offered=options.rate)
    return options


def _validate(o: LoadOptions) -> None:
    if o.rate <= 0:
        raise ConfigError(f"the rate must be > 0 req/s, got {o.rate:g}")
    if o.duration <= 0 or o.duration > 7 * 24 * 3600:
        raise ConfigError(f"the duration must be between 0 and one week, got {o.duration:g} s")
    if o.auth not in AUTH_KINDS:
        raise ConfigError(f"auth must be one of {', '.join(AUTH_KINDS)}, got {o.auth!r}")
    if o.pool is not None and not 1 <= o.pool <= 5000:
        raise ConfigError(f"the pool must be 1..5000 users per process, got {o.pool}")
    if o.step_factor <= 1 and o.profile in ("capacity", "ratelimit"):
        raise ConfigError(f"the step factor must be > 1, got {o.step_factor:g}")
    setup_limit(o)  # a bad --vb-target-rate fails here, with its one line
    if o.profile == "ratelimit" and o.duration <= o.compliant_s + o.recovery_s:
        raise ConfigError(f"ratelimit needs a duration above compliant_s + recovery_s "
                          f"({o.compliant_s + o.recovery_s:g} s), got {o.duration:g} s")


def setup_limit(o: LoadOptions) -> tuple[Limit | None, str]:
    """The per-customer limit the run's set-up requests are paced under, and where it comes from.

    Set-up (each user's warm-up, the process's login, the prefetch of ids) is not what a profile
    measures, so it goes through the shared ``Pacer`` and waits out a 429 instead of failing the
    run. ``voipbin-harness load`` passes the target's limit as its own suites resolve it
    (``target.rate_limit_of``); a plain ``locust -f`` run resolves it the same way from the host."""
    from ..errors import HarnessError
    from ..target import rate_limit_of, resolve

    try:
        limit, source = rate_limit_of(resolve(o.host), o.target_rate)
    except HarnessError as exc:
        raise ConfigError(f"target rate: {exc}") from None
    return limit, o.target_rate_source or source


def check_target(origin: str, *, allow_remote: str | None, max_rate: float | None, offered: float) -> None:
    """Refuse a non-loopback target unless named explicitly with a maximum rate."""
    if is_loopback_url(origin):
        return
    host = (urlsplit(origin).hostname or origin).lower()
    if not allow_remote:
        raise ConfigError(f"{host} is not a loopback address: a load run against it needs "
                          f"--allow-remote {host} and --max-rate RPS")
    if allow_remote.strip().lower() != host:
        raise ConfigError(f"--allow-remote names {allow_remote!r} but the target is {host!r}")
    if not max_rate:
        raise ConfigError("--max-rate RPS is required with --allow-remote")
    if offered > max_rate:
        raise ConfigError(f"the run would offer {offered:g} req/s, above --max-rate {max_rate:g}")


def build_plan(o: LoadOptions) -> Plan:
    """The profile's plan (for ratelimit: the ramp; the compliant phases are added at run time)."""
    try:
        if o.profile == "smoke":
            return constant_plan(o.rate, o.duration, o.duration, settle=o.settle)
        if o.profile == "soak":  # at least three windows, so that there is a trend to read
            return constant_plan(o.rate, o.duration, min(o.window or o.duration / 10, o.duration / 3),
                                 settle=o.settle)
        if o.profile == "capacity":
            return geometric_plan(o.start_rate, o.rate, o.step_factor, o.settle, o.hold, o.duration)
        if o.profile == "ratelimit":
            return geometric_plan(o.start_rate, o.rate, o.step_factor, 0.0, o.hold,
                                  o.duration - o.compliant_s - o.recovery_s)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    raise ConfigError(f"unknown load profile {o.profile!r}")


def pool_size(o: LoadOptions, plan: Plan, processes: int, *, rate: float | None = None) -> int:
    """Users per generator process for ``rate`` (default: the plan's highest)."""
    if o.pool:
        return o.pool
    per_process = (plan.max_rate if rate is None else rate) / max(processes, 1)
    return max(POOL_MIN, min(POOL_MAX, math.ceil(per_process * POOL_SECONDS)))
