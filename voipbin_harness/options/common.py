"""The options several suites share (target, spec, report folder, rate, emulator...), stated once.

A suite's table (``contracts``, ``scenarios``, ``load``, ``check``) lists these next to its own;
``dataclasses.replace`` gives a suite its own help or default where it differs.
"""

from __future__ import annotations

from dataclasses import replace

from ..conventions.ratelimit import DEFAULT_CUSTOMER_LIMIT
from ..emulator.config import GATEWAY, PROFILES
from . import values
from .core import Option

__all__ = ["ALLOW_OPERATION", "ALLOW_WRITES", "EMULATOR_PROFILE", "EMULATOR_RATE_LIMIT", "PREVIOUS_SPEC", "RATE", "REPORT_DIR", "ROOT_PYTEST",
           "RATE_ENV", "SEED", "SPEC", "TARGET", "TARGET_ENV", "TIME_BUDGET", "report_dir"]

TARGET_ENV = "VOIPBIN_TARGET"
RATE_ENV = "VOIPBIN_RATE"
SPEC_ENV = "VOIPBIN_SPEC"
EMULATOR_PROFILE_ENV = "VOIPBIN_EMULATOR_PROFILE"

TARGET = Option(
    "--target", default="emulator", env=TARGET_ENV, metavar="T",
    help="emulator (default; started for the run), live, or an origin URL such as http://127.0.0.1:8080 "
         f"(env {TARGET_ENV})")
SPEC = Option(
    "--spec", env=SPEC_ENV, env_late=True, metavar="PATH|URL", path="file",
    help="OpenAPI document: a bundled YAML/JSON file, a split directory, a URL, 'pinned' or 'live' "
         f"(env {SPEC_ENV}; default: the copy pinned in the package; 'live': the live spec)")
RATE = Option(
    "--rate", dest="target_rate", parse=values.rate, env=RATE_ENV, env_late=True, metavar="RPS[:BURST]|off",
    help="the target's per-customer rate limit; every request is paced under it and 429s are waited out "
         f"(env {RATE_ENV}; default: the embedded emulator's limit, else the gateway's documented "
         f"{DEFAULT_CUSTOMER_LIMIT}; off: no pacing)")
EMULATOR_PROFILE = Option(
    "--emulator-profile", default=GATEWAY, env=EMULATOR_PROFILE_ENV, choices=PROFILES,
    help=f"profile of the embedded emulator with --target emulator (default {GATEWAY}; env {EMULATOR_PROFILE_ENV})")
EMULATOR_RATE_LIMIT = Option(
    "--emulator-rate-limit", parse=values.limit, metavar="RPS:BURST",
    help="per-customer rate limit of the embedded emulator (default: off, so that suites run fast)")
SEED = Option("--seed", parse=values.integer, metavar="S", help="seed for generated data")
ALLOW_WRITES = Option("--allow-writes", action="store_true", default=False,
                      help="allow non-safe methods against a non-loopback target")
ALLOW_OPERATION = Option(
    "--allow-operation", action="append", metavar='"METHOD /path"',
    help="allow one operation that could change the credentials or customer the harness runs with (on any "
         "target), or that costs money or reaches people (repeatable)")
TIME_BUDGET = Option(
    "--time-budget", parse=values.seconds, metavar="SECONDS",
    help="plan the run to fit SECONDS at the rate it is paced at (--rate) (default: no plan)")
PREVIOUS_SPEC = Option(
    "--previous-spec", metavar="FILE", path="file",
    help="an older version of the spec: the operations changed or added since it (spec diff) are exercised first")

REPORT_DIR = Option("--report-dir", metavar="DIR", path="dir",
                    help="where the suite writes summary.json and attachments (default: its folder under reports/)")

#: What the root ``conftest.py`` declares for every pytest run (both suites and the harness's own tests).
ROOT_PYTEST = (TARGET, SPEC, EMULATOR_PROFILE, EMULATOR_RATE_LIMIT, RATE, REPORT_DIR, SEED, ALLOW_WRITES)


def report_dir(default: str) -> Option:
    """``--report-dir``: the command's default is the suite's usual folder; pytest's is the suite's choice."""
    return replace(REPORT_DIR, cli_default=default, help=f"where results are written (default {default})")
