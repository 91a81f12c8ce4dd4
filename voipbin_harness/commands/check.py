"""``voipbin-harness check``: every suite in its own process, then one report.

Spec lint, contracts, scenarios, load ``smoke`` and ``ratelimit``, in that order
(``check.plan``), with a live progress display; after each suite the run's ``summary.json`` and
``index.html`` are rewritten, so a run stopped by Ctrl-C, a crashed suite or a target that went
away still leaves a report of what ran, marked incomplete. Findings are compared with a baseline
of known deviations (the shipped one for the embedded gateway emulator by default) and, with
``--history``, with earlier runs. Exit 0: every finding known; 1: new findings; 2: nothing could
be tested, the run is incomplete, or a bad option.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ..conventions.ratelimit import Limit
from ..emulator.config import GATEWAY
from ..errors import HarnessError
from ..options import add_to_argparse
from ..options.check import DEFAULT_BASELINE
from ..options.emulator import emulator_argv
from ..paths import repo_root
from ..redact import redact_text
from ..spec import load_spec
from ..target import rate_limit_of, resolve

if TYPE_CHECKING:
    from ..spec.diff import DiffResult

__all__ = ["DEFAULT_BASELINE", "register", "run"]

_OWNED = ("summary.json", "index.html", "coverage.json", "allure-results", "allure-report")
SPEC_DIFF_DIR = "spec-diff"  # --previous-spec: the diff's JSON and markdown


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..options.check import CHECK

    parser = subparsers.add_parser(
        "check", help="run every suite and write one report (pre-release gate, nightly job)",
        description="Spec lint, contracts, scenarios, load smoke and ratelimit, each in its own process, then "
                    "one report: summary.json, index.html, allure-results/ and each suite's folder. Exit 0 when "
                    "every finding is known (in the baseline), 1 on new findings, 2 when nothing could be "
                    "tested or a suite could not run to the end.")
    add_to_argparse(parser, CHECK)
    parser.set_defaults(func=run)


def _baseline_path(args: argparse.Namespace) -> Path | None:
    if args.baseline and args.baseline.lower() == "none":
        return None
    if args.baseline:
        return Path(args.baseline)
    shipped = repo_root() / DEFAULT_BASELINE
    if args.target == "emulator" and args.emulator_profile == GATEWAY and shipped.exists():
        return shipped
    return None


def _target_info(args: argparse.Namespace) -> tuple[dict[str, Any], str, Limit | None, str]:
    """(what the report says about the target, why it cannot be reached or "", the per-customer
    limit the suites pace themselves by and where it comes from). No secret in any."""
    target = resolve(args.target)  # a bad value is a HarnessError; credentials get registered for redaction
    if target.is_emulator:  # the suites start their embedded emulator without limits (only load ratelimit sets one)
        target = replace(target, emulator_args=emulator_argv(profile=args.emulator_profile))
    limit, source = rate_limit_of(target, args.target_rate)  # a bad --rate is a HarnessError too
    if target.is_emulator:
        return {"name": "emulator", "label": f"embedded emulator ({args.emulator_profile} profile)",
                "origin": "", "emulator_profile": args.emulator_profile, "loopback": True}, "", limit, source
    parts = urlsplit(target.name if "://" in target.name else target.origin)
    clean = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), parts.path, "", ""))
    creds = target.credentials
    info = {"name": "live" if target.name == "live" else clean, "label": "live API" if target.name == "live" else clean,
            "origin": target.origin, "emulator_profile": "", "loopback": target.is_loopback,
            "credentials": [n for n in ("username", "token", "accesskey", "other_username", "other_accesskey",
                                        "agent_username", "jwt_key") if getattr(creds, n)]}
    try:
        target.check_reachable()
    except HarnessError as exc:
        return info, exc.one_line(), limit, source
    return info, "", limit, source


def _spec_info(source: str | None) -> dict[str, Any]:
    spec = load_spec(source)  # an unreadable spec is a HarnessError: exit 2 before anything runs
    return {"source": spec.source, "title": spec.title, "version": spec.version, "operations": len(spec.operations)}


def _spec_diff(previous: str, source: str | None) -> DiffResult:
    """What changed from the ``--previous-spec`` to the spec of this run (``spec diff``)."""
    from ..spec.diff import diff_specs

    return diff_specs(load_spec(previous), load_spec(source))


def _prepare(report_dir: Path, names: tuple[str, ...]) -> None:
    """Remove what an earlier run left in the folders this run owns (never anything else)."""
    if report_dir.exists() and not report_dir.is_dir():
        raise HarnessError(f"--report-dir {report_dir} is a file")
    report_dir.mkdir(parents=True, exist_ok=True)
    for name in (*_OWNED, *names):
        path = report_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def _emulator_reset(origin: str) -> Callable[[], None]:
    """Before each suite, put a loopback emulator back to its seeded state (``POST
    {CONTROL_PREFIX}/reset``), as the embedded one starts fresh for every suite: otherwise one suite's
    writes (a password the fuzzer changed, items it created) decide what the next one meets. A
    target that is not the emulator answers 404 and is left as it is."""
    from ..emulator.control import CONTROL_PREFIX

    def reset() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(f"{origin}{CONTROL_PREFIX}/reset", timeout=5)

    return reset


def _validate(args: argparse.Namespace) -> None:
    """What the option table's validators cannot see: the file system."""
    if args.history and Path(args.history).exists() and not Path(args.history).is_dir():
        raise HarnessError(f"--history {args.history} is a file, not a folder")


def run(args: argparse.Namespace) -> int:
    from ..check.plan import DEPTH, SUITES, budget_block, build_plan
    from ..check.session import CheckSession
    from ..report.baseline import load_baseline

    started = time.time()
    _validate(args)
    baseline = load_baseline(_baseline_path(args))
    spec = _spec_info(args.spec)
    diff = _spec_diff(args.previous_spec, args.spec) if args.previous_spec else None  # unreadable: exit 2 now
    target, unreachable, limit, source = _target_info(args)
    report_dir = Path(args.report_dir)
    _prepare(report_dir, (*SUITES, SPEC_DIFF_DIR))
    if diff is not None:
        from .spec import write_diff

        write_diff(diff, report_dir / SPEC_DIFF_DIR)
        spec["diff"] = {**diff.report_block(), "files": [f"{SPEC_DIFF_DIR}/diff.json", f"{SPEC_DIFF_DIR}/diff.md"]}
    plans = build_plan(args, str(report_dir), unreachable=unreachable, limit=limit)
    budget = budget_block(plans, args.time_budget or DEPTH["quick" if args.quick else "full"].budget_s, args.quick,
                          limit, source)
    command = redact_text(shlex.join(["voipbin-harness", *sys.argv[1:]]) if sys.argv[1:2] == ["check"]
                          else "voipbin-harness check")
    reset = _emulator_reset(target["origin"]) if target["name"] != "emulator" and target["loopback"] else None
    session = CheckSession(report_dir=report_dir, plans=plans, baseline=baseline, target=target, spec=spec,
                           between_suites=reset, budget=budget,
                           quick=args.quick, command=command, started=started, history=args.history,
                           tolerance=args.tolerance, fail_on_regression=args.fail_on_regression,
                           allure_html=not args.no_allure_html, min_coverage=args.min_coverage)
    document = session.run()
    if args.write_baseline:
        from ..report.baseline import write_baseline
        path = write_baseline(args.write_baseline, document["findings"],
                              description=f"known deviations of {target['label']}")
        print(f"check: baseline with {len(document['findings'])} findings written to {path}")
    return int(document["exit_code"])
