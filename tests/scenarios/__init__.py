"""Tests of the scenarios suite: its pieces in-process, and the whole suite against broken targets."""
