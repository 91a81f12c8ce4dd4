"""Behaviour tests of the embedded emulator, over real HTTP, in both profiles."""
