"""ratelimit: drive one customer over its rate limit and measure how the limit behaves.

A ramp (never backing off) finds the 429 onset and checks every 429: a valid whole-second
``Retry-After`` and the RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED envelope. Then compliant
clients, which honour ``Retry-After``, ask for twice the onset and then half of it: they must
never retry early, and the 429s must stop (goodput recovers). 5xx instead of 429 is a finding.
"""

from locust import events

from voipbin_harness.loadgen.users import VoipbinUser
from voipbin_harness.loadgen.wiring import install

try:  # Locust picks the shape up from this module's names
    from load.shapes import PlanShape  # noqa: F401  (run from the repository root)
except ImportError:  # run from elsewhere: Locust puts this file's folder on sys.path
    from shapes import PlanShape  # type: ignore[no-redef]  # noqa: F401


class RateLimitUser(VoipbinUser):
    """One customer's requests: a ramp past the limit, then a client that honours Retry-After."""


install(events, "ratelimit", RateLimitUser)
