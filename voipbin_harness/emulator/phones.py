"""The phone-number rules now live in ``voipbin_harness.spec.phones`` (shared with the contracts
suite, so the knowledge of which fields are phone numbers sits in one place); re-exported here for
emulator modules that import them from their old home.
"""

from __future__ import annotations

from ..spec.phones import PhoneField, PhoneRules

__all__ = ["PhoneField", "PhoneRules"]
