"""The Schemathesis schema the suite runs: the harness's loaded spec plus a configuration tuned for
VoIPBIN (phases, examples, seed, no example database, no shrinking; pacing is the client's: ``runner``).

Why no shrinking: the suite never fails inside Hypothesis (every defect is recorded as a finding and
the operation's test fails once all its cases ran), so shrinking would only spend requests; and the
finding's id does not depend on the example anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import schemathesis
from schemathesis import BaseSchema

from voipbin_harness.conventions.resources import WEBSOCKET_SEGMENTS
from voipbin_harness.spec import Spec
from voipbin_harness.spec.phones import PhoneRules

from . import checks as _checks  # noqa: F401  (registers the VoIPBIN checks with Schemathesis)
from .builtins import switched_off
from .phones import with_phone_patterns
from .selection import unexpected_methods
from .settings import ContractSettings

__all__ = ["REQUEST_TIMEOUT", "WEBSOCKET_UNJUDGED_CHECKS", "build_schema", "schemathesis_config"]

#: Seconds before a request counts as unanswered.
REQUEST_TIMEOUT = 10
#: Built-in checks that judge an answer as the answer to a valid request: not for a WebSocket endpoint
#: sent a plain HTTP request.
WEBSOCKET_UNJUDGED_CHECKS = ("positive_data_acceptance", "status_code_conformance", "response_schema_conformance")


def schemathesis_config(settings: ContractSettings, off: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Schemathesis configuration (same keys as ``schemathesis.toml``) for these settings, with the
    built-in checks in ``off`` switched off (``contracts.builtins.switched_off``)."""
    coverage: dict[str, Any] = {"enabled": "coverage" in settings.phases}
    methods = unexpected_methods(settings)
    if methods is not None:
        coverage["unexpected-methods"] = methods
    config: dict[str, Any] = {
        "seed": settings.seed,
        "suppress-health-check": ["all"],
        "request-timeout": REQUEST_TIMEOUT,
        # curl lines must reproduce (a page_token is no secret); voipbin_harness.redact masks real secrets
        "output": {"sanitization": {"enabled": False}},
        "generation": {"max-examples": settings.max_examples, "database": "none", "no-shrink": True},
        "phases": {
            "examples": {"enabled": "examples" in settings.phases},
            "coverage": coverage,
            "fuzzing": {"enabled": "fuzzing" in settings.phases},
            # our CRUD workflows replace Schemathesis's stateful phase: the spec has no links
            "stateful": {"enabled": False},
        },
    }
    if off:
        config["checks"] = {name: {"enabled": False} for name in sorted(off)}
    # WebSocket endpoints: the suite speaks plain HTTP and cannot send a handshake, so what they answer
    # to a plain request is outside their contract; they are still probed (401) and held to the VoIPBIN
    # conventions (envelope, request id, content type), but not judged as if the handshake had been sent.
    config["operations"] = [{
        "include-path-regex": f"/({'|'.join(WEBSOCKET_SEGMENTS)})$",
        "checks": {name: {"enabled": False} for name in WEBSOCKET_UNJUDGED_CHECKS},
    }]
    return config


def build_schema(spec: Spec, settings: ContractSettings) -> BaseSchema:
    """The spec as Schemathesis sees it, configured for this run, with the documented E.164 rule stated
    on the phone fields (``contracts.phones``)."""
    config = schemathesis.Config.from_dict(schemathesis_config(settings, switched_off(spec, settings.phases)))
    return schemathesis.openapi.from_dict(with_phone_patterns(spec, PhoneRules(spec)), config=config)
