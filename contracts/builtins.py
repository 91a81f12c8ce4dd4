"""The Schemathesis built-in checks as this suite runs them: which it switches off because they cannot
apply here, and a declared "does it apply?" predicate for the others.

Many built-ins return ``None`` (Schemathesis's "passed") when their rule does not concern the answer,
e.g. ``negative_data_rejection`` on a positive case, so their own return value cannot tell a pass from
a blind look. Each such check gets here the necessary condition under which it can raise at all,
as a guard (``contracts.tally.applies_when``): where the condition does not hold the answer is counted
skipped, and what the check raises is unchanged. A built-in that could never apply in this suite is
switched off in the Schemathesis configuration, with the reason in ``summary.json`` (``checks_off``),
instead of being counted as a pass on every answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from schemathesis import BaseSchema, Case, Response
from schemathesis.checks import CHECKS, is_check_class
from schemathesis.core.transport import response_content_type
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario

from voipbin_harness.spec import Spec

from .tally import CheckFn, Predicate, applies_when

__all__ = ["ALWAYS_OFF", "APPLIES", "enabled_names", "guarded", "switched_off"]

#: Built-ins that cannot apply in this suite whatever the spec, and why.
ALWAYS_OFF: dict[str, str] = {
    "use_after_free": "reads Schemathesis's stateful-phase history, which this suite does not run: its CRUD "
                      "workflows hold a read after a delete to deleted_resource_gone",
    "ensure_resource_availability": "reads Schemathesis's stateful-phase history, which this suite does not run: "
                                    "its CRUD workflows hold a read after a create to created_resource_readable",
    "object_level_authorization": "replays reads as other Schemathesis auth identities, which this suite does not "
                                  "configure: tenant isolation is the scenarios suite's tenant_isolation",
}


def _responses(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for item in (document.get("paths") or {}).values():
        for operation in (item or {}).values():
            if isinstance(operation, dict):
                yield from (r for r in (operation.get("responses") or {}).values() if isinstance(r, dict))
    yield from (r for r in ((document.get("components") or {}).get("responses") or {}).values() if isinstance(r, dict))


def _declares_security(document: dict[str, Any]) -> bool:
    if document.get("security") or (document.get("components") or {}).get("securitySchemes"):
        return True
    return any(isinstance(op, dict) and op.get("security") for item in (document.get("paths") or {}).values()
               for op in (item or {}).values())


def switched_off(spec: Spec, phases: Collection[str]) -> dict[str, str]:
    """Built-in check name -> why it cannot apply to a run of ``spec`` with ``phases``."""
    off = dict(ALWAYS_OFF)
    document = spec.document
    if not _declares_security(document):
        off["ignored_auth"] = ("the spec declares no security scheme: authentication judges the "
                               "unauthenticated probe of every operation that declares 401")
    if not any(response.get("headers") for response in _responses(document)):
        off["response_headers_conformance"] = "the spec declares no response header"
    if not any(parameter.get("in") == "header" and parameter.get("required")
               for op in spec.operations for parameter in op.parameters if isinstance(parameter, dict)):
        off["missing_required_header"] = "the spec declares no required header parameter"
    if "coverage" not in phases:
        reason = "only the coverage phase sends methods a path does not declare, and it is off (--phases)"
        off["unsupported_method"] = off["allow_header_conformance"] = reason
    return off


# -- when each built-in can raise at all (read from its body in Schemathesis 4.32) ----------------
def _is_mode(negative: bool) -> Predicate:
    def predicate(response: Response, case: Case) -> bool:
        return case.meta is not None and case.meta.generation.mode.is_negative is negative

    return predicate


def _coverage_scenario(*scenarios: CoverageScenario) -> Predicate:
    def predicate(response: Response, case: Case) -> bool:
        data = case.meta.phase.data if case.meta is not None else None
        return isinstance(data, CoveragePhaseData) and data.scenario in scenarios

    return predicate


def _not_options(response: Response, case: Case) -> bool:
    return response.request.method != "OPTIONS"


def _options_with_allow(response: Response, case: Case) -> bool:
    return response.request.method == "OPTIONS" and bool(response.headers.get("allow"))


def _documents_content_type(response: Response, case: Case) -> bool:
    return bool(case.operation.schema.get_content_types(case.operation, response))  # type: ignore[attr-defined]


def _documents_a_body(response: Response, case: Case) -> bool:
    definition = case.operation.responses.find_by_status_code(response.status_code)  # type: ignore[attr-defined]
    return (case.operation.method.upper() != "HEAD" and definition is not None
            and definition.get_schema(response_content_type(response)).schema is not None)


def _declares_headers(response: Response, case: Case) -> bool:
    definition = case.operation.responses.find_by_status_code(response.status_code)  # type: ignore[attr-defined]
    return definition is not None and bool(definition.headers)


def _is_success(response: Response, case: Case) -> bool:
    return 200 <= response.status_code < 300


#: built-in name -> the conditions under which it can raise (all must hold)
APPLIES: dict[str, tuple[Predicate, ...]] = {
    "content_type_conformance": (_documents_content_type,),
    "response_schema_conformance": (_documents_a_body,),
    "response_headers_conformance": (_declares_headers,),
    "negative_data_rejection": (_is_mode(negative=True),),
    "positive_data_acceptance": (_is_mode(negative=False),),
    "unsupported_method": (_coverage_scenario(CoverageScenario.UNSPECIFIED_HTTP_METHOD), _not_options),
    "allow_header_conformance": (_options_with_allow,),
    "missing_required_header": (_coverage_scenario(CoverageScenario.MISSING_PARAMETER),),
    "ignored_auth": (_is_success,),
}
_GUARDED: dict[CheckFn, CheckFn] = {}


def guarded(checks: Iterable[CheckFn]) -> list[CheckFn]:
    """``checks`` with each built-in's applicability guard in front (the VoIPBIN checks carry theirs)."""
    result = []
    for check in checks:
        wrapped = _GUARDED.get(check)
        if wrapped is None:
            wrapped = check
            for predicate in reversed(APPLIES.get(check.__name__, ())):
                wrapped = applies_when(predicate)(wrapped)
            _GUARDED[check] = wrapped
        result.append(wrapped)
    return result


def enabled_names(schema: BaseSchema) -> list[str]:
    """Every per-answer check (built-in or VoIPBIN) the run's configuration enables."""
    config = schema.config.checks_config_for()
    return [check.__name__ for check in CHECKS.get_all()
            if not is_check_class(check) and config.get_by_name(name=check.__name__).enabled]
