"""A stand-in suite for the report machinery's tests: ``python -m tests.report.fake_suite``.

It writes what a real suite writes (``summary.json`` through the real ``SummaryWriter``, JUnit
XML, allure results with an attachment, Locust-like load figures, a ``"pacing"`` block) and then
behaves as told: pass, fail, crash half way, hang (``hang``: dies on SIGINT without writing;
``hang-graceful``: on SIGINT writes its summary marked incomplete, as the real suites do;
``hang-deaf``: ignores SIGINT and SIGTERM, only SIGKILL stops it), refuse to run, or leak a
secret into its files and output, so that ``check`` can be tested on every way a suite can end
without the real suites' run time. ``--workers N`` spreads the findings over pytest-xdist-like
worker folders (``.workers/gw<i>/``) that only a finished run would merge.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

from voipbin_harness.findings import Finding, SummaryWriter

# (check, operation, key, message, expected, got)
CATALOG = [
    ("undeclared_status", "GET /flows/{id}", "404", "status 404 is not declared for this operation",
     "one of 200", "404"),
    ("error_envelope", "POST /calls", "message", "the error envelope has no message", "non-empty message",
     "{\"error\": {\"status\": \"INVALID_ARGUMENT\"}}"),
    ("tenant_isolation", "GET /flows", "leak", "a list answer includes another customer's item",
     "only items of customer a1a1", "item of customer b2b2"),
    ("pagination_contract", "GET /agents", "last-page", "the last page has a next_page_token",
     "empty next_page_token on the last page", "a token"),
    ("rate_limit_answer", "GET /calls", "retry-after", "a 429 without Retry-After", "Retry-After: <seconds>",
     "no Retry-After header"),
]


# what the scenario suites quote in their allure descriptions (conventions.rules): words, not secrets
PROMISE_QUOTE = ('BEHAVIOUR.md: "POST /auth/login ... a Set-Cookie: token=<jwt>; HttpOnly" and "header '
                 'Authorization: Bearer <jwt> ... query ?accesskey=<key>"; Set-Cookie: token=...; HttpOnly')


# what Pacer.summary() writes (voipbin_harness/pacing.py), with figures a test can find in the page
PACING = {"limit": "17:33", "source": "the gateway's documented per-customer limit (--rate to change)", "rate": 15.3,
          "slowed_to": 12.24, "requests": 4321, "paced_waits": 987, "paced_seconds": 123.456, "rate_limited": 7,
          "retry_waits": 6, "retry_wait_seconds": 6.5, "gave_up": 1}


def finding(index: int, suite: str, secret: str = "") -> Finding:
    check, operation, key, message, expected, got = CATALOG[index % len(CATALOG)]
    auth = f"Authorization: Bearer {secret}" if secret else "Authorization: Bearer ***"
    if secret:
        message = f"{message} (seen with {secret})"
    return Finding(check=check, operation=operation, key=key, message=message, expected=expected, got=got,
                   suite=suite, severity="high" if index == 2 else "medium",
                   reproduce=f"curl -X {operation.split()[0]} 'http://127.0.0.1:8080/v1.0{operation.split()[1]}' -H '{auth}'",
                   promise="BEHAVIOUR.md: fake promise")


def write_junit(directory: Path, total: int, failed: int, secret: str = "") -> None:
    cases = "".join(f'<testcase classname="fake" name="test_{i}" time="0.01">'
                    + (f'<failure message="failed {secret}">boom</failure>' if i < failed else "") + "</testcase>"
                    for i in range(total))
    (directory / "junit.xml").write_text(
        f'<?xml version="1.0"?><testsuites><testsuite name="fake" tests="{total}" failures="{failed}" '
        f'errors="0" skipped="0" time="0.1">{cases}</testsuite></testsuites>')


def write_allure(directory: Path, suite: str, failed: int, secret: str = "") -> None:
    results = directory / "allure-results"
    results.mkdir(parents=True, exist_ok=True)
    attachment = f"{uuid.uuid4()}-attachment.txt"
    (results / attachment).write_text(f"GET /v1.0/flows\nAuthorization: Bearer {secret or '***'}\n")
    for i in range(2):
        result = {"uuid": str(uuid.uuid4()), "name": f"{suite} test {i}", "fullName": f"{suite}.test_{i}",
                  "status": "failed" if i < failed else "passed", "start": 1, "stop": 2,
                  "description": PROMISE_QUOTE,  # names credentials, holds none: never "masked"
                  "labels": [{"name": "suite", "value": suite}],
                  "attachments": [{"name": "request", "source": attachment, "type": "text/plain"}]}
        (results / f"{result['uuid']}-result.json").write_text(json.dumps(result))


def load_block(profile: str, scale: float) -> dict:
    steps = [{"name": f"{rate} rps", "offered_rps": rate, "rps": rate * 0.99 * scale, "p50": 2.0 / scale,
              "p95": 5.0 / scale, "p99": 9.0 / scale, "requests": rate * 10, "errors": 0}
             for rate in ((20,) if profile == "smoke" else (25, 50, 100))]
    block = {"profile": profile, "steps": steps,
             "totals": {**steps[-1], "name": "total"}}
    if profile == "ratelimit":
        block["ratelimit"] = {"onset_rps": 51.0, "share_429": 0.42, "retry_after_present_ratio": 1.0,
                              "early_retries": 0}
    return block


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report-dir", required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--mode", default="pass",
                        choices=["pass", "fail", "crash", "hang", "hang-graceful", "hang-deaf", "exit2",
                                 "exit1-silent", "noop"])
    parser.add_argument("--kind", default="pytest", choices=["pytest", "load", "lint"])
    parser.add_argument("--findings", default="", help="comma-separated catalog indexes")
    parser.add_argument("--secret", default="", help="leak this value into every file and the output")
    parser.add_argument("--scale", type=float, default=1.0, help="load figures: throughput x, latency / x")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=0, help="write findings in N worker folders, never merged")
    args = parser.parse_args()
    directory = Path(args.report_dir)
    if args.mode == "exit2":
        print("voipbin-harness: error: target http://127.0.0.1:9 is unreachable: Connection refused", file=sys.stderr)
        return 2
    if args.mode == "noop":
        return 0
    indexes = [int(i) for i in args.findings.split(",") if i]
    meta = {"target": {"name": "emulator"}, "pacing": PACING}
    if args.kind == "load":
        profile = args.suite.removeprefix("load-")
        meta.update(load_block(profile, args.scale))
    if args.kind == "lint":
        meta["spec"] = {"title": "VoIPBin API", "version": "1.0.0"}
    if args.mode == "hang-deaf":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.workers:
        writers = [SummaryWriter(directory / ".workers" / f"gw{i}", args.suite, **meta) for i in range(args.workers)]
        writer = writers[0]
    else:
        writer = SummaryWriter(directory, args.suite, **meta)
        writers = [writer]
    if args.mode == "hang-graceful":
        def _stopped(_signum: int, _frame: object) -> None:
            for part in writers:
                part.set(complete=False, stopped="SIGINT")
            sys.exit(2)
        signal.signal(signal.SIGINT, _stopped)
    print(f"fake {args.suite}: running {args.secret}", flush=True)
    for n, index in enumerate(indexes):
        if args.kind == "lint":
            writer.add(Finding(check="spec.operation_id", operation=f"GET /thing{index}", key=str(index),
                               message="operation has no operationId", expected="an operationId", got="none"))
        else:
            writers[n % len(writers)].add(finding(index, args.suite, args.secret))
        if args.mode == "crash" and n == 0:
            os._exit(3)  # dies half way, as a segfault or OOM kill would
    if args.kind == "pytest":
        failed = len(indexes) if args.mode == "fail" else 0
        write_junit(directory, total=6, failed=failed, secret=args.secret)
        write_allure(directory, args.suite, failed, args.secret)
    if args.mode.startswith("hang"):
        (directory / "pid").write_text(str(os.getpid()))
        print("fake: hanging", flush=True)
        time.sleep(600)
    time.sleep(args.sleep)
    if args.mode == "exit1-silent":
        write_junit(directory, total=3, failed=1)
        writer.close()
        return 1
    writer.close(counts={"cases": 6})
    return 1 if indexes and args.mode == "fail" else 0


if __name__ == "__main__":
    sys.exit(main())
