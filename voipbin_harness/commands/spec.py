"""``voipbin-harness spec lint``: the spec's defects, readable or as JSON."""

from __future__ import annotations

import argparse
import sys

import orjson

from ..errors import ExitCode
from ._common import add_spec

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("spec", help="inspect the OpenAPI spec")
    actions = parser.add_subparsers(dest="spec_command", metavar="ACTION", parser_class=type(parser))
    lint_parser = actions.add_parser("lint", help="list the spec's defects (exit 0 unless --strict)")
    add_spec(lint_parser)
    lint_parser.add_argument("--json", action="store_true", help="print the defects as JSON instead of a list")
    lint_parser.add_argument("--strict", action="store_true", help="exit 1 when the spec has any defect")
    lint_parser.add_argument("--report-dir", default=None, metavar="DIR",
                             help="also write DIR/summary.json (suite 'spec', findings in the shared shape)")
    lint_parser.set_defaults(func=run_lint)
    parser.set_defaults(func=lambda _args: _missing_action(parser))


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return ExitCode.UNUSABLE


def run_lint(args: argparse.Namespace) -> int:
    # imported here: the validator costs ~1 s of start-up that every other command would pay
    from ..findings import SummaryWriter
    from ..spec import load_spec
    from ..spec.lint import lint

    spec = load_spec(args.spec)
    result = lint(spec)
    if args.report_dir:
        summary = SummaryWriter(args.report_dir, "spec", spec=result.to_dict()["spec"])
        for finding in result.findings:
            summary.add(finding)
        summary.close(counts=result.counts())
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(result.render())
    return ExitCode.FAILURES if args.strict and result.findings else ExitCode.OK
