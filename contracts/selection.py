"""Which operations a run exercises, and why the others are not: user filters and live safety.

Nothing is dropped silently: an operation left out by ``--include-tag``/``--include-path`` is
deselected and listed in the summary with that reason; one held back for safety (live safety, or
because it could change the credentials the harness runs with) is collected and skipped with the
reason (so JUnit and allure show it), and listed too.
"""

from __future__ import annotations

from schemathesis.core.transport import SAFE_METHODS

from voipbin_harness.conventions.credentials import credential_reason
from voipbin_harness.conventions.resources import is_costly
from voipbin_harness.errors import HarnessError
from voipbin_harness.spec import Operation, Spec

from .settings import ContractSettings

__all__ = ["filter_reason", "safety_reason", "unexpected_methods", "validate_allowed"]


def filter_reason(operation: Operation, settings: ContractSettings) -> str | None:
    """Why the user's filters leave ``operation`` out (tags OR'ed, paths OR'ed, the two AND'ed)."""
    if settings.include_tags and not {t.lower() for t in operation.tags} & set(settings.include_tags):
        return f"not selected: no tag among --include-tag {', '.join(settings.include_tags)}"
    if settings.include_paths and not any(p.search(operation.path) for p in settings.include_paths):
        return "not selected: path matches no --include-path " + ", ".join(p.pattern for p in settings.include_paths)
    return None


def safety_reason(operation: Operation, settings: ContractSettings) -> str | None:
    """Why ``operation`` is held back: it could change what the harness runs with (on every target,
    loopback included: ``conventions.credentials``), or live safety (never against loopback)."""
    credential = credential_reason(operation.method, operation.path)
    if credential is not None and operation.label not in settings.allow_operations:
        return f'{credential}: not sent unless named with --allow-operation "{operation.label}"'
    if settings.loopback:
        return None
    if operation.method not in SAFE_METHODS and not settings.allow_writes:
        return "writes are off against a non-loopback target (pass --allow-writes)"
    if is_costly(operation.method, operation.path) and operation.label not in settings.allow_operations:
        return f'costs money or reaches people: name it with --allow-operation "{operation.label}"'
    return None


def method_allowed(method: str, settings: ContractSettings) -> bool:
    """Whether a request with ``method`` may be sent at all (unexpected-method probes included)."""
    return settings.loopback or settings.allow_writes or method.upper() in SAFE_METHODS


def unexpected_methods(settings: ContractSettings) -> list[str] | None:
    """Methods the coverage phase may send to a path that does not declare them (None: Schemathesis's
    default set). A non-loopback target without --allow-writes gets only safe ones."""
    if method_allowed("DELETE", settings):
        return None
    return sorted(m for m in SAFE_METHODS if m not in ("GET", "HEAD"))


def validate_allowed(spec: Spec, settings: ContractSettings) -> None:
    """``--allow-operation`` must name operations of the spec exactly ("POST /calls")."""
    labels = {op.label for op in spec.operations}
    unknown = sorted(settings.allow_operations - labels)
    if unknown:
        raise HarnessError(f"--allow-operation names no operation of the spec: {', '.join(unknown)}",
                           hint='write it as METHOD and path template, e.g. "POST /calls"')
