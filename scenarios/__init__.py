"""The scenarios suite: property-based scenarios over several requests (``pytest scenarios/``).

One request at a time cannot show that pagination loses an item, that customer B can read
customer A's flow, or that an expired token still works. These scenarios can: Hypothesis
generates the data (``@given``) and the orders of operations (``RuleBasedStateMachine``), each
property quotes the documented promise it checks (``scenarios.promises``), and every broken
promise is both a failing test and a finding in ``DIR/summary.json``.
"""
