"""One request and its answer, as a scenario and a finding see it: ``Exchange`` can describe
itself (status, request id, body) and reproduce itself (a curl line without secrets).

Apart from the client that makes it so that ``failures`` (which quotes exchanges in findings)
and ``client`` (which raises failures) each import it without importing each other.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson

from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER
from voipbin_harness.redact import redact_text
from voipbin_harness.replay import error_reason, request_form

__all__ = ["MISSING", "Exchange", "json_or_none"]

#: "No JSON body given" (None is a body: ``null``), and "not parsed yet".
MISSING: Any = object()
_BODY_PREVIEW = 400


def json_or_none(content: bytes) -> Any:
    """The JSON document in ``content``, or None when it is empty or not JSON."""
    try:
        return orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        return None


@dataclass
class Exchange:
    """One request and its answer (or the transport error that replaced the answer)."""

    method: str
    url: str  # without the query
    query: dict[str, Any]
    label: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    headers: httpx.Headers
    content: bytes
    placeholders: dict[str, str] = field(repr=False, default_factory=dict)
    declared: tuple[int, ...] = ()  # statuses the spec declares for the operation (empty: unknown)
    _data: Any = field(default=MISSING, repr=False)

    @property
    def data(self) -> Any:
        """The JSON body, or None when the body is empty or not JSON."""
        if self._data is MISSING:
            self._data = json_or_none(self.content)
        return self._data

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_id(self) -> str | None:
        return self.headers.get(REQUEST_ID_HEADER)

    def describe(self) -> str:
        """``HTTP 403 [X-Request-Id req_..] {...body...}``, redacted and truncated."""
        body = self.content[:_BODY_PREVIEW].decode("utf-8", "replace")
        if len(self.content) > _BODY_PREVIEW:
            body += f"... ({len(self.content)} bytes)"
        rid = f" [X-Request-Id {self.request_id}]" if self.request_id else ""
        return redact_text(f"HTTP {self.status}{rid} {body or '(empty body)'}")

    def curl(self) -> str:
        """A curl line that sends the same request; known credentials appear as ``$VOIPBIN_*``
        variables, any other secret (a minted token, a returned key, a password) as ``***``."""
        mask = self._mask
        url = redact_text(self.url)
        if self.query:
            url += "?" + "&".join(f"{quote(str(k))}={mask(str(v), quote_value=True)}"
                                  for k, v in self.query.items())
        parts = ["curl", "-sS", "-i", "-X", self.method, url]
        for name, value in self.request_headers.items():
            parts += ["-H", f"{name}: {self._mask_header(name, value)}"]
        if self.request_body is not None:
            parts += ["--data-raw", redact_text(self.request_body.decode("utf-8", "replace"))]
        return " ".join(_shell(p) for p in parts)

    def request_form(self) -> dict[str, Any]:
        """``Finding.request``: this request as data for ``voipbin-harness replay``, each credential as the
        role that sent it (the configured secrets' variables), never its value."""
        path = urlsplit(self.url).path
        template = self.label.partition(" ")[2].strip("/").split("/")
        segments = path.strip("/").split("/")
        base = "/".join(segments[:max(len(segments) - len(template), 0)])
        return request_form(method=self.method, path=path, base_path=f"/{base}" if base else "",
                            operation=self.label, status=self.status, query=self.query, headers=self.request_headers,
                            body=self.request_body, named=self.placeholders, reason=error_reason(self.content))

    def _mask(self, value: str, *, quote_value: bool = False) -> str:
        variable = self.placeholders.get(value)
        if variable:
            return f"\x00{variable}\x00"
        masked = redact_text(value)
        return quote(masked, safe="*") if quote_value else masked

    def _mask_header(self, name: str, value: str) -> str:
        low = name.lower()
        if low == "cookie":
            return "; ".join(f"{k}={self._mask(v)}" for k, _, v in
                             (pair.strip().partition("=") for pair in value.split(";")))
        if low == "authorization":
            scheme, space, credential = value.partition(" ")
            return f"{scheme} {self._mask(credential)}" if space else self._mask(value)
        return redact_text(f"{name}: {value}")[len(name) + 2:]


def _shell(arg: str) -> str:
    """Quote one argument for a POSIX shell; ``\\x00NAME\\x00`` markers become ``$NAME`` (expanded)."""
    if "\x00" not in arg:
        return shlex.quote(arg)
    escaped = re.sub(r'([\\"`$])', r"\\\1", arg)
    return '"' + re.sub("\x00([A-Z_]+)\x00", r"$\1", escaped) + '"'
