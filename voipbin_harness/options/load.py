"""``voipbin-harness load`` and ``locust -f load/<profile>.py --vb-*``: the load profiles' options, stated once.

Hops: ``CLI`` (the command), ``LOCUST`` (the locustfile's ``--vb-*`` options, which default to the
profile's table in ``load/profiles.toml``). An option on both is handed on as it was given; the
Locust-only ones are what the command works out itself (report folder, base path, the target's
rate limit and where it came from, the reproduce line) or what a hand-run Locust may set.
No secret is ever an option: credentials come from the environment (``VOIPBIN_*``).
"""

from __future__ import annotations

from dataclasses import replace

from ..conventions.ratelimit import DEFAULT_CUSTOMER_LIMIT
from ..loadgen.profiles import PROFILES
from . import common, values
from .core import CLI, LOCUST, Option

__all__ = ["AUTH_KINDS", "LOAD"]

AUTH_KINDS = ("bearer", "accesskey")
_BOTH, _CLI, _LOCUST = frozenset({CLI, LOCUST}), frozenset({CLI}), frozenset({LOCUST})

LOAD: tuple[Option, ...] = (
    Option("--profile", choices=PROFILES, required=True, hops=_CLI, help="which load profile to run"),
    replace(common.TARGET, hops=_CLI),
    replace(common.SPEC, hops=_CLI),
    Option("--duration", parse=values.positive, metavar="SECONDS", hops=_BOTH,
           help="seconds: bounds the whole run (default: the profile's)"),
    Option("--rate", parse=values.positive, metavar="RPS", hops=_BOTH,
           help="offered req/s: constant (smoke, soak) or highest step (capacity, ratelimit)"),
    Option("--start-rate", parse=values.positive, metavar="RPS", hops=_BOTH, help="first step (capacity, ratelimit)"),
    Option("--step-factor", parse=values.factor, metavar="X", hops=_BOTH,
           help="each step offers X times the previous one"),
    Option("--settle", parse=values.non_negative, metavar="SECONDS", hops=_BOTH,
           help="unmeasured seconds at the start of each step (or of the first window)"),
    Option("--hold", parse=values.positive, metavar="SECONDS", hops=_BOTH, help="measured seconds per step"),
    Option("--window", parse=values.non_negative, metavar="SECONDS", hops=_LOCUST,
           help="seconds per window of a constant-rate run (soak)"),
    Option("--pool", parse=values.between(1, 5000), metavar="USERS", hops=_BOTH,
           help="users per generator process (default: enough for rate x 250 ms, 20..1000)"),
    Option("--compliant-s", parse=values.non_negative, metavar="SECONDS", hops=_LOCUST,
           help="ratelimit: seconds of compliant clients at twice the onset"),
    Option("--recovery-s", parse=values.non_negative, metavar="SECONDS", hops=_LOCUST,
           help="ratelimit: seconds at half the onset, for recovery"),
    Option("--thresholds", metavar="FILE", hops=_BOTH, path="file",
           help="SLO thresholds TOML laid over load/thresholds.toml"),
    Option("--profiles", metavar="FILE", hops=_BOTH, path="file",
           help="profiles and mixes TOML (default load/profiles.toml)"),
    Option("--auth", choices=AUTH_KINDS, hops=_BOTH,
           help="bearer (log in once per process) or accesskey (the access key, sent as a cookie)"),
    replace(common.RATE, flag="--target-rate", hops=_CLI, forward=False,
            help="the target's per-customer rate limit: the set-up requests (login, prefetch) are paced under it and "
                 f"their 429s waited out; the measured load never is (env {common.RATE_ENV}; default: the embedded "
                 f"emulator's limit, else the gateway's documented {DEFAULT_CUSTOMER_LIMIT}; off: no pacing). "
                 "ratelimit expects its onset near it"),
    Option("--target-rate", dest="target_rate", parse=values.rate, metavar="RPS[:BURST]|off", hops=_LOCUST,
           help="the target's per-customer limit the set-up requests (login, prefetch) are paced under: "
                f"RPS[:BURST] or off (default ${common.RATE_ENV}, else the gateway's {DEFAULT_CUSTOMER_LIMIT})"),
    Option("--target-rate-source", hops=_LOCUST, help="where --vb-target-rate came from, for summary.json's pacing"),
    Option("--processes", parse=values.between(1, 64), default=1, metavar="N", hops=_CLI,
           help="generator processes on this machine (Locust --processes; histograms merge exactly)"),
    Option("--report-dir", metavar="DIR", hops=_BOTH, forward=False,
           help="where results go (default reports/load/<profile>)"),
    Option("--base-path", hops=_LOCUST, help="API base path (default /v1.0)"),
    Option("--allow-remote", metavar="HOST", hops=_BOTH,
           help="name the non-loopback target host you mean to load"),
    Option("--max-rate", parse=values.positive, metavar="RPS", hops=_BOTH,
           help="the highest rate the run may offer (caps --rate; required with --allow-remote)"),
    Option("--server-pid", parse=values.integer, hops=_LOCUST,
           help="pid of the target process on this machine, for soak's memory trend"),
    Option("--target-name", hops=_LOCUST, help="the target's name in the summary (default: the host URL)"),
    Option("--expected-onset", parse=values.positive, hops=_LOCUST,
           help="ratelimit: the limit you configured (req/s); the onset must be near it"),
    Option("--reproduce", hops=_LOCUST, help="the command line findings give to reproduce the run (no secrets)"),
    replace(common.EMULATOR_RATE_LIMIT, hops=_CLI,
            help="--target emulator: its per-customer limit (default: off, except ratelimit: the gateway's)"),
    Option("--emulator-fault", action="append", metavar="NAME", hops=_CLI,
           help="--target emulator: start it with this fault (repeatable), to test the harness"),
    replace(common.EMULATOR_PROFILE, env=None, hops=_CLI,
            help=f"--target emulator: its profile (default {common.EMULATOR_PROFILE.default})"),
    Option("--emulator-latency", parse=values.latency, metavar="MS[:JITTER]", hops=_CLI,
           help="--target emulator: milliseconds added to every answer (a remote gateway, offline)"),
)
