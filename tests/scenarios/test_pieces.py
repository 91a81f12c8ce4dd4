"""The scenarios suite's pieces, in-process: each strategy generates what its name promises, a
failed expectation becomes a finding with a repro but no secret, and walks stop on their bounds.

The bad-input strategies matter most: a "malformed UUID" that happens to be valid, or a "bad body"
the schema allows, would make the error scenarios flag a correct target.
"""

from __future__ import annotations

import json
import shlex

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from scenarios import strategies as s
from scenarios.actors import Actor
from scenarios.client import Api, Auth
from scenarios.exchange import Exchange
from scenarios.failures import ScenarioFailure, Verdict, findings_in, stable_key
from scenarios.promises import P
from voipbin_harness.conventions.auth import find_credential
from voipbin_harness.conventions.pagination import MAX_PAGE_SIZE, InvalidPageSize, parse_page_size
from voipbin_harness.conventions.resources import BASE_PATH, is_e164, is_uuid
from voipbin_harness.redact import register_secret
from voipbin_harness.spec import Spec

FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.filter_too_much])


@pytest.fixture(autouse=True, scope="module")
def _bound(spec: Spec) -> None:
    s.use_spec(spec)


def _validator(spec: Spec, label: str) -> jsonschema.Validator:
    schema = {**spec.operation(label).request_schema, "components": spec.document["components"]}
    return jsonschema.Draft7Validator(schema)


# -- strategies ---------------------------------------------------------------------------------------
@FEW
@given(value=s.malformed_uuids())
def test_malformed_uuids_are_never_uuids(value: str) -> None:
    assert not is_uuid(value)


@FEW
@given(value=s.non_e164_numbers())
def test_non_e164_numbers_are_never_e164(value: str) -> None:
    assert not is_e164(value)


@FEW
@given(value=s.e164_numbers())
def test_e164_numbers_are_e164(value: str) -> None:
    assert is_e164(value)


@FEW
@given(value=s.non_integer_page_sizes())
def test_non_integer_page_sizes_are_refused_by_the_convention(value: str) -> None:
    with pytest.raises(InvalidPageSize):
        parse_page_size(value)


@FEW
@given(value=s.page_sizes())
def test_page_sizes_cover_the_edges_and_map_into_range(value: int) -> None:
    assert 1 <= parse_page_size(str(value)) <= MAX_PAGE_SIZE


@FEW
@given(text=s.malformed_json())
def test_malformed_json_is_not_json(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)


@FEW
@given(prefix=s.bearer_spellings())
def test_bearer_spellings_are_invalid_by_the_convention(prefix: str) -> None:
    credential = find_credential({}, {}, {"authorization": prefix + "tok"})
    assert credential is not None and credential.value != "tok"


@pytest.mark.parametrize("label", ["POST /tags", "POST /queues", "POST /agents", "POST /flows", "POST /numbers"])
def test_create_bodies_keep_the_schema(spec: Spec, label: str) -> None:
    validator = _validator(spec, label)

    @FEW
    @given(body=s.request_bodies(label))
    def check(body: dict) -> None:
        assert not list(validator.iter_errors(body)), body

    check()


@pytest.mark.parametrize("collection", ["tags", "queues", "agents", "outdials"])
def test_bad_bodies_break_the_schema(spec: Spec, collection: str) -> None:
    validator = _validator(spec, f"POST /{collection}")

    @FEW
    @given(bad=s.bad_bodies(collection))
    def check(bad: s.BadBody) -> None:
        assert list(validator.iter_errors(bad.body)), bad

    check()


# -- verdicts, findings, reproduce lines --------------------------------------------------------------
def _exchange(status: int, body: bytes, headers: dict[str, str] | None = None, **request: object) -> Exchange:
    return Exchange(method=str(request.get("method", "GET")), url=f"http://127.0.0.1:9{BASE_PATH}/flows",
                    query=dict(request.get("query", {})), label="GET /flows",
                    request_headers=dict(request.get("sent", {})), request_body=None, status=status,
                    headers=httpx.Headers(headers or {}), content=body,
                    placeholders=dict(request.get("placeholders", {})))


def test_a_failed_expectation_is_a_finding_with_promise_and_repro() -> None:
    exchange = _exchange(200, b'{"id": "x"}')
    with pytest.raises(ScenarioFailure) as raised, Verdict(P.AUTH_REQUIRED, "authentication") as verdict:
        verdict.expect(False, exchange, "answered HTTP 200", expected="HTTP 401", key="status:200")
    (finding,) = list(findings_in(raised.value))
    assert finding.check == "authentication" and finding.operation == "GET /flows"
    assert finding.promise.startswith("BEHAVIOUR.md") and "401" in finding.promise
    assert finding.got.startswith("HTTP 200") and finding.reproduce.startswith("curl ")


def test_finding_ids_do_not_depend_on_values_that_change_between_runs() -> None:
    one = stable_key("error.request_id 'req_1' differs from X-Request-Id 'req_2'")
    two = stable_key("error.request_id 'req_9' differs from X-Request-Id 'req_8'")
    assert one == two


def test_findings_are_found_inside_exception_groups() -> None:
    failure = ScenarioFailure([])
    with Verdict(P.NOT_FOUND, "x") as verdict:
        verdict.fail(None, "m", expected="e", got="g")
        failure = ScenarioFailure(verdict.findings)
        verdict.findings = []
    group = BaseExceptionGroup("two", [ValueError("x"), failure])
    assert [f.message for f in findings_in(group)] == ["m"]


def test_reproduce_lines_name_credentials_by_variable_and_leak_no_secret() -> None:
    key, token = "vb_" + "k" * 32, "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.c2lnbmF0dXJl"
    register_secret("hunter2-password")
    exchange = _exchange(401, b"{}", query={"accesskey": key, "page_size": 1},
                         sent={"Authorization": f"Bearer {token}", "Cookie": "token=hunter2-password"},
                         placeholders={key: "VOIPBIN_ACCESSKEY", token: "VOIPBIN_TOKEN"})
    line = exchange.curl()
    assert key not in line and token not in line and "hunter2-password" not in line
    assert "accesskey=$VOIPBIN_ACCESSKEY" in line and "Bearer $VOIPBIN_TOKEN" in line
    shlex.split(line)  # a line a shell can parse


def test_auth_repr_shows_placements_not_values() -> None:
    assert "secret" not in repr(Auth.bearer("secret-token"))


# -- bounded walks -------------------------------------------------------------------------------------
def _walking_api(spec: Spec, pages: list[dict]) -> Api:
    answers = iter(pages)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(answers, {"result": [], "next_page_token": ""}))

    api = Api("http://127.0.0.1:9", BASE_PATH, spec)
    api._client = httpx.Client(transport=httpx.MockTransport(handler))  # noqa: SLF001 - canned answers
    return api


def test_a_looping_token_stops_the_walk_with_a_reason(spec: Spec) -> None:
    page = {"result": [{"id": "a"}], "next_page_token": "same"}
    walk = Actor(_walking_api(spec, [page] * 10), Auth.none(), "t").walk("flows", max_pages=10)
    assert not walk.ended and "already used" in walk.why and len(walk.pages) == 2


def test_a_token_that_never_ends_stops_at_the_bound(spec: Spec) -> None:
    pages = [{"result": [{"id": str(n)}], "next_page_token": f"t{n}"} for n in range(50)]
    walk = Actor(_walking_api(spec, pages), Auth.none(), "t").walk("flows", max_pages=7)
    assert not walk.ended and "did not end within 7 pages" in walk.why and len(walk.pages) == 7
