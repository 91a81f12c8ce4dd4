"""The documented promises the scenarios check: ``conventions.rules``' ``P``, quoted once there.

Each property names one of them (``@promise(P.X)``); its quote travels into the allure description
and into the ``promise`` field of every finding, so a reader sees what was promised and where
without opening the code. A property reports under its rule's check name (``R.X.id``), the same
name the contracts and load suites use for that rule.
"""

from __future__ import annotations

from voipbin_harness.conventions.rules import P, Promise, R

__all__ = ["P", "Promise", "R"]
