"""``voipbin-harness emulator``: serve the VoIPBIN emulator on a real HTTP socket.

Prints stripe-mock's one-line summary, the seeded tenants (usernames and customer ids; the
passwords and access keys are the documented test values in ``voipbin_harness/emulator/tenants.py``
and the README, never printed), then ``listening on http://HOST:PORT`` - the line the child-process
launcher waits for. SIGINT/SIGTERM stop it cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import errno
import gc
import ipaddress
import sys
import time

from ..conventions.auth import LOGIN_PATH
from ..conventions.ratelimit import DEFAULT_AUTH_IP_LIMIT, DEFAULT_CUSTOMER_LIMIT, DEFAULT_IP_LIMIT, Limit
from ..errors import ExitCode, HarnessError
from ..options import add_to_argparse

__all__ = ["register", "run"]

_LOOPBACK_NAMES = ("localhost",)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ..options.emulator import EMULATOR, LIMITS

    parser = subparsers.add_parser(
        "emulator", help="serve the VoIPBIN emulator (gateway-faithful or spec-conformant)",
        description=f"Serve every operation of the spec under its base path, plus POST {LOGIN_PATH}, GET /ping "
                    "and GET /openapi.json, with seeded tenants (see voipbin_harness/emulator/tenants.py).")
    limits = parser.add_mutually_exclusive_group()  # a limit, or none at all
    for option in EMULATOR:
        add_to_argparse(limits if option in LIMITS else parser, (option,))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    _check_host(args.host, args.public)
    if not 0 <= args.port <= 65535:
        raise HarnessError(f"--port must be between 0 and 65535, got {args.port}")
    config = _config(args)
    from ..emulator.app import create_app
    from ..emulator.server import EmulatorServer
    from ..spec import load_spec

    spec = load_spec(args.spec)
    try:
        app = create_app(spec, config)
    except ValueError as exc:
        raise HarnessError(f"the emulator cannot serve this spec: {exc}") from None
    server = EmulatorServer(app, args.host, args.port)
    gc.collect()
    gc.freeze()  # the parsed spec and compiled tables never die: keep them out of every GC pass (p99)

    def ready() -> None:
        limits = app.describe()["limits"]
        print(f"voipbin-harness emulator: {app.summary()}, ready in {time.monotonic() - started:.2f} s")
        latency = app.describe()["latency"]
        print("rate limits: " + ", ".join(f"{k} {v or 'off'}" for k, v in limits.items())
              + f"; latency {latency + ' ms' if latency else 'none'}"
              + (f"; faults: {', '.join(config.faults)}" if config.faults else ""))
        for tenant in config.tenants:
            agents = ", ".join(f"{a.username} (permission {a.permission:#x})" for a in tenant.agents)
            print(f"tenant {tenant.name}: customer {tenant.customer_id}, agents {agents}")
        print("passwords and access keys: the documented test values in voipbin_harness/emulator/tenants.py")
        print(f"listening on {server.base_url}", flush=True)

    try:
        server.serve_forever(on_ready=ready)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE or "in use" in str(exc):
            raise HarnessError(f"port {args.port} on {args.host} is already in use", hint="pick another --port") from None
        raise HarnessError(str(exc)) from None
    sys.stdout.flush()
    return ExitCode.OK


def _check_host(host: str, public: bool) -> None:
    if public or host in _LOOPBACK_NAMES:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise HarnessError(f"--host {host} is not a loopback address",
                           hint="the emulator serves seeded test credentials; add --public to expose it anyway")


def _config(args: argparse.Namespace):  # -> EmulatorConfig
    from ..emulator.config import EmulatorConfig
    from ..emulator.latency import Latency

    def parse(text: str | None, default: Limit, flag: str) -> Limit | None:
        if args.no_rate_limit:
            return None
        if text is None:
            return default
        try:
            return Limit.parse(text)
        except ValueError as exc:
            raise HarnessError(f"{flag}: {exc}") from None

    try:
        latency = Latency.parse(args.latency) if args.latency is not None else Latency()
    except ValueError as exc:
        raise HarnessError(f"--latency: {exc}") from None
    return EmulatorConfig(
        profile=args.profile,
        customer_limit=parse(args.rate_limit, DEFAULT_CUSTOMER_LIMIT, "--rate-limit"),
        ip_limit=parse(args.ip_rate_limit, DEFAULT_IP_LIMIT, "--ip-rate-limit"),
        auth_ip_limit=None if args.no_rate_limit else DEFAULT_AUTH_IP_LIMIT,
        jwt_key=args.jwt_key,
        seed=args.seed,
        faults=tuple(args.fault),
        latency=latency,
    )
