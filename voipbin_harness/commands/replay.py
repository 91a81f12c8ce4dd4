"""``voipbin-harness replay FINDING_ID``: re-send the request of one finding and say whether it still holds.

The finding is looked up in a report directory (``check``'s, default ``reports/check``, or one suite's own
such as ``reports/contracts``), re-sent to ``--target`` (the same or another one) with that target's
credentials from the environment, and judged again (``voipbin_harness.replay``). One line says the
verdict, with what was expected and what came back.

Exit 1: the finding still holds; 0: it no longer holds; 2: it could not be judged (unknown id, a
finding that is not one request's, a request that depended on a resource of the original run, an
unreachable target, missing credentials). The same three outcomes as every other command: 1 means
"there is a defect".
"""

from __future__ import annotations

import argparse

from ..conventions.resources import BASE_PATH
from ..errors import ExitCode
from ._common import add_emulator_profile, add_rate, add_report_dir, add_spec, add_target

__all__ = ["DEFAULT_REPORT_DIR", "register", "run"]

DEFAULT_REPORT_DIR = "reports/check"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replay", help="re-send one finding's request and say whether it still holds",
        description="Re-send the request a finding was met with, exactly (method, path, query, body, headers; the "
                    "credential of the same role, from the target's VOIPBIN_* credentials), to the same or another "
                    "target, and judge the answer again: a contracts finding by its own check, any other by "
                    "whether the answer is the deviant one again (same status and VoIPBIN reason). Exit 1 when "
                    "the finding still holds, 0 when it no longer holds, 2 when it cannot be judged (unknown id, "
                    "a load or spec finding, a request that needs a resource of the original run, an unusable "
                    "target).")
    parser.add_argument("finding", metavar="FINDING_ID", help="the finding's id (check:1a2b3c4d5e6f, or its hex part)")
    add_report_dir(parser, DEFAULT_REPORT_DIR)
    add_target(parser)
    add_spec(parser)
    add_emulator_profile(parser)
    add_rate(parser)
    parser.add_argument("--allow-writes", action="store_true",
                        help="re-send a request that changes data (POST, PUT, PATCH, DELETE) to a non-loopback target")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..options.emulator import emulator_argv
    from ..replay import find_finding, not_replayable, replay_finding
    from ..spec import load_spec
    from ..target import open_target

    finding = find_finding(args.report_dir, args.finding)
    why = not_replayable(finding)
    if why is not None:  # said before a target is started for nothing
        print(f"cannot replay {finding['id']}: {why}")
        return ExitCode.UNUSABLE
    spec = load_spec(args.spec)
    with open_target(args.target, spec_source=spec.source, base_path=spec.base_path or BASE_PATH,
                     emulator_args=emulator_argv(profile=args.emulator_profile), rate=args.target_rate) as target:
        verdict = replay_finding(finding, target, spec=spec, allow_writes=args.allow_writes)
    print(verdict.line())
    return verdict.exit_code
