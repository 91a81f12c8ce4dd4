"""Expectations shared by the scenario families, each read from ``voipbin_harness.conventions``.

An error answer is judged in three parts, each its own finding so that one deviation does not
hide another: the HTTP status (the scenario's check), the VoIPBIN ``reason`` (same check, low
severity) and the envelope (check ``error_envelope``, from ``conventions.envelope_problems``).
"""

from __future__ import annotations

from collections.abc import Collection

from voipbin_harness import coverage
from voipbin_harness.conventions.envelope import HTTP_FOR_STATUS, envelope_problems

from .exchange import Exchange
from .failures import Verdict
from .promises import P, R

__all__ = ["ENVELOPE_CHECK", "SERVER_ERROR_CHECK", "accepted_statuses", "http_statuses", "expect_envelope", "expect_error",
           "expect_no_server_error"]

ENVELOPE_CHECK = R.ERROR_ENVELOPE.id
SERVER_ERROR_CHECK = R.SERVER_ERROR.id


Expected = str | int | Collection[int]


def http_statuses(status: Expected) -> set[int]:
    """An ``error.status`` (``Status.NOT_FOUND``), an HTTP status, or several HTTP statuses -> HTTP statuses."""
    if isinstance(status, str):
        return {HTTP_FOR_STATUS[status]}
    return {status} if isinstance(status, int) else set(status)


def accepted_statuses(declared: Collection[int], status: Expected) -> set[int]:
    """The documented ``status``; where the operation's spec does not declare it, also each client
    error the operation does declare.

    A target that keeps to the spec's declared statuses cannot answer an undeclared one, and the
    spec does not say which declared one replaces it (``conventions.statuses.spec_fallback_status``
    is the emulator's choice, one of several reasonable ones). The reason and the envelope are
    still checked, so the answer must still name the documented cause.
    """
    documented = http_statuses(status)
    if declared and not documented <= set(declared):
        documented |= {code for code in declared if 400 <= code < 500}
    return documented


def expect_error(verdict: Verdict, exchange: Exchange, status: Expected, *,
                 reasons: Collection[str] = (), severity: str = "high", why: str = "", key: str = "") -> bool:
    """``exchange`` is an error answer with ``status`` (an ``error.status`` of the conventions, or HTTP
    statuses; see ``accepted_statuses`` where the operation does not declare it), one of
    ``reasons`` (when given) and the envelope. Returns whether the status was right."""
    allowed = accepted_statuses(exchange.declared, status)
    documented = http_statuses(status)
    shown = " or ".join(str(s) for s in sorted(documented))
    if allowed - documented:
        shown += " (or " + " or ".join(str(s) for s in sorted(allowed - documented)) + \
                 ": the spec does not declare it for this operation)"
    cause = f" ({why})" if why else ""
    coverage.recorder().negative(exchange.label)  # a refusal was expected: a negative case
    if exchange.status in allowed:
        verdict.passed(exchange)
    else:
        verdict.fail(exchange, f"answered HTTP {exchange.status} where the promise says {shown}{cause}",
                     expected=f"HTTP {shown}" + (f", reason {' or '.join(sorted(reasons))}" if reasons else ""),
                     key=f"{key}status:{exchange.status}", severity="critical" if exchange.ok else severity)
        if exchange.ok:
            return False
    expect_envelope(verdict, exchange)
    if exchange.status in allowed and reasons:
        error = exchange.data.get("error") if isinstance(exchange.data, dict) else None
        reason = error.get("reason") if isinstance(error, dict) else None
        verdict.expect(reason in reasons, exchange,
                       f"error.reason is {reason!r} where the promise says {' or '.join(sorted(reasons))}{cause}",
                       expected=f"reason {' or '.join(sorted(reasons))}", key=f"{key}reason:{reason}", severity="low")
    return exchange.status in allowed


def expect_envelope(verdict: Verdict, exchange: Exchange) -> bool:
    """An error answer (4xx/5xx) under the base path carries the envelope, request id matching the header."""
    if exchange.status < 400:
        return True
    return verdict.problems(envelope_problems(exchange.data, exchange.status, exchange.headers), exchange,
                            expected='{"error": {"status", "reason", "message", "request_id"}} with '
                                     "request_id equal to X-Request-Id, status matching the HTTP status",
                            check=ENVELOPE_CHECK, promise=P.ENVELOPE, severity="medium")


def expect_no_server_error(verdict: Verdict, exchange: Exchange, why: str) -> bool:
    """Bad input is the client's fault: a 5xx for it is a finding of its own."""
    return verdict.expect(exchange.status < 500, exchange,
                          f"answered HTTP {exchange.status} to {why}: a server error for the client's mistake",
                          expected="a 4xx with the envelope", check=SERVER_ERROR_CHECK, key=f"5xx:{why}",
                          severity="high")
