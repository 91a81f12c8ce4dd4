"""The target's memory, for soak's trend: only for a target process on this machine.

A remote target's memory cannot be seen from here (VoIPBIN has no metrics endpoint), so the
trend is reported as unavailable rather than guessed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import psutil

__all__ = ["listening_pid", "rss_mb"]


def listening_pid(origin: str) -> int | None:
    """The pid listening on the origin's port on this machine (loopback targets), if visible."""
    parts = urlsplit(origin)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return conn.pid
    except (psutil.Error, OSError):
        return None
    return None


def rss_mb(pid: int) -> float | None:
    try:
        return psutil.Process(pid).memory_info().rss / (1024 * 1024)
    except (psutil.Error, OSError):
        return None
