"""Every operation of the spec, one test each: Schemathesis's examples, coverage and fuzzing phases
(positive and negative data), each answer held to the built-in checks and the VoIPBIN ones.

The test body only hands the case to the run; the operation's test fails after all its cases ran
if any of them met a defect (``contracts/conftest.py``), so one run reports every distinct defect.
"""

from __future__ import annotations

from schemathesis import Case

from contracts.runner import ContractRun
from contracts.settings import current

schema = current().schema
assert schema is not None, "collected on a pytest-xdist controller"


@schema.parametrize()
def test_operation(case: Case, contract_run: ContractRun) -> None:
    contract_run.exercise(case)
