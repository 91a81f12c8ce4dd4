"""The documented phone-number convention, stated to Schemathesis.

The docs promise "400 bad input (E.164 numbers, ...)" but the spec's schemas carry no pattern, so
Schemathesis would call ``number: ""`` valid data and a correct 400 a "schema-valid request
rejected". Which fields are phone numbers is known in one place, ``voipbin_harness.spec.phones``
(the emulator refuses by the same rules); from it the suite:

- adds the E.164 ``pattern`` to every unconditional phone field and query parameter of the document
  it hands Schemathesis (a copy: ``$ref``s on the way to the field are inlined, so a component shared
  with operations that do not promise the 400 is left as it is), so valid data is E.164 and negative
  data tests the rule (a target that accepts it has a real finding);
- treats a 400 to a body that breaks the rule as expected (``expected_refusal``): address ``target``s
  are E.164 only when the address ``type`` is ``tel``, which a pattern cannot state.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from schemathesis import Case, Response

from voipbin_harness.conventions.resources import E164_RE
from voipbin_harness.spec import Spec
from voipbin_harness.spec.phones import PhoneRules

__all__ = ["E164_PATTERN", "EXAMPLE_E164", "expected_refusal", "with_phone_patterns"]

E164_PATTERN = E164_RE.pattern
#: The number the suite puts where it must send a valid phone number (a US fictional-range number).
EXAMPLE_E164 = "+14155550100"
_ITEMS = "[]"
_REFUSED = 400


def _local(spec: Spec, parent: Any, key: Any) -> Any:
    """``parent[key]`` with any ``$ref`` replaced by a private copy of what it names (returned)."""
    node = parent[key]
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        try:
            node = copy.deepcopy(spec.resolve(node))
        except (KeyError, TypeError):
            return None
        parent[key] = node
    return node if isinstance(node, dict) else None


def _targets(spec: Spec, node: Any, key: str) -> list[tuple[Any, Any]]:
    """(container, key) pairs where ``node`` (local) holds ``key``: its properties, ``allOf``/``oneOf``/
    ``anyOf`` members', or its ``items`` for "[]"."""
    found: list[tuple[Any, Any]] = []
    if not isinstance(node, dict):
        return found
    if key == _ITEMS:
        if node.get("items") is not None:
            found.append((node, "items"))
    elif isinstance(node.get("properties"), dict) and key in node["properties"]:
        found.append((node["properties"], key))
    for group in ("allOf", "oneOf", "anyOf"):
        members = node.get(group)
        if isinstance(members, list):
            for index in range(len(members)):
                found += _targets(spec, _local(spec, members, index), key)
    return found


def _patch(spec: Spec, container: Any, key: Any, path: tuple[str, ...]) -> int:
    """Add the pattern at ``path`` below ``container[key]``; how many schema nodes got it."""
    node = _local(spec, container, key)
    if node is None:
        return 0
    if not path:
        node["pattern"] = E164_PATTERN
        return 1
    return sum(_patch(spec, parent, name, path[1:]) for parent, name in _targets(spec, node, path[0]))


def with_phone_patterns(spec: Spec, rules: PhoneRules) -> dict[str, Any]:
    """A copy of the spec's document whose unconditional phone fields carry the E.164 ``pattern``."""
    document = copy.deepcopy(spec.document)
    view = Spec(document, spec.source)
    for op in view.operations:
        raw = document["paths"][op.path][op.method.lower()]
        for phone in rules.body_fields.get(op.label, ()):
            if phone.address or not phone.path:
                continue
            body = _local(view, raw, "requestBody")
            content = (body or {}).get("content") or {}
            for media, entry in content.items():
                if "json" in media and isinstance(entry, dict) and "schema" in entry:
                    _patch(view, entry, "schema", phone.path)
        names = {name for name, _ in rules.query_params.get(op.label, ())}
        for index in range(len(raw.get("parameters") or [])):
            local = _local(view, raw["parameters"], index)
            if local and local.get("in") == "query" and local.get("name") in names and "schema" in local:
                _patch(view, local, "schema", ())
    return document


def expected_refusal(rules: PhoneRules, case: Case, response: Response) -> bool:
    """Whether ``response`` is the documented 400 to a request carrying a non-E.164 phone number."""
    if response.status_code != _REFUSED:
        return False
    label = case.operation.label
    query = {k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in (case.query or {}).items()}
    body = case.body
    if isinstance(body, (bytes, str)) and body:
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return rules.body_problem(label, body) is not None or rules.query_problem(label, query) is not None
