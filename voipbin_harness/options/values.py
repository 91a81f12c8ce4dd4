"""Every option value's validator, stated once for every hop (argparse, pytest, Locust).

Each is ``str -> value`` and raises ``ValueError`` with a message that names no flag: the hop
adds the flag (argparse: ``argument --x: <message>``; the suites' own checks: ``--x <message>``).
So a bad value reads the same whether it came through ``voipbin-harness``, ``pytest`` or ``locust``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..conventions.ratelimit import Limit

__all__ = ["PHASES", "between", "factor", "fraction", "integer", "latency", "limit", "non_negative", "percent", "phases",
           "positive", "positive_int", "rate", "regex", "seconds"]

#: Schemathesis phases the contracts suite runs, in the order it runs them.
PHASES = ("examples", "coverage", "fuzzing", "stateful")
_WEEK_S = 7 * 86400


def _number(text: str, kind: type, what: str) -> float:
    try:
        return kind(str(text).strip())
    except ValueError:
        raise ValueError(f"expected {what}, got {text!r}") from None


def integer(text: str) -> int:
    return int(_number(text, int, "a whole number"))


def positive_int(text: str) -> int:
    value = integer(text)
    if value < 1:
        raise ValueError(f"expected at least 1, got {value}")
    return value


def between(low: int, high: int) -> Callable[[str], int]:
    """A whole number in ``low..high``."""
    def check(text: str) -> int:
        value = integer(text)
        if not low <= value <= high:
            raise ValueError(f"must be {low}..{high}, got {value}")
        return value

    check.__name__ = f"between_{low}_{high}"
    return check


def _bounded(text: str, ok: Callable[[float], bool], need: str) -> float:
    """A number for which ``ok`` holds (NaN never does), else "must be <need>"."""
    value = _number(text, float, "a number")
    if not ok(value):
        raise ValueError(f"must be {need}, got {value:g}")
    return value


def positive(text: str) -> float:
    return _bounded(text, lambda v: v > 0, "> 0")


def non_negative(text: str) -> float:
    return _bounded(text, lambda v: v >= 0, ">= 0")


def factor(text: str) -> float:
    return _bounded(text, lambda v: v > 1, "> 1")


def fraction(text: str) -> float:
    return _bounded(text, lambda v: 0 < v < 10, "a fraction such as 0.2")


def percent(text: str) -> float:
    return _bounded(text, lambda v: 0 <= v <= 100, "a percentage from 0 to 100")


def seconds(text: str) -> float:
    """A duration or budget: more than 0, at most a week."""
    value = _number(text, float, "a number of seconds")
    if not 0 < value <= _WEEK_S:
        raise ValueError(f"expected more than 0 seconds and at most a week, got {text!r}")
    return value


def regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"{text!r} is not a regular expression: {exc}") from None
    return text


def phases(text: str) -> str:
    """A comma list of ``PHASES``, given back in run order."""
    chosen = {p.strip() for p in str(text).split(",") if p.strip()}
    if not chosen or chosen - set(PHASES):
        raise ValueError(f"a comma list of {', '.join(PHASES)}, got {text!r}")
    return ",".join(p for p in PHASES if p in chosen)


def rate(text: str) -> str:
    """The target's per-customer limit the harness paces under: ``RPS[:BURST]`` or ``off``."""
    if str(text).strip().lower() != "off":
        Limit.parse(str(text).strip(), burst_optional=True)
    return text


def limit(text: str) -> str:
    """An emulator's token bucket: ``RPS:BURST``."""
    Limit.parse(str(text).strip())
    return text


def latency(text: str) -> str:
    """The embedded emulator's added latency: ``MS[:JITTER]``."""
    from ..emulator.latency import Latency

    Latency.parse(text)
    return text
