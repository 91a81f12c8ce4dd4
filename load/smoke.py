"""smoke: a short, realistic VoIPBIN mix at a constant rate; does the API hold its SLOs at all?

Lists, gets, creates and deletes flows; lists calls, agents and numbers; reads ``/me`` and
``/customer`` (weights in ``profiles.toml`` [smoke.weights]). The default rate (10 req/s) stays
under the gateway's per-customer limit, so a 429 here is itself a finding to look at.
"""

from locust import events

from voipbin_harness.loadgen.users import VoipbinUser
from voipbin_harness.loadgen.wiring import install

try:  # Locust picks the shape up from this module's names
    from load.shapes import PlanShape  # noqa: F401  (run from the repository root)
except ImportError:  # run from elsewhere: Locust puts this file's folder on sys.path
    from shapes import PlanShape  # type: ignore[no-redef]  # noqa: F401


class SmokeUser(VoipbinUser):
    """Sends the smoke mix on the open-model schedule."""


install(events, "smoke", SmokeUser)
