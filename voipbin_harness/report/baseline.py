"""Known deviations: the baseline file, and sorting a run's findings into new, known and fixed.

A baseline is YAML or JSON: ``{"description": "...", "findings": [{"id", "check", "operation",
"suite", "reason"}, ...]}``. Each entry must say why the deviation is accepted (``reason``,
typically quoting ``BEHAVIOUR.md`` for the real gateway's documented differences from its spec),
so the file reads as a list of decisions, not a mute allow-list. ``"rules"`` (see
``BaselineRule``) accept a family of deviations whose exact id depends on generated data. A run whose findings are all in
it passes; a finding not in it is new and fails the run; an entry not seen is listed as fixed only
when its suite ran to the end and re-tested it (its check judged its operation again and passed:
``retested``, fed from the run's coverage records), otherwise as unchecked.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from ..errors import HarnessError
from ..findings import finding_id
from ..redact import redact

__all__ = ["SEEN_WHEN_RATE_LIMITED", "Baseline", "BaselineEntry", "BaselineRule", "Classification", "Evidence",
           "classify", "load_baseline", "retested", "write_baseline"]


#: ``"seen_when"`` of an entry only a rate-limited answer can show (the spec's undeclared 429): a
#: run that met no 429 says nothing about it, so it is neither known nor "fixed" there.
SEEN_WHEN_RATE_LIMITED = "rate-limited"


@dataclass(frozen=True)
class BaselineEntry:
    id: str
    check: str
    operation: str
    reason: str
    suite: str = ""
    seen_when: str = ""  # "" (always judged) or SEEN_WHEN_RATE_LIMITED
    #: the finding's key: with it the id is recomputed from fields (``finding_id(check, operation,
    #: key)``), so a renamed check migrates the entry and a stale id is refused when loaded
    key: str | None = None


@dataclass(frozen=True)
class BaselineRule:
    """A family of deviations whose exact finding id depends on generated data: ``check`` equal,
    ``operation`` a glob (``GET /aicalls``, ``*``), ``key`` a regular expression searched in the
    finding's key. For what the fuzzer reaches only sometimes (a schema-violating value accepted
    on input and shown later in a list), where an id list would make the verdict flaky."""

    check: str
    operation: str
    key: str
    reason: str
    suite: str = ""

    def matches(self, finding: dict[str, Any]) -> bool:
        return (finding.get("check") == self.check
                and fnmatch.fnmatchcase(str(finding.get("operation", "")), self.operation)
                and re.search(self.key, str(finding.get("key", ""))) is not None
                and (not self.suite or finding.get("suite") == self.suite))

    @property
    def label(self) -> str:
        return f"rule {self.check} {self.operation} /{self.key}/"


@dataclass
class Baseline:
    source: str = ""  # the file it came from ("" = no baseline)
    description: str = ""
    entries: dict[str, BaselineEntry] = field(default_factory=dict)
    rules: list[BaselineRule] = field(default_factory=list)

    def __contains__(self, finding_id: str) -> bool:
        return finding_id in self.entries

    def explain(self, finding: dict[str, Any]) -> str | None:
        """The reason ``finding`` is known (its id listed, or a rule matching it), else None."""
        entry = self.entries.get(str(finding.get("id")))
        if entry is not None:
            return entry.reason
        rule = next((r for r in self.rules if r.matches(finding)), None)
        return rule.reason if rule is not None else None


@dataclass
class Classification:
    new: list[dict[str, Any]]
    known: list[dict[str, Any]]
    fixed: list[dict[str, Any]]  # baseline entries not seen, re-tested in a finished suite and passed
    unchecked: list[dict[str, Any]]  # baseline entries not seen and not re-tested (or their suite did not finish)


def load_baseline(path: str | os.PathLike[str] | None) -> Baseline:
    """Parse and validate a baseline file; a HarnessError (exit 2) saying what is wrong."""
    if path is None:
        return Baseline()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    try:
        data = orjson.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise HarnessError(f"the baseline {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {first}") from None
    if data is None:
        data = {}
    if isinstance(data, list):
        data = {"findings": data}
    if not isinstance(data, dict) or not isinstance(data.get("findings", []), list):
        raise HarnessError(f"the baseline {path} must be a mapping with a 'findings' list")
    entries: dict[str, BaselineEntry] = {}
    rules = [_rule(path, number, raw) for number, raw in enumerate(data.get("rules") or [], start=1)]
    for number, raw in enumerate(data.get("findings") or [], start=1):
        if not isinstance(raw, dict):
            raise HarnessError(f"baseline {path}: entry {number} is not a mapping")
        missing = [k for k in ("id", "check", "operation", "reason") if not str(raw.get(k) or "").strip()]
        if missing:
            raise HarnessError(f"baseline {path}: entry {number} ({raw.get('id', '?')}) lacks {', '.join(missing)}",
                               hint="every known deviation needs an id, its check, its operation and a reason")
        seen_when = str(raw.get("seen_when") or "")
        if seen_when not in ("", SEEN_WHEN_RATE_LIMITED):
            raise HarnessError(f"baseline {path}: entry {number} ({raw['id']}) has seen_when {seen_when!r}",
                               hint=f"leave it out, or {SEEN_WHEN_RATE_LIMITED!r}")
        entry = BaselineEntry(id=str(raw["id"]).strip(), check=str(raw["check"]), operation=str(raw["operation"]),
                              reason=str(raw["reason"]).strip(), suite=str(raw.get("suite") or ""),
                              seen_when=seen_when, key=None if raw.get("key") is None else str(raw["key"]))
        if entry.key is not None and finding_id(entry.check, entry.operation, entry.key) != entry.id:
            raise HarnessError(f"baseline {path}: entry {number} ({entry.id}) is not the id of its check, operation "
                               f"and key", hint=f"a renamed check? its id is now "
                                                f"{finding_id(entry.check, entry.operation, entry.key)}")
        if entry.id in entries:
            raise HarnessError(f"baseline {path}: the id {entry.id} is listed twice")
        entries[entry.id] = entry
    return Baseline(source=str(path), description=str(data.get("description") or ""), entries=entries, rules=rules)


def _rule(path: Path, number: int, raw: Any) -> BaselineRule:
    if not isinstance(raw, dict):
        raise HarnessError(f"baseline {path}: rule {number} is not a mapping")
    missing = [k for k in ("check", "operation", "key", "reason") if not str(raw.get(k) or "").strip()]
    if missing:
        raise HarnessError(f"baseline {path}: rule {number} lacks {', '.join(missing)}",
                           hint="a rule needs a check, an operation glob, a key regex and a reason")
    try:
        re.compile(str(raw["key"]))
    except re.error as exc:
        raise HarnessError(f"baseline {path}: rule {number} key is not a regular expression: {exc}") from None
    return BaselineRule(check=str(raw["check"]), operation=str(raw["operation"]), key=str(raw["key"]),
                        reason=str(raw["reason"]).strip(), suite=str(raw.get("suite") or ""))


#: ``{(suite, check, operation): {"passed": n, "failed": n}}``, from the run's coverage records
#: (``report.coverage.check_evidence``): which checks judged which operations, and how.
Evidence = Mapping[tuple[str, str, str], Mapping[str, int]]
#: Operations of entries that are not one operation: the spec as a whole, or the whole target.
WIDE_OPERATIONS = ("(spec)", "*")


def retested(evidence: Evidence | None, *, suite: str, check: str, operation: str,
             finished_suites: set[str]) -> bool:
    """Whether ``check`` was run again on ``operation`` by ``suite`` (any suite when empty) in a suite
    that ran to the end, passed there, and failed nowhere there: the only proof a known deviation
    not seen is fixed. ``operation`` may be a glob (a rule's); a spec-level (``(spec)``) or
    target-wide (``*``) entry needs the check to have judged at least one operation and failed on
    none. A re-test the time budget cut short (cases of the operation held back: ``cut``) proves
    nothing either: the input that met the deviation may be among those never sent. Without
    evidence nothing is proven."""
    wide = operation in WIDE_OPERATIONS
    judged = [counts for (by, name, label), counts in (evidence or {}).items()
              if name == check and (by == suite if suite else True) and by in finished_suites
              and (wide or fnmatch.fnmatchcase(label, operation))]
    return bool(judged) and any(int(c.get("passed", 0)) > 0 for c in judged) \
        and all(int(c.get("failed", 0)) == 0 and int(c.get("cut", 0)) == 0 for c in judged)


def _family(rules: list[BaselineRule], entry: BaselineEntry) -> list[BaselineRule]:
    """The rules that also accept ``entry``'s deviation (same check and suite, operation in the glob,
    and its key, when the entry names it, matched)."""
    return [rule for rule in rules
            if rule.check == entry.check and (not rule.suite or not entry.suite or rule.suite == entry.suite)
            and fnmatch.fnmatchcase(entry.operation, rule.operation)
            and (getattr(entry, "key", None) is None or re.search(rule.key, str(entry.key)) is not None)]


def classify(findings: list[dict[str, Any]], baseline: Baseline, finished_suites: set[str],
             rate_limited_suites: set[str] | None = None, evidence: Evidence | None = None) -> Classification:
    """Mark each finding ``known`` (with the baseline's reason) or new; list fixed and unchecked entries.

    Mutates each finding dict: sets ``known`` and, for known ones, ``baseline_reason``. An entry
    seen only when rate limited is not judged for a suite that met no 429 (``rate_limited_suites``).
    An entry not seen is ``fixed`` only when its suite finished and re-tested it (``retested``:
    its check judged its operation in this run and passed), in quick and full runs alike; an entry
    a rule also accepts (``_family``: its id depends on generated data) needs that rule re-tested
    too. Every other entry not seen is ``unchecked``.
    """
    new: list[dict[str, Any]] = []
    known: list[dict[str, Any]] = []
    seen: set[str] = set()
    matched_rules: set[BaselineRule] = set()
    for finding in findings:
        entry = baseline.entries.get(str(finding.get("id")))
        rule = None if entry is not None else next((r for r in baseline.rules if r.matches(finding)), None)
        reason = entry.reason if entry is not None else rule.reason if rule is not None else None
        finding["known"] = reason is not None
        if reason is None:
            new.append(finding)
            continue
        finding["baseline_reason"] = reason
        known.append(finding)
        if entry is not None:
            seen.add(entry.id)
        if rule is not None:
            matched_rules.add(rule)
    fixed: list[dict[str, Any]] = []
    unchecked: list[dict[str, Any]] = []
    for entry in baseline.entries.values():
        if entry.id in seen:
            continue
        if entry.seen_when == SEEN_WHEN_RATE_LIMITED and entry.suite not in (rate_limited_suites or set()):
            continue  # no 429 met: nothing to say about it
        record = {"id": entry.id, "check": entry.check, "operation": entry.operation, "suite": entry.suite,
                  "reason": entry.reason}
        # an entry without a suite is judged once every suite finished
        done = entry.suite in finished_suites if entry.suite else "*" in finished_suites
        done = done and retested(evidence, suite=entry.suite, check=entry.check, operation=entry.operation,
                                 finished_suites=finished_suites)
        # a deviation a rule also accepts depends on generated data: not meeting it again proves
        # nothing until its whole family is gone (the rule re-tested, failing nowhere)
        done = done and all(retested(evidence, suite=rule.suite or entry.suite, check=rule.check,
                                     operation=rule.operation, finished_suites=finished_suites)
                            for rule in _family(baseline.rules, entry))
        (fixed if done else unchecked).append(record)
    for rule in baseline.rules:
        if rule in matched_rules:
            continue
        record = {"id": rule.label, "check": rule.check, "operation": rule.operation, "suite": rule.suite,
                  "reason": rule.reason}
        done = rule.suite in finished_suites if rule.suite else "*" in finished_suites
        done = done and retested(evidence, suite=rule.suite, check=rule.check, operation=rule.operation,
                                 finished_suites=finished_suites)
        (fixed if done else unchecked).append(record)
    return Classification(new=new, known=known, fixed=fixed, unchecked=unchecked)


def _keyed(finding: dict[str, Any]) -> bool:
    """The finding's key recomputes its id (so the entry may carry it: see ``BaselineEntry.key``)."""
    key = finding.get("key")
    return isinstance(key, str) and finding_id(str(finding.get("check", "")), str(finding.get("operation", "")),
                                               key) == finding.get("id")


def write_baseline(path: str | os.PathLike[str], findings: list[dict[str, Any]], *, description: str = "",
                   reasons: dict[str, str] | None = None) -> Path:
    """A baseline accepting ``findings`` (used by ``check --write-baseline``); reasons left to fill in."""
    reasons = reasons or {}
    entries = [{"id": f["id"], "check": f.get("check", ""), "operation": f.get("operation", ""),
                "suite": f.get("suite", ""), **({"key": f["key"]} if _keyed(f) else {}),
                "reason": reasons.get(f["id"]) or f.get("baseline_reason") or f"TODO: why is this accepted? ({f.get('message', '')})"}
               for f in sorted(findings, key=lambda f: (f.get("suite", ""), f.get("check", ""), f.get("operation", "")))]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = redact({"description": description, "findings": entries})
    if path.suffix == ".json":
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return path
