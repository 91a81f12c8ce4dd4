"""``voipbin-harness load --profile NAME``: one Locust profile, in its own process.

The command resolves the target (starting the embedded emulator when asked), checks the run
is allowed (a non-loopback target needs ``--allow-remote HOST --max-rate RPS``) and the mix is
in the spec, then runs ``python -m locust -f load/<profile>.py --headless ...``: credentials go
to that process in ``VOIPBIN_*`` environment variables, never on its command line. The verdict
(summary.json, exit code) is the locustfile's; this command adds the checks that need the
parent's view (the child's exit, a last scan of the report folder for secrets).

Against a rate-limited target only the set-up requests are paced (``--target-rate``, as every
suite's ``--rate``: the target's per-customer limit); the measured load never is. The parent's
own requests (the credentials check) are paced too, and added to summary.json's ``pacing``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..conventions.resources import BASE_PATH
from ..errors import ExitCode, HarnessError
from ..options import CLI, LOCUST, add_to_argparse, forward
from ..options.load import LOAD

__all__ = ["register", "run"]

_OVERHEAD_S = 90.0  # start-up, ratelimit's phase decision, drain, reports: on top of --duration


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "load", help="run a load profile (smoke, capacity, ratelimit, soak) with Locust",
        description="Run one Locust load profile against the target; write summary.json, Locust's CSV/HTML "
                    "and a chart. Exit 0 pass, 1 threshold broken or rate-limit defect, 2 invalid run.")
    add_to_argparse(p, LOAD)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..conventions.ratelimit import DEFAULT_CUSTOMER_LIMIT, Limit
    from ..loadgen.options import ConfigError, build_plan, check_target, resolve_options
    from ..loadgen.profiles import ProfileError, load_profile
    from ..loadgen.thresholds import ThresholdsError, load_thresholds
    from ..options.emulator import emulator_argv
    from ..paths import repo_root
    from ..spec import load_spec
    from ..target import open_target, resolve

    try:
        config = load_profile(args.profile, args.profiles)
        load_thresholds(args.profile, args.thresholds)
        # the child checks the same; checking here gives the one-line error before anything starts
        build_plan(resolve_options(args.profile, _option_values(args), "http://127.0.0.1"))
    except (ProfileError, ThresholdsError, ConfigError) as exc:
        raise HarnessError(str(exc)) from None
    # the parser checked the values (voipbin_harness.options.values)
    limit = Limit.parse(args.emulator_rate_limit) if args.emulator_rate_limit else None
    planned = resolve(args.target)
    if "@" in planned.origin.split("//", 1)[-1]:
        raise HarnessError("the target URL holds credentials", hint="put them in VOIPBIN_* variables, not in the URL")
    if not planned.is_emulator:
        rate = args.rate if args.rate is not None else config.get("rate", 10.0)
        if args.max_rate:
            rate = min(rate, args.max_rate)
        try:
            check_target(planned.origin, allow_remote=args.allow_remote, max_rate=args.max_rate, offered=rate)
        except ConfigError as exc:
            raise HarnessError(str(exc)) from None
    elif args.allow_remote:
        raise HarnessError("--allow-remote makes no sense with --target emulator (it listens on 127.0.0.1)")
    spec = load_spec(args.spec)
    known = {op.label for op in spec.operations}
    for op in config.ops:
        if op.label not in known:
            raise HarnessError(f"the {args.profile} mix names {op.label!r}, which the spec does not have",
                               hint=f"fix {config.source}")
    report_dir = Path(args.report_dir or f"reports/load/{args.profile}").resolve()
    if limit is None and args.profile == "ratelimit":
        limit = DEFAULT_CUSTOMER_LIMIT  # the emulator's default, named so that the set-up pacing knows it
    emulator_args = emulator_argv(profile=args.emulator_profile, rate_limit=str(limit) if limit else None,
                                  faults=args.emulator_fault, latency=args.emulator_latency)
    with open_target(args.target, spec_source=spec.source, base_path=spec.base_path or BASE_PATH,
                     emulator_args=emulator_args, rate=args.target_rate) as target:
        pacer = target.pacer
        _warn_over_limit(args, config, pacer.limit)
        source = pacer.source.replace("--rate", "--target-rate")  # may start with "--": hence the "=" form
        extra = ["--vb-target-rate", str(pacer.limit) if pacer.limit else "off", f"--vb-target-rate-source={source}"]
        extra += ["--vb-reproduce", _reproduce(args, target.name if target.name in ("emulator", "live")
                                              else target.origin)]
        expected = limit if target.is_emulator else pacer.limit  # the limit the target was started with / promises
        if args.profile == "ratelimit" and expected is not None:
            extra += ["--vb-expected-onset", f"{expected.rate:g}"]
        cmd = _locust_command(args, repo_root(), report_dir, target.origin, target.base_path, target.name) + extra
        code = _run_child(cmd, repo_root(), _child_env(target), report_dir, _budget(args, config))
        _add_parent_pacing(report_dir, pacer.summary())
        return code


def _warn_over_limit(args: argparse.Namespace, config: Any, limit: Any) -> None:
    """smoke and soak are meant to stay under the target's per-customer limit (their 429s are
    counted apart and judged by ``share_429``): say so when the offered rate is above it."""
    if args.profile not in ("smoke", "soak") or limit is None:
        return
    rate = args.rate if args.rate is not None else float(config.get("rate", 10.0))
    if args.max_rate:
        rate = min(rate, args.max_rate)
    if rate > limit.rate:
        print(f"voipbin-harness: warning: {args.profile} offers {rate:g} req/s, above the target's per-customer "
              f"limit {limit}: expect 429s (counted apart from errors, judged by share_429)", file=sys.stderr)


def _add_parent_pacing(report_dir: Path, parent: dict[str, Any]) -> None:
    """Add this process's paced requests (the credentials check before Locust) to summary.json."""
    import orjson

    path = report_dir / "summary.json"
    if not parent.get("requests"):
        return
    try:
        summary = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return
    pacing = summary.get("pacing")
    if not isinstance(pacing, dict):
        return
    for key in ("requests", "paced_waits", "paced_seconds", "rate_limited", "retry_waits", "retry_wait_seconds",
                "gave_up"):
        if isinstance(pacing.get(key), (int, float)) and isinstance(parent.get(key), (int, float)):
            pacing[key] = round(pacing[key] + parent[key], 3)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    temporary.replace(path)  # whole or not at all: the report reads this file


def _reproduce(args: argparse.Namespace, target: str) -> str:
    """This run's command line, for findings (options only: credentials are never options)."""
    words = ["voipbin-harness", "load", "--profile", args.profile, "--target", target]
    if args.emulator_rate_limit:
        words += ["--emulator-rate-limit", args.emulator_rate_limit]
    if args.target_rate:
        words += ["--target-rate", args.target_rate]
    for fault in args.emulator_fault:
        words += ["--emulator-fault", fault]
    if args.emulator_latency:
        words += ["--emulator-latency", args.emulator_latency]
    if args.allow_remote:
        words += ["--allow-remote", args.allow_remote, "--max-rate", f"{args.max_rate:g}"]
    return " ".join(words)


def _option_values(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--vb-*`` values this command passes to the locustfile, keyed as Locust parses them."""
    return {"vb_" + option.name: getattr(args, option.name) for option in LOAD
            if {CLI, LOCUST} <= option.hops and option.forward and getattr(args, option.name, None) is not None}


def _locust_command(args: argparse.Namespace, root: Path, report_dir: Path, origin: str, base_path: str,
                    target_name: str) -> list[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(root / "load" / f"{args.profile}.py"), "--headless",
           "--host", origin, "--only-summary", "--loglevel", "INFO", "--logfile", str(report_dir / "locust.log"),
           "--csv", str(report_dir / "locust"), "--html", str(report_dir / "locust.html"),
           "--vb-report-dir", str(report_dir), "--vb-base-path", base_path, "--vb-target-name", target_name]
    cmd += forward(args, LOAD, LOCUST)
    if args.processes > 1:
        cmd += ["--processes", str(args.processes)]
    return cmd


def _child_env(target: Any) -> dict[str, str]:
    """The child's environment: ours, with the target's credentials as VOIPBIN_* variables."""
    from ..target import _ENV

    env = {k: v for k, v in os.environ.items() if k not in _ENV.values()}
    for field, var in _ENV.items():
        value = getattr(target.credentials, field, None)
        if value:
            env[var] = value
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _budget(args: argparse.Namespace, config: Any) -> float:
    duration = args.duration if args.duration is not None else float(config.get("duration", 60.0))
    return duration + _OVERHEAD_S + 10.0 * args.processes


def _run_child(cmd: list[str], cwd: Path, env: dict[str, str], report_dir: Path, budget: float) -> int:
    from ..findings import read_summary

    report_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("summary.json", "findings.jsonl", "chart.png", "locust.html", "locust.log", "locust.out"):
        (report_dir / stale).unlink(missing_ok=True)
    out_path = report_dir / "locust.out"
    with out_path.open("wb") as out:
        child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        try:
            code = child.wait(timeout=budget)
            overran = False
        except subprocess.TimeoutExpired:
            overran = True
            child.send_signal(signal.SIGTERM)  # Locust writes its reports and our verdict on SIGTERM
            try:
                code = child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                code = child.wait()
    leaked = _scrub_secrets(report_dir)
    text = out_path.read_text(encoding="utf-8", errors="replace")
    for line in _our_lines(text):
        print(line)
    try:
        summary = read_summary(report_dir)
    except (OSError, ValueError):
        summary = {}
    if overran:
        print(f"voipbin-harness: error: Locust overran its {budget:.0f} s budget and was stopped "
              f"(see {out_path})", file=sys.stderr)
        return ExitCode.UNUSABLE
    if not summary.get("complete") or code not in (0, 1, 2):
        tail = " | ".join(line for line in text.splitlines()[-5:] if line.strip())
        print(f"voipbin-harness: error: the Locust run did not finish (exit {code}): {tail[-400:]} "
              f"(see {out_path})", file=sys.stderr)
        return ExitCode.UNUSABLE
    if leaked:
        print(f"voipbin-harness: warning: secrets found and masked in {', '.join(leaked)}", file=sys.stderr)
    print(f"reports: {report_dir}/summary.json, locust.html, locust_stats.csv, chart.png")
    return int(summary.get("exit_code", code))


def _our_lines(text: str) -> list[str]:
    """The locustfile's verdict lines (and their indented details) out of Locust's output."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("voipbin-harness load"):
            lines.append(line)
            inside = True
        elif inside and line.startswith("  ") and not line.startswith("   "):
            lines.append(line)
        else:
            inside = False
    return lines


def _scrub_secrets(report_dir: Path) -> list[str]:
    """The files Locust or the locustfile wrote with a secret in them (masked now): a leak to fix at its
    source, since the load run masks what it writes (``voipbin_harness.redact``)."""
    from ..report.output import scrub_tree

    return [path.name for path in scrub_tree(report_dir)]
