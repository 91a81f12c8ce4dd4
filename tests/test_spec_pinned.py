"""The spec pinned in the package: the default source (never ``../shared``, never the network), its
licence and provenance, ``live``/``pinned`` names, and ``spec refresh`` replacing it."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from voipbin_harness.cli import main
from voipbin_harness.spec import (
    LIVE_SPEC_URL,
    PINNED_SPEC,
    default_spec_source,
    load_document,
    resolve_source,
)
from voipbin_harness.spec.loader import PINNED_DIR
from voipbin_harness.spec.pin import provenance


def test_default_source_is_the_pinned_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOIPBIN_SPEC", raising=False)
    assert default_spec_source() == str(PINNED_SPEC)
    assert PINNED_SPEC.is_relative_to(Path(__file__).resolve().parents[1] / "voipbin_harness")


@pytest.mark.parametrize(("given", "meant"), [("live", LIVE_SPEC_URL), ("LIVE", LIVE_SPEC_URL), ("pinned", str(PINNED_SPEC)),
                                              ("./openapi.yaml", "./openapi.yaml")])
def test_named_sources(given: str, meant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_source(given) == meant
    monkeypatch.setenv("VOIPBIN_SPEC", given)
    assert default_spec_source() == meant


def test_pinned_copy_carries_its_licence_and_provenance() -> None:
    assert "MIT License" in (PINNED_DIR / "LICENSE").read_text()
    record = provenance()
    assert len(record.get("commit")) == 40 and record.get("operations") == "410"
    assert record.get("sha256") == hashlib.sha256(PINNED_SPEC.read_bytes()).hexdigest()


def test_package_data_ships_the_pinned_files() -> None:
    """A non-editable install carries only what pyproject's package-data globs name."""
    import tomllib
    from fnmatch import fnmatch

    globs = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["voipbin_harness"]
    for name in ("openapi.yaml", "LICENSE", "PROVENANCE.md"):
        relative = f"spec/pinned/{name}"
        assert any(fnmatch(relative, g) or fnmatch(relative, g.replace("**/", "")) for g in globs), relative


def _revision(tmp_path: Path) -> Path:
    document = copy.deepcopy(load_document("pinned"))
    del document["paths"]["/tags/{id}"]["delete"]
    path = tmp_path / "next.json"
    path.write_text(json.dumps(document))
    return path


def test_refresh_replaces_the_copy_and_prints_the_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    (pinned / "openapi.yaml").write_bytes(PINNED_SPEC.read_bytes())
    source = _revision(tmp_path)
    assert main(["spec", "refresh", str(source), "--into", str(pinned), "--commit", "a" * 40]) == 0
    out = capsys.readouterr().out
    assert "1 breaking" in out and "DELETE /tags/{id}" in out
    assert (pinned / "openapi.yaml").read_bytes() == source.read_bytes()
    record = provenance(pinned)
    assert record.get("commit") == "a" * 40 and record.get("operations") == "409"
    assert record.get("sha256") == hashlib.sha256(source.read_bytes()).hexdigest()


def test_refresh_from_garbage_leaves_the_copy_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    (pinned / "openapi.yaml").write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n")
    before = (pinned / "openapi.yaml").read_bytes()
    (tmp_path / "bad.json").write_text('{"swagger": "2.0", "paths": {}}')
    assert main(["spec", "refresh", str(tmp_path / "bad.json"), "--into", str(pinned)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert (pinned / "openapi.yaml").read_bytes() == before


def test_refresh_from_a_split_directory_stores_it_bundled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    split = tmp_path / "split"
    (split / "paths").mkdir(parents=True)
    (split / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '2'}\npaths:\n  /things:\n    $ref: './paths/things.yaml'\n"
        "components:\n  schemas:\n    Thing: {type: object}\n")
    (split / "paths" / "things.yaml").write_text("get:\n  responses:\n    '200': {description: ok}\n")
    pinned = tmp_path / "pinned"
    assert main(["spec", "refresh", str(split), "--into", str(pinned)]) == 0
    assert "GET /things: new operation" in capsys.readouterr().out
    stored = load_document(str(pinned / "openapi.yaml"))
    assert "$ref" not in stored["paths"]["/things"] and provenance(pinned).get("operations") == "1"


def test_refresh_refuses_the_pinned_copy_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "refresh", "pinned"]) == 2
    assert "pinned copy itself" in capsys.readouterr().err
