"""Every check's outcome on an answer is counted as the run counts it (``contracts.tally``): a good
canned answer is ``passed``, a bad one ``failed``, one the rule does not concern ``skipped`` (its guard
said so), never a silent pass. Built-ins get their guard from ``contracts.builtins``; the ones that
cannot apply in this suite are switched off, with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import CheckContext
from schemathesis.checks import CHECKS

from contracts import builtins, checks
from contracts.failures import ConventionFailure
from contracts.tally import FAILED, PASSED, SKIPPED, CheckTally, judge_counted, merge_blocks
from tests.contracts.canned import ALPHA, answer, error_body, error_headers
from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER, Reason, Status
from voipbin_harness.spec import Spec

UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
PAGE = {"result": [{"id": UUID}], "next_page_token": "2026-01-01T00:00:00.000000Z"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
NOT_FOUND = error_body(Status.NOT_FOUND, Reason.NOT_FOUND)
UNAUTHENTICATED = error_body(Status.UNAUTHENTICATED, Reason.AUTHENTICATION_REQUIRED)
LIMITED = error_body(Status.RESOURCE_EXHAUSTED, Reason.RATE_LIMIT_EXCEEDED)
RETRY = {**error_headers(), "Retry-After": "1"}

Answer = tuple[str, dict[str, Any], Callable[[Any], Any]]  # (operation, Case kwargs, case -> response)


@pytest.fixture(scope="module")
def schema(spec: Spec) -> Any:
    return schemathesis.openapi.from_dict(spec.document)


def _get(label: str, status: int, body: Any = None, **kwargs: Any) -> Answer:
    method, path = label.split(" ", 1)
    params = {"path_parameters": {"id": UUID}} if "{id}" in path else {}
    query = kwargs.pop("query", None)
    if query:
        params["query"] = query
    if method == "POST":
        params["body"] = kwargs.pop("request_body", {"name": "x"})
    return label, params, lambda case: answer(case, status, body, **kwargs)


#: check -> (a good answer, a bad answer, an answer the rule does not concern)
CASES: dict[Any, tuple[Answer, Answer, Answer]] = {
    checks.error_envelope: (
        _get("GET /flows/{id}", 404, NOT_FOUND, headers=error_headers()),
        _get("GET /flows/{id}", 404, {"error": "not_found", "message": "no such flow"}, headers=error_headers()),
        _get("GET /flows/{id}", 200, {"id": UUID})),
    checks.request_id_echo: (
        _get("GET /flows/{id}", 404, NOT_FOUND, headers=error_headers()),
        _get("GET /flows/{id}", 404, NOT_FOUND, headers={REQUEST_ID_HEADER: "req_other"}),
        _get("GET /flows/{id}", 200, {"id": UUID})),
    checks.list_answer_shape: (
        _get("GET /flows", 200, PAGE),
        _get("GET /flows", 200, {"result": {"id": UUID}, "next_page_token": ""}),
        _get("GET /flows/{id}", 200, {"id": UUID})),
    checks.created_resource_identity: (
        _get("POST /flows", 200, {"id": UUID, "customer_id": ALPHA}),
        _get("POST /flows", 200, {"id": "17", "customer_id": ALPHA}),
        _get("POST /flows", 400, error_body(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER))),
    checks.json_content_type: (
        _get("GET /flows", 200, content=b'{"result": []}', headers=JSON),
        _get("GET /flows", 200, content=b'{"result": []}', headers={"Content-Type": "text/plain"}),
        _get("GET /flows", 204, content=b"")),
    checks.authentication: (
        _get("GET /flows", 401, UNAUTHENTICATED, headers=error_headers(), authenticated=False),
        _get("GET /flows", 200, PAGE, authenticated=False),
        _get("GET /flows", 200, PAGE)),
    checks.rate_limit_answer: (
        _get("GET /flows", 429, LIMITED, headers=RETRY),
        _get("GET /flows", 429, LIMITED, headers=error_headers()),
        _get("GET /flows", 200, PAGE)),
    checks.rate_limit_declared: (
        _get("POST /aiaudits", 429, LIMITED, headers=RETRY, request_body={}),
        _get("GET /flows", 429, LIMITED, headers=RETRY),
        _get("GET /flows", 200, PAGE)),
}


def _outcome(schema: Any, check: Any, canned: Answer, ctx: Any = None) -> str:
    label, params, respond = canned
    method, path = label.split(" ", 1)
    case = schema[path][method].Case(**params)
    judged = judge_counted(builtins.guarded([check]), case=case, response=respond(case), ctx=ctx)
    return judged.outcomes(judged.all_failures)[check.__name__]


def test_every_registered_voipbin_check_has_canned_answers() -> None:
    assert set(CASES) == set(checks.CONVENTION_CHECKS)


@pytest.mark.parametrize("check", list(CASES), ids=lambda c: c.__name__)
def test_good_passes_bad_fails_inapplicable_is_skipped(schema: Any, check: Any) -> None:
    good, bad, inapplicable = CASES[check]
    assert _outcome(schema, check, good) == PASSED
    assert _outcome(schema, check, bad) == FAILED
    assert _outcome(schema, check, inapplicable) == SKIPPED


def test_authentication_is_not_judged_on_a_public_operation(schema: Any) -> None:
    """POST /auth/signup declares no 401: the spec makes it public, so the probe's 200 is a skip."""
    public = _get("POST /auth/signup", 200, {}, authenticated=False, request_body={})
    assert _outcome(schema, checks.authentication, public) == SKIPPED


# -- the workflow rules (two answers each: called by the CRUD workflows, counted by them) --------------
def test_created_resource_listed_passes_fails_and_skips_a_refused_list(schema: Any) -> None:
    case = schema["/flows"]["GET"].Case()
    assert checks.created_resource_listed(answer(case, 200, PAGE), case, created_id=UUID) is None
    with pytest.raises(ConventionFailure):
        checks.created_resource_listed(answer(case, 200, {"result": [], "next_page_token": ""}), case,
                                       created_id=UUID)
    refused = answer(case, 400, error_body(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER))
    assert checks.created_resource_listed(refused, case, created_id=UUID) is True


def test_readable_and_gone_always_apply_to_the_answer_they_are_given(schema: Any) -> None:
    case = schema["/flows/{id}"]["GET"].Case(path_parameters={"id": UUID})
    assert checks.created_resource_readable(answer(case, 200, {"id": UUID}), case, created_id=UUID) is None
    assert checks.deleted_resource_gone(answer(case, 404, NOT_FOUND), case) is None
    with pytest.raises(ConventionFailure):
        checks.deleted_resource_gone(answer(case, 200, {"id": UUID, "tm_delete": None}), case)


# -- built-ins ----------------------------------------------------------------------------------
def _ctx(schema: Any) -> CheckContext:
    return CheckContext(override=None, auth=None, headers=CaseInsensitiveDict(), config=schema.config.checks_config_for(),
                        transport_kwargs=None, response_checks=None)


def _builtin(name: str) -> Any:
    return next(check for check in CHECKS.get_all() if getattr(check, "__name__", None) == name)


@pytest.mark.parametrize(("name", "canned"), [
    ("negative_data_rejection", _get("GET /flows", 200, PAGE)),  # no generation meta: neither mode
    ("positive_data_acceptance", _get("GET /flows", 400, NOT_FOUND)),
    ("unsupported_method", _get("GET /flows", 404, NOT_FOUND)),  # not a coverage unexpected-method probe
    ("allow_header_conformance", _get("GET /flows", 200, PAGE)),  # not an OPTIONS answer
    ("content_type_conformance", _get("GET /flows", 418, content=b"x")),  # the spec documents no 418
    ("response_schema_conformance", _get("GET /flows", 418, content=b"x")),
])
def test_a_builtin_outside_its_rule_is_counted_skipped(schema: Any, name: str, canned: Answer) -> None:
    assert _outcome(schema, _builtin(name), canned, _ctx(schema)) == SKIPPED


def test_builtins_pass_and_fail_through_the_same_count(schema: Any) -> None:
    ctx = _ctx(schema)
    check = _builtin("status_code_conformance")
    assert _outcome(schema, check, _get("GET /flows", 200, PAGE, headers=JSON), ctx) == PASSED
    assert _outcome(schema, check, _get("GET /flows", 418, PAGE, headers=JSON), ctx) == FAILED
    schema_check = _builtin("response_schema_conformance")
    assert _outcome(schema, schema_check, _get("GET /flows", 200, PAGE, headers=JSON), ctx) == PASSED
    assert _outcome(schema, schema_check, _get("GET /flows", 200, {"result": 17}, headers=JSON), ctx) == FAILED


def test_builtins_that_cannot_apply_here_are_switched_off_with_a_reason(spec: Spec) -> None:
    off = builtins.switched_off(spec, ("examples", "coverage", "fuzzing", "stateful"))
    # no stateful-phase history, no auth identities, and the pinned spec declares no security scheme,
    # no response header and no required header parameter
    assert set(off) == {"use_after_free", "ensure_resource_availability", "object_level_authorization",
                        "ignored_auth", "response_headers_conformance", "missing_required_header"}
    assert all(reason for reason in off.values())
    without_coverage = builtins.switched_off(spec, ("fuzzing",))
    assert {"unsupported_method", "allow_header_conformance"} <= set(without_coverage)


def test_a_failure_the_run_drops_counts_as_passed_not_failed(schema: Any) -> None:
    """The run drops some failures as expected answers (the documented E.164 400): the check judged
    the answer and the run accepted it."""
    case = schema["/flows"]["GET"].Case()
    judged = judge_counted([checks.list_answer_shape], case=case, response=answer(case, 200, [{"id": UUID}]), ctx=None)
    assert judged.all_failures
    assert judged.outcomes([]) == {"list_answer_shape": PASSED}


def test_tally_lists_every_registered_name_and_merges_across_workers() -> None:
    tally = CheckTally(["a", "b"])
    tally.count({"a": PASSED})
    tally.count({"a": SKIPPED})
    block = tally.block()
    assert block == {"a": {PASSED: 1, FAILED: 0, SKIPPED: 1}, "b": {PASSED: 0, FAILED: 0, SKIPPED: 0}}
    other = {"a": {PASSED: 2, FAILED: 1, SKIPPED: 0}, "c": {PASSED: 0, FAILED: 0, SKIPPED: 4}}
    assert merge_blocks([block, other]) == {"a": {PASSED: 3, FAILED: 1, SKIPPED: 1},
                                            "b": {PASSED: 0, FAILED: 0, SKIPPED: 0},
                                            "c": {PASSED: 0, FAILED: 0, SKIPPED: 4}}
