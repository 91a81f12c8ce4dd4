"""Replay a finding: the request that met it, re-sent exactly to the same or another target, and judged again.

A finding carries its request as data (``Finding.request``, built here by ``request_form``): method,
concrete path, query, JSON body, the headers that are not credentials, and each credential as the
ROLE that sent it (``primary``, ``other``, ``agent``, in the Authorization header, a cookie or the
``accesskey`` query), never its value. Replay fills the role in from the target's credentials
(``VOIPBIN_*``, or the embedded emulator's seeded tenants), as every suite does.

Why a role and not the value: a report is shared, a token is not, and a finding met on one target
must be re-sent to another with that target's own credentials. A credential that no role names (a
token the run forged, a key it created) is recorded as ``minted``: such a finding cannot be replayed
and says so. A credential that is no secret at all (``Bearer nonsense``) is kept as it was sent.

Re-judging (``Verdict``): a contracts finding is judged by its own check, re-run on the new answer
(``replay_contracts``), and holds when the check reports the same defect again (the same finding
id). Any other finding holds when the new answer is the deviant one again: the same HTTP status and,
for an error answer, the same VoIPBIN ``reason``. No verdict ("cannot replay", exit 2) rather than a
false one when the request depended on what the original run had made: a path with an id that answered
2xx then and 404 now (a resource of that run), or an answer that is neither the deviant one nor a status
the finding's ``expected`` names (a state the scenario set up first, such as a zero balance). A create
re-sent is deleted again when the spec has its ``DELETE`` (``clean_up``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from .conventions.auth import BEARER_PREFIX
from .conventions.credentials import SAFE_METHODS, credential_reason
from .conventions.rules import R
from .errors import ExitCode, HarnessError
from .findings import FINDINGS_LOG, SUMMARY_FILE, WORKERS_DIR, read_findings_log
from .pacing import answer_of
from .redact import contains_secret, redact

__all__ = ["ROLE_VARIABLES", "TIMEOUT", "Verdict", "authenticate", "clean_up", "contracts_module", "credential_entry",
           "depends_on_run", "error_reason", "find_finding", "not_replayable", "pacing_key", "replay_finding",
           "request_form", "target_path"]

#: Placeholder variable (as the suites name a configured secret in curl lines) -> (role, kind).
ROLE_VARIABLES: dict[str, tuple[str, str]] = {
    "VOIPBIN_TOKEN": ("primary", "jwt"), "VOIPBIN_ACCESSKEY": ("primary", "accesskey"),
    "VOIPBIN_OTHER_TOKEN": ("other", "jwt"), "VOIPBIN_OTHER_ACCESSKEY": ("other", "accesskey"),
    "VOIPBIN_AGENT_TOKEN": ("agent", "jwt"),
}
#: Secrets a body may carry (a login's password), as ``$VARIABLE`` -> the ``Credentials`` field.
BODY_SECRETS: dict[str, str] = {"VOIPBIN_PASSWORD": "password", "VOIPBIN_OTHER_PASSWORD": "other_password",
                                "VOIPBIN_AGENT_PASSWORD": "agent_password"}
#: The pacer's key for each role: the agent is metered in its customer's bucket (pacing.py).
_PACING_KEY = {"primary": "primary", "agent": "primary", "other": "other"}
#: Headers a client adds by itself: not part of what the finding sent.
_CLIENT_HEADERS = frozenset({"user-agent", "accept", "accept-encoding", "connection", "content-length", "host",
                             "x-schemathesis-testcaseid", "authorization", "cookie"})
_TOKEN_COOKIE = "token"
_ACCESSKEY_PARAM = "accesskey"
TIMEOUT = 15.0  # seconds for one re-sent request
#: Checks whose finding is about many requests (a met rate limit), not one: one re-sent request cannot judge them.
_RATE_CHECKS = frozenset({R.RATE_LIMIT_ANSWER.id, R.RATE_LIMIT_DECLARED.id})


# -- the request as data ---------------------------------------------------------------------------------------
def credential_entry(place: str, name: str, value: str, named: Mapping[str, str]) -> dict[str, Any]:
    """One credential as the role that sent it (``named``: value -> placeholder variable), never its value;
    a value that is no secret is kept, a secret no role names is ``minted`` (made by the run)."""
    variable = named.get(value)
    if variable in ROLE_VARIABLES:
        role, kind = ROLE_VARIABLES[variable]
        return {"in": place, "name": name, "role": role, "kind": kind}
    if variable is None and not contains_secret(value):
        return {"in": place, "name": name, "role": "literal", "value": value}
    return {"in": place, "name": name, "role": "minted"}


def _body(content: bytes | str | None, named: Mapping[str, str]) -> dict[str, Any]:
    if content is None or content == b"" or content == "":
        return {}
    raw = content.encode() if isinstance(content, str) else content
    try:
        return {"body": _named_strings(orjson.loads(raw), named)}
    except orjson.JSONDecodeError:
        return {"body_text": raw.decode("utf-8", "replace")}


def _named_strings(value: Any, named: Mapping[str, str]) -> Any:
    """A configured secret inside a body (a login's password) becomes its ``$VARIABLE``."""
    if isinstance(value, str):
        variable = named.get(value)
        return f"${variable}" if variable in BODY_SECRETS else value
    if isinstance(value, dict):
        return {k: _named_strings(v, named) for k, v in value.items()}
    if isinstance(value, list):
        return [_named_strings(v, named) for v in value]
    return value


def request_form(*, method: str, path: str, base_path: str, operation: str, status: int,
                 query: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
                 body: bytes | str | None = None, named: Mapping[str, str] | None = None,
                 credentials: list[dict[str, Any]] | None = None, reason: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    """``Finding.request``: the request re-sendable by ``replay``, without a secret in it.

    ``path`` is the concrete path from the origin (base path included), ``named`` maps the configured
    secrets' values to their variables (``VOIPBIN_TOKEN``...) so that credentials become roles;
    ``credentials`` adds entries a caller already knows; ``status``/``reason`` are what the target
    answered (the deviant answer replay compares with)."""
    named = named or {}
    found = list(credentials or [])
    kept_query: dict[str, Any] = {}
    for key, value in (query or {}).items():
        if key == _ACCESSKEY_PARAM and isinstance(value, str):
            found.append(credential_entry("query", key, value, named))
        else:
            kept_query[key] = value
    kept_headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for name, value in (headers or {}).items():
        low = name.lower()
        if low == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme + " " == BEARER_PREFIX and token in named:
                found.append(credential_entry("header", name, token, named))
            else:
                found.append(credential_entry("header", name, value, named))
        elif low == "cookie":
            for pair in value.split(";"):
                key, _, cookie = pair.strip().partition("=")
                if key == _TOKEN_COOKIE:
                    found.append(credential_entry("cookie", key, cookie, named))
                elif key:
                    cookies[key] = cookie
        elif low not in _CLIENT_HEADERS:
            kept_headers[name] = value
    roles = [f"{c['role']} {c.get('kind', '')} ({c['in']})".replace("  ", " ") for c in found]
    form: dict[str, Any] = {"method": method.upper(), "path": path, "base_path": base_path, "operation": operation,
                            "query": kept_query, "headers": kept_headers, **_body(body, named),
                            "credentials": found, "role": ", ".join(roles) or "none",
                            "answered": {"status": status, **({"reason": reason} if reason else {})}, **extra}
    if cookies:
        form["cookies"] = cookies
    return redact(form, fields=False)


# -- finding a finding --------------------------------------------------------------------------------------------
def _sources(directory: Path) -> list[Path]:
    """Every file a finding may be in: the run's and each suite's summary and log, xdist workers' too."""
    files: list[Path] = []
    for folder in (directory, *sorted(p for p in directory.iterdir() if p.is_dir())):
        for part in (folder, *sorted((folder / WORKERS_DIR).glob("*"))):
            files += [part / SUMMARY_FILE, part / FINDINGS_LOG]
    return [f for f in files if f.is_file()]


def _findings_in(path: Path) -> list[dict[str, Any]]:
    if path.name == FINDINGS_LOG:
        return read_findings_log(path)
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return []
    found = data.get("findings") if isinstance(data, dict) else None
    return [f for f in found if isinstance(f, dict) and f.get("id")] if isinstance(found, list) else []


def find_finding(report_dir: str | os.PathLike[str], finding: str) -> dict[str, Any]:
    """The finding ``finding`` (its id, or the id's hex part) in a report directory: ``check``'s, or one
    suite's own. HarnessError (exit 2) when the directory or the id is not there."""
    directory = Path(report_dir)
    if not directory.is_dir():
        raise HarnessError(f"no report directory {directory}", hint="--report-dir: a check or suite report folder")
    wanted = finding.strip()
    seen: dict[str, dict[str, Any]] = {}
    for path in _sources(directory):
        for item in _findings_in(path):
            fid = str(item["id"])
            if wanted in (fid, fid.rsplit(":", 1)[-1]) and (item.get("request") or fid not in seen):
                seen[fid] = item
    if not seen:
        raise HarnessError(f"no finding {wanted!r} in {directory}", hint="ids are in summary.json, e.g. check:1a2b3c4d5e6f")
    if len(seen) > 1:
        raise HarnessError(f"{wanted!r} names {len(seen)} findings ({', '.join(sorted(seen))}): give the whole id")
    return next(iter(seen.values()))


# -- the verdict ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """What a replay found: ``holds`` (exit 1), ``gone`` (0, no longer holds) or ``cannot`` (2, not judged)."""

    outcome: str
    finding: str
    expected: str = ""
    got: str = ""
    why: str = ""

    @property
    def exit_code(self) -> int:
        return {"holds": ExitCode.FAILURES, "gone": ExitCode.OK}.get(self.outcome, ExitCode.UNUSABLE)

    def line(self) -> str:
        if self.outcome == "cannot":
            return f"cannot replay {self.finding}: {self.why}"
        head = "still holds" if self.outcome == "holds" else "no longer holds"
        return f"{head}: {self.finding} · expected {self.expected} · got {self.got}"


def not_replayable(finding: Mapping[str, Any]) -> str | None:
    """Why ``finding`` cannot be re-sent at all, or None."""
    fid, suite, check = finding.get("id"), finding.get("suite") or "?", finding.get("check")
    form = finding.get("request")
    if check in _RATE_CHECKS or str(finding.get("key", "")).startswith("undeclared-429"):
        return f"{check} is about the target's rate limit being met, which one re-sent request does not do"
    if not isinstance(form, dict):
        return (f"a {suite} finding is not the answer to one request (load figures, spec lint, target-wide or run-wide "
                f"findings carry no request): {fid}")
    if any(c.get("role") == "minted" for c in form.get("credentials") or []):
        return "it was sent with a credential the original run made (a forged token or a key it created)"
    if "***" in str(form.get("body_text", "")) or "***" in orjson.dumps(form.get("body")).decode():
        return "its body held a secret that was masked in the report"
    reason = credential_reason(form["method"], str(form.get("operation", " ")).split(" ", 1)[-1])
    if reason is not None:
        return f"it {reason}, which replay never sends"
    return None


def depends_on_run(form: Mapping[str, Any], status: int) -> bool:
    """A path with an id that answers 404 now where it answered 2xx then: the resource was the original run's."""
    answered = int((form.get("answered") or {}).get("status") or 0)
    return status == 404 and 200 <= answered < 300 and "{" in str(form.get("operation", ""))


def clean_up(target: Any, form: Mapping[str, Any], status: int, content: bytes, spec: Any) -> None:
    """Delete what a re-sent create made (``POST /x`` answered an ``id``, and the spec has ``DELETE /x/{id}``),
    so that replaying a finding leaves the target as it was; best effort, never part of the verdict."""
    if form["method"] != "POST" or not 200 <= status < 300 or spec is None:
        return
    try:
        created = orjson.loads(content)
    except orjson.JSONDecodeError:
        return
    template = str(form.get("operation", "")).partition(" ")[2]
    if not (isinstance(created, dict) and isinstance(created.get("id"), str) and spec.has(f"DELETE {template}/{{id}}")):
        return
    query, headers, _ = authenticate(target, form)
    url = f"{target.origin}{target_path(target, form)}/{created['id']}"
    try:
        target.pacer.call(lambda: httpx.delete(url, params=query or None, headers=headers, timeout=TIMEOUT),
                          _answer, key=pacing_key(form))
    except httpx.HTTPError:
        return


# -- sending ---------------------------------------------------------------------------------------------------------
def credential_value(target: Any, role: str, kind: str) -> str:
    """The target's credential for ``role`` and ``kind``; HarnessError naming what to set when it has none."""
    creds = target.credentials
    value: str | None = None
    if (role, kind) == ("primary", "jwt"):
        value = target.token
    elif (role, kind) == ("primary", "accesskey"):
        value = creds.accesskey
    elif (role, kind) == ("other", "jwt"):
        value = target.other_token
    elif (role, kind) == ("other", "accesskey"):
        value = creds.other_accesskey
    elif (role, kind) == ("agent", "jwt") and creds.agent_username and creds.agent_password:
        value = target.login(creds.agent_username, creds.agent_password)
    if not value:
        variables = {"primary": "VOIPBIN_TOKEN, VOIPBIN_USERNAME/PASSWORD or VOIPBIN_ACCESSKEY",
                     "other": "VOIPBIN_OTHER_USERNAME/PASSWORD or VOIPBIN_OTHER_ACCESSKEY",
                     "agent": "VOIPBIN_AGENT_USERNAME/PASSWORD"}
        raise HarnessError(f"the finding was met as the {role} customer's {kind}, which the target has no "
                           "credential for", hint=f"set {variables.get(role, 'the VOIPBIN_* credentials')}")
    return value


def authenticate(target: Any, form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(query, headers, cookies) holding the form's credentials, filled in from ``target``."""
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    cookies: dict[str, str] = dict(form.get("cookies") or {})
    for entry in form.get("credentials") or []:
        role, place, name = entry.get("role"), entry.get("in"), entry.get("name") or ""
        if role == "literal":
            value = str(entry.get("value", ""))
        else:
            value = credential_value(target, str(role), str(entry.get("kind")))
            if place == "header":
                value = BEARER_PREFIX + value
        {"query": query, "header": headers, "cookie": cookies}[str(place)][name] = value
    return query, headers, cookies


def pacing_key(form: Mapping[str, Any]) -> str | None:
    roles = [c.get("role") for c in form.get("credentials") or []]
    return next((_PACING_KEY[r] for r in roles if r in _PACING_KEY), None)


def target_path(target: Any, form: Mapping[str, Any]) -> str:
    """The form's path on ``target``: its base path swapped for the target's."""
    path, base = str(form["path"]), str(form.get("base_path") or "")
    on_base = bool(base) and (path == base or path.startswith(base + "/"))
    return target.base_path + path[len(base):] if on_base else path


def _secret_body(body: Any, target: Any) -> Any:
    if isinstance(body, str) and body.startswith("$") and body[1:] in BODY_SECRETS:
        return getattr(target.credentials, BODY_SECRETS[body[1:]]) or body
    if isinstance(body, dict):
        return {k: _secret_body(v, target) for k, v in body.items()}
    if isinstance(body, list):
        return [_secret_body(v, target) for v in body]
    return body


def send(target: Any, form: Mapping[str, Any]) -> httpx.Response:
    """Re-send the form to ``target``, paced under its limit (a 429 is waited out and sent again)."""
    query, auth_headers, cookies = authenticate(target, form)
    headers = {**(form.get("headers") or {}), **auth_headers}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    content: bytes | None = None
    if "body" in form:
        content = orjson.dumps(_secret_body(form["body"], target))
        headers.setdefault("Content-Type", "application/json")
    elif "body_text" in form:
        content = str(form["body_text"]).encode()
    url = target.origin + target_path(target, form)
    params = {**(form.get("query") or {}), **query}

    def once() -> httpx.Response:
        return httpx.request(form["method"], url, params=params or None, headers=headers, content=content,
                             timeout=TIMEOUT)

    try:
        paced = target.pacer.call(once, _answer, key=pacing_key(form))
    except httpx.HTTPError as exc:
        raise HarnessError(f"target {target.origin} did not answer: {type(exc).__name__}") from None
    if paced.gave_up:
        raise HarnessError("the target kept answering 429: the replay was not judged", hint="try again later")
    return paced.response


def _answer(response: httpx.Response) -> Any:
    body = None
    if response.status_code == 429:
        try:
            body = response.json()
        except ValueError:
            body = None
    return answer_of(response.status_code, response.headers, body)


def error_reason(content: bytes) -> str | None:
    try:
        data = orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    reason = error.get("reason") if isinstance(error, dict) else None
    return reason if isinstance(reason, str) else None


def _describe(status: int, reason: str | None) -> str:
    return f"HTTP {status}" + (f" {reason}" if reason else "")


def same_answer(finding: Mapping[str, Any], response: httpx.Response) -> Verdict:
    """The general rule: the finding holds when the answer is the deviant one again (status, and reason)."""
    form = finding["request"]
    answered = form.get("answered") or {}
    status, reason = int(answered.get("status") or 0), answered.get("reason")
    got_reason = error_reason(response.content)
    expected = str(finding.get("expected") or "")
    holds = response.status_code == status and (reason is None or reason == got_reason)
    got = f"{_describe(response.status_code, got_reason)} (the finding was {_describe(status, reason)})"
    promised = {int(code) for code in re.findall(r"\bHTTP (\d{3})\b", expected)}
    if not holds and promised and response.status_code not in promised:
        # neither the deviant answer nor the promised one: the scenario set the target up first (a balance, a
        # deleted resource...), which one re-sent request does not do; no verdict rather than a false one
        return Verdict("cannot", str(finding["id"]), why=f"the answer is neither the deviant one nor the expected "
                       f"({expected}): {got}; the finding depends on a state the original run set up")
    return Verdict("holds" if holds else "gone", str(finding["id"]), expected=expected, got=got)


# -- the whole replay -----------------------------------------------------------------------------------------------
def _is_contracts(finding: Mapping[str, Any]) -> bool:
    return finding.get("suite") == "contracts" and "path_parameters" in (finding.get("request") or {})


def replay_finding(finding: Mapping[str, Any], target: Any, *, spec: Any = None,
                   allow_writes: bool = False) -> Verdict:
    """Re-send ``finding``'s request to ``target`` and judge the answer (see the module's docstring)."""
    fid = str(finding.get("id"))
    why = not_replayable(finding)
    if why is not None:
        return Verdict("cannot", fid, why=why)
    form = finding["request"]
    if form["method"] not in SAFE_METHODS and not target.is_loopback and not allow_writes:
        raise HarnessError(f"the finding's request is a {form['method']}, which changes data on {target.name}",
                           hint="pass --allow-writes to re-send it")
    if _is_contracts(finding):
        if finding.get("check") in _workflow_rules():
            return Verdict("cannot", fid, why="it depends on a resource of the original run (a CRUD workflow's read)")
        from .replay_contracts import replay_contracts

        return replay_contracts(finding, target, spec)
    response = send(target, form)
    clean_up(target, form, response.status_code, response.content, spec)
    if depends_on_run(form, response.status_code):
        return Verdict("cannot", fid, why=f"it depends on a resource of the original run ({form['path']} answers 404 "
                                          "on this target)")
    return same_answer(finding, response)


def _workflow_rules() -> tuple[str, ...]:
    contracts_checks = contracts_module("contracts.checks")
    return tuple(contracts_checks.WORKFLOW_RULES)


def contracts_module(name: str) -> Any:
    """A module of the contracts suite, which lives beside the package in the checkout (``paths.repo_root``)."""
    import importlib

    from .paths import repo_root

    root = str(repo_root())
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise HarnessError(f"the contracts suite is not in this installation ({exc.name})",
                           hint="run replay from the harness's checkout") from None
