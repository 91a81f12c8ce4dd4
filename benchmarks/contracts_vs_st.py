"""Benchmark: the default ``voipbin-harness contracts`` run against the embedded emulator, beside a plain
``st run`` of the same spec against the same emulator (same profile, rate limits off), in one go.

    python benchmarks/contracts_vs_st.py [--profile gateway|conformant] [--st-max-examples N]
                                         [--st-workers N] [--timeout SECONDS]

Ours runs exactly as a user runs it (``voipbin-harness contracts --emulator-profile P``, its own
embedded emulator per worker). ``st run`` gets an emulator started the same way and only what it
needs to reach it (``--url``, the Bearer header) plus the generation budget ours uses by default
(``--max-examples``, ``--workers``), so both spend the same number of fuzzing examples per operation;
pass ``--st-max-examples 100`` for Schemathesis's own default. Prints wall and CPU time of each, the
load average around the runs (the machine is shared), and what each found. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voipbin_harness.commands.contracts import DEFAULT_WORKERS  # noqa: E402
from voipbin_harness.emulator.process import EmulatorProcess  # noqa: E402
from voipbin_harness.emulator.tenants import DEFAULT_TENANTS  # noqa: E402
from voipbin_harness.redact import redact_text, register_secret  # noqa: E402
from voipbin_harness.spec.loader import default_spec_source  # noqa: E402

SUITE_MAX_EXAMPLES = 3  # contracts.settings.DEFAULT_MAX_EXAMPLES (not imported: it needs pytest)


def timed(cmd: list[str], *, timeout: float, log: Path) -> dict[str, Any]:
    """Run ``cmd``; wall and CPU seconds (children's rusage), exit code, or 'timeout'."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with log.open("w") as out:
        try:
            code: int | str = subprocess.run(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                                             check=False).returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "exit": code, "log": str(log)}


def run_ours(profile: str, report_dir: Path, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "voipbin_harness", "contracts", "--emulator-profile", profile,
           "--report-dir", str(report_dir)]
    result = timed(cmd, timeout=timeout, log=report_dir.parent / "contracts.log")
    result["command"] = " ".join(cmd[1:])
    summary = report_dir / "summary.json"
    if summary.exists():
        data = json.loads(summary.read_text())
        result.update(exercised=f"{data['operations']['exercised']}/{data['operations']['total']}",
                      findings=len(data["findings"]), requests=data.get("requests"), cases=data["counts"].get("cases"))
    return result


def run_st(profile: str, work: Path, max_examples: int, workers: int, timeout: float) -> dict[str, Any]:
    admin = DEFAULT_TENANTS[0].admin
    with EmulatorProcess(["--profile", profile, "--no-rate-limit"]) as emulator:
        login = httpx.post(f"{emulator.origin}/auth/login", json={"username": admin.username, "password": admin.password})
        token = login.json()["token"]
        register_secret(token)
        st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
        cmd = [st, "run", default_spec_source(), "--url", f"{emulator.origin}/v1.0", "-H", f"Authorization: Bearer {token}",
               "--max-examples", str(max_examples), "--workers", str(workers), "--seed", "1",
               "--report", "junit", "--report-dir", str(work / "st-report")]
        result = timed(cmd, timeout=timeout, log=work / "st.log")
    result["command"] = redact_text(" ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)))
    tail = [line for line in Path(result["log"]).read_text(errors="replace").splitlines() if line.strip()][-3:]
    result["summary"] = " | ".join(tail)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=["gateway", "conformant"], default="gateway")
    parser.add_argument("--st-max-examples", type=int, default=SUITE_MAX_EXAMPLES)
    parser.add_argument("--st-workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--timeout", type=float, default=1200.0, help="per run, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the reports and logs (printed)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="contracts-vs-st-"))
    load = [os.getloadavg()[0]]
    ours = run_ours(args.profile, work / "contracts", args.timeout)
    load.append(os.getloadavg()[0])
    st = run_st(args.profile, work, args.st_max_examples, args.st_workers, args.timeout)
    load.append(os.getloadavg()[0])
    print(f"profile {args.profile}; 1-min load average before/between/after: {', '.join(f'{v:.1f}' for v in load)}; "
          f"{os.cpu_count()} cores")
    print(f"{'':22}{'wall s':>8}{'cpu s':>8}{'exit':>7}  notes")
    print(f"{'voipbin-harness':22}{ours['wall_s']:>8}{ours['cpu_s']:>8}{ours['exit']!s:>7}  "
          f"exercised {ours.get('exercised')}, {ours.get('findings')} findings, {ours.get('cases')} cases, "
          f"{ours.get('requests')} requests")
    print(f"{'st run':22}{st['wall_s']:>8}{st['cpu_s']:>8}{st['exit']!s:>7}  {st['summary'][:160]}")
    print(f"ours: {ours['command']}")
    print(f"st:   {st['command']}")
    if args.keep:
        print(f"reports and logs: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
