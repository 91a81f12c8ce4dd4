"""Every file the report writes is redacted; the safety net scrubs what suites wrote."""

from __future__ import annotations

from pathlib import Path

from voipbin_harness.redact import register_secret
from voipbin_harness.report.output import copy_redacted, scrub_tree, write_json, write_text

SECRET = "planted-output-secret-81c2"


def test_writers_mask_registered_secrets(tmp_path: Path) -> None:
    register_secret(SECRET)
    write_json(tmp_path / "a.json", {"note": f"x {SECRET} y", "password": "hunter2-plain"})
    write_text(tmp_path / "b.html", f"<p>{SECRET}</p>")
    for path in tmp_path.iterdir():
        assert SECRET not in path.read_text() and "hunter2-plain" not in path.read_text()


def test_scrub_tree_cleans_text_leaves_binary_and_names_the_files(tmp_path: Path) -> None:
    register_secret(SECRET)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "junit.xml").write_text(f"<failure message='{SECRET}'/>")
    (tmp_path / "clean.txt").write_text("nothing here")
    png = b"\x89PNG\r\n\x1a\n\x00" + SECRET.encode()
    (tmp_path / "chart.png").write_bytes(png)
    # code that merely names a field (Locust's inline JavaScript) is left working...
    code = 'var o={password:!0};if("password"===e.type){token:e}'
    (tmp_path / "locust.html").write_text(f"<script>{code}</script>")
    (tmp_path / "leak.html").write_text(f"<script>{code}</script><p>{SECRET}</p>")
    changed = scrub_tree(tmp_path)
    assert changed == [tmp_path / "leak.html", tmp_path / "sub" / "junit.xml"]
    assert SECRET not in (tmp_path / "sub" / "junit.xml").read_text()
    assert (tmp_path / "chart.png").read_bytes() == png
    assert (tmp_path / "locust.html").read_text() == f"<script>{code}</script>"
    # ... while a secret in it is still masked
    assert (tmp_path / "leak.html").read_text() == f"<script>{code}</script><p>***</p>"


def test_copy_redacted(tmp_path: Path) -> None:
    register_secret(SECRET)
    (tmp_path / "in.txt").write_text(f"Authorization: Bearer {SECRET}")
    assert copy_redacted(tmp_path / "in.txt", tmp_path / "out" / "in.txt")
    assert SECRET not in (tmp_path / "out" / "in.txt").read_text()


def test_json_stays_json_when_a_secret_sits_next_to_an_escaped_quote(tmp_path: Path) -> None:
    """Text redaction would take the backslash of ``\\"`` with the masked value and break the file."""
    import json

    register_secret(SECRET)
    document = {"reproduce": f'curl -H "Authorization: Bearer {SECRET}"', "clean": "-H \"Authorization: Bearer ***\""}
    (tmp_path / "result.json").write_text(json.dumps(document))
    (tmp_path / "clean.json").write_text(json.dumps({"clean": document["clean"]}))
    (tmp_path / "log.jsonl").write_text(json.dumps(document) + "\n" + json.dumps({"a": 1}) + "\n")
    changed = scrub_tree(tmp_path)
    assert changed == [tmp_path / "log.jsonl", tmp_path / "result.json"]  # clean.json left byte for byte
    cleaned = json.loads((tmp_path / "result.json").read_text())
    assert cleaned["reproduce"] == 'curl -H "Authorization: Bearer ***"'
    assert [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()][1] == {"a": 1}
