"""The load profiles' Locust user: a ``FastHttpUser`` whose waits follow the open-model plan.

``wait_time`` takes this user's next ticket and sleeps until it is due, so a free user sends on
schedule and a busy pool makes tickets late, never skipped. Every request is timed from its
ticket's scheduled send time: that is the ``response_time`` Locust's own CSV/HTML get, and
what goes into the HDR histograms. 429 is an expected answer (counted apart, its conformance
checked); the ratelimit profile's users honour ``Retry-After`` once the compliant phase starts.

Credentials: a JWT from one login per process (``Authorization`` header) or the access key as
the ``accesskey`` cookie; never in a URL, so Locust's reports hold no secret.

Set-up requests (warm-up, login, prefetch) are not the experiment: they go through the session's
``Pacer`` (under the target's limit; a 429 is waited out as ``Retry-After`` says and the request
sent again, a bounded number of times), so a rate-limited target cannot fail a run before it
starts. A set-up 429 is marked a success in Locust's stats: it is a wait, counted in ``pacing``,
and its answer is still checked like every other 429 (``Retry-After``, envelope).
"""

from __future__ import annotations

import time
from typing import Any

import gevent
import orjson
from locust import FastHttpUser
from locust.exception import StopUser

from ..conventions.auth import BEARER_PREFIX, LOGIN_PATH
from ..conventions.pagination import RESULT_FIELD
from ..coverage import counter_key
from ..pacing import AUTH_TIER, answer_of
from ..redact import register_secret
from .plan import Ticket
from .profiles import MixOp, load_profile
from .ratelimit import RETRY_AFTER_FALLBACK_S, classify_429
from .session import START_WAIT_MAX, Session, session_of
from .stats import RUN, record

__all__ = ["VoipbinUser", "mix", "mix_tasks"]

PHASE_POLL_S = 0.05  # how often a user without a ticket looks for the ramp's next plan
LATE_TOLERANCE_S = 0.001  # a ticket this overdue when taken counts as late (all users were busy)
PREFETCH_PAGE_SIZE = 100
CUSTOMER_KEY = "primary"  # the pacer's bucket of the one customer a load run sends as


def open_model_wait(user: VoipbinUser) -> float:
    """Locust ``wait_time``: take the next ticket; seconds until it is due."""
    session = user.session
    ticket = session.next_ticket()
    if ticket is None and session.behaviour.compliant:
        # the ramp may go on with a new plan (ratelimit's refine phase): look again until decided
        deadline = time.time() + START_WAIT_MAX
        while ticket is None and not session.phase_decided.is_set() and time.time() < deadline:
            session.phase_decided.wait(timeout=PHASE_POLL_S)
            ticket = session.next_ticket()
        if ticket is None and session.phase is not None and "demand" in session.phase:
            ticket = _compliant_ticket(user, session)
    if ticket is None or session.fatal:
        raise StopUser()
    user.ticket = ticket
    now = time.time()
    user.late = ticket.at < now - LATE_TOLERANCE_S
    return max(0.0, ticket.at - now)


def _compliant_ticket(user: VoipbinUser, session: Session) -> Any:
    """A compliant client's own schedule: its share of the phase's rate, never before the
    Retry-After it was given has elapsed, and no catching up on sends it missed meanwhile."""
    steps = {s.index: s for s in session.plan.steps}
    users = max(int(session.phase["users"]), 1)  # every process's users, as the master counted them
    share = (session.worker_index * int(session.phase["pool"]) + user.local_index) % users / users
    if user.next_at is None:
        user.rate = session.phase["demand"]
        user.next_at = session.t0 + session.phase["cut"] + share * users / user.rate
    at = max(user.next_at, user.hold_until)
    where = session.locate(at)
    if where is None:
        return None
    step = steps[where[0]]
    if step.rate != user.rate:  # the demand changed: spread the clients over the new period again
        user.rate = step.rate
        at = max(at, session.t0 + step.start + share * users / step.rate)
        where = session.locate(at)
        if where is None:
            return None
    at = max(at, time.time() - users / user.rate)
    where = session.locate(at) or where
    user.next_at = at + users / user.rate
    return Ticket(-1, at, where[0], where[1])  # seq -1: a compliant client's request


class VoipbinUser(FastHttpUser):
    """Abstract: a locustfile subclasses it and Locust's ``tasks`` come from the profile's mix."""

    abstract = True
    wait_time = open_model_wait
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.session = session_of(self.environment)
        self.session.wait_started()
        if self.session.fatal:
            raise StopUser()
        self.local_index = self.session.users_started
        self.session.users_started += 1
        self.ticket: Any = None
        self.late = False
        self.next_at: float | None = None
        self.rate = 0.0  # a compliant client's current demand share (req/s of all clients)
        self.hold_until = 0.0
        self.retry_due: tuple[float, float] | None = None
        self._warm_up()
        self.auth_headers = self._authenticate()
        self._prefetch()
        try:
            gevent.sleep(open_model_wait(self))
        except StopUser:  # spawned after the schedule ended: the first task stops it quietly
            self.ticket = None

    def _warm_up(self) -> None:
        """Open this user's connection off the schedule (GET /ping, no auth), so that connection
        set-up is not charged to the first scheduled request. Paced (no credentials: the IP's
        bucket), never retried: any answer, a 429 too, proves the connection."""
        self.session.pacer.acquire(None)
        with self.client.get("/ping", name="warm-up /ping", catch_response=True) as resp:
            if resp.status_code:
                resp.success()  # any answer proves the connection; /ping is not what is measured

    # -- set-up, once per process ---------------------------------------------------------------
    def _authenticate(self) -> dict[str, str]:
        session, creds = self.session, self.session.credentials
        if creds.accesskey and (session.options.auth == "accesskey" or not (creds.token or creds.username)):
            return {"Cookie": f"accesskey={creds.accesskey}"}
        with session.login_lock:
            if session.token is None and session.fatal is None:
                if not (creds.username and creds.password):
                    session.fail("no credentials: set VOIPBIN_USERNAME + VOIPBIN_PASSWORD, VOIPBIN_TOKEN "
                                 "or VOIPBIN_ACCESSKEY")
                else:
                    session.token = self._login(creds.username, creds.password)
        if session.token is None:
            raise StopUser()
        return {"Authorization": BEARER_PREFIX + session.token}

    def _login(self, username: str, password: str) -> str | None:
        """One login for the process, paced on the public /auth tier (per IP, 10/s at the gateway,
        and every generator process logs in at once): a 429 is waited out and the login sent again."""
        def send() -> Any:
            with self.client.post(LOGIN_PATH, json={"username": username, "password": password},
                                  name=LOGIN_PATH, catch_response=True) as resp:
                if resp.status_code == 429:
                    resp.success()  # waited out by the pacer; counted there
                elif _token(resp) is None:
                    resp.failure(f"login refused: HTTP {resp.status_code or 0}")
                else:
                    resp.success()
            return resp

        paced = self.session.pacer.call(send, _answer, key=None, tier=AUTH_TIER, on_limited=self._setup_limited)
        resp = paced.response
        token = _token(resp)
        if token is None:
            status = resp.status_code or 0
            why = (f"HTTP {status}" + (f", still rate limited after {paced.retries} retries" if paced.gave_up else "")
                   if status else f"no answer: {getattr(resp, 'error', None)!r}")
            self.session.fail(f"login as {username} at {self.host} failed ({why})")
            return None
        register_secret(token)
        return token

    def _prefetch(self) -> None:
        """List each collection the mix reads once, so that reads have ids from the start."""
        session = self.session
        base = session.options.base_path
        for op in session.options.config.ops:
            if op.kind not in ("read", "update") or op.collection in session.prefetched:
                continue
            session.prefetched.add(op.collection)

            def send(collection: str = op.collection) -> Any:
                with self.client.get(f"{base}/{collection}", params={"page_size": PREFETCH_PAGE_SIZE},
                                     headers=self.auth_headers, name=f"prefetch {base}/{collection}",
                                     catch_response=True) as resp:
                    if resp.status_code in (200, 429):
                        resp.success()  # a 429 is waited out by the pacer and sent again
                    else:
                        resp.failure(f"HTTP {resp.status_code}")
                return resp

            resp = session.pacer.call(send, _answer, key=CUSTOMER_KEY, on_limited=self._setup_limited).response
            if resp.status_code == 200:
                session.ids.harvest(op.collection, _result(_json(resp)))

    def _setup_limited(self, resp: Any) -> None:
        """A set-up request met a 429: not a failure, but its answer keeps the rate-limit promises or not."""
        counts = self.session.book.at(RUN).counts
        counts.update(classify_429(resp.headers or {}, _json(resp)).counter_keys())
        counts["rl:setup_429"] += 1

    # -- one scheduled request -------------------------------------------------------------------
    def call(self, op: MixOp, path: str, *, json: Any = None, parse: bool = False) -> Any:
        """Send ``op`` on this user's ticket (``path`` may end in a query string); the parsed JSON
        answer when 2xx and ``parse``, else None."""
        session, ticket = self.session, self.ticket
        base = session.options.base_path
        counts = session.book.at(RUN).counts
        sent = time.time()
        is_retry = False
        if self.retry_due is not None:
            answered, wait = self.retry_due
            counts["rl:retries"] += 1
            if sent < answered + wait - LATE_TOLERANCE_S:
                counts["rl:early_retries"] += 1
            self.retry_due, is_retry = None, True
        session.inflight += 1
        if ticket.hold:
            session.book.at(ticket.step).peak("inflight", session.inflight)
        try:
            with self.client.request(op.method, base + path, name=base + op.path, json=json,
                                     headers=self.auth_headers, catch_response=True) as resp:
                done = time.time()
                status = resp.status_code or 0
                resp.request_meta["response_time"] = (done - ticket.at) * 1000
                body = None
                if status == 429:
                    resp.success()  # an expected answer, counted and checked apart
                    self._limited(resp, done, counts, is_retry)
                elif 200 <= status < 400:
                    resp.success()
                    body = _json(resp) if parse else None
                elif status == 0:
                    resp.failure(f"connection error: {type(getattr(resp, 'error', None)).__name__}")
                else:
                    resp.failure(f"HTTP {status}")
        finally:
            session.inflight -= 1
        self._record(sent, done, status)
        counts[counter_key(op.label, status)] += 1  # coverage: operation and status only (issue 12)
        return body

    def _limited(self, resp: Any, done: float, counts: Any, is_retry: bool) -> None:
        verdict = classify_429(resp.headers, _json(resp))
        counts.update(verdict.counter_keys())
        if is_retry:
            counts["rl:retry_rejected"] += 1
        if self.ticket.seq < 0:  # a compliant client's request (ramp clients never back off)
            wait = verdict.retry_after
            if wait is None:
                counts["rl:waits_without_retry_after"] += 1
                wait = RETRY_AFTER_FALLBACK_S
            self.hold_until = done + wait
            self.retry_due = (done, float(wait))

    def _record(self, sent: float, done: float, status: int) -> None:
        session, ticket = self.session, self.ticket
        book = session.book
        if ticket.hold:
            stats = book.at(ticket.step)
            stats.counts["sent"] += 1
            record(stats.histograms["latency"], done - ticket.at)
            record(stats.histograms["service"], done - sent)
            if self.late:
                stats.counts["late"] += 1
            else:
                record(stats.histograms["lag"], max(0.0, sent - ticket.at))
        where = session.locate(done)
        if where is not None and where[1]:
            counts = book.at(where[0]).counts
            counts["done"] += 1
            counts[f"status:{status}"] += 1
            if status == 429:
                counts["r429"] += 1
            elif 200 <= status < 400:
                counts["ok"] += 1
            else:
                counts["errors"] += 1
                if status == 0:
                    counts["conn_errors"] += 1
        run = book.at(RUN).counts
        run["requests"] += 1
        run[f"status:{status}"] += 1


def _json(resp: Any) -> Any:
    try:
        return orjson.loads(resp.content) if resp.content else None
    except (orjson.JSONDecodeError, TypeError):
        return None


def _answer(resp: Any) -> Any:
    """What the pacer reads of a Locust answer (``pacing.Answer``)."""
    status = resp.status_code or 0
    return answer_of(status, resp.headers or {}, _json(resp) if status == 429 else None)


def _token(resp: Any) -> str | None:
    if resp.status_code != 200:
        return None
    body = _json(resp)
    token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None


def _result(body: Any) -> list[Any]:
    items = body.get(RESULT_FIELD) if isinstance(body, dict) else None
    return items if isinstance(items, list) else []


def _run(user: VoipbinUser, op: MixOp) -> None:
    """One ticket's request for ``op``, with the fallbacks that keep every ticket a request."""
    if user.ticket is None:
        raise StopUser()
    session = user.session
    if session.void(user.ticket):
        return
    pools = session.ids
    if op.kind == "read" or op.kind == "update":
        ident = pools.pick(op.collection)
        if ident is None:
            op = MixOp(f"GET /{op.collection}", "GET", f"/{op.collection}", "list", op.collection, 0)
        else:
            path = op.path.replace("{" + str(op.id_param) + "}", ident)
            user.call(op, path, json=op.body if op.kind == "update" else None)
            return
    if op.kind == "delete":
        ident = pools.pop_created(op.collection)
        if ident is not None:
            user.call(op, op.path.replace("{" + str(op.id_param) + "}", ident))
            return
        create = next((o for o in session.options.config.ops if o.kind == "create" and o.collection == op.collection), None)
        op = create or MixOp(f"GET /{op.collection}", "GET", f"/{op.collection}", "list", op.collection, 0)
    if op.kind == "list":
        # a list answer is parsed only while reads of its collection still want ids (the parse,
        # not the request, is what a generator pays for at thousands of answers per second)
        harvest = op.collection in session.read_collections and pools.wants(op.collection)
        body = user.call(op, op.path + session.list_query, parse=harvest)
        if harvest:
            pools.harvest(op.collection, _result(body))
    elif op.kind == "create":
        body = user.call(op, op.path, json=op.body, parse=True)
        if isinstance(body, dict):
            pools.add_created(op.collection, body.get("id"))
    else:
        user.call(op, op.path)


def mix_tasks(ops: tuple[MixOp, ...]) -> list[Any]:
    """Locust ``tasks``: one function per operation, repeated by its weight."""
    tasks = []
    for op in ops:
        def task(user: VoipbinUser, op: MixOp = op) -> None:
            _run(user, op)

        task.__name__ = op.label
        tasks += [task] * op.weight
    return tasks


def mix(profile: str) -> list[Any]:
    """Locust ``tasks`` of ``profile``'s mix in the default ``load/profiles.toml`` (a locustfile's
    user class states them; ``--vb-profiles`` replaces them once the options are read)."""
    return mix_tasks(load_profile(profile).ops)
