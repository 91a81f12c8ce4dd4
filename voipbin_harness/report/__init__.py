"""One report for a ``voipbin-harness check`` run: suites run in turn, their summaries merged.

``plan`` decides what runs, ``runner`` runs one suite in its own process, ``suites`` reads what it
left, ``baseline`` and ``history`` say what is new, known, fixed or slower, ``document`` makes the
run's ``summary.json``, ``html`` and ``charts`` its ``index.html``, ``allure`` merges and renders
the Allure results, ``output`` writes every file through ``voipbin_harness.redact``, and
``session`` ties them together for ``commands/check.py``. ``reports/README.md`` describes what
lands in a report directory.

Nothing is imported here: ``voipbin-harness <any command>`` builds every command's parser, and
the charts (matplotlib) must not slow the commands that never draw one.
"""
