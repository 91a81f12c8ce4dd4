"""Lean HTTP/1.1 transport for the VoIPBIN emulator (asyncio + uvloop + httptools).

Why not uvicorn/ASGI: the emulator must answer >= 10k req/s on one core, and the
ASGI layers (scope dicts, receive/send coroutines, a task per request) cost more
than the application itself.  Here httptools callbacks fill per-connection state
and the synchronous handler is called inline from ``on_message_complete``; every
response is one pre-assembled ``bytes`` written once per ``data_received``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from urllib.parse import parse_qs

import httptools
import uvloop

__all__ = ["EmulatorServer", "Handler", "Request", "Response"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Request:
    """One parsed request; ``path``/``query`` are raw (not percent-decoded)."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    _query_params: dict[str, list[str]] | None = field(default=None, init=False, repr=False, compare=False)
    _cookies: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def query_params(self) -> dict[str, list[str]]:
        """Parsed query (computed once, on demand: most requests never need it)."""
        if self._query_params is None:
            self._query_params = parse_qs(self.query, keep_blank_values=True)
        return self._query_params

    def cookies(self) -> dict[str, str]:
        """Cookie header as a dict; first occurrence of a name wins, quotes stripped."""
        if self._cookies is None:
            jar: dict[str, str] = {}
            for part in self.headers.get("cookie", "").split(";"):
                name, sep, value = part.partition("=")
                name, value = name.strip(), value.strip()
                if sep and name and name not in jar:
                    if len(value) >= 2 and value[0] == value[-1] == '"':
                        value = value[1:-1]
                    jar[name] = value
            self._cookies = jar
        return self._cookies


@dataclass(slots=True)
class Response:
    """Handler result; the server adds Content-Length (and Connection when needed)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[Request], Response]

_STATUS_LINES = {int(s): f"HTTP/1.1 {int(s)} {s.phrase}\r\n".encode() for s in HTTPStatus}
_METHODS: dict[bytes, str] = {}  # llhttp only accepts known methods, so this stays small
_NAMES: dict[bytes, str] = {}  # raw header name -> lower-cased str, bounded below
_NO_BODY = frozenset({204, 304})  # plus 1xx: no Content-Length, no body
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_ERRORS = {
    s: _STATUS_LINES[s] + b"Content-Length: 0\r\nConnection: close\r\n\r\n" for s in (400, 413, 500)
}
_ERROR_500_KEEP = _STATUS_LINES[500] + b"Content-Length: 0\r\n\r\n"


def _render(resp: Response, head: bool, extra: bytes) -> tuple[bytes, bool]:
    """Serialise ``resp``; returns (bytes, handler asked to close).  Raises on bad input."""
    status = resp.status
    line = _STATUS_LINES.get(status)
    if line is None:
        if not 100 <= status <= 999:
            raise ValueError(f"invalid HTTP status {status!r}")
        line = b"HTTP/1.1 %d \r\n" % status
    body = resp.body
    length = len(body)
    close = False
    block = b""
    if resp.headers:
        parts = []
        for name, value in resp.headers:
            low = name.lower()
            if low == "content-length":  # framing is ours; HEAD may state GET's length
                if head:
                    length = int(value)
                continue
            if low == "transfer-encoding":
                continue
            if low == "connection" and "close" in value.lower():
                close = True
            parts.append(f"{name}: {value}\r\n")
        text = "".join(parts)
        if text.count("\n") != len(parts) or text.count("\r") != len(parts):
            raise ValueError("CR/LF inside a response header")  # response splitting
        block = text.encode("latin-1")
    if status < 200 or status in _NO_BODY:
        return b"%s%s%s\r\n" % (line, block, extra), close
    head_bytes = b"%s%sContent-Length: %d\r\n%s\r\n" % (line, block, length, extra)
    return (head_bytes if head else head_bytes + body), close


class _Protocol(asyncio.Protocol):
    """One connection: httptools parser callbacks write straight into slots."""

    __slots__ = ("_handler", "_conns", "_max_body", "_parser", "_transport", "_client_ip",
                 "_out", "_closing", "_url", "_headers", "_body", "_size", "_raw_need", "_raw_req")

    def __init__(self, handler: Handler, conns: set[_Protocol], max_body: int) -> None:
        self._handler, self._conns, self._max_body = handler, conns, max_body
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._client_ip = ""
        self._out: list[bytes] = []
        self._closing = False
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0
        self._raw_need = 0  # body bytes still owed by an Upgrade request (httptools skips them)
        self._raw_req: tuple[Request, bool] | None = None

    # -- asyncio.Protocol -------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._client_ip = peer[0] if peer else ""
        self._conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._conns.discard(self)

    def pause_writing(self) -> None:  # client not reading: stop reading its requests too
        self._transport.pause_reading()  # type: ignore[union-attr]

    def resume_writing(self) -> None:
        self._transport.resume_reading()  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        out = self._out = []
        while data and not self._closing:
            if self._raw_need:
                data = self._take_raw(data)
                continue
            try:
                self._parser.feed_data(data)
                data = b""
            except httptools.HttpParserUpgrade as exc:  # parser already resumed by httptools
                data = data[exc.args[0]:]
            except httptools.HttpParserCallbackError:
                if not self._closing:  # a bug of ours, not the client's: say so once
                    log.exception("emulator: internal error in HTTP callback")
                    self._fail(500)
            except httptools.HttpParserError:
                if not self._closing:  # else: bytes after our close are moot
                    self._fail(400)
        if out:
            self._transport.write(out[0] if len(out) == 1 else b"".join(out))  # type: ignore[union-attr]
        if self._closing:
            self._transport.close()  # type: ignore[union-attr]

    def _fail(self, status: int) -> None:
        self._out.append(_ERRORS[status])
        self._closing = True

    def _take_raw(self, data: bytes) -> bytes:
        chunk, rest = data[: self._raw_need], data[self._raw_need :]
        self._body.append(chunk)
        self._raw_need -= len(chunk)
        if not self._raw_need and self._raw_req is not None:
            request, keep_alive = self._raw_req
            self._raw_req = None
            request.body = b"".join(self._body)
            self._respond(request, keep_alive)
        return rest

    # -- httptools callbacks ---------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []
        self._size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = _NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
            if len(_NAMES) < 4096:
                _NAMES[name] = key
        text = value.decode("latin-1").rstrip(" \t")
        headers = self._headers
        if key in headers:
            text = headers[key] + ("; " if key == "cookie" else ", ") + text
        headers[key] = text

    def on_headers_complete(self) -> None:
        expect = self._headers.get("expect")
        if expect is not None and expect.lower() == "100-continue" and self._parser.get_http_version() == "1.1":
            self._out.append(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._max_body:
            self._fail(413)
            raise httptools.HttpParserError("body too large")  # stop parsing this buffer
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._closing:
            return
        url = self._url
        if url[:1] != b"/" and b"://" in url:  # absolute-form: drop scheme://authority
            slash = url.find(b"/", url.find(b"://") + 3)
            url = url[slash:] if slash >= 0 else b"/"
        hash_at = url.find(b"#")
        if hash_at >= 0:
            url = url[:hash_at]
        path, _, query = url.partition(b"?")
        method_raw = self._parser.get_method()
        method = _METHODS.get(method_raw)
        if method is None:
            method = _METHODS[method_raw] = method_raw.decode("ascii")
        headers = self._headers
        body = b"".join(self._body) if self._body else b""
        request = Request(method, path.decode("latin-1"), query.decode("latin-1"), headers, body, self._client_ip)
        keep_alive = self._parser.should_keep_alive()
        if "upgrade" in headers and self._parser.should_upgrade():
            if "chunked" in headers.get("transfer-encoding", ""):
                self._fail(400)  # httptools cannot de-chunk after an upgrade
                return
            self._raw_need = int(headers.get("content-length") or 0)
            if self._raw_need:
                self._raw_req = (request, keep_alive)  # answered once _take_raw has the body
                return
        self._respond(request, keep_alive)

    def _respond(self, request: Request, keep_alive: bool) -> None:
        if not keep_alive:
            extra = b"Connection: close\r\n"
        elif "keep-alive" in request.headers.get("connection", "").lower():
            extra = b"Connection: keep-alive\r\n"  # HTTP/1.0 clients need the echo
        else:
            extra = b""
        try:
            data, close = _render(self._handler(request), request.method == "HEAD", extra)
        except Exception:
            log.exception("emulator: handler failed for %s %s", request.method, request.path)
            data, close = (_ERROR_500_KEEP if keep_alive else _ERRORS[500]), False
        self._out.append(data)
        if close or not keep_alive:
            self._closing = True


class EmulatorServer:
    """Serve ``handler`` over HTTP/1.1; in a daemon thread (``start``) or foreground.

    The handler runs on the server's event-loop thread, one request at a time.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0, *,
                 backlog: int = 1024, max_body_size: int = 64 * 1024 * 1024) -> None:
        self.handler, self.host, self.port = handler, host, port
        self.backlog, self.max_body_size = backlog, max_body_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        """Bind synchronously so errors surface in the caller and ``port`` is known at once."""
        where = f"{self.host}:{self.port}"
        try:
            if not 0 <= self.port <= 65535:
                raise OSError(errno.EINVAL, "port must be between 0 and 65535")
            family, kind, proto, _, addr = socket.getaddrinfo(
                self.host or None, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not REUSEPORT: clash = error
                sock.bind(addr)
                sock.listen(self.backlog)
                sock.setblocking(False)
            except BaseException:
                sock.close()
                raise
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {where}: {exc.strerror or exc}") from exc
        self.port = sock.getsockname()[1]
        return sock

    async def _serve(self, sock: socket.socket, on_ready: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._stop_event = loop, asyncio.Event()
        conns: set[_Protocol] = set()
        server = await loop.create_server(
            lambda: _Protocol(self.handler, conns, self.max_body_size), sock=sock, backlog=self.backlog)
        on_ready()
        try:
            await self._stop_event.wait()
        finally:
            server.close()
            for conn in list(conns):
                if conn._transport is not None:
                    conn._transport.close()
            await asyncio.sleep(0)  # let the close callbacks run before the loop goes

    def start(self) -> EmulatorServer:
        """Listen, serve from a daemon thread, and return once accepting connections."""
        if self._thread is not None:
            raise RuntimeError("EmulatorServer already started")
        sock = self._bind()
        ready, failure = threading.Event(), []

        def run() -> None:
            loop = uvloop.new_event_loop()
            try:
                loop.run_until_complete(self._serve(sock, ready.set))
            except BaseException as exc:  # only reachable before ready (create_server failed)
                failure.append(exc)
            finally:
                sock.close()
                loop.close()
                ready.set()

        self._thread = threading.Thread(target=run, name=f"emulator-http-{self.port}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise OSError(f"cannot serve on {self.host}:{self.port}: {failure[0]}") from failure[0]
        return self

    def stop(self) -> None:
        """Close the listener and all connections, then join the thread (idempotent)."""
        loop, event, thread = self._loop, self._stop_event, self._thread
        if loop is not None and event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # loop closed meanwhile
                pass
        if thread is not None and thread is not threading.current_thread():
            thread.join()
            self._thread = None

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Serve in the foreground until SIGINT/SIGTERM (or ``stop()``), then return.

        ``on_ready`` runs once listening (``port``/``base_url`` are real), e.g. to print a banner.
        """
        sock = self._bind()
        loop = uvloop.new_event_loop()
        signals = (signal.SIGINT, signal.SIGTERM)

        def ready() -> None:
            if on_ready is not None:
                on_ready()
            for sig in signals:
                try:
                    loop.add_signal_handler(sig, self._stop_event.set)  # type: ignore[union-attr]
                except (ValueError, RuntimeError, NotImplementedError):  # not the main thread
                    pass

        try:
            loop.run_until_complete(self._serve(sock, ready))
        except KeyboardInterrupt:  # signal landed before the handlers were installed
            pass
        finally:
            for sig in signals:
                try:
                    loop.remove_signal_handler(sig)
                except (ValueError, RuntimeError, NotImplementedError):
                    pass
            sock.close()
            loop.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
