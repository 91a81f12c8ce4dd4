"""capacity: how much can the target take? Open model, geometric steps, settle then hold.

Offered rate in steps from ``start_rate`` to ``rate``; requests leave on schedule whatever the
target does; latency from the scheduled send time (HDR, p50/p95/p99/p99.9 per step). Reports
the knee (achieved trails offered, or p99 climbs), the breakpoint (first SLO broken) and stops
early past it; says whether the generator or the target was the limit.
"""

from locust import events

from voipbin_harness.loadgen.users import VoipbinUser
from voipbin_harness.loadgen.wiring import install

try:  # Locust picks the shape up from this module's names
    from load.shapes import PlanShape  # noqa: F401  (run from the repository root)
except ImportError:  # run from elsewhere: Locust puts this file's folder on sys.path
    from shapes import PlanShape  # type: ignore[no-redef]  # noqa: F401


class CapacityUser(VoipbinUser):
    """Sends the capacity mix on the open-model schedule; never backs off."""


install(events, "capacity", CapacityUser)
