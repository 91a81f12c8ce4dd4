"""Every byte the report writes goes through here, and through ``voipbin_harness.redact``.

Writers are atomic (write a temporary file, then rename) so that a report read while a run is
still going, or left by a run that was killed, is never half a file. ``scrub_tree`` is the safety
net for what the suites wrote themselves (JUnit, Locust CSV/HTML, allure attachments): each text
file is passed through ``redact_text`` once more. It masks values only (known secrets, JWT and
access-key shapes), never the words around one, so a file it changes held a real secret: those
files are named in the report, because a suite that leaked a secret has a bug worth seeing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import orjson

from ..findings import atomic_write
from ..redact import redact, redact_text

__all__ = ["copy_redacted", "scrub_tree", "write_json", "write_redacted_json", "write_rendered", "write_text"]

# Files that are never text: copied as they are, never rewritten.
# Files that hold code (inline scripts): never parsed, only their secret values masked.
_PROGRAM_SUFFIXES = {".html", ".htm", ".js", ".mjs", ".css", ".svg"}
_BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".zip", ".gz", ".woff", ".woff2", ".pdf"}


def write_json(path: str | os.PathLike[str], document: Any) -> Path:
    """``document`` as indented JSON, secrets masked."""
    path = Path(path)
    atomic_write(path, orjson.dumps(redact(document), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return path


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """``text`` (HTML, log, CSV...) with secrets masked."""
    path = Path(path)
    atomic_write(path, redact_text(text).encode("utf-8"))
    return path


def write_redacted_json(path: str | os.PathLike[str], document: Any) -> Path:
    """``document``, already passed through ``redact`` by the caller, as indented JSON.

    The run document is redacted once per write and then serialised twice (summary.json and the
    page): redacting a thousand findings again for each file costs seconds a quick run has not got.
    """
    path = Path(path)
    atomic_write(path, orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return path


def write_rendered(path: str | os.PathLike[str], text: str) -> Path:
    """A page rendered from a document already passed through ``redact`` (and from nothing else)."""
    path = Path(path)
    atomic_write(path, text.encode("utf-8"))
    return path


def _redacted_bytes(data: bytes, suffix: str) -> bytes | None:
    """The redacted form of ``data`` when it is text, else None (binary: left as it is)."""
    if suffix.lower() in _BINARY_SUFFIXES or b"\x00" in data[:4096]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if suffix.lower() in _PROGRAM_SUFFIXES:
        return redact_text(text).encode("utf-8")  # values only: code such as ``password:!0`` stays
    if suffix.lower() == ".json":
        cleaned = _redact_json(data)
        if cleaned is not None:
            return cleaned
    if suffix.lower() == ".jsonl":
        lines = [_redact_json(line) if line.strip() else line for line in data.split(b"\n")]
        if all(line is not None for line in lines):
            return b"\n".join(lines)  # type: ignore[arg-type]
    return redact_text(text).encode("utf-8")


def _redact_json(data: bytes) -> bytes | None:
    """JSON redacted as data, not as text: a masked value inside a string that holds an escaped
    quote (``"-H \\"Authorization: Bearer x\\""``) must not take the backslash with it and break
    the document. The bytes are kept as they are when nothing needed masking; None if not JSON."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    cleaned = redact(document, fields=False)  # a suite's data: a "password" key may hold a wrong one
    if cleaned == document:
        return data
    return orjson.dumps(cleaned, option=orjson.OPT_INDENT_2 if b"\n" in data.strip() else 0)


def copy_redacted(source: Path, destination: Path) -> bool:
    """Copy one file, masking secrets in text; True when the copy differs from the source."""
    data = source.read_bytes()
    cleaned = _redacted_bytes(data, source.suffix)
    if cleaned is None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        return False
    atomic_write(destination, cleaned)
    return cleaned != data


def scrub_tree(directory: str | os.PathLike[str], *, skip_suffixes: tuple[str, ...] = ()) -> list[Path]:
    """Re-redact every text file under ``directory`` in place; the files that held a real secret.

    Only values are masked (see the module docstring), so every file returned held a known secret
    or a credential-shaped string; a promise quoted in a description changes nothing.
    ``skip_suffixes`` leaves files alone (e.g. a bundle whose content is not the run's).
    """
    changed: list[Path] = []
    root = Path(directory)
    if not root.is_dir():
        return changed
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name.endswith(skip_suffixes):
            continue
        data = path.read_bytes()
        cleaned = _redacted_bytes(data, path.suffix)
        if cleaned is not None and cleaned != data:
            atomic_write(path, cleaned)
            changed.append(path)
    return changed
