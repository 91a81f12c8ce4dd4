"""Locust profiles of the VoIPBIN load suite: plain locustfiles.

Run them through ``voipbin-harness load --profile NAME`` (target, credentials, emulator and
reports handled for you) or with Locust itself from the repository root::

    VOIPBIN_USERNAME=admin@alpha.test VOIPBIN_PASSWORD=alpha-secret \\
        locust -f load/smoke.py --headless --host http://127.0.0.1:8080 --vb-rate 10 --vb-duration 10

Shapes are in ``shapes.py``, the mixes and shape defaults in ``profiles.toml``, the SLOs in
``thresholds.toml``; the machinery in ``voipbin_harness.loadgen``.
"""
