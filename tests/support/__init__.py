"""Helpers shared by the test suites: real servers on loopback, waiting, token minting."""
