"""What the harness runs with, and which requests could take it away.

A run authenticates as configured agents (their usernames, passwords and permissions), with
configured access keys, for one customer. A request that changes, disables or deletes any of
those locks the next run out (a changed password answers the next login with 400), and against
the live API it locks a person out of their own account. So no suite sends such a request unless
the user names the operation (``--allow-operation "METHOD /path"``), whatever the target.

The rule is read from the shape of the path, not from a list of today's culprits, so an operation
the spec adds later is covered the day it appears:

- **the caller itself**: any unsafe method on a path with a ``me`` segment (``/me``,
  ``/service_agents/me/password``) or under the caller's own ``/customer``, and any write to a
  singleton of the caller's account (a path without parameters written as one object with PUT,
  PATCH or DELETE: ``/billing_account``, ``/outbound_config``), which no cleanup can put back;
- **credential attributes**: any unsafe method on a path whose static segments name a password,
  a permission, an unregistration or a freeze (``/agents/{id}/password``,
  ``/agents/{id}/permission``, ``/auth/password-reset``, ``/auth/unregister``,
  ``/customers/{id}/freeze``), on any item, since which item is the configured one cannot be
  told from the template;
- **identities by id**: an unsafe method on an item of a credential collection (agents, access
  keys, customers) is safe for items the run created, and is held back when the id is one that
  existed before the run (``IdentityGuard``): the configured agents, keys and customer among them.

``POST /auth/login`` is how the harness gets its token: reading, not changing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "ATTRIBUTE_WORDS",
    "CREDENTIAL_COLLECTIONS",
    "SAFE_METHODS",
    "SELF_SEGMENTS",
    "IdentityGuard",
    "credential_reason",
    "identity_reason",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Segments that stand for the caller: its agent (``me``) or its customer (singular ``customer``).
SELF_SEGMENTS = {"me": "the agent the harness is logged in as", "customer": "the customer the harness runs for"}
#: Words in a static segment that name a credential or the account's standing.
ATTRIBUTE_WORDS = {"password": "changes the password of an agent the harness may log in as",
                   "permission": "changes the permissions of an agent the harness may run as",
                   "unregister": "unregisters the customer the harness runs for",
                   "freeze": "freezes a customer the harness may run for"}
#: Collections whose items are credentials or the tenant itself (first path segment).
CREDENTIAL_COLLECTIONS = {"agents": "an agent", "accesskeys": "an access key", "customers": "a customer"}
#: Static segments that only read a credential, never change it.
_READ_ONLY = frozenset({("POST", "/auth/login")})
_PARAM = re.compile(r"^\{.+\}$")
_SINGLETON_WRITES = frozenset({"PUT", "PATCH", "DELETE"})


def _static(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s and not _PARAM.match(s)]


def credential_reason(method: str, path: str, *, declared: bool = True) -> str | None:
    """Why ``METHOD path`` (a template) could change, disable or delete what the harness runs with,
    whatever its parameters; None when it cannot. ``declared=False`` for a method the spec does not
    declare on the path (an unexpected-method probe): a write to a static path is then a probe of the
    router (``DELETE /flows``), not a write to a singleton."""
    method = method.upper()
    if method in SAFE_METHODS or (method, path) in _READ_ONLY:
        return None
    segments = _static(path)
    if "me" in segments:
        return f"changes {SELF_SEGMENTS['me']}"
    if segments and segments[0] == "customer":
        return f"changes {SELF_SEGMENTS['customer']}"
    for segment in segments:
        for word, what in ATTRIBUTE_WORDS.items():
            if word in segment.lower():
                return what
    if declared and method in _SINGLETON_WRITES and not any(_PARAM.match(s) for s in path.strip("/").split("/")):
        return f"changes a setting of {SELF_SEGMENTS['customer']} (a singleton no cleanup restores)"
    return None


def identity_reason(method: str, path: str, path_parameters: Mapping[str, object],
                    protected: Iterable[str]) -> str | None:
    """Why this request (template plus its parameters) would touch a protected identity: an unsafe
    method on an item of a credential collection whose id is in ``protected``; None otherwise."""
    if method.upper() in SAFE_METHODS:
        return None
    segments = path.strip("/").split("/")
    if len(segments) < 2 or segments[0] not in CREDENTIAL_COLLECTIONS or not _PARAM.match(segments[1]):
        return None
    value = path_parameters.get(segments[1][1:-1])
    if isinstance(value, str) and value in set(protected):
        return f"changes {CREDENTIAL_COLLECTIONS[segments[0]]} that existed before the run (possibly a configured one)"
    return None


@dataclass
class IdentityGuard:
    """Ids of credential items that existed before the run (learned at its start), and the operations
    the user allowed by name (``"PUT /agents/{id}"``)."""

    protected: set[str] = field(default_factory=set)
    allowed: frozenset[str] = frozenset()

    def operation_reason(self, method: str, path: str) -> str | None:
        """Why an operation is never sent (unless allowed), or None."""
        if f"{method.upper()} {path}" in self.allowed:
            return None
        return credential_reason(method, path)

    def request_reason(self, method: str, path: str, path_parameters: Mapping[str, object] | None, *,
                       declared: bool = True) -> str | None:
        """Why one request must not be sent: the rule of ``METHOD path``, or a protected id in its path;
        None to send it. ``declared=False``: ``method`` is not the operation's (an unexpected-method probe)."""
        if f"{method.upper()} {path}" in self.allowed:
            return None
        return (credential_reason(method, path, declared=declared)
                or identity_reason(method, path, path_parameters or {}, self.protected))
