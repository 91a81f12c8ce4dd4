"""Load VoIPBIN's OpenAPI document from wherever it lives, into one bundled dict.

Without ``--spec``/``$VOIPBIN_SPEC`` the harness reads the copy pinned inside this package
(``spec/pinned/``: upstream's bundled spec, its MIT licence, and PROVENANCE.md naming the upstream
commit), so that a clone with nothing beside it and no network runs; ``live`` names the live URL,
``pinned`` the pinned copy. The spec is an input with a version: ``spec refresh`` replaces the
pinned copy, ``spec diff`` says what changed between two versions.

Three sources are accepted: a bundled YAML/JSON file, a split directory as upstream keeps it
(``openapi.yaml`` + ``paths/**.yaml`` referenced by ``$ref: './paths/...'``, in which
``#/components/...`` means the *root* document's components, so the path files are inlined
rather than resolved as separate documents), and an http(s) URL. The spec is known to be
imperfect (validator errors, no ``securitySchemes``), so loading never validates: ``lint`` does.

Parsing 800 KB of YAML costs ~0.4 s even with libyaml; a parsed copy is cached as JSON under the
user's cache directory, keyed by the content's hash, so the emulator starts in well under 1 s.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import orjson
import yaml

from ..errors import HarnessError

__all__ = ["LIVE_SPEC_URL", "PINNED_DIR", "PINNED_SPEC", "default_spec_source", "load_document", "parse_document",
           "read_source", "resolve_source"]

LIVE_SPEC_URL = "https://api.voipbin.net/openapi.json"
PINNED_DIR = Path(__file__).resolve().parent / "pinned"
PINNED_SPEC = PINNED_DIR / "openapi.yaml"
#: Source names that are not paths: ``live`` (the gateway's own spec) and ``pinned`` (the package's copy).
_NAMED = {"live": LIVE_SPEC_URL, "pinned": str(PINNED_SPEC)}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def default_spec_source() -> str:
    """``$VOIPBIN_SPEC`` (``live``/``pinned`` resolved), else the pinned copy shipped in the package.

    Never the network and never a folder beside the checkout: a run's spec must not change
    because the live spec changed overnight or because of what happens to lie next to the clone.
    """
    return resolve_source(os.environ.get("VOIPBIN_SPEC") or "pinned")


def resolve_source(source: str) -> str:
    """``live`` -> the live URL, ``pinned`` -> the pinned file; anything else unchanged."""
    return _NAMED.get(source.strip().lower(), source) if source else source


def load_document(source: str) -> dict[str, Any]:
    """The bundled spec as a plain dict (``$ref``s into ``#/components`` left in place)."""
    source = resolve_source(source)
    if source.startswith(("http://", "https://")):
        return _parse(_fetch(source), source)
    path = Path(source).expanduser()
    if path.is_dir():
        return _load_split(path)
    return parse_document(read_source(source), source)


def parse_document(data: bytes, source: str) -> dict[str, Any]:
    """``data`` (YAML or JSON bytes read from ``source``) as a bundled OpenAPI 3 dict, cached."""
    return _parse_cached(data, source)


def read_source(source: str) -> bytes:
    """The bytes of a spec file or URL, as published (``live``/``pinned`` resolved)."""
    source = resolve_source(source)
    if source.startswith(("http://", "https://")):
        return _fetch(source)
    path = Path(source).expanduser()
    if not path.exists():
        raise HarnessError(f"spec not found: {source}", hint="give a file, a split directory, a URL, live or pinned")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HarnessError(f"cannot read spec {source}: {exc.strerror}") from None


def _fetch(url: str) -> bytes:
    import httpx

    try:
        response = httpx.get(url, timeout=30, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise HarnessError(f"cannot fetch spec {url}: {exc}", hint="check the URL or pass a local --spec") from None
    if response.status_code != 200:
        raise HarnessError(f"cannot fetch spec {url}: HTTP {response.status_code}")
    return response.content


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "voipbin-harness"


def _parse_cached(data: bytes, source: str) -> dict[str, Any]:
    cache = _cache_dir() / f"spec-{hashlib.sha256(data).hexdigest()[:32]}.json"
    try:
        return orjson.loads(cache.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    document = _parse(data, source)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(document))
        tmp.replace(cache)
    except (OSError, TypeError):
        pass  # a read-only home or a YAML value JSON cannot hold: the cache is only a speed-up
    return document


def _parse(data: bytes, source: str) -> dict[str, Any]:
    try:
        document = orjson.loads(data) if data.lstrip()[:1] == b"{" else yaml.load(data, Loader=_Loader)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HarnessError(f"spec {source} is not valid YAML/JSON: {first}") from None
    _require_openapi(document, source)
    return _jsonable(document)


def _require_openapi(document: Any, source: str) -> None:
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise HarnessError(f"spec {source} is not an OpenAPI document (no 'paths' object)")
    if not str(document.get("openapi", "")).startswith("3."):
        raise HarnessError(f"spec {source} is not OpenAPI 3.x (openapi: {document.get('openapi')!r})")


def _load_split(directory: Path) -> dict[str, Any]:
    root_file = next((directory / n for n in ("openapi.yaml", "openapi.yml", "openapi.json")
                      if (directory / n).exists()), None)
    if root_file is None:
        raise HarnessError(f"split spec {directory} has no openapi.yaml at its top")
    try:
        root_bytes = root_file.read_bytes()
    except OSError as exc:
        raise HarnessError(f"cannot read split spec root {root_file}: {exc.strerror or exc}") from None
    root = _parse(root_bytes, str(root_file))
    paths: dict[str, Any] = {}
    for template, item in root["paths"].items():
        ref = item.get("$ref") if isinstance(item, dict) else None
        if isinstance(ref, str) and not ref.startswith("#"):
            target = (root_file.parent / ref.split("#", 1)[0]).resolve()
            try:
                item = yaml.load(target.read_bytes(), Loader=_Loader)
            except OSError:
                raise HarnessError(f"split spec: {template} refers to {ref}, which cannot be read") from None
            except yaml.YAMLError as exc:
                raise HarnessError(f"split spec: {ref} is not valid YAML: {str(exc).splitlines()[0]}") from None
        paths[template] = _jsonable(item)
    root["paths"] = paths
    return root


def _jsonable(value: Any) -> Any:
    """YAML may produce int keys (response codes) and dates; JSON Schema tools want strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
