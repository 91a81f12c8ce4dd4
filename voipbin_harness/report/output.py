"""Every byte the report writes goes through here, and through ``voipbin_harness.redact``.

Writers are atomic (write a temporary file, then rename) so that a report read while a run is
still going, or left by a run that was killed, is never half a file. ``scrub_tree`` is the safety
net for what the suites wrote themselves (JUnit, Locust CSV/HTML, allure attachments): each text
file is passed through ``redact_text`` once more, and the files that needed it are named in the
report, because a suite that leaked a secret has a bug worth seeing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import orjson

from ..redact import redact, redact_text

__all__ = ["copy_redacted", "scrub_tree", "write_json", "write_text"]

# Files that are never text: copied as they are, never rewritten.
_BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".zip", ".gz", ".woff", ".woff2", ".pdf"}


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_json(path: str | os.PathLike[str], document: Any) -> Path:
    """``document`` as indented JSON, secrets masked."""
    path = Path(path)
    _atomic_write(path, orjson.dumps(redact(document), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return path


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """``text`` (HTML, log, CSV...) with secrets masked."""
    path = Path(path)
    _atomic_write(path, redact_text(text).encode("utf-8"))
    return path


def _redacted_bytes(data: bytes, suffix: str) -> bytes | None:
    """The redacted form of ``data`` when it is text, else None (binary: left as it is)."""
    if suffix.lower() in _BINARY_SUFFIXES or b"\x00" in data[:4096]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return redact_text(text).encode("utf-8")


def copy_redacted(source: Path, destination: Path) -> bool:
    """Copy one file, masking secrets in text; True when the copy differs from the source."""
    data = source.read_bytes()
    cleaned = _redacted_bytes(data, source.suffix)
    if cleaned is None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        return False
    _atomic_write(destination, cleaned)
    return cleaned != data


def scrub_tree(directory: str | os.PathLike[str]) -> list[Path]:
    """Re-redact every text file under ``directory`` in place; the files that contained a secret."""
    changed: list[Path] = []
    root = Path(directory)
    if not root.is_dir():
        return changed
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        cleaned = _redacted_bytes(data, path.suffix)
        if cleaned is not None and cleaned != data:
            _atomic_write(path, cleaned)
            changed.append(path)
    return changed
