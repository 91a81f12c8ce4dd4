"""soak: a long constant rate; do latency, errors or the target's memory drift over time?

The run is cut into windows (``window`` seconds); summary.json has each window's rate and
percentiles, the p99 and error-rate trends, and, for a target process on this machine, its
memory slope in MB/min. Bounded by ``--duration``.
"""

from locust import events

from voipbin_harness.loadgen.users import VoipbinUser
from voipbin_harness.loadgen.wiring import install

try:  # Locust picks the shape up from this module's names
    from load.shapes import PlanShape  # noqa: F401  (run from the repository root)
except ImportError:  # run from elsewhere: Locust puts this file's folder on sys.path
    from shapes import PlanShape  # type: ignore[no-redef]  # noqa: F401


class SoakUser(VoipbinUser):
    """Sends the soak mix on the open-model schedule."""


install(events, "soak", SoakUser)
