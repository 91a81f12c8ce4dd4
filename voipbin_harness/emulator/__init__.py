"""The VoIPBIN emulator: a spec-compiled, stateful, gateway-faithful (or spec-conformant) API.

``create_app(spec, config)`` builds the ``Request -> Response`` application; ``running_emulator``
serves it on loopback in a thread; ``voipbin-harness emulator`` serves it from the command line.
"""

from .app import EmulatorApp, create_app
from .config import CONFORMANT, GATEWAY, PROFILES, EmulatorConfig
from .faults import FAULTS
from .latency import Latency
from .running import RunningEmulator, running_emulator

__all__ = [
    "CONFORMANT",
    "FAULTS",
    "GATEWAY",
    "PROFILES",
    "EmulatorApp",
    "EmulatorConfig",
    "Latency",
    "RunningEmulator",
    "create_app",
    "running_emulator",
]
