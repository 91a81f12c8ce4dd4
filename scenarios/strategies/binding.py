"""The spec a run's strategies draw from, and what the spec in use lacks.

Spec-driven strategies are lazy (``st.deferred``): the suite's conftest binds the run's spec with
``use_spec`` once per session, before the first example is drawn, so ``--spec`` is honoured.
``sampled(values, *needs)`` keeps only the values whose operations that spec has and records the
others in ``SPEC_GAPS`` for the report (issue 10); a scenario left with none is skipped.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import strategies as st

from voipbin_harness.spec import Spec
from voipbin_harness.spec.adapt import gaps, present, skip_reason

__all__ = ["CRUD", "SPEC_GAPS", "Printed", "bound_spec", "kept", "sampled", "use_spec"]

_spec: Spec | None = None


class Printed:
    """Generated cases print as their ``repr`` in Hypothesis' failure output (not as the chain of
    ``map``/``flatmap`` calls that built them, which is what its printer shows otherwise)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def use_spec(spec: Spec) -> None:
    """Bind the run's spec; the suite's conftest calls it once per session."""
    global _spec
    _spec = spec


def bound_spec() -> Spec:
    if _spec is None:
        raise RuntimeError("scenarios.strategies.use_spec(spec) was not called before drawing")
    return _spec


#: What the spec in use lacks, for the report: {(test, value): reason} (``sampled`` with needs).
SPEC_GAPS: dict[tuple[str, str], str] = {}
#: The operations a scenario needs to create, read, update and delete items of a collection.
CRUD = ("POST /{}", "GET /{}/{{id}}", "PUT /{}/{{id}}", "DELETE /{}/{{id}}")


def sampled(values: tuple[Any, ...], *needs: str) -> st.SearchStrategy[Any]:
    """One of ``values`` (a scenario's collections, operations...). With ``needs`` (``"POST /{}"``,
    ``"GET /{}/{{id}}"``), only the values whose operations the spec in use has: the others are
    reported as skipped with the reason (``SPEC_GAPS``), and a scenario left with none is skipped."""
    if not needs:
        return st.sampled_from(values)
    return st.deferred(lambda: st.sampled_from(kept(values, needs)))


def kept(values: tuple[Any, ...], needs: tuple[str, ...]) -> tuple[Any, ...]:
    spec = bound_spec()
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    for value, reason in gaps(spec, values, needs).items():
        SPEC_GAPS.setdefault((test, str(value)), reason)
    left = present(spec, values, needs)
    if not left:
        pytest.skip(skip_reason(spec, sorted({n.format(v) for v in values for n in needs if not spec.has(n.format(v))})))
    return left
