"""soak: a long constant rate; do latency, errors or the target's memory drift over time?

The run is cut into windows (``window`` seconds); summary.json has each window's rate and
percentiles, the p99 and error-rate trends, and, for a target process on this machine, its
memory slope in MB/min. Bounded by ``--duration``.
"""

from locust import events

from load.shapes import PlanShape  # noqa: F401  (Locust picks the shape up from this module)
from voipbin_harness.loadgen.users import VoipbinUser
from voipbin_harness.loadgen.wiring import install


class SoakUser(VoipbinUser):
    """Sends the soak mix on the open-model schedule."""


install(events, "soak", SoakUser)
