"""``check`` sessions over stand-in suites, for the report machinery's tests.

``fake_plans(report_dir, contracts="fail:0,1", ...)`` builds the five suites of a ``check`` run,
each a ``tests.report.fake_suite`` process told how to behave, so a whole run (processes, report
files, baseline, history) is exercised for real in a second or two. ``python -m
tests.report.fakes DIR [suite=MODE:FINDINGS]...`` runs such a session in its own process, for
the tests that interrupt it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from voipbin_harness.check.progress import Progress
from voipbin_harness.check.runner import SuitePlan
from voipbin_harness.check.session import CheckSession
from voipbin_harness.report.baseline import Baseline

KINDS = {"spec-lint": "lint", "contracts": "pytest", "scenarios": "pytest", "load-smoke": "load",
         "load-ratelimit": "load"}
TITLES = {"spec-lint": "Spec lint", "contracts": "Contracts", "scenarios": "Scenarios",
          "load-smoke": "Load: smoke", "load-ratelimit": "Load: ratelimit"}
DEFAULTS = {"spec-lint": "pass:0,1,2", "contracts": "fail:0,1", "scenarios": "fail:2", "load-smoke": "pass:",
            "load-ratelimit": "pass:"}


def fake_plans(report_dir: Path, *, secret: str = "", scale: float = 1.0, timeout: float = 30.0,
               grace: float | None = None, **behaviour: str) -> list[SuitePlan]:
    """One plan per suite; ``behaviour[name]`` is ``"MODE:FINDINGS"`` (e.g. ``"fail:0,1"``), or
    ``"MODE:FINDINGS:WORKERS"`` to spread the findings over that many worker folders."""
    plans = []
    for name, kind in KINDS.items():
        spec = behaviour.get(name.replace("-", "_"), DEFAULTS[name])
        mode, _, rest = spec.partition(":")
        findings, _, workers = rest.partition(":")
        argv = ["--report-dir", str(report_dir / name), "--suite", name, "--kind", kind, "--mode", mode,
                "--findings", findings, "--scale", str(scale), "--workers", workers or "0"]
        if secret:
            argv += ["--secret", secret]
        plans.append(SuitePlan(name=name, title=TITLES[name], kind=kind, argv=argv, timeout=timeout,
                               budget_s=timeout, grace_s=grace,
                               program=[sys.executable, "-m", "tests.report.fake_suite"]))
    return plans


class _Quiet(Progress):
    def __init__(self) -> None:
        import io
        super().__init__(io.StringIO(), tty=False)


def make_session(report_dir: Path, *, baseline: Baseline | None = None, secret: str = "", scale: float = 1.0,
                 timeout: float = 30.0, grace: float | None = None, progress: Progress | None = None,
                 **options: Any) -> CheckSession:
    """A CheckSession over fake suites; suite behaviours are keyword arguments (``contracts="fail:0"``)."""
    behaviour = {k: options.pop(k) for k in list(options) if k.replace("_", "-") in KINDS}
    only_load = options.pop("only_load", False)
    report_dir.mkdir(parents=True, exist_ok=True)
    plans = fake_plans(report_dir, secret=secret, scale=scale, timeout=timeout, grace=grace, **behaviour)
    if only_load:
        plans = [p for p in plans if p.kind == "load"]
    target = {"name": "emulator", "label": "embedded emulator (gateway profile)", "origin": "",
              "emulator_profile": "gateway", "loopback": True}
    spec = {"source": "openapi.yaml", "title": "VoIPBin API", "version": "1.0.0", "operations": 410}
    options.setdefault("allure_html", False)
    options.setdefault("budget", {"time_budget_s": 480.0, "depth": "quick", "rate": "17:33",
                                  "rate_source": "the gateway's documented per-customer limit (--rate to change)",
                                  "suites": {p.name: {"budget_s": p.budget_s, "timeout_s": p.timeout} for p in plans}})
    return CheckSession(report_dir=report_dir, plans=plans, baseline=baseline or Baseline(), target=target, spec=spec,
                        quick=True, command="voipbin-harness check --quick", progress=progress or _Quiet(),
                        **options)


if __name__ == "__main__":
    directory = Path(sys.argv[1])
    given = dict(arg.split("=", 1) for arg in sys.argv[2:])
    document = make_session(directory, progress=Progress(sys.stdout, tty=False), **given).run()
    sys.exit(document["exit_code"])
