"""The one shape every suite reports a defect in, and the ``summary.json`` each suite writes.

A finding's ``id`` is derived from what the defect *is* (check, operation, and a short key such
as the VoIPBIN ``reason`` or the undeclared status), never from when or how it was met, so the
same defect has the same id in every run and ``check --baseline``/``--history`` can tell new
from known. Summaries are written through ``SummaryWriter``, which appends each finding to
``findings.jsonl`` as it is met and rewrites ``summary.json`` atomically (at most twice a second,
and always on ``set``/``close``), so a run that dies half way still leaves what it found, marked
incomplete.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .redact import redact

__all__ = ["FINDINGS_LOG", "WORKERS_DIR", "Finding", "SummaryWriter", "atomic_write", "finding_id", "read_findings_log", "read_summary"]

SUMMARY_FILE = "summary.json"
FINDINGS_LOG = "findings.jsonl"
#: A suite split over processes (pytest-xdist) writes each worker's files to DIR/.workers/<id>/.
WORKERS_DIR = ".workers"
_FLUSH_INTERVAL = 0.5  # seconds; findings.jsonl is appended at once, summary.json at most this often


def finding_id(check: str, operation: str, key: str = "") -> str:
    """Stable id: ``<check>:<12 hex>`` of (check, operation, key)."""
    digest = hashlib.sha256(f"{check}\x00{operation}\x00{key}".encode()).hexdigest()[:12]
    return f"{check}:{digest}"


@dataclass(slots=True)
class Finding:
    """One defect of the target: which promise (``check``), where (``operation``), what was
    expected and what came back, a curl line without secrets that reproduces it, and the same request
    as data (``request``) for ``voipbin-harness replay``."""

    check: str
    operation: str  # "GET /calls/{id}", or "*" for target-wide findings
    message: str
    expected: str
    got: str
    suite: str = ""
    key: str = ""  # what distinguishes this defect from others of the same check and operation
    reproduce: str = ""
    severity: str = "medium"  # critical | high | medium | low
    promise: str = ""  # the documented promise quoted, with its source (docs, spec, BEHAVIOUR.md)
    occurrences: int = 1
    #: the request that met the defect, in the machine form ``voipbin-harness replay`` re-sends (method,
    #: concrete path, query, body, non-secret headers, the credential's role, never its value):
    #: ``voipbin_harness.replay.request_form``; None when the finding is not one request's (load, spec)
    request: dict[str, Any] | None = None
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            self.id = finding_id(self.check, self.operation, self.key)

    def to_dict(self) -> dict[str, Any]:
        return redact(asdict(self))


class SummaryWriter:
    """Collects one suite's findings and counts into ``DIR/summary.json``, crash-safe.

    Findings with the same id are merged (``occurrences`` counts them). ``close()`` marks the
    summary complete; until then it says ``"complete": false``.
    """

    def __init__(self, directory: str | os.PathLike[str], suite: str, **meta: Any) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.suite = suite
        self.started = time.time()
        self.data: dict[str, Any] = {"suite": suite, "complete": False, "started_at": _iso(self.started), **meta}
        self._findings: dict[str, Finding] = {}
        self._flushed = 0.0
        (self.directory / FINDINGS_LOG).write_bytes(b"")
        self.flush()

    @property
    def findings(self) -> list[Finding]:
        return list(self._findings.values())

    def add(self, finding: Finding) -> bool:
        """Record ``finding``; True when its id is new in this run."""
        finding.suite = finding.suite or self.suite
        known = self._findings.get(finding.id)
        if known is not None:
            known.occurrences += 1
            return False
        self._findings[finding.id] = finding
        with (self.directory / FINDINGS_LOG).open("ab") as log:
            log.write(orjson.dumps(finding.to_dict()) + b"\n")
        if time.monotonic() - self._flushed >= _FLUSH_INTERVAL:
            self.flush()
        return True

    def set(self, **values: Any) -> None:
        self.data.update(values)
        self.flush()

    def flush(self) -> None:
        self._flushed = time.monotonic()
        document = dict(self.data)
        document["duration_s"] = round(time.time() - self.started, 3)
        document["findings"] = [f.to_dict() for f in self._findings.values()]
        atomic_write(self.directory / SUMMARY_FILE, orjson.dumps(redact(document), option=orjson.OPT_INDENT_2))

    def close(self, **values: Any) -> None:
        self.data.update(values)
        self.data["complete"] = True
        self.flush()


def read_summary(directory: str | os.PathLike[str]) -> dict[str, Any]:
    return orjson.loads((Path(directory) / SUMMARY_FILE).read_bytes())


def read_findings_log(log: Path) -> list[dict[str, Any]]:
    """The findings in a ``findings.jsonl``, as dicts: what a suite found even when it never wrote its
    summary (a last line cut short by a killed writer is skipped)."""
    try:
        lines = log.read_bytes().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("id"):
            found.append(data)
    return found


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` so that a reader (or a run killed half way) sees the old file or the new one, never half.

    The temporary name is the process's and the thread's own, so that two writers never share one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
