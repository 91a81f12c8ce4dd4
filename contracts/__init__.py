"""The contracts suite: Schemathesis over every operation of the VoIPBIN spec, plus the VoIPBIN
convention checks no generic fuzzer knows (error envelope, request ids, lists, created resources,
authentication, rate-limit answers) and CRUD workflows built from the spec's structure.

Run it as ``voipbin-harness contracts`` or ``pytest contracts/`` with the same options.
"""
