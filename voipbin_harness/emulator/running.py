"""``with running_emulator(spec, config) as emu:`` a real HTTP server on 127.0.0.1 in a thread.

moto's ``ThreadedMotoServer`` as a context manager: tests in the same process get a real socket,
a free port, and ``emu.app`` for direct state inspection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..spec import Spec, load_spec
from .app import EmulatorApp, create_app
from .config import EmulatorConfig
from .server import EmulatorServer

__all__ = ["RunningEmulator", "running_emulator"]


@dataclass(frozen=True)
class RunningEmulator:
    origin: str  # "http://127.0.0.1:PORT"
    base_url: str  # origin + base path
    app: EmulatorApp
    server: EmulatorServer

    @property
    def port(self) -> int:
        return self.server.port


@contextmanager
def running_emulator(spec: Spec | None = None, config: EmulatorConfig | None = None) -> Iterator[RunningEmulator]:
    spec = spec if spec is not None else load_spec()
    app = create_app(spec, config)
    server = EmulatorServer(app, "127.0.0.1", 0)
    server.start()
    try:
        origin = server.base_url
        yield RunningEmulator(origin, origin + app.base_path, app, server)
    finally:
        server.stop()
