"""capacity: how much can the target take? Open model, geometric steps, settle then hold.

Offered rate in steps from ``start_rate`` to ``rate``; requests leave on schedule whatever the
target does; latency from the scheduled send time (HDR, p50/p95/p99/p99.9 per step). Reports
the knee (achieved trails offered, or p99 climbs), the breakpoint (first SLO broken) and stops
early past it; says whether the generator or the target was the limit.
"""

from locust import events

from load.shapes import PlanShape  # noqa: F401  (Locust picks the shape up from this module)
from voipbin_harness.loadgen.users import VoipbinUser
from voipbin_harness.loadgen.wiring import install


class CapacityUser(VoipbinUser):
    """Sends the capacity mix on the open-model schedule; never backs off."""


install(events, "capacity", CapacityUser)
