"""The one spec loader: bundled YAML/JSON, the split directory, a URL, and refusals as HarnessError.

The bundle these tests read is the copy pinned in the package; the upstream split directory is read
from ``../shared`` when it is there (skipped, with the reason, when it is not: a clone alone runs)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from voipbin_harness.errors import HarnessError
from voipbin_harness.spec import PINNED_SPEC, Spec, load_document, load_spec

BUNDLE = PINNED_SPEC
SPLIT = Path(__file__).resolve().parents[2] / "shared" / "voipbin" / "openapi-split"
_needs_split = pytest.mark.skipif(not SPLIT.is_dir(), reason=f"upstream's split spec is not beside the clone ({SPLIT})")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader caches parsed documents under $XDG_CACHE_HOME; keep this module's garbage out of
    the user's cache, and make sure a cache hit cannot mask a parsing bug."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def bundled() -> dict:
    return load_document(str(BUNDLE))


def test_default_spec_is_the_pinned_bundle(spec: Spec) -> None:
    # BEHAVIOUR.md "Surfaces": 261 paths, 410 operations (165 GET, 118 POST, 63 PUT, 64 DELETE, no PATCH)
    assert len(spec.document["paths"]) == 261
    assert len(spec.operations) == 410
    assert Counter(op.method for op in spec.operations) == {"GET": 165, "POST": 118, "PUT": 63, "DELETE": 64}
    assert spec.base_path == "/v1.0"
    assert len({op.label for op in spec.operations}) == 410


def test_json_bundle_gives_the_same_document(tmp_path: Path, bundled: dict) -> None:
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(bundled))
    assert load_document(str(path)) == bundled


@_needs_split
def test_split_directory_gives_the_same_document_as_the_bundle(bundled: dict) -> None:
    split = load_document(str(SPLIT))
    assert split == bundled
    assert len(Spec(split).operations) == 410


def test_split_path_files_use_root_components(tmp_path: Path) -> None:
    """``#/components/...`` inside a path file means the root's components (README of the spec)."""
    (tmp_path / "paths").mkdir()
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nservers: [{url: 'http://x/v9'}]\n"
        "paths:\n  /things:\n    $ref: './paths/things.yaml'\n"
        "components:\n  schemas:\n    Thing: {type: object, properties: {id: {type: string}}}\n")
    (tmp_path / "paths" / "things.yaml").write_text(
        "get:\n  responses:\n    '200':\n      description: ok\n      content:\n        application/json:\n"
        "          schema: {$ref: '#/components/schemas/Thing'}\n")
    spec = load_spec(str(tmp_path))
    op = spec.operation("GET /things")
    assert spec.base_path == "/v9"
    assert spec.resolve(op.responses["200"])["properties"]["id"] == {"type": "string"}


def test_split_with_a_missing_path_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(  # no paths/ beside it
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /things:\n    $ref: './paths/things.yaml'\n")
    with pytest.raises(HarnessError, match="cannot be read"):
        load_document(str(tmp_path))


def test_directory_without_a_root_document_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HarnessError):
        load_document(str(tmp_path))


@pytest.mark.parametrize(("content", "why"), [
    (b"{not: [valid", "not valid"),
    (b"\x00\x01\x02\xff\xfe binary", "not valid"),
    (b"just a string", "not an OpenAPI"),
    (b"foo: 1\nbar: [1, 2]\n", "not an OpenAPI"),
    (b'{"swagger": "2.0", "paths": {}}', "not OpenAPI 3"),
    (b'{"openapi": "3.0.0", "paths": []}', "not an OpenAPI"),
    (b"", "not an OpenAPI"),
])
def test_garbage_and_non_openapi_files_are_refused(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    with pytest.raises(HarnessError, match=why) as caught:
        load_document(str(path))
    assert "\n" not in caught.value.one_line()


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="not found"):
        load_document(str(tmp_path / "nope.yaml"))


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:  # root reads any file whatever its mode; /proc/self/mem exists but cannot be read
        path = Path("/proc/self/mem")
    else:
        path = tmp_path / "spec.yaml"
        path.write_bytes(BUNDLE.read_bytes()[:100])
        path.chmod(0)
    with pytest.raises(HarnessError, match="cannot read"):
        load_document(str(path))


def test_unreadable_split_root_is_refused(tmp_path: Path) -> None:
    """A split directory whose root document cannot be read (here: it is a folder, which even root
    cannot read) must be a one-line HarnessError, not an OSError traceback."""
    (tmp_path / "openapi.yaml").mkdir()
    with pytest.raises(HarnessError):
        load_document(str(tmp_path))


def test_env_var_names_the_default_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bundled: dict) -> None:
    path = tmp_path / "from-env.json"
    path.write_text(json.dumps(bundled))
    monkeypatch.setenv("VOIPBIN_SPEC", str(path))
    spec = load_spec()
    assert spec.source == str(path) and len(spec.operations) == 410


# -- URL loading against a loopback HTTP server -------------------------------------------
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def spec_server(tmp_path_factory: pytest.TempPathFactory, bundled: dict) -> Iterator[str]:
    root = tmp_path_factory.mktemp("served")
    (root / "openapi.json").write_text(json.dumps(bundled))
    shutil.copy(BUNDLE, root / "openapi.yaml")
    (root / "garbage.json").write_text("{{{")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             lambda *a: _Quiet(*a, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["openapi.json", "openapi.yaml"])
def test_url_gives_the_same_document(spec_server: str, name: str, bundled: dict) -> None:
    spec = load_spec(f"{spec_server}/{name}")
    assert spec.document == bundled and len(spec.operations) == 410 and spec.base_path == "/v1.0"


def test_url_not_found_is_refused(spec_server: str) -> None:
    with pytest.raises(HarnessError, match="404"):
        load_document(f"{spec_server}/missing.json")


def test_url_with_garbage_is_refused(spec_server: str) -> None:
    with pytest.raises(HarnessError, match="not valid"):
        load_document(f"{spec_server}/garbage.json")


def test_unreachable_url_is_refused() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HarnessError, match="cannot fetch"):
        load_document(f"http://127.0.0.1:{port}/openapi.json")


# -- The operation model -------------------------------------------------------------------
@pytest.mark.parametrize(("label", "role", "collection", "params", "paginated"), [
    ("GET /flows", "list", "flows", [], True),
    ("POST /flows", "create", "flows", [], False),
    ("GET /flows/{id}", "read", "flows", ["id"], False),
    ("PUT /flows/{id}", "update", "flows", ["id"], False),
    ("DELETE /flows/{id}", "delete", "flows", ["id"], False),
    ("GET /customer", "singleton", "customer", [], False),
    ("POST /calls/{id}/hangup", "action", "calls", ["id"], False),
    ("GET /outdials/{id}/targets/{target_id}", "read", "outdials", ["id", "target_id"], False),
])
def test_operation_model(spec: Spec, label: str, role: str, collection: str, params: list[str],
                         paginated: bool) -> None:
    op = spec.operation(label)
    assert (op.role, op.collection, op.path_params, op.is_paginated) == (role, collection, params, paginated)
    assert op.label == label and "200" in op.declared_statuses


def test_operations_resolve_parameters_and_bodies(spec: Spec) -> None:
    op = spec.operation("GET /flows/{id}")
    assert op.param("path", "id") is not None and "$ref" not in op.param("path", "id")
    assert spec.operation("POST /flows").request_schema is not None
    assert spec.resolve(op.responses["200"])["type"] == "object"
    assert spec.pointer("#/components/schemas/FlowManagerFlow") is spec.resolve(op.responses["200"])
    with pytest.raises(KeyError):
        spec.pointer("other.yaml#/x")
