"""What a suite exercised, in the one shape every suite records it in: ``coverage.json``.

A report must say what a run covered, not only what it found (issue 12): which operations got
which statuses, positive or negative cases, which checks judged them and how, which query
parameters and enum values were tried. Each suite records its exchanges through a ``Recorder``
(one per process, ``open_recorder``; ``recorder()`` is a no-op stand-in until one is open, so a
hook costs nothing where nobody records) and ``check`` aggregates every suite's file against the
spec (``voipbin_harness.report.coverage``).

The record is redacted by construction: it holds operation templates, statuses, counts, check
names, parameter *names* and only the enum values the spec itself lists, never a value sent. It
lives in memory and is rewritten atomically at most every ``FLUSH_INTERVAL`` seconds and at the
end (``close``, or at exit), so a suite that dies half way still leaves what it exercised, and the
measured load does not get slower (no write per request). A pytest-xdist worker writes its own
file under ``.workers/<id>/`` like its findings; ``merge_worker_files`` folds them into one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from .findings import WORKERS_DIR, atomic_write

__all__ = ["COVERAGE_FILE", "FORMAT", "NEGATIVE", "POSITIVE", "Recorder", "close_recorder", "merge_records",
           "merge_worker_files", "open_recorder", "read_coverage_file", "read_suite_coverage", "recorder",
           "tried_inputs"]

COVERAGE_FILE = "coverage.json"
FORMAT = "voipbin-harness/coverage/1"
POSITIVE, NEGATIVE = "positive", "negative"
OUTCOMES = ("passed", "failed", "skipped")
FLUSH_INTERVAL = 2.0  # seconds between rewrites while recording


def _empty() -> dict[str, Any]:
    return {"statuses": {}, "cases": {POSITIVE: 0, NEGATIVE: 0}, "checks": {}, "parameters": set(),
            "enum_values": {}, "cut": 0}


class Recorder:
    """One process's record, by operation template (``"METHOD /path"``); thread-safe."""

    def __init__(self, directory: str | os.PathLike[str] | None, suite: str, *,
                 interval: float = FLUSH_INTERVAL) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.suite = suite
        self.interval = interval
        self.complete = False
        self._ops: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    def _op(self, operation: str) -> dict[str, Any]:
        record = self._ops.get(operation)
        if record is None:
            record = self._ops[operation] = _empty()
        return record

    # -- recording -------------------------------------------------------------------------------
    def exchange(self, operation: str, status: int, *, negative: bool = False, parameters: Iterable[str] = (),
                 enum_values: Mapping[str, Iterable[str]] | None = None, count: int = 1) -> None:
        """One answer (or ``count`` of them) to ``operation``: its status and what the request tried."""
        with self._lock:
            record = self._op(operation)
            if status:
                key = str(status)
                record["statuses"][key] = record["statuses"].get(key, 0) + count
            record["cases"][NEGATIVE if negative else POSITIVE] += count
            record["parameters"].update(parameters)
            for name, values in (enum_values or {}).items():
                record["enum_values"].setdefault(name, set()).update(str(v) for v in values)
        self._maybe_flush()

    def negative(self, operation: str) -> None:
        """An answer already recorded as positive turned out to be a deliberate bad request (the
        scenario expected a refusal): move one case from positive to negative."""
        with self._lock:
            cases = self._op(operation)["cases"]
            if cases[POSITIVE] > 0:
                cases[POSITIVE] -= 1
            cases[NEGATIVE] += 1

    def checks(self, operation: str, outcomes: Mapping[str, str]) -> None:
        """Each check's outcome (``passed``/``failed``/``skipped``) on one answer to ``operation``."""
        if not outcomes:
            return
        with self._lock:
            table = self._op(operation)["checks"]
            for name, outcome in outcomes.items():
                if outcome in OUTCOMES:
                    counts = table.setdefault(name, dict.fromkeys(OUTCOMES, 0))
                    counts[outcome] += 1
        self._maybe_flush()

    def check(self, operation: str, name: str, outcome: str) -> None:
        self.checks(operation, {name: outcome})

    def cut(self, operation: str) -> None:
        """The suite's time budget held back cases of ``operation``: whatever its checks passed there
        is a partial re-test, which proves no known deviation fixed (``report.baseline.retested``)."""
        with self._lock:
            self._op(operation)["cut"] += 1

    # -- output ----------------------------------------------------------------------------------
    def operations(self) -> dict[str, dict[str, Any]]:
        """The record as JSON-able data (sets sorted)."""
        with self._lock:
            return {label: _jsonable(record) for label, record in sorted(self._ops.items())}

    def document(self) -> dict[str, Any]:
        return {"format": FORMAT, "suite": self.suite, "complete": self.complete, "operations": self.operations()}

    def _maybe_flush(self) -> None:
        if self.directory is not None and time.monotonic() - self._flushed >= self.interval:
            self.flush()

    def flush(self) -> Path | None:
        if self.directory is None:
            return None
        self._flushed = time.monotonic()
        path = self.directory / COVERAGE_FILE
        atomic_write(path, orjson.dumps(self.document()))
        return path

    def close(self) -> Path | None:
        self.complete = True
        return self.flush()


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {"statuses": dict(sorted(record["statuses"].items())), "cases": dict(record["cases"]),
            "checks": {name: dict(counts) for name, counts in sorted(record["checks"].items())},
            "parameters": sorted(record["parameters"]),
            "enum_values": {name: sorted(values) for name, values in sorted(record["enum_values"].items())},
            "cut": int(record.get("cut", 0))}


class _Null(Recorder):
    """Records nothing: what ``recorder()`` gives where no suite opened one (unit tests, tools)."""

    def __init__(self) -> None:
        super().__init__(None, "")

    def exchange(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def negative(self, _operation: str) -> None:
        return None

    def checks(self, _operation: str, _outcomes: Mapping[str, str]) -> None:
        return None

    def cut(self, _operation: str) -> None:
        return None


_NULL = _Null()
_current: Recorder = _NULL


def open_recorder(directory: str | os.PathLike[str], suite: str) -> Recorder:
    """The process's recorder, writing ``directory/coverage.json`` (also at exit, marked incomplete
    unless ``close_recorder`` ran first)."""
    global _current
    _current = Recorder(directory, suite)
    _current.flush()
    atexit.register(_flush_at_exit, _current)
    return _current


def _flush_at_exit(record: Recorder) -> None:
    """The last write of a process that never closed its recorder (a crash, a stop): never an error
    at exit, and never a folder made again that a test or a run has since removed."""
    if record.directory is not None and record.directory.is_dir():
        with contextlib.suppress(OSError):
            record.flush()


def recorder() -> Recorder:
    return _current


def close_recorder(*, complete: bool = True) -> None:
    """Write the process's record a last time (marked complete unless told otherwise) and stop recording."""
    global _current
    if _current is not _NULL:
        if complete:
            _current.close()
        else:
            _current.flush()
    _current = _NULL


# -- what a request tried ----------------------------------------------------------------------------
def tried_inputs(operation: Any, query: Mapping[str, Any] | None, body: Any = None,
                 resolve: Any = None) -> tuple[list[str], dict[str, list[str]]]:
    """(declared query parameters sent, enum values sent) of one request to ``operation`` (a
    ``spec.Operation``): only what the spec declares, so nothing the request carried (a credential,
    a fuzzed value) is kept. Top-level JSON body fields with an enum count as ``body.<field>``."""
    parameters: list[str] = []
    enums: dict[str, list[str]] = {}
    for param in operation.parameters:
        if param.get("in") != "query":
            continue
        name = param.get("name")
        if not query or name not in query:
            continue
        parameters.append(name)
        schema = param.get("schema") or {}
        schema = resolve(schema) if resolve is not None else schema
        allowed = schema.get("enum") if isinstance(schema, dict) else None
        value = query[name]
        if isinstance(allowed, list):
            sent = value if isinstance(value, list) else [value]
            kept = [str(v) for v in sent if v in allowed or str(v) in [str(a) for a in allowed]]
            if kept:
                enums[name] = kept
    if isinstance(body, dict) and operation.request_schema is not None and resolve is not None:
        schema = resolve(operation.request_schema)
        properties = schema.get("properties") if isinstance(schema, dict) else None
        for name, prop in (properties or {}).items():
            if name not in body:
                continue
            prop = resolve(prop)
            allowed = prop.get("enum") if isinstance(prop, dict) else None
            if isinstance(allowed, list) and body[name] in allowed:
                enums[f"body.{name}"] = [str(body[name])]
    return parameters, enums


# -- reading and merging ---------------------------------------------------------------------------
def read_coverage_file(path: Path) -> dict[str, Any]:
    """The ``operations`` of one coverage file; {} when it is missing or unreadable."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    operations = data.get("operations") if isinstance(data, dict) else None
    return operations if isinstance(operations, dict) else {}


def merge_records(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """One ``operations`` mapping out of several (counts summed, names and values united)."""
    merged: dict[str, dict[str, Any]] = {}
    for operations in records:
        for label, record in operations.items():
            if not isinstance(record, dict):
                continue
            into = merged.setdefault(label, _empty())
            for status, n in (record.get("statuses") or {}).items():
                into["statuses"][str(status)] = into["statuses"].get(str(status), 0) + int(n)
            for kind in (POSITIVE, NEGATIVE):
                into["cases"][kind] += int((record.get("cases") or {}).get(kind, 0))
            for name, counts in (record.get("checks") or {}).items():
                table = into["checks"].setdefault(name, dict.fromkeys(OUTCOMES, 0))
                for outcome in OUTCOMES:
                    table[outcome] += int((counts or {}).get(outcome, 0))
            into["parameters"].update(record.get("parameters") or [])
            into["cut"] += int(record.get("cut") or 0)
            for name, values in (record.get("enum_values") or {}).items():
                into["enum_values"].setdefault(name, set()).update(values or [])
    return {label: _jsonable(record) for label, record in sorted(merged.items())}


def read_suite_coverage(suite_dir: Path) -> dict[str, dict[str, Any]]:
    """A suite's record: its own ``coverage.json`` plus any worker's not merged yet."""
    files = [suite_dir / COVERAGE_FILE, *sorted((suite_dir / WORKERS_DIR).glob(f"*/{COVERAGE_FILE}"))]
    return merge_records(read_coverage_file(path) for path in files if path.exists())


def merge_worker_files(report_dir: Path, suite: str) -> Path | None:
    """Fold the workers' ``coverage.json`` into ``report_dir/coverage.json`` (before their folder goes)."""
    files = sorted((report_dir / WORKERS_DIR).glob(f"*/{COVERAGE_FILE}"))
    if not files:
        return None
    path = report_dir / COVERAGE_FILE
    document = {"format": FORMAT, "suite": suite, "complete": True,
                "operations": merge_records(read_coverage_file(p) for p in files)}
    atomic_write(path, orjson.dumps(document))
    return path


# -- the load generator: counters only ----------------------------------------------------------------
#: The load generator counts answers per operation and status in its own merged counters (no
#: per-request work beyond one increment, so the measured load is not slowed); ``write_counts``
#: turns them into a coverage file at the end of the run.
COUNTER_PREFIX = "cov:"


def counter_key(operation: str, status: int) -> str:
    return f"{COUNTER_PREFIX}{status} {operation}"


def write_counts(directory: str | os.PathLike[str], suite: str, counts: Mapping[str, int]) -> Path | None:
    """``coverage.json`` from a load run's ``cov:<status> <METHOD /path>`` counters (positive cases)."""
    record = Recorder(directory, suite)
    for key, n in counts.items():
        if not key.startswith(COUNTER_PREFIX) or not n:
            continue
        status, _, operation = key.removeprefix(COUNTER_PREFIX).partition(" ")
        try:
            code = int(status)
        except ValueError:
            continue
        record.exchange(operation, code, count=int(n))
    return record.close()
