"""``--latency MS[:JITTER]``: every answer is held MS milliseconds on the event loop, without holding
any other request up. No clock is read by an assertion: a connection is driven with a stand-in
loop whose ``call_at`` is recorded, so what is checked is when each answer is due, not how long a
request took on a busy machine (figures: ``load/README.md``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest

from tests.support import CONTROL, Emu
from voipbin_harness.cli import main
from voipbin_harness.emulator import EmulatorConfig, create_app
from voipbin_harness.emulator.latency import Delay, Latency
from voipbin_harness.emulator.server import EmulatorServer, Request, Response, _Protocol
from voipbin_harness.paths import repo_root
from voipbin_harness.spec import Spec

Start = Callable[..., Emu]
CLI_PORT = 19210  # this area's port range (19200-19249); the tests above use free ports


class _Loop:
    """The event loop as a connection sees it: a clock the test sets, ``call_at`` only recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.calls: list[tuple[float, Callable[[], None]]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        self.calls.append((when, callback))


class _Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def get_extra_info(self, name: str) -> tuple[str, int]:
        return ("127.0.0.1", 5555)

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return False


def _pong(request: Request) -> Response:
    return Response(200, b'{"message":"pong"}', [("Content-Type", "application/json")])


def _connection(delay: Delay, loop: _Loop) -> tuple[_Protocol, _Transport]:
    connection, transport = _Protocol(_pong, set(), delay, loop), _Transport()  # type: ignore[arg-type]
    connection.connection_made(transport)  # type: ignore[arg-type]
    return connection, transport


PING = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"


def test_every_answer_is_held_for_the_latency() -> None:
    """No clock is read: the answer is not written at once but scheduled MS later on the loop."""
    loop = _Loop()
    connection, transport = _connection(Delay(Latency(100)), loop)
    connection.data_received(PING)
    assert transport.written == [] and [when for when, _ in loop.calls] == [pytest.approx(1000.100)]
    loop.calls[0][1]()
    assert len(transport.written) == 1 and transport.written[0].startswith(b"HTTP/1.1 200")


def test_without_latency_the_answer_is_written_at_once() -> None:
    loop = _Loop()
    connection, transport = _connection(Delay(), loop)
    connection.data_received(PING)
    assert len(transport.written) == 1 and loop.calls == []


def test_connections_are_held_side_by_side_not_in_turn() -> None:
    """Twenty connections asking at the same moment with 200 ms each are all due 200 ms later: held
    on the loop side by side (one after the other, the last would be due 4 s later)."""
    loop, delay = _Loop(), Delay(Latency(200))
    transports = []
    for _ in range(20):
        connection, transport = _connection(delay, loop)
        connection.data_received(PING)
        transports.append(transport)
    assert [when for when, _ in loop.calls] == [pytest.approx(1000.200)] * 20
    for _, release in loop.calls:
        release()
    assert all(len(t.written) == 1 for t in transports)


def test_a_later_answer_never_leaves_before_an_earlier_one_of_its_connection() -> None:
    """0-200 ms drawn per answer: the second request may draw less, yet it is due no earlier."""
    loop = _Loop()
    connection, transport = _connection(Delay(Latency(100, 100), seed=7), loop)
    for _ in range(12):
        connection.data_received(PING)
        loop.now += 0.005
    due = [when for when, _ in loop.calls]
    assert due == sorted(due) and len(due) == 12


def test_a_connections_answers_keep_the_order_of_its_requests(start_emulator: Start) -> None:
    """With 0-200 ms drawn per answer, a later request often draws less than an earlier one; its
    answer still waits behind the earlier answer on the same connection (HTTP/1.1 pipelining)."""
    emu = start_emulator(latency=Latency(100, 100), seed=7)
    host, port = emu.origin.removeprefix("http://").split(":")
    ids = [f"req_{i:02d}" for i in range(12)]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for ident in ids:  # one write each: each is its own data_received, its own delay
            sock.sendall(f"GET /ping HTTP/1.1\r\nHost: x\r\nX-Request-Id: {ident}\r\n\r\n".encode())
            time.sleep(0.005)
        received = b""
        deadline = time.monotonic() + 10
        while received.count(b"HTTP/1.1 200") < len(ids) or not received.endswith(b"}"):
            assert time.monotonic() < deadline, received[-300:]
            received += sock.recv(65536)
    echoed = [line.split(b":", 1)[1].strip().decode() for line in received.split(b"\r\n")
              if line.lower().startswith(b"x-request-id:")]
    assert echoed == ids


def test_latency_is_set_and_shown_at_run_time(gateway: Emu) -> None:
    try:
        assert gateway.config()["latency"] is None
        assert gateway.control("PUT", "/latency", {"latency": "150:30"}).json() == {"latency": "150:30"}
        assert gateway.config()["latency"] == "150:30"
        assert gateway.control("PUT", "/latency", {"latency": 40}).json() == {"latency": "40"}
    finally:
        gateway.control("PUT", "/latency", {"latency": None})
    assert gateway.config()["latency"] is None


def test_latency_set_at_run_time_reaches_the_server(spec: Spec) -> None:
    """The control endpoint changes the app's ``delay``, which the server draws each answer's wait from."""
    app = create_app(spec, EmulatorConfig.without_limits())
    assert EmulatorServer(app).delay is app.delay and app.delay() == 0.0
    assert app(Request("PUT", CONTROL + "/latency", body=b'{"latency": "150:30"}')).status == 200
    assert all(0.120 <= app.delay() <= 0.180 for _ in range(50))


@pytest.mark.parametrize("body", [{"latency": "fast"}, {"latency": "-1"}, {"latency": "10:20"}, {"latency": True},
                                  {"latency": [10]}, {}])
def test_bad_latency_at_run_time_is_refused(gateway: Emu, body: dict[str, object]) -> None:
    response = gateway.http.put(gateway.origin + CONTROL + "/latency", json=body)
    assert response.status_code == 400 and response.json()["error"]["reason"] == "INVALID_REQUEST_PARAMETER"
    assert gateway.config()["latency"] is None


@pytest.mark.parametrize("value, words", [
    ("fast", "a latency is MS or MS:JITTER"),
    ("-5", "0 <= MS"),
    ("10:20", "JITTER <= MS"),
    ("100:x", "a latency is MS or MS:JITTER"),
    ("nan", "0 <= MS"),
    ("999999", "0 <= MS <= 60000"),
])
def test_bad_latency_option_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], value: str, words: str) -> None:
    assert main(["emulator", "--port", "19249", "--latency", value]) == 2
    err = capsys.readouterr().err
    assert "--latency: " in err and words in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_jitter_is_uniform_within_bounds_and_seeded() -> None:
    def draws(seed: int) -> list[float]:
        delay = Delay(Latency(100, 20), seed)
        return [delay() for _ in range(500)]

    first = draws(3)
    assert first == draws(3), "the same --seed draws the same delays"
    assert first != draws(4)
    assert 0.080 <= min(first) < 0.085 and 0.115 < max(first) <= 0.120
    assert Delay()() == 0.0 and Delay(Latency(25))() == 0.025


def test_latency_parses_and_prints_like_the_command_line() -> None:
    assert Latency.parse("25") == Latency(25.0, 0.0) and str(Latency.parse("25")) == "25"
    assert Latency.parse(" 100:20 ") == Latency(100.0, 20.0) and str(Latency(100, 20)) == "100:20"
    assert Latency.parse("0").off and not Latency.parse("0.5").off
    with pytest.raises(ValueError):
        EmulatorConfig(latency=Latency(5, 10))


def _key() -> str:
    from voipbin_harness.emulator.tenants import ALPHA

    return ALPHA.accesskey


def test_the_command_line_starts_with_latency_and_says_so() -> None:
    """``voipbin-harness emulator --latency 60:10``: in the start-up lines, the config, every answer."""
    proc = subprocess.Popen([sys.executable, "-m", "voipbin_harness", "emulator", "--port", str(CLI_PORT),
                             "--latency", "60:10", "--no-rate-limit"], cwd=repo_root(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        assert proc.stdout is not None
        banner = []
        for line in proc.stdout:  # the child prints a handful of lines, then "listening on"
            banner.append(line.rstrip())
            if line.startswith("listening on") or len(banner) > 50:
                break
        assert banner[-1] == f"listening on http://127.0.0.1:{CLI_PORT}", banner
        assert any("latency 60:10 ms" in line for line in banner), banner
        origin = f"http://127.0.0.1:{CLI_PORT}"
        assert httpx.get(origin + CONTROL + "/config", timeout=10).json()["latency"] == "60:10"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
