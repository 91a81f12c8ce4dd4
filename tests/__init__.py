"""The harness's own tests (tests of the harness, apart from the conformance suites it ships)."""
