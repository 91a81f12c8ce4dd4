"""Build ``gateway-emulator.json`` from check runs: every finding the gateway profile is known to
produce, each with the sentence of ``../shared/voipbin/BEHAVIOUR.md`` that documents it.

    python tools/gateway_reasons.py reports/check/summary.json [more summary.json...]

Rules match a finding's fields (check, an operation glob, a regular expression searched in its key),
never its message text; each entry carries its key, so its id is recomputed from its fields
(``findings.finding_id``) and ``load_baseline`` refuses an id a renamed check left stale.

A finding no rule explains is NOT accepted: it is printed, and stays new (a defect of the
emulator or of a suite to fix, not a deviation to accept). Give several runs (a ``--quick`` one
and a full one) so that what only deeper runs find is in the baseline too; the spec defects of
``SPEC_DEFECTS`` are written whatever the runs met (they show only under rate limits).
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from voipbin_harness.conventions.rules import R  # noqa: E402
from voipbin_harness.findings import finding_id  # noqa: E402

B = "BEHAVIOUR.md"
_BALANCE_OPERATIONS = ("POST /calls", "POST /emails", "POST /groupcalls", "POST /messages", "POST /numbers",
                       "POST /numbers/renew")
_BALANCE = (f'{B} "Validation and other answers": "The gateway never sends 402 PAYMENT_REQUIRED today: insufficient '
            'balance (POST /calls, /emails, /groupcalls, /messages, /numbers, /numbers/renew) comes back as 500 '
            'INTERNAL."')
RULES: list[tuple[str, str, str, str]] = [
    # (check, operation glob, regex searched in the finding's key, reason): fields only, never message text
    (R.OTHER_CUSTOMER_STATUS.id, "*", r"^403$",
     f'{B} "Authentication": "resource of another customer | 403 (most resources; 404 for accesskeys and '
     'contact addresses) | PERMISSION_DENIED" and "The docs instead say another customer\'s resource gives 404."'),
    *[(R.STATUS_FOR_CAUSE.id, operation, r"^status:500$", _BALANCE) for operation in _BALANCE_OPERATIONS],
    (R.PAGINATION_LAST_PAGE.id, "*", r"^token-on-last-page$",
     f'{B} "Pagination": "next_page_token is non-empty on EVERY non-empty page, the last one included; only an '
     'empty page has \\"\\". The docs say an empty or absent token marks the last page."'),
    (R.BAD_INPUT_STATUS.id, "*", r"^(missing_required|invalid_enum|e164):status:2\d\d$",
     f'{B} "Validation and other answers": "Content-Type is not checked, unknown fields are ignored, required '
     'fields and enums from the spec are not checked at the gateway."'),
    ("negative_data_rejection", "*", r"",
     f'{B} "Validation and other answers": "Content-Type is not checked, unknown fields are ignored, required '
     'fields and enums from the spec are not checked at the gateway." (the gateway accepts input its spec forbids)'),
    ("unsupported_method", "*", r"\b404$",
     f'{B} "Validation and other answers": "Known path with a wrong method -> also 404 ROUTE_NOT_FOUND, not 405."'),
    ("unsupported_method", "*", r"\b400$",
     f'{B} "Validation and other answers": "Malformed UUID in a path: 400 INVALID_ARGUMENT, reason INVALID_ID" '
     '(the undeclared method\'s path also matches a {id} route, whose id is then not a UUID; the gateway never '
     'answers 405)'),
    ("positive_data_acceptance", "*", r"^400$",
     f'{B} "Validation and other answers": "Malformed UUID in a path: 400 INVALID_ARGUMENT, reason INVALID_ID '
     '(ids typed as plain string, 181 routes; the nil UUID is rejected too)" (the spec types these ids as any '
     'string, so a schema-valid non-UUID id is refused)'),
    ("status_code_conformance", "* /auth/*", r"",
     f'{B} "Surfaces": "The spec\'s /v1.0/auth/* operations (boot, signup, email-verify, password-forgot, '
     'password-reset, unregister) are stubs in the gateway: after authentication they answer 404 ROUTE_NOT_FOUND" '
     'and "Credentials are looked for in this order ... cookie token -> query ?token= -> ..." (a ?token= query '
     'is taken as the credential: 401)'),
    ("status_code_conformance", "*", r"^400$",
     f'{B} "Pagination": "a non-integer [page_size] gives 400 INVALID_ARGUMENT / INVALID_REQUEST_PARAMETER"; '
     '"Validation and other answers": "Malformed JSON body -> 400 INVALID_ARGUMENT / INVALID_JSON_BODY" and '
     '"Malformed UUID in a path: 400 INVALID_ARGUMENT" (statuses the spec does not declare for the operation)'),
    ("status_code_conformance", "*", r"^409$",
     f'{B} "Resources": "DELETE is a soft delete ... A later GET gives 404 for most resources, 409 for accesskeys, '
     'calls and outbound_configs"'),
    ("status_code_conformance", "POST *", r"^200$",
     f'{B} "Resources": "Creates answer 200 with the object, except 201 for contacts, contact addresses and '
     'speakings, and 202 for aiaudits and aipromptproposals."'),
    ("status_code_conformance", "DELETE *", r"^200$",
     f'{B} "Resources": "DELETE is a soft delete: sets tm_delete and tm_update, answers 200 with the deleted object"'),
    ("status_code_conformance", "*", r"^404$",
     f'{B} "Resources": "A later GET gives 404 for most resources" and "Authentication": 404 for a resource that '
     'is not the caller\'s (a lookup or read of what does not exist answers 404, undeclared in the spec)'),
    ("response_schema_conformance", "*", r"/tm_(update|delete)/type$",
     f'{B} "Resources": "On create the server sets id (UUID v4), customer_id (the caller\'s), tm_create (now); '
     'tm_update and tm_delete are null." (the spec types them as non-null strings; spec lint: spec.nullability)'),
    ("response_schema_conformance", "*", r"/(format|enum|minItems|type)$",
     f'{B} "Validation and other answers": "required fields and enums from the spec are not checked at the '
     'gateway" and "Resources": "PUT updates the mutable fields and answers 200 with the whole object": a value '
     'the spec forbids, accepted on input, comes back in the stored resource'),
]


# Families whose exact finding ids depend on generated data (which fuzzed value reached the
# emulator's state before which read): accepted by rule, so that the verdict does not flicker.
_TM_NULL = next(r for c, _o, k, r in RULES if c == "response_schema_conformance" and "tm_" in k)
_REFLECTED = next(r for c, _o, k, r in RULES if c == "response_schema_conformance" and "format" in k)
_reason = {check: reason for check, _operation, _key, reason in RULES}
FAMILY_RULES = [
    # scenarios draw their collections: which operations a documented deviation shows up on varies
    {"check": R.OTHER_CUSTOMER_STATUS.id, "operation": "*", "key": r"^403$", "suite": "scenarios",
     "reason": _reason[R.OTHER_CUSTOMER_STATUS.id]},
    {"check": R.PAGINATION_LAST_PAGE.id, "operation": "*", "key": r"^token-on-last-page$", "suite": "scenarios",
     "reason": _reason[R.PAGINATION_LAST_PAGE.id]},
    {"check": R.BAD_INPUT_STATUS.id, "operation": "*", "key": r"^(missing_required|invalid_enum|e164):status:2\d\d$",
     "suite": "scenarios", "reason": _reason[R.BAD_INPUT_STATUS.id]},
    {"check": "response_schema_conformance", "operation": "*", "key": r"/tm_(update|delete)/type$",
     "suite": "contracts", "reason": _TM_NULL},
    {"check": "response_schema_conformance", "operation": "*",
     "key": r"^(?!.*/tm_(update|delete)/).*/(format|enum|minItems|type)$", "suite": "contracts",
     "reason": _REFLECTED},
]


_UNDECLARED_429 = (
    f'{B} "Rate limiting": "Any /v1.0 operation can be answered 429." The spec declares 429 on 3 of its 410 '
    'operations, so every other operation\'s 429 is undeclared. Reported ONCE, as the one spec defect it is '
    '(one omission of the document, fixed in one place: a shared 429 response or a default), not once per '
    'operation that happened to meet the limit: which operations meet it depends on pacing and timing, so a '
    'per-operation list would change from run to run and bury every other finding. Seen only when a run meets a '
    '429 (a target with limits); the rate-limit answer itself (Retry-After, envelope, limited_by) stays checked '
    'on every 429. Spec lint reports the same defect once: "429 declared by N of 410 operations".')
# Defects of the spec itself that a run shows only under some conditions: always in the baseline.
SPEC_DEFECTS = [
    {"id": finding_id(R.RATE_LIMIT_DECLARED.id, "(spec)", "undeclared-429"), "check": R.RATE_LIMIT_DECLARED.id,
     "operation": "(spec)", "key": "undeclared-429", "suite": "contracts", "seen_when": "rate-limited",
     "reason": _UNDECLARED_429},
]
RULES.append((R.RATE_LIMIT_DECLARED.id, "(spec)", r"^undeclared-429$", _UNDECLARED_429))


def reason_for(finding: dict) -> str | None:
    """The first rule whose check, operation glob and key regex match the finding's fields."""
    for check, operation, key, reason in RULES:
        if (finding.get("check") == check and fnmatch.fnmatchcase(str(finding.get("operation", "")), operation)
                and re.search(key, str(finding.get("key", "")))):
            return reason
    return None


def main(paths: list[str]) -> int:
    accepted: dict[str, dict] = {}
    unexplained: dict[str, dict] = {}
    for path in paths:
        for finding in json.loads(Path(path).read_text())["findings"]:
            reason = reason_for(finding)
            entry = {"id": finding["id"], "check": finding["check"], "operation": finding["operation"],
                     "suite": finding.get("suite", ""), "reason": reason}
            if finding_id(finding["check"], finding["operation"], finding.get("key", "")) == finding["id"]:
                entry["key"] = finding.get("key", "")  # a key a suite masked would not recompute the id
            (accepted if reason else unexplained)[finding["id"]] = entry | {"message": finding.get("message", "")}
    for defect in SPEC_DEFECTS:
        accepted[defect["id"]] = {**defect, **accepted.get(defect["id"], {}), "seen_when": defect["seen_when"]}
    entries = sorted(accepted.values(), key=lambda e: (e["suite"], e["check"], e["operation"], e["id"]))
    document = {
        "description": ("Known deviations of the embedded emulator in its gateway profile: the real VoIPBIN "
                        "gateway's documented differences from its spec and docs (../shared/voipbin/BEHAVIOUR.md). "
                        "Built by tools/gateway_reasons.py from check runs; every reason quotes "
                        "BEHAVIOUR.md."),
        "rules": FAMILY_RULES,
        "findings": [{k: e[k] for k in ("id", "check", "operation", "key", "suite", "reason", "seen_when") if k in e}
                     for e in entries],
    }
    out = Path(__file__).resolve().parents[1] / "reports" / "baselines" / "gateway-emulator.json"
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(entries)} known deviations written to {out}")
    for entry in unexplained.values():
        print(f"NOT ACCEPTED (no BEHAVIOUR.md rule): {entry['suite']} {entry['check']} {entry['operation']} "
              f"{entry['id']}: {entry['message'][:120]}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
