"""Errors and status codes: bad input is a 4xx with the envelope and never a 5xx, and each documented
cause gets its status (400, 402, 403, 404, 429; 401 is the authentication family's).

The envelope is held to the spec's ``ErrorResponse`` (which the gateway's code also emits); the
docs' flat ``{"error": "code", "message"}`` is not enforced. Insufficient balance is held to the
docs and spec (402), which the gateway's code does not keep (it answers 500). Causes a client cannot
produce alone (empty balance, frozen account, tight rate limit) use the emulator's control
endpoints and are skipped, with the reason, on any other target.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from voipbin_harness.conventions.envelope import HTTP_FOR_STATUS, Reason, Status
from voipbin_harness.conventions.pagination import PAGE_SIZE_PARAM
from voipbin_harness.conventions.ratelimit import LIMITED_BY_CUSTOMER, Limit, rate_limit_problems
from voipbin_harness.conventions.resources import INSUFFICIENT_BALANCE_OPERATIONS, invalid_id_reason

from . import strategies as s
from .actors import Actor, created_id
from .budget import examples
from .client import RATE_LIMIT_CHECK
from .control import Control
from .exchange import Exchange
from .expect import expect_error, expect_no_server_error
from .failures import Verdict
from .promises import P, R

BAD_INPUT_CHECK = R.BAD_INPUT_STATUS.id
CAUSE_CHECK = R.STATUS_FOR_CAUSE.id

#: Collections whose items are read by id (read-only scenarios).
ID_COLLECTIONS = ("flows", "tags", "queues", "agents", "calls", "numbers", "accesskeys", "outplans")
#: Collections created into by the bad-input scenarios (their create bodies have types, required
#: fields and enums to break).
BODY_COLLECTIONS = ("tags", "queues", "agents", "outdials", "flows")
#: Request fields the spec describes as E.164 phone numbers (for tel), with the body they go in.
E164_FIELDS = (("POST /contact_addresses", "target", {"type": "tel"}), ("POST /numbers", "number", {}))
RATE_LIMIT_PROBES = 20
BALANCE_FIELD = "balance_credit"  # the spec's BillingManagerAccount field the balance control sets  # requests sent at most while waiting for the first 429


def discard(actor: Actor, collection: str, exchange: Exchange) -> None:
    """Delete what a create that should have been refused created anyway."""
    item_id = created_id(exchange)
    if item_id:
        actor.delete(f"/{collection}/{item_id}")


# -- generated bad input -----------------------------------------------------------------------------
@pytest.mark.promise(P.MALFORMED_UUID)
@examples(20)
@given(collection=s.sampled(ID_COLLECTIONS, "GET /{}/{{id}}"), bad_id=s.malformed_uuids())
def test_malformed_uuid_in_path_is_400(alpha: Actor, collection: str, bad_id: str) -> None:
    exchange = alpha.get(f"/{collection}/{bad_id}", label=f"GET /{collection}/{{id}}")
    param = alpha.api.spec.operation(f"GET /{collection}/{{id}}").param("path", "id") or {}
    with Verdict(P.MALFORMED_UUID, BAD_INPUT_CHECK) as verdict:
        expect_no_server_error(verdict, exchange, "a malformed UUID in the path")
        if exchange.status == HTTP_FOR_STATUS[Status.NOT_FOUND]:  # the spec types this id as a plain string: "no such item" keeps it
            expect_error(verdict, exchange, Status.NOT_FOUND, reasons=(Reason.NOT_FOUND,), why="no item has this id",
                         severity="medium")
        else:
            expect_error(verdict, exchange, Status.INVALID_ARGUMENT, reasons=(invalid_id_reason(param.get("schema")),),
                         why="the id is not a UUID", severity="medium")


@pytest.mark.writes
@pytest.mark.promise(P.MALFORMED_JSON)
@examples(20)
@given(collection=s.sampled(BODY_COLLECTIONS, "POST /{}"), body=s.malformed_json())
def test_malformed_json_body_is_400(alpha: Actor, collection: str, body: str) -> None:
    exchange = alpha.request("POST", f"/{collection}", content=body.encode())
    with Verdict(P.MALFORMED_JSON, BAD_INPUT_CHECK) as verdict:
        discard(alpha, collection, exchange)
        expect_no_server_error(verdict, exchange, "a body that is not JSON")
        expect_error(verdict, exchange, Status.INVALID_ARGUMENT, reasons=(Reason.INVALID_JSON_BODY,),
                     why="the body is not JSON", severity="medium", key="json:")


@pytest.mark.writes
@pytest.mark.promise(P.BAD_BODY)
@examples(15)
@given(case=s.bad_body_cases(BODY_COLLECTIONS, "wrong_type"))
def test_field_of_the_wrong_type_is_4xx(alpha: Actor, case: s.BadBodyCase) -> None:
    check_bad_body(alpha, case)


@pytest.mark.writes
@pytest.mark.promise(P.BAD_BODY)
@examples(15)
@given(case=s.bad_body_cases(BODY_COLLECTIONS, "missing_required"))
def test_missing_required_field_is_4xx(alpha: Actor, case: s.BadBodyCase) -> None:
    check_bad_body(alpha, case)


@pytest.mark.writes
@pytest.mark.promise(P.BAD_BODY)
@examples(15)
@given(case=s.bad_body_cases(BODY_COLLECTIONS, "invalid_enum"))
def test_value_outside_the_enum_is_4xx(alpha: Actor, case: s.BadBodyCase) -> None:
    check_bad_body(alpha, case)


def check_bad_body(alpha: Actor, case: s.BadBodyCase) -> None:
    """A create body the schema forbids: refused with a 4xx and the envelope, nothing created."""
    collection, bad = case.collection, case.bad
    exchange = alpha.post(f"/{collection}", bad.body)
    with Verdict(P.BAD_BODY, BAD_INPUT_CHECK) as verdict:
        discard(alpha, collection, exchange)
        expect_no_server_error(verdict, exchange, f"a body with {bad.kind.replace('_', ' ')}")  # keyed by kind
        if exchange.status < 500:
            expect_error(verdict, exchange, Status.INVALID_ARGUMENT, why=f"{bad.kind.replace('_', ' ')} at {bad.field!r}",
                         severity="medium", key=f"{bad.kind}:")


@pytest.mark.writes
@pytest.mark.promise(P.E164)
@examples(10)
@given(case=s.e164_cases(E164_FIELDS), number=s.non_e164_numbers())
def test_number_that_is_not_e164_is_4xx(alpha: Actor, case: s.FieldCase, number: str) -> None:
    collection = case.label.split(" /", 1)[1]
    exchange = alpha.post(f"/{collection}", {**case.body, case.field: number})
    with Verdict(P.E164, BAD_INPUT_CHECK) as verdict:
        discard(alpha, collection, exchange)
        expect_no_server_error(verdict, exchange, "a phone number that is not E.164")
        if exchange.status < 500:
            expect_error(verdict, exchange, Status.INVALID_ARGUMENT, why=f"{number!r} is not an E.164 number", severity="medium",
                         key="e164:")


# -- documented causes --------------------------------------------------------------------------------
@pytest.mark.promise(P.NOT_FOUND)
@examples(15)
@given(collection=s.sampled(ID_COLLECTIONS, "GET /{}/{{id}}"), item_id=s.unknown_ids())
def test_unknown_id_is_404(alpha: Actor, collection: str, item_id: str) -> None:
    with Verdict(P.NOT_FOUND, CAUSE_CHECK) as verdict:
        expect_error(verdict, alpha.get(f"/{collection}/{item_id}"), Status.NOT_FOUND, reasons=(Reason.NOT_FOUND,),
                     why="no resource has this id", severity="medium")


@pytest.mark.promise(P.UNKNOWN_ROUTE)
@examples(10)
@given(path=s.unknown_routes())
def test_unknown_route_is_404_route_not_found(alpha: Actor, path: str) -> None:
    with Verdict(P.UNKNOWN_ROUTE, CAUSE_CHECK) as verdict:
        expect_error(verdict, alpha.get(path, label="GET <unknown route>"), Status.NOT_FOUND,
                     reasons=(Reason.ROUTE_NOT_FOUND,), why="the path is not an API route", severity="medium")


@pytest.fixture(scope="module")
def balance(alpha: Actor, control: Control) -> float:
    """The primary customer's balance now (``GET /billing_account``), to put back afterwards."""
    account = alpha.get("/billing_account")
    value = account.data.get(BALANCE_FIELD) if isinstance(account.data, dict) else None
    if not isinstance(value, (int, float)):
        pytest.skip(f"GET /billing_account does not report {BALANCE_FIELD} (HTTP {account.status}), so the balance "
                    "could not be restored after emptying it")
    return float(value)


@pytest.mark.writes
@pytest.mark.promise(P.PAYMENT_REQUIRED)
@pytest.mark.parametrize("operation", INSUFFICIENT_BALANCE_OPERATIONS, ids=lambda op: f"{op[0]} {op[1]}")
@examples(2)
@given(data=s.spend_bodies())
def test_insufficient_balance_is_402(alpha: Actor, control: Control, balance: float,
                                     operation: tuple[str, str], data: s.SpendBodies) -> None:
    method, path = operation
    with control.balance(alpha.customer_id or "", 0, restore=balance):
        exchange = alpha.request(method, path, json=data.for_operation(path))
    with Verdict(P.PAYMENT_REQUIRED, CAUSE_CHECK) as verdict:
        collection = path.strip("/")
        if "/" not in collection:  # a create: what it made anyway goes; an action (/numbers/renew) made nothing new
            discard(alpha, collection, exchange)
        expect_error(verdict, exchange, Status.PAYMENT_REQUIRED, why="the customer's balance is 0", severity="medium")
        if exchange.status == HTTP_FOR_STATUS[Status.PAYMENT_REQUIRED] and isinstance(exchange.data, dict):
            status = (exchange.data.get("error") or {}).get("status")
            verdict.expect(status == Status.PAYMENT_REQUIRED, exchange, f"error.status is {status!r}",
                           expected=Status.PAYMENT_REQUIRED, key=f"error-status:{status}", severity="low")


@pytest.mark.promise(P.ACCOUNT_FROZEN)
@examples(5)
@given(path=s.sampled(("/flows", "/tags", "/queues", "/customer")))
def test_frozen_account_is_403_account_frozen(alpha: Actor, control: Control, path: str) -> None:
    with control.frozen(alpha.customer_id or ""):
        exchange = alpha.get(path)
    with Verdict(P.ACCOUNT_FROZEN, CAUSE_CHECK) as verdict:
        expect_error(verdict, exchange, Status.PERMISSION_DENIED, reasons=(Reason.ACCOUNT_FROZEN,), why="the account is frozen")


@pytest.mark.promise(P.RATE_LIMIT)
@examples(3)
@given(burst=s.small_page_sizes())
def test_rate_limited_request_is_429_with_retry_after(alpha: Actor, control: Control, burst: int) -> None:
    limit = str(Limit(1, burst))
    answers: list[Exchange] = []
    with control.rate_limits(customer=limit):
        for _ in range(burst + RATE_LIMIT_PROBES):
            answers.append(alpha.get("/flows", params={PAGE_SIZE_PARAM: 1}, meet_limit=True))  # unpaced, 429 kept
            if answers[-1].status != 200:
                break
    last = answers[-1]
    with Verdict(P.RATE_LIMIT, RATE_LIMIT_CHECK) as verdict:
        if not verdict.expect(last.status == HTTP_FOR_STATUS[Status.RESOURCE_EXHAUSTED], last, f"with a customer limit of {limit} (RPS:BURST), "
                              f"{len(answers)} quick requests ended with HTTP {last.status}",
                              expected="HTTP 429 once the burst is spent", key=f"status:{last.status}",
                              severity="high"):
            return
        verdict.problems(rate_limit_problems(last.status, last.headers, last.data), last,
                         expected="429 with Retry-After in whole seconds and the RESOURCE_EXHAUSTED envelope")
        details = ((last.data or {}).get("error") or {}).get("details") if isinstance(last.data, dict) else None
        limited_by = details[0].get("limited_by") if isinstance(details, list) and details and \
            isinstance(details[0], dict) else None
        verdict.expect(limited_by == LIMITED_BY_CUSTOMER, last, f"details[0].limited_by is {limited_by!r}",
                       expected=f"limited_by {LIMITED_BY_CUSTOMER!r} (the customer tier ran dry)",
                       key=f"limited_by:{limited_by}", severity="low")
