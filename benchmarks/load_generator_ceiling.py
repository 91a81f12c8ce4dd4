"""How many requests per second can the load generator itself send on this machine?

A load test is only worth its numbers below the generator's own ceiling, so this measures it,
for the same endpoint (authenticated ``GET /v1.0/flows?page_size=10`` on the embedded emulator,
all rate limits off), four ways, plus wrk as the reference for what the server could take:

- raw Locust: a plain ``FastHttpUser`` in a closed loop (no wait), 1 process and ``--processes 2``;
- voipbin-harness: the capacity profile's open-model machinery (tickets, HDR latency from the
  scheduled send time, per-step stats), one step offered far above the ceiling, 1 and 2 processes;
- wrk (if installed): the server's ceiling, to tell which side was the limit.

Traffic goes to 127.0.0.1 only, for a bounded time. Run from the repository root::

    python benchmarks/load_generator_ceiling.py [--seconds 8] [--offered 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voipbin_harness.emulator.process import EmulatorProcess  # noqa: E402
from voipbin_harness.emulator.tenants import ALPHA  # noqa: E402

MAX_SECONDS = 60.0
RAW_LOCUSTFILE = '''
import os
from locust import FastHttpUser, constant, task

TOKEN = []


class Raw(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        if not TOKEN:
            r = self.client.post("/auth/login", json={"username": os.environ["VOIPBIN_USERNAME"],
                                                      "password": os.environ["VOIPBIN_PASSWORD"]})
            TOKEN.append(r.json()["token"])
        self.headers = {"Authorization": "Bearer " + TOKEN[0]}

    @task
    def flows(self):
        self.client.get("/v1.0/flows?page_size=10", headers=self.headers, name="/v1.0/flows")
'''
PROFILE = '''
[capacity]
start_rate = 250
rate = {offered}
step_factor = 1.5
settle = 0.5
hold = 1.5
auth = "bearer"
page_size = 10

[capacity.weights]
"GET /flows" = 1
'''


def env() -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("VOIPBIN_")}
    values.update(VOIPBIN_USERNAME=ALPHA.admin.username, VOIPBIN_PASSWORD=ALPHA.admin.password)
    return values


def raw_locust(origin: str, processes: int, seconds: float, users: int, work: Path) -> dict:
    locustfile = work / "raw_locustfile.py"
    locustfile.write_text(RAW_LOCUSTFILE)
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", origin,
           "-u", str(users), "-r", str(users), "-t", f"{int(seconds)}s", "--only-summary",
           "--csv", str(work / f"raw{processes}"), "--loglevel", "WARNING"]
    if processes > 1:
        cmd += ["--processes", str(processes)]
    subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=seconds + 60, cwd=ROOT)
    row = next(line for line in (work / f"raw{processes}_stats.csv").read_text().splitlines()
               if ",/v1.0/flows," in line)
    fields = row.split(",")
    header = (work / f"raw{processes}_stats.csv").read_text().splitlines()[0].split(",")
    data = dict(zip(header, fields, strict=False))
    return {"rps": float(data["Requests/s"]), "p50": float(data["50%"]), "p99": float(data["99%"]),
            "note": f"closed loop, {users} users, Locust's own timing"}


RELAXED = """
[generator]  # the benchmark wants the whole curve: no step is ruled out for generator lag or CPU
max_send_lag_ms = 100000.0
max_cpu_percent = 1000.0

[capacity]  # ... nor does a latency SLO end the ramp early: like raw Locust, it runs to the ceiling
p95_ms = 100000.0
p99_ms = 100000.0
"""


def harness(origin: str, processes: int, seconds: float, offered: float, work: Path) -> dict:
    """A capacity ramp (250 req/s x1.5 per 2 s step) with the generator limits and latency SLOs
    relaxed, so that it runs to the generator's (or the server's) ceiling, as raw Locust does.
    Two ceilings: the highest rate achieved at all, and the highest rate sent *on schedule*
    (generator lag p99 <= 10 ms, achieved >= 95% of offered) - the one a capacity run may trust."""
    profiles = work / f"profiles{processes}.toml"
    profiles.write_text(PROFILE.format(offered=offered))
    relaxed = work / "relaxed.toml"
    relaxed.write_text(RELAXED)
    report = work / f"harness{processes}"
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "load" / "capacity.py"), "--headless",
           "--host", origin, "--only-summary", "--loglevel", "WARNING", "--vb-profiles", str(profiles),
           "--vb-report-dir", str(report), "--vb-duration", "24", "--vb-thresholds", str(relaxed)]
    if processes > 1:
        cmd += ["--processes", str(processes)]
    subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=seconds + 90, cwd=ROOT)
    summary = json.loads((report / "summary.json").read_text())
    steps = summary["steps"]
    best = max(steps, key=lambda s: s["rps"])
    on_time = [s for s in steps if (s["send_lag_p99"] or 0) <= 10 and s["rps"] >= 0.95 * s["offered_rps"]]
    trusted = max((s["offered_rps"] for s in on_time), default=0.0)
    return {"rps": best["rps"], "p50": best["p50"], "p99": best["p99"],
            "note": f"open model ramp: most achieved at {best['offered_rps']:g} offered (lag p99 "
                    f"{best['send_lag_p99']} ms, CPU {best['cpu_percent']}%); on schedule up to {trusted:g} req/s"}


def wrk(origin: str, seconds: float, token: str) -> dict | None:
    if not shutil.which("wrk"):
        return None
    done = subprocess.run(["wrk", "-t1", "-c32", f"-d{int(seconds)}s", "--latency", "-H",
                           f"Authorization: Bearer {token}", f"{origin}/v1.0/flows?page_size=10"],
                          capture_output=True, text=True, timeout=seconds + 30)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    p50 = re.search(r"50%\s+([0-9.]+)(\w+)", done.stdout)
    p99 = re.search(r"99%\s+([0-9.]+)(\w+)", done.stdout)

    def ms(match: re.Match[str] | None) -> float | None:
        if not match:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}.get(match.group(2), 1.0)
        return round(float(match.group(1)) * scale, 3)

    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms(p50), "p99": ms(p99),
            "note": "closed loop, 32 connections, 1 thread (C)"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per raw/wrk measurement; the ramp takes up to 20 s (max 60)")
    parser.add_argument("--offered", type=float, default=20000.0, help="open-model offered rate, far above the ceiling")
    parser.add_argument("--users", type=int, default=64, help="raw Locust users (closed loop)")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 3.0), MAX_SECONDS)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    rows: list[tuple[str, int, dict | None]] = []
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(["--no-rate-limit"]) as emulator:
        work = Path(tmp)
        import httpx

        token = httpx.post(f"{emulator.origin}/auth/login", json={"username": ALPHA.admin.username,
                                                                  "password": ALPHA.admin.password}).json()["token"]
        for label, processes, run in (
            ("wrk (server reference)", 1, lambda: wrk(emulator.origin, seconds, token)),
            ("raw Locust FastHttpUser", 1, lambda: raw_locust(emulator.origin, 1, seconds, args.users, work)),
            ("raw Locust FastHttpUser", 2, lambda: raw_locust(emulator.origin, 2, seconds, args.users, work)),
            ("voipbin-harness open model", 1, lambda: harness(emulator.origin, 1, seconds, args.offered, work)),
            ("voipbin-harness open model", 2, lambda: harness(emulator.origin, 2, seconds, args.offered, work)),
        ):
            started = time.time()
            result = run()
            rows.append((label, processes, result))
            if result is not None:
                print(f"{label:28s} processes={processes}  {result['rps']:9.1f} req/s  p50 {result['p50']} ms  "
                      f"p99 {result['p99']} ms  ({result['note']}; {time.time() - started:.0f} s)", flush=True)
            else:
                print(f"{label:28s} skipped (not installed)", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
