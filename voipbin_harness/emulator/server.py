"""Lean HTTP/1.1 transport for the VoIPBIN emulator: asyncio + uvloop + httptools.

Why not uvicorn/ASGI: the emulator must serve >= 10k req/s on one core, and ASGI's scope
dicts, receive/send coroutines and per-request task cost more than the application does.
Here httptools callbacks fill per-connection slots, the synchronous handler is called
inline from ``on_message_complete``, and each ``data_received`` ends in one ``write``.

Added latency (``--latency``, ``latency.py``): the answers of one ``data_received`` are held on
the event loop (``call_at``), never by sleeping, so other connections are served meanwhile; a
connection's answers leave in the order of its requests, whatever delays were drawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs

import httptools
import uvloop

__all__ = ["EmulatorServer", "Handler", "Request", "Response", "query_of"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Request:
    """One request. ``path`` and ``query`` are raw (not percent-decoded); header names lower-case."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    _query_params: dict[str, list[str]] | None = field(default=None, init=False, repr=False, compare=False)
    _cookies: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def query_params(self) -> dict[str, list[str]]:
        """Parsed query, computed on first use: most requests never ask."""
        if self._query_params is None:
            self._query_params = parse_qs(self.query, keep_blank_values=True)
        return self._query_params

    def cookies(self) -> dict[str, str]:
        """The Cookie header as a dict; the first occurrence of a name wins, quotes stripped."""
        if self._cookies is None:
            jar: dict[str, str] = {}
            for part in self.headers.get("cookie", "").split(";"):
                name, sep, value = (s.strip() for s in part.partition("="))
                if sep and name and name not in jar:
                    jar[name] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
            self._cookies = jar
        return self._cookies



_EMPTY_QUERY: dict[str, list[str]] = {}
_QUERIES: dict[str, dict[str, list[str]]] = {}  # query string -> parsed; read-only, bounded
_QUERIES_MAX = 4096


def query_of(request: Request) -> dict[str, list[str]]:
    """The parsed query, shared between requests with the same query string (the hot path repeats it)."""
    text = request.query
    if not text:
        return _EMPTY_QUERY
    parsed = _QUERIES.get(text)
    if parsed is None:
        if len(_QUERIES) >= _QUERIES_MAX:
            _QUERIES.clear()
        parsed = _QUERIES[text] = request.query_params()
    return parsed

@dataclass(slots=True)
class Response:
    """Handler result. The server writes Content-Length (its own; HEAD may declare one)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[Request], Response]
Delay = Callable[[], float]  # seconds to hold the next answer (0: send at once)

_STATUS_LINES = {int(s): f"HTTP/1.1 {int(s)} {s.phrase}\r\n".encode() for s in HTTPStatus}
_CACHE_MAX = 4096  # the caches below start afresh when full: bounded, yet they keep up with the app
_NAMES: dict[bytes, str] = {}  # raw header name -> lower-case str
_METHODS: dict[bytes, str] = {}  # llhttp accepts known methods only
_HEADS: dict[tuple[object, ...], tuple[bytes, bool, int | None]] = {}  # (status, *headers) -> rendered
_NO_BODY = frozenset({204, 304})  # and 1xx: neither Content-Length nor body
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_ERRORS = {s: _STATUS_LINES[s] + b"Content-Length: 0\r\nConnection: close\r\n\r\n" for s in (400, 500)}
_ERROR_500_KEEP = _STATUS_LINES[500] + b"Content-Length: 0\r\n\r\n"


def _head(status: int, headers: list[tuple[str, str]]) -> tuple[bytes, bool, int | None]:
    """Status line + header block, 'handler asked to close', HEAD's declared length; cached."""
    line = _STATUS_LINES.get(status) or b"HTTP/1.1 %03d \r\n" % status
    close, declared, parts = False, None, []
    for name, value in headers:
        low = name.lower()
        if low == "content-length":  # framing is the server's business
            declared = int(value)
        elif low != "transfer-encoding":
            close = close or (low == "connection" and "close" in value.lower())
            parts.append(f"{name}: {value}\r\n")
    text = "".join(parts)
    if text.count("\n") != len(parts) or text.count("\r") != len(parts):
        raise ValueError(f"CR/LF inside a response header: {headers!r}")  # response splitting
    if len(_HEADS) >= _CACHE_MAX:
        _HEADS.clear()
    result = _HEADS[(status, *headers)] = (line + text.encode("latin-1"), close, declared)
    return result


class _Protocol(asyncio.Protocol):
    """One connection; parser callbacks write straight into slots, no per-request objects but the Request."""

    __slots__ = ("_handler", "_conns", "_parser", "_transport", "_client_ip", "_out", "_closing",
                 "_url", "_headers", "_body", "_delay", "_loop", "_held", "_due")

    def __init__(self, handler: Handler, conns: set[_Protocol], delay: Delay | None = None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._handler, self._conns, self._parser = handler, conns, httptools.HttpRequestParser(self)
        self._delay, self._loop = delay, loop
        self._held: deque[tuple[bytes, bool]] = deque()  # answers waiting out their latency, in order
        self._due = 0.0  # loop time the last held answer leaves: no later answer may leave before it
        self._transport: asyncio.Transport | None = None
        self._client_ip, self._out, self._closing = "", [], False
        self._url, self._headers, self._body = b"", {}, []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._client_ip = peer[0] if peer else ""
        self._conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._conns.discard(self)

    def pause_writing(self) -> None:  # the client is not reading: stop reading its requests too
        self._transport.pause_reading()  # type: ignore[union-attr]

    def resume_writing(self) -> None:
        self._transport.resume_reading()  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        out = self._out = []  # responses of pipelined requests leave in one write
        while data and not self._closing:
            try:
                self._parser.feed_data(data)
                data = b""
            except httptools.HttpParserUpgrade as exc:  # httptools has already resumed the parser
                data = data[exc.args[0]:]
            except httptools.HttpParserCallbackError:
                if not self._closing:  # a bug of ours, not the client's
                    log.exception("emulator: internal error in an HTTP callback")
                    self._fail(500)
            except httptools.HttpParserError:
                if not self._closing:  # else these are bytes after our close: moot
                    self._fail(400)
        if out:
            self._send(out[0] if len(out) == 1 else b"".join(out), self._closing)
        elif self._closing:
            self._transport.close()  # type: ignore[union-attr]

    def _send(self, data: bytes, close: bool) -> None:
        """Write now, or hold for the added latency (behind any answer of this connection still held)."""
        wait = self._delay() if self._delay is not None else 0.0
        if wait <= 0 and not self._held:
            self._transport.write(data)  # type: ignore[union-attr]
            if close:
                self._transport.close()  # type: ignore[union-attr]
            return
        loop = self._loop or asyncio.get_running_loop()
        self._due = max(loop.time() + wait, self._due)
        self._held.append((data, close))
        loop.call_at(self._due, self._release)

    def _release(self) -> None:
        """One held answer leaves: always the oldest, so equal due times cannot reorder them."""
        data, close = self._held.popleft()
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # the client went away meanwhile
        transport.write(data)
        if close:
            transport.close()

    def _fail(self, status: int) -> None:
        self._out.append(_ERRORS[status])
        self._closing = True

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", {}, []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = _NAMES.get(name)
        if key is None:
            if len(_NAMES) >= _CACHE_MAX:
                _NAMES.clear()
            key = _NAMES[name] = name.decode("latin-1").lower()
        text = value.decode("latin-1").rstrip(" \t")
        headers = self._headers
        if key in headers:
            text = headers[key] + ("; " if key == "cookie" else ", ") + text
        headers[key] = text

    def on_headers_complete(self) -> None:
        expect = self._headers.get("expect")
        if expect and expect.lower() == "100-continue" and self._parser.get_http_version() == "1.1":
            self._out.append(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._closing:
            return
        url = self._url.partition(b"#")[0] if b"#" in self._url else self._url
        if url[:1] != b"/" and b"://" in url:  # absolute-form: drop scheme://authority
            slash = url.find(b"/", url.find(b"://") + 3)
            url = url[slash:] if slash >= 0 else b"/"
        path, _, query = url.partition(b"?")
        method = _METHODS.get(raw := self._parser.get_method()) or _METHODS.setdefault(raw, raw.decode())
        headers = self._headers
        body = b"".join(self._body) if self._body else b""
        request = Request(method, path.decode("latin-1"), query.decode("latin-1"), headers, body,
                          self._client_ip)
        if "upgrade" in headers and self._parser.should_upgrade() and (
                headers.get("content-length", "0") != "0" or "transfer-encoding" in headers):
            return self._fail(400)  # httptools skips an Upgrade request's body: refuse, don't desync
        self._respond(request, self._parser.should_keep_alive())

    def _respond(self, request: Request, keep_alive: bool) -> None:
        if not keep_alive:
            extra = b"Connection: close\r\n"
        elif "keep-alive" in request.headers.get("connection", "").lower():
            extra = b"Connection: keep-alive\r\n"  # HTTP/1.0 clients need the echo; harmless for 1.1
        else:
            extra = b""
        try:
            resp = self._handler(request)
            status, body = resp.status, resp.body
            prefix, close, declared = _HEADS.get((status, *resp.headers)) or _head(status, resp.headers)
            length = len(body)
            if request.method == "HEAD":
                body, length = b"", length if declared is None else declared
            if status < 200 or status in _NO_BODY:
                data = b"%s%s\r\n" % (prefix, extra)
            else:
                data = b"%sContent-Length: %d\r\n%s\r\n%s" % (prefix, length, extra, body)
        except Exception:
            log.exception("emulator: handler failed on %s %s", request.method, request.path)
            data, close = (_ERROR_500_KEEP if keep_alive else _ERRORS[500]), False
        self._out.append(data)
        self._closing = close or not keep_alive


class EmulatorServer:
    """Serve ``handler`` in a daemon thread (``start``/``stop``, a context manager) or the foreground.

    The handler runs on the server's loop thread, one request at a time, never concurrently;
    while it runs no other connection is served, so it must not block. ``delay`` (default: the
    handler's ``delay`` attribute, as ``EmulatorApp`` has) holds each answer on the loop.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0, *,
                 backlog: int = 1024, delay: Delay | None = None) -> None:
        self.handler, self.host, self.port, self.backlog = handler, host, port, backlog
        self.delay: Delay | None = delay if delay is not None else getattr(handler, "delay", None)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def base_url(self) -> str:
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        """Bind in the caller so that errors surface there and ``port`` is real at once."""
        try:
            if not 0 <= self.port <= 65535:
                raise OSError(errno.EINVAL, "port must be between 0 and 65535")
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.create_server((self.host, self.port), family=family, backlog=self.backlog)
            sock.setblocking(False)  # SO_REUSEADDR (TIME_WAIT) is set; not REUSEPORT: a clash must fail
        except OSError as exc:
            reason = (exc.strerror or str(exc)).split(" (while attempting")[0]
            raise OSError(exc.errno, f"cannot listen on {self.host}:{self.port}: {reason}") from exc
        self.port = sock.getsockname()[1]
        return sock

    async def _serve(self, sock: socket.socket, on_ready: Callable[[], None], signals: bool) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._stop_event, conns = loop, asyncio.Event(), set()
        server = await loop.create_server(
            lambda: _Protocol(self.handler, conns, self.delay, loop), sock=sock, backlog=self.backlog)
        sigs = (signal.SIGINT, signal.SIGTERM) if signals else ()
        for sig in sigs:
            with contextlib.suppress(ValueError, RuntimeError):  # ValueError: not the main thread
                loop.add_signal_handler(sig, self._stop_event.set)
        self._serving = True
        on_ready()
        try:
            await self._stop_event.wait()
        finally:
            self._serving = False
            for sig in sigs:  # uvloop's close() would leave its handlers in place
                with contextlib.suppress(ValueError, RuntimeError):
                    loop.remove_signal_handler(sig)
            server.close()
            for conn in list(conns):
                conn._transport.close()  # type: ignore[union-attr]
            await asyncio.sleep(0)  # let the close callbacks run before the loop goes

    def _run(self, sock: socket.socket, on_ready: Callable[[], None], signals: bool) -> None:
        loop = uvloop.new_event_loop()
        try:
            loop.run_until_complete(self._serve(sock, on_ready, signals))
        except KeyboardInterrupt:  # a signal landed before our handlers were installed
            pass
        finally:
            sock.close()
            loop.close()

    def start(self) -> EmulatorServer:
        """Listen, serve from a daemon thread with its own uvloop, return once accepting."""
        if self._thread is not None:
            raise RuntimeError("EmulatorServer already started")
        sock, ready = self._bind(), threading.Event()

        def run() -> None:
            try:
                self._run(sock, ready.set, signals=False)
            finally:
                ready.set()  # never leave start() waiting, even if create_server failed

        self._thread = threading.Thread(target=run, name=f"emulator-http-{self.port}", daemon=True)
        self._thread.start()
        ready.wait()
        if not self._serving:
            self._thread = None
            raise OSError(f"cannot serve on {self.host}:{self.port} (traceback above)")
        return self

    def stop(self) -> None:
        """Close the listener and every connection, then join the thread; idempotent."""
        loop, event, thread = self._loop, self._stop_event, self._thread
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)
        if thread is not None and thread is not threading.current_thread():
            thread.join()
            self._thread = None

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve in the foreground until SIGINT/SIGTERM (or ``stop()``), then return quietly.

        ``on_ready`` runs once listening (``port``/``base_url`` are real), e.g. to print a banner.
        """
        self._run(self._bind(), on_ready or (lambda: None), signals=True)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
