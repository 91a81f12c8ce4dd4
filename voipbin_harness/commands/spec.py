"""``voipbin-harness spec lint|diff|refresh``: the spec's defects, what changed between two
versions of it (a pre-release gate: exit 1 on a breaking change), and replacing the pinned copy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from ..errors import ExitCode, HarnessError
from ..options import add_to_argparse
from ..options.spec import LINT

if TYPE_CHECKING:
    from ..spec.diff import DiffResult

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("spec", help="inspect the OpenAPI spec")
    actions = parser.add_subparsers(dest="spec_command", metavar="ACTION", parser_class=type(parser))
    lint_parser = actions.add_parser("lint", help="list the spec's defects (exit 0 unless --strict)")
    add_to_argparse(lint_parser, LINT)  # check runs it as a suite: its options are a table
    lint_parser.set_defaults(func=run_lint)

    diff_parser = actions.add_parser("diff", help="list the changes from BASE to REVISION (exit 1 if one is breaking)")
    diff_parser.add_argument("base", metavar="BASE", help="the spec clients were written against: file, split "
                                                          "directory, URL, 'pinned' or 'live'")
    diff_parser.add_argument("revision", metavar="REVISION", help="the spec about to ship (same forms as BASE)")
    diff_parser.add_argument("--json", action="store_true",
                             help='print {"changes": [{"severity", "operation", "kind", "message"}]}')
    diff_parser.add_argument("--report-dir", default=None, metavar="DIR",
                             help="also write DIR/diff.json (the --json shape) and DIR/diff.md")
    diff_parser.set_defaults(func=run_diff)

    refresh_parser = actions.add_parser("refresh", help="replace the pinned spec copy from a URL or file and "
                                                        "print what changed")
    refresh_parser.add_argument("source", metavar="SOURCE", help="URL, file or split directory ('live' = the live URL)")
    refresh_parser.add_argument("--commit", default=None, metavar="SHA",
                                help="the upstream commit SOURCE was taken from, for PROVENANCE.md")
    refresh_parser.add_argument("--upstream", default=None, metavar="WHERE",
                                help="where SOURCE comes from, for PROVENANCE.md (default: SOURCE itself)")
    refresh_parser.add_argument("--into", default=None, metavar="DIR",
                                help="the folder holding the pinned copy (default: the package's spec/pinned/)")
    refresh_parser.set_defaults(func=run_refresh)
    parser.set_defaults(func=lambda _args: _missing_action(parser))


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return ExitCode.UNUSABLE


def run_lint(args: argparse.Namespace) -> int:
    # imported here: the validator costs ~1 s of start-up that every other command would pay
    from ..findings import SummaryWriter
    from ..spec import PINNED_SPEC, load_spec
    from ..spec.lint import lint
    from ..spec.pin import provenance

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
        if Path(spec.source) == PINNED_SPEC:
            print(f"\n{provenance().one_line()}")
    return ExitCode.FAILURES if args.strict and result.findings else ExitCode.OK


def run_diff(args: argparse.Namespace) -> int:
    from ..spec import load_spec
    from ..spec.diff import diff_specs

    result = diff_specs(load_spec(args.base), load_spec(args.revision))
    if args.report_dir:
        write_diff(result, Path(args.report_dir))
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    else:
        print(result.render())
    return ExitCode.FAILURES if result.breaking else ExitCode.OK


def write_diff(result: DiffResult, directory: Path) -> None:
    """DIR/diff.json (the ``--json`` shape) and DIR/diff.md (headline and one row per change)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "diff.json").write_bytes(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2))
        (directory / "diff.md").write_text(result.markdown(), encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot write the diff into {directory}: {exc.strerror or exc}") from None


def run_refresh(args: argparse.Namespace) -> int:
    from ..spec.loader import PINNED_DIR
    from ..spec.pin import provenance, refresh

    directory = Path(args.into) if args.into else PINNED_DIR
    result = refresh(args.source, directory=directory, commit=args.commit, upstream=args.upstream)
    print(result.render(limit=40))
    print(f"\n{directory / 'openapi.yaml'} replaced; {provenance(directory).one_line()}")
    return ExitCode.OK
