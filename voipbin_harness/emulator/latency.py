"""Added latency: a remote gateway (50-150 ms away) simulated on loopback.

``--latency MS[:JITTER]`` delays every answer by MS milliseconds, uniformly spread by +-JITTER,
from a generator seeded by ``--seed`` so that two runs draw the same delays. The request itself
is handled at once (rate-limit buckets, state) and only its answer waits, as behind a long
network path; the server schedules the write on its event loop (``server.py``), so other
requests are served meanwhile.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["MAX_LATENCY_MS", "Delay", "Latency"]

MAX_LATENCY_MS = 60_000.0  # a minute: beyond it every client times out, which is not a latency test


@dataclass(frozen=True, slots=True)
class Latency:
    """``ms`` milliseconds added to every answer, spread uniformly by +-``jitter_ms``."""

    ms: float = 0.0
    jitter_ms: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Latency:
        """``"MS"`` or ``"MS:JITTER"`` (as on the command line); ValueError with a readable message."""
        try:
            ms_text, _, jitter_text = str(text).strip().partition(":")
            latency = cls(float(ms_text), float(jitter_text) if jitter_text else 0.0)
        except ValueError:
            raise ValueError(f"a latency is MS or MS:JITTER in milliseconds, e.g. 25 or 100:20, got {text!r}") from None
        latency.check(text)
        return latency

    def check(self, text: object = None) -> None:
        shown = repr(text) if text is not None else str(self)
        if not 0 <= self.ms <= MAX_LATENCY_MS:  # NaN fails this too
            raise ValueError(f"a latency needs 0 <= MS <= {MAX_LATENCY_MS:g}, got {shown}")
        if not 0 <= self.jitter_ms <= self.ms:
            raise ValueError(f"a latency needs 0 <= JITTER <= MS (no negative delay), got {shown}")

    @property
    def off(self) -> bool:
        return self.ms == 0 and self.jitter_ms == 0

    def __str__(self) -> str:
        return f"{self.ms:g}:{self.jitter_ms:g}" if self.jitter_ms else f"{self.ms:g}"


class Delay:
    """The seconds to hold the next answer; ``latency`` may be changed at run time (control endpoint).

    Called on the server's event-loop thread only, so the seeded generator needs no lock."""

    __slots__ = ("_latency", "_rng")

    def __init__(self, latency: Latency | None = None, seed: int = 0) -> None:
        self._latency = latency or Latency()
        self._rng = random.Random(f"latency:{seed}")

    @property
    def latency(self) -> Latency:
        return self._latency

    @latency.setter
    def latency(self, value: Latency | None) -> None:
        self._latency = value or Latency()

    def __call__(self) -> float:
        latency = self._latency
        if latency.jitter_ms:
            return max(0.0, latency.ms + self._rng.uniform(-latency.jitter_ms, latency.jitter_ms)) / 1000.0
        return latency.ms / 1000.0
