"""The seven platform journeys (tests/e2e/test_journeys.py), unchanged, through the cluster's Ingress: the
`platform` fixture of this package points them at the release instead of the local processes."""

from tests.e2e.test_journeys import *  # noqa: F403 - the same tests, collected again here
