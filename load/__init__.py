"""Locust profiles of the VoIPBIN load suite: plain locustfiles, one per profile.

Each file reads like its plan: its user class (the mix, ``profiles.toml``), its shape, its
behaviour on the judging side (early stop, later phases, which verdict) and the ``quitting``
listener that writes the verdict. The generic machinery is ``voipbin_harness.loadgen``; the
SLOs are ``thresholds.toml``. Run them through ``voipbin-harness load --profile NAME`` (target,
credentials, emulator and reports handled for you) or with Locust itself::

    VOIPBIN_USERNAME=admin@alpha.test VOIPBIN_PASSWORD=alpha-secret \\
        locust -f load/smoke.py --headless --host http://127.0.0.1:8080 --vb-rate 10 --vb-duration 10
"""
