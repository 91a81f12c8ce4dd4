"""Replay of a contracts finding: the Schemathesis case rebuilt from the finding's request, sent as the run
sent it, and judged by the finding's own check (a VoIPBIN convention check or a Schemathesis built-in).

The finding holds when the check reports the same defect again: the same finding id, which is derived
from what the defect is (check, operation, key), never from the data that met it. A check that judges how
the case was generated (Schemathesis's case metadata, which a re-sent request no longer has) keys its
finding by the status answered, so it holds on the same status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from .errors import HarnessError
from .pacing import answer_of
from .replay import TIMEOUT, Verdict, authenticate, clean_up, contracts_module, depends_on_run, pacing_key

__all__ = ["replay_contracts"]

#: Built-in checks that judge an answer by how its case was generated (Schemathesis's case metadata, which a
#: re-sent request no longer has): their finding's key is the status answered, so it holds on the same status.
_BY_STATUS = frozenset({"negative_data_rejection", "positive_data_acceptance", "missing_required_header",
                        "unsupported_method", "ignored_auth", "allow_header_conformance"})


def _check_function(name: str) -> Any:
    """The check called ``name``: a VoIPBIN convention check or a Schemathesis built-in; None when unknown."""
    convention = {fn.__name__: fn for fn in contracts_module("contracts.checks").CONVENTION_CHECKS}
    if name in convention:
        return convention[name]
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the built-ins)
    from schemathesis.checks import CHECKS

    return next((fn for fn in CHECKS.get_all() if fn.__name__ == name), None)


def _case(operation: Any, form: Mapping[str, Any]) -> Any:
    headers = {k: v for k, v in (form.get("headers") or {}).items() if k.lower() != "content-type"}
    media_type = next((v.split(";")[0].strip() for k, v in (form.get("headers") or {}).items()
                       if k.lower() == "content-type"), None)
    kwargs: dict[str, Any] = {"method": form["method"], "path_parameters": dict(form.get("path_parameters") or {}),
                              "query": dict(form.get("query") or {}) or None, "headers": headers or None}
    if "body" in form:
        kwargs.update(body=form["body"], media_type=media_type or "application/json")
    elif "body_text" in form:
        kwargs.update(body=str(form["body_text"]).encode(), media_type=media_type or "application/octet-stream")
    return operation.Case(**kwargs)


def _schemathesis_answer(response: Any) -> Any:
    headers = {name: values[0] for name, values in response.headers.items() if values}
    body = None
    if response.status_code == 429:
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
    return answer_of(response.status_code, headers, body)


def replay_contracts(finding: Mapping[str, Any], target: Any, spec: Any) -> Verdict:
    """Rebuild the Schemathesis case from the request, send it as the run did, and run the finding's check on
    the answer: the finding holds when the check reports the same defect (the same finding id) again."""
    import requests
    import schemathesis
    from requests.structures import CaseInsensitiveDict
    from schemathesis import CheckContext

    from .spec.phones import PhoneRules

    phones = contracts_module("contracts.phones")
    reporting = contracts_module("contracts.reporting")
    fid, check, form = str(finding["id"]), str(finding.get("check")), finding["request"]
    method, _, template = str(form["operation"]).partition(" ")
    config = schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})
    schema = schemathesis.openapi.from_dict(phones.with_phone_patterns(spec, PhoneRules(spec)), config=config)
    try:
        operation = schema[template][method]
    except KeyError:
        return Verdict("cannot", fid, why=f"{form['operation']} is not an operation of the spec in use ({spec.source})")
    case = _case(operation, form)
    query, headers, _ = authenticate(target, form)
    session = requests.Session()

    def once() -> Any:
        return case.call(base_url=target.base_url, session=session, headers=headers or None, params=query or None,
                         timeout=TIMEOUT)

    try:
        paced = target.pacer.call(once, _schemathesis_answer, key=pacing_key(form))
    except requests.Timeout:
        outcome = "holds" if check == "response_time" else "cannot"
        return Verdict(outcome, fid, expected=str(finding.get("expected")), got="no answer (timed out)",
                       why="the target did not answer in time")
    except requests.RequestException as exc:
        raise HarnessError(f"target {target.origin} did not answer: {type(exc).__name__}") from None
    if paced.gave_up:
        raise HarnessError("the target kept answering 429: the replay was not judged", hint="try again later")
    response = paced.response
    clean_up(target, form, response.status_code, response.content, spec)
    if depends_on_run(form, response.status_code):
        return Verdict("cannot", fid, why=f"it depends on a resource of the original run ({form['path']} answers 404 "
                                          "on this target)")
    answered = int((form.get("answered") or {}).get("status") or 0)
    if check == "response_time" or check in _BY_STATUS:
        holds = response.status_code == answered
        return Verdict("holds" if holds else "gone", fid, expected=str(finding.get("expected")),
                       got=f"HTTP {response.status_code} (the finding was HTTP {answered})")
    function = _check_function(check)
    if function is None:
        return Verdict("cannot", fid, why=f"no check named {check!r} in this version of the harness")
    transport: dict[str, Any] = {"base_url": target.base_url, "session": session, "headers": headers or None,
                                 "params": query or None}
    ctx = CheckContext(override=case._override, auth=None,
                       headers=CaseInsensitiveDict(headers) if headers else None,
                       config=schema.config.checks_config_for(operation=operation, phase=None),
                       transport_kwargs=transport, response_checks=None, phase=None)
    try:
        function(ctx, response, case)
        failures: list[Any] = []
    except (AssertionError, BaseExceptionGroup) as exc:  # a check may raise several failures at once
        failures = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else [exc]
    auth_kind = next((c.get("kind") for c in form.get("credentials") or []), None)
    found = {}
    for failure in failures:
        if hasattr(failure, "operation"):
            again = reporting.finding_from_failure(failure, case, response, base_url=target.base_url,
                                                   auth_kind="accesskey" if auth_kind == "accesskey" else "bearer")
            found[again.id] = again
    expected = str(finding.get("expected"))
    if fid in found:
        got = found[fid].got
        return Verdict("holds", fid, expected=expected,
                       got=got if got.startswith("HTTP") else f"HTTP {response.status_code}: {got}")
    if found:
        other = next(iter(found.values()))
        return Verdict("gone", fid, expected=expected,
                       got=f"{check} now reports another defect ({other.id}: {other.got})")
    return Verdict("gone", fid, expected=expected, got=f"HTTP {response.status_code}, which {check} accepts")
