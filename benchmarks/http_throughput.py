"""HTTP throughput benchmark for the emulator's transport (a script, not a test).

The server runs in a child process pinned to one core and the load generator on the
other, so the figure is "what one core of this machine serves".  Load goes to
127.0.0.1 only, for a bounded time.  Examples::

    python benchmarks/http_throughput.py                       # our server, app or trivial handler
    python benchmarks/http_throughput.py --server uvicorn      # ours vs uvicorn, same trivial handler
    python benchmarks/http_throughput.py --tool python -H "Authorization: Bearer TOKEN"

``--tool wrk`` (default when installed: ``apt-get install -y wrk``) is the reference; the
built-in ``python`` client (uvloop + httptools, closed loop, one request in flight per
connection) needs nothing else but costs more client CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOST = "127.0.0.1"  # never anything else: this is a load generator
MAX_DURATION = 120.0
TRIVIAL_BODY = (
    b'{"result":[{"id":"6f1c0f52-1b8e-4c7e-9a43-1d2f0b7c9e11","customer_id":'
    b'"5e4a0680-804e-11ec-8477-2fea5968d85b","type":"flow","name":"benchmark flow",'
    b'"detail":"a static ~300 byte body","persist":true,"actions":[],'
    b'"tm_create":"2024-01-01 00:00:00.000000","tm_update":"9999-01-01 00:00:00.000000"}],'
    b'"next_page_token":"2024-01-01 00:00:00.000000"}'
)


@dataclass
class Result:
    server: str
    handler: str
    tool: str
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    non_2xx: int = 0
    errors: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- child: the server under test ------------------------------------------------------------

def _busy(seconds: float) -> None:
    """Stand-in for application work (``--work-us``): burns CPU like a real handler."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _load_handler(kind: str, work: float):  # -> (name, Handler)
    from voipbin_harness.emulator.server import Request, Response

    if kind in ("auto", "app"):
        try:
            from voipbin_harness.emulator.app import create_app
        except ModuleNotFoundError as exc:  # only a missing app falls back; a broken one fails loudly
            if kind == "app" or exc.name not in ("voipbin_harness.emulator.app", "voipbin_harness"):
                raise
        else:
            from voipbin_harness.emulator import EmulatorConfig
            from voipbin_harness.spec import load_spec

            # rate limits off: the benchmark measures serving, not 429s
            return "app", create_app(load_spec(), EmulatorConfig.without_limits())
    headers = [("Content-Type", "application/json")]

    def trivial(request: Request) -> Response:
        if work:
            _busy(work)
        return Response(200, TRIVIAL_BODY, headers)

    return "trivial", trivial


def _asgi_trivial(work: float):
    start = {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", b"application/json")]}
    body = {"type": "http.response.body", "body": TRIVIAL_BODY}

    async def app(scope, receive, send):
        if scope["type"] == "http":
            if work:
                _busy(work)
            await send(start)
            await send(body)

    return app


def _announce(port: int, name: str) -> None:
    """Tell the parent we listen, then send our stdout to stderr: nobody drains the pipe after."""
    print(f"READY {port} {name}", flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())


def child_main(server: str, handler_kind: str, cpu: int | None, work: float) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    if server == "uvicorn":
        import uvicorn

        sock = socket.create_server((HOST, 0), backlog=1024)
        _announce(sock.getsockname()[1], "trivial")
        config = uvicorn.Config(_asgi_trivial(work), loop="uvloop", http="httptools", lifespan="off",
                                access_log=False, log_level="warning", server_header=False, date_header=False)
        uvicorn.Server(config).run(sockets=[sock])
        return
    from voipbin_harness.emulator.server import EmulatorServer

    name, handler = _load_handler(handler_kind, work)
    srv = EmulatorServer(handler, HOST, 0)
    srv.serve_forever(on_ready=lambda: _announce(srv.port, name))


# --- parent: spawn, load, report --------------------------------------------------------------

def spawn(server: str, handler_kind: str, cpu: int | None,
          work_us: float) -> tuple[subprocess.Popen[str], int, str]:
    cmd = [sys.executable, __file__, "--child", server, "--handler", handler_kind, "--work-us", str(work_us)]
    if cpu is not None:
        cmd += ["--server-cpu", str(cpu)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)  # bounded: a hung start must not hang us
    line = proc.stdout.readline() if ready else ""  # the child prints READY or dies
    if not line.startswith("READY "):
        proc.kill()
        raise SystemExit(f"{server} server did not start (exit {proc.wait()})")
    _, port, name = line.split()
    return proc, int(port), name


def _to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def run_wrk(res: Result, port: int, args: argparse.Namespace, cpu: int | None, duration: float) -> None:
    cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{max(1, round(duration))}s", "--latency",
           "--timeout", "5s"]
    for header in args.header:
        cmd += ["-H", header]
    cmd.append(f"http://{HOST}:{port}{args.path}")
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, preexec_fn=pin)
    out = done.stdout
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if not m:
        raise SystemExit(f"could not read wrk's output (exit {done.returncode}):\n{out}{done.stderr}")
    res.requests = int(m.group(1))
    res.seconds = float(m.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M):
            setattr(res, attr, _to_ms(m.group(1)))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        res.non_2xx = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        res.errors = sum(map(int, m.groups()))


class _Client(asyncio.Protocol):
    """One closed-loop connection: send, wait for the whole response, record, repeat."""

    def __init__(self, request: bytes, deadline: float, lat: list[float], status: Counter[int]) -> None:
        import httptools

        self.request, self.deadline, self.lat, self.status = request, deadline, lat, status
        self.cut_short = False  # the server closed before the deadline
        self.parser = httptools.HttpResponseParser(self)
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.t0 = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.t0 = time.perf_counter()
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        now = time.perf_counter()
        self.lat.append(now - self.t0)
        self.status[self.parser.get_status_code()] += 1
        if now < self.deadline:
            self.t0 = now
            self.transport.write(self.request)  # type: ignore[attr-defined]
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cut_short = time.perf_counter() < self.deadline
        if not self.done.done():
            self.done.set_result(None)


async def _python_load(port: int, args: argparse.Namespace,
                       duration: float) -> tuple[list[float], Counter[int], int, float]:
    head = f"GET {args.path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n" + "".join(f"{h}\r\n" for h in args.header)
    request = (head + "\r\n").encode("latin-1")
    lat: list[float] = []
    status: Counter[int] = Counter()
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    deadline = start + duration
    factory = functools.partial(_Client, request, deadline, lat, status)
    connecting = [loop.create_connection(factory, HOST, port) for _ in range(args.connections)]
    results = await asyncio.gather(*connecting, return_exceptions=True)
    clients = [proto for r in results if not isinstance(r, BaseException) for proto in [r[1]]]
    errors = len(results) - len(clients)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.done for c in clients)), duration + 30)
    except TimeoutError:
        errors += 1
    errors += sum(c.cut_short for c in clients)
    return lat, status, errors, time.perf_counter() - start


def run_python(res: Result, port: int, args: argparse.Namespace, cpu: int | None, duration: float) -> None:
    import uvloop

    before = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        lat, status, errors, seconds = uvloop.run(_python_load(port, args, duration))
    finally:
        os.sched_setaffinity(0, before)
    lat.sort()
    res.requests, res.seconds, res.errors = len(lat), seconds, errors
    res.non_2xx = sum(n for code, n in status.items() if not 200 <= code < 400)
    if lat:
        res.p50_ms = lat[len(lat) // 2] * 1e3
        res.p99_ms = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3


def _login(port: int) -> str:
    """A JWT of the seeded alpha admin, so the app benchmark measures authenticated, stateful reads."""
    import httpx

    from voipbin_harness.emulator.tenants import ALPHA

    answer = httpx.post(f"http://{HOST}:{port}/auth/login",
                        json={"username": ALPHA.admin.username, "password": ALPHA.admin.password}, timeout=10)
    answer.raise_for_status()
    return answer.json()["token"]


def bench(server: str, handler_kind: str, tool: str, args: argparse.Namespace,
          cpus: tuple[int | None, int | None]) -> Result:
    proc, port, name = spawn(server, handler_kind, cpus[0], args.work_us)
    res = Result(server="ours" if server == "ours" else "uvicorn", handler=name, tool=tool)
    runner = run_wrk if tool == "wrk" else run_python
    try:
        if name == "app" and not any(h.lower().startswith("authorization:") for h in args.header):
            args.header = [*args.header, f"Authorization: Bearer {_login(port)}"]
        if args.warmup > 0:
            runner(Result(server, name, tool), port, args, cpus[1], args.warmup)
        runner(res, port, args, cpus[1], args.duration)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.returncode not in (0, -signal.SIGTERM):
        res.notes.append(f"server exited {proc.returncode}")
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0,
                   help=f"seconds of measured load (1-{MAX_DURATION:g})")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load first (0-10)")
    p.add_argument("--connections", "-c", type=int, default=32,
                   help="concurrent keep-alive connections (1-1024)")
    p.add_argument("--path", default="/v1.0/flows?page_size=10", help="request target (path and query)")
    p.add_argument("--header", "-H", action="append", default=[], help="extra request header, repeatable")
    p.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto", help="load generator")
    p.add_argument("--server", choices=("ours", "uvicorn"), default="ours",
                   help="'uvicorn': also run the trivial handler under uvicorn and print both side by side")
    p.add_argument("--handler", choices=("auto", "app", "trivial"), default="auto",
                   help="auto: voipbin_harness.emulator.app:create_app() if importable, else trivial")
    p.add_argument("--work-us", type=float, default=0.0,
                   help="busy-wait this many microseconds in the trivial handler (simulated app work)")
    p.add_argument("--server-cpu", type=int, default=None,
                   help="core for the server (default: first allowed)")
    p.add_argument("--child", choices=("ours", "uvicorn"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child_main(args.child, args.handler, args.server_cpu, args.work_us / 1e6)
        return 0
    if not (1 <= args.duration <= MAX_DURATION and 0 <= args.warmup <= 10 and 1 <= args.connections <= 1024
            and 0 <= args.work_us <= 100_000):
        p.error("duration must be 1-120 s, warmup 0-10 s, connections 1-1024, work-us 0-100000")
    if not args.path.startswith("/"):
        p.error("--path must start with '/' (the host is always 127.0.0.1)")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    if tool == "wrk" and not shutil.which("wrk"):
        p.error("wrk is not installed (apt-get install -y wrk), use --tool python")
    allowed = sorted(os.sched_getaffinity(0))
    cpus: tuple[int | None, int | None] = (None, None)
    if len(allowed) >= 2:
        server_cpu = args.server_cpu if args.server_cpu is not None else allowed[0]
        cpus = (server_cpu, next(c for c in allowed if c != server_cpu))
    else:
        print("warning: fewer than 2 cores allowed, server and client share the CPU", file=sys.stderr)

    runs = [("ours", "trivial" if args.server == "uvicorn" else args.handler)]
    if args.server == "uvicorn":
        runs.append(("uvicorn", "trivial"))
    work = f", trivial handler busy {args.work_us:g} us" if args.work_us else ""
    print(f"# {tool}, {args.connections} connections, {args.duration:g} s (+{args.warmup:g} s warm-up), "
          f"GET http://{HOST}:PORT{args.path}, server cpu {cpus[0]}, client cpu {cpus[1]}{work}")
    results = [bench(server, kind, tool, args, cpus) for server, kind in runs]
    print(f"{'server':<8} {'handler':<8} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'requests':>9} "
          f"{'non-2xx':>7} {'errors':>6}")
    for r in results:
        print(f"{r.server:<8} {r.handler:<8} {r.rps:>9.0f} {r.p50_ms:>7.2f} {r.p99_ms:>7.2f} {r.requests:>9} "
              f"{r.non_2xx:>7} {r.errors:>6}  {'; '.join(r.notes)}")
    if len(results) == 2 and results[1].rps:
        print(f"ours/uvicorn: {results[0].rps / results[1].rps:.2f}x req/s, "
              f"p99 {results[0].p99_ms:.2f} vs {results[1].p99_ms:.2f} ms")
    ours = results[0]
    verdict = "meets" if ours.rps >= 10_000 and ours.p99_ms < 10 and not ours.non_2xx else "misses"
    print(f"target (>= 10000 req/s, p99 < 10 ms, all 2xx/3xx) with the {ours.handler} handler: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
