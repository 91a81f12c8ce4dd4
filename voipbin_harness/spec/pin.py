"""The pinned copy of the spec: what it is (PROVENANCE.md) and how it is replaced (``spec refresh``).

The copy is stored byte for byte as fetched (JSON is YAML, so ``openapi.yaml`` holds either), so
that its sha256 names exactly what upstream published; a split directory is bundled first.
PROVENANCE.md is the record a reader and ``spec refresh`` share: ``- key: value`` lines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from ..errors import HarnessError
from .diff import DiffResult, diff_specs
from .loader import PINNED_DIR, load_document, parse_document, read_source, resolve_source
from .model import Spec

__all__ = ["Provenance", "provenance", "refresh"]

_LINE = re.compile(r"^- (?P<key>[a-z0-9 ]+): (?P<value>.+)$")
_FILE = "openapi.yaml"
_RECORD = "PROVENANCE.md"


@dataclass(frozen=True)
class Provenance:
    fields: dict[str, str]

    def get(self, key: str) -> str:
        return self.fields.get(key, "unknown")

    def one_line(self) -> str:
        commit = self.get("commit")
        return (f"pinned VoIPBIN spec: {self.get('upstream')} @ {commit[:12]} ({self.get('date')}), "
                f"{self.get('operations')} operations")


def provenance(directory: Path = PINNED_DIR) -> Provenance:
    """The record beside the pinned copy (empty fields when it is missing)."""
    try:
        text = (directory / _RECORD).read_text(encoding="utf-8")
    except OSError:
        return Provenance({})
    found = (_LINE.match(line.strip()) for line in text.splitlines())
    return Provenance({m["key"]: m["value"].strip() for m in found if m})


def refresh(source: str, *, directory: Path = PINNED_DIR, commit: str | None = None,
            upstream: str | None = None) -> DiffResult:
    """Replace the pinned copy in ``directory`` with ``source`` and return what changed.

    The new document is loaded (and so checked to be OpenAPI 3) before anything is written; the
    old copy is compared against it; the file and its record are then replaced together.
    """
    source = resolve_source(source)
    target = directory / _FILE
    if Path(source).expanduser().resolve() == target.resolve():
        raise HarnessError("the source is the pinned copy itself", hint="give a URL, a file or a split directory")
    if Path(source).expanduser().is_dir():  # a split directory: stored bundled
        document = load_document(source)
        data = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode("utf-8")
    else:  # stored as published, byte for byte
        data = read_source(source)
        document = parse_document(data, source)
    new = Spec(document, source)
    old = Spec(load_document(str(target)), str(target)) if target.exists() else Spec({"paths": {}}, "(none)")
    result = diff_specs(old, new)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
        (directory / _RECORD).write_text(_record(new, data, source, commit, upstream), encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot write the pinned copy in {directory}: {exc.strerror or exc}") from None
    return result


def _record(spec: Spec, data: bytes, source: str, commit: str | None, upstream: str | None) -> str:
    paths = len(spec.document.get("paths") or {})
    return "\n".join([
        "# The pinned VoIPBIN spec",
        "",
        "The OpenAPI document the harness reads when no `--spec` / `VOIPBIN_SPEC` is given, so that a clone",
        "with nothing beside it and no network runs every suite. `--spec live` reads the live one instead;",
        "`voipbin-harness spec refresh SOURCE` replaces this copy and prints what changed (`spec diff`).",
        "",
        f"- upstream: {upstream or source}",
        f"- commit: {commit or 'unknown (give spec refresh --commit SHA)'}",
        f"- date: {date.today().isoformat()}",
        f"- operations: {len(spec.operations)}",
        f"- paths: {paths}",
        f"- sha256: {hashlib.sha256(data).hexdigest()}",
        "- licence: MIT, Copyright (c) 2024 Voipbin (LICENSE beside this file)",
        "",
    ])
