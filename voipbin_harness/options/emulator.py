"""``voipbin-harness emulator``: its options, and the one place an embedded emulator's argument
list is built (``emulator_argv``: the suites' root conftest, contracts' plan, ``load``, ``check``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..conventions.ratelimit import DEFAULT_AUTH_IP_LIMIT, DEFAULT_CUSTOMER_LIMIT, DEFAULT_IP_LIMIT
from ..emulator.config import GATEWAY, PROFILES
from ..emulator.control import CONTROL_PREFIX
from ..emulator.faults import FAULTS
from ..emulator.tenants import DEFAULT_JWT_KEY
from . import common, values
from .core import CLI, Option

__all__ = ["EMULATOR", "FAULT", "LATENCY", "LIMITS", "NO_RATE_LIMIT", "PROFILE", "RATE_LIMIT", "emulator_argv"]

_CLI = frozenset({CLI})

PROFILE = Option("--profile", choices=PROFILES, default=GATEWAY, hops=_CLI,
                 help="gateway: behave like the real gateway (default); conformant: keep every promise of the spec")
RATE_LIMIT = Option("--rate-limit", parse=values.limit, metavar="RPS:BURST", hops=_CLI,
                    help=f"per-customer token bucket (default {DEFAULT_CUSTOMER_LIMIT})")
NO_RATE_LIMIT = Option("--no-rate-limit", action="store_true", default=False, hops=_CLI,
                       help="switch every rate-limit tier off")
LATENCY = Option("--latency", parse=values.latency, metavar="MS[:JITTER]", hops=_CLI,
                 help="add MS milliseconds (+-JITTER, uniform, seeded by --seed) to every answer, to simulate a "
                      f"remote gateway offline (default: none; PUT {CONTROL_PREFIX}/latency changes it at run time)")
FAULT = Option("--fault", action="append", choices=tuple(sorted(FAULTS)), metavar="NAME", hops=_CLI,
               help="break one promise on purpose (repeatable): " + ", ".join(FAULTS))
#: mutually exclusive: a limit, or none at all
LIMITS = (RATE_LIMIT, NO_RATE_LIMIT)

EMULATOR: tuple[Option, ...] = (
    Option("--host", default="127.0.0.1", hops=_CLI,
           help="address to bind (default 127.0.0.1; others need --public)"),
    Option("--port", parse=values.integer, default=8080, hops=_CLI, help="port (default 8080; 0 picks a free one)"),
    Option("--public", action="store_true", default=False, hops=_CLI, help="allow binding a non-loopback --host"),
    replace(common.SPEC, hops=_CLI),
    PROFILE,
    *LIMITS,
    Option("--ip-rate-limit", parse=values.limit, metavar="RPS:BURST", hops=_CLI,
           help=f"per-IP token bucket on the API (default {DEFAULT_IP_LIMIT}; /auth keeps {DEFAULT_AUTH_IP_LIMIT})"),
    Option("--jwt-key", default=DEFAULT_JWT_KEY, metavar="KEY", hops=_CLI,
           help="HMAC key that signs and verifies JWTs (default: the documented test key)"),
    LATENCY,
    Option("--seed", parse=values.integer, default=0, hops=_CLI,
           help="seed for generated data and latency jitter (default 0)"),
    FAULT,
)


def emulator_argv(*, profile: str | None = None, rate_limit: object = None, faults: Iterable[str] = (),
                  latency: str | None = None) -> list[str]:
    """The ``voipbin-harness emulator`` arguments of an embedded emulator.

    ``rate_limit`` (``RPS:BURST`` or a ``Limit``) sets its per-customer limit; None switches every
    tier off, so that suites run fast (``target.rate_limit_of`` reads this list back to know the
    limit the emulator was started with)."""
    argv = [PROFILE.flag, profile] if profile else []
    argv += [RATE_LIMIT.flag, str(rate_limit)] if rate_limit else [NO_RATE_LIMIT.flag]
    for fault in faults:
        argv += [FAULT.flag, fault]
    if latency:
        argv += [LATENCY.flag, latency]
    return argv
