"""schemathesis against each service's OpenAPI document, through the gateway, with valid tokens of the
demo family and the demo agent: no 5xx, no answer outside the documented statuses, content types and
schemas, no schema-violating request accepted. Settings and the checks left out, with their reasons:
tests/e2e/schemathesis.toml.

Named to run last in this package: fuzzing logins from 127.0.0.1 throttles that address, on purpose.
`make fuzz` runs the same with FUZZ_EXAMPLES=300.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.env import LAYOUT

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CONFIG = Path(__file__).with_name("schemathesis.toml")
FUZZ_ORDER = ["billing-statement", "document-store", "notification", "identity"]  # identity's login throttles 127.0.0.1
HTTP_PORTS = {name: LAYOUT.http_port(name) for name in FUZZ_ORDER}
# The routes each role is fuzzed on (/healthz, /metrics... are not routed by the gateway; logging out
# would end the token the run uses, and is covered by the journeys).
FAMILY_ROUTES = r"^/v1/(?!admin/)"
AGENT_ROUTES = {
    "identity": r"^/v1/admin/",
    "document-store": r"^/v1/admin/",
    "billing-statement": r"^/v1/(invoices|statements)",
}


@pytest.fixture(scope="module")
def tokens(platform) -> dict[str, str]:
    """Taken once, before any fuzzing throttles logins from this address."""
    found = {}
    for role, credentials in platform.demo_accounts().items():
        response = platform.call("POST", "/v1/auth/login", json=credentials)
        assert response.status_code == 200, response.text
        found[role] = response.json()["access_token"]
    return found


def fuzz(platform, schema: Path, token: str, routes: str) -> tuple[int, str]:
    """One schemathesis run; it works in the schema's directory (its cache stays out of the tree)."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        str(schema),
        "--url",
        platform.gateway,
        "--header",
        f"Authorization: Bearer {token}",
        "--include-path-regex",
        routes,
        "--exclude-path",
        "/v1/auth/logout",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        os.environ.get("FUZZ_SEED", "20261126"),
        "--no-color",
        "--output-truncate",
        "false",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=schema.parent)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    generated = re.search(r"(\d+) generated", output)
    assert generated, output
    return int(generated.group(1)), output


@pytest.mark.parametrize("service", list(HTTP_PORTS))
def test_fuzzing_finds_no_server_error_and_no_schema_violation(platform, tokens, service, tmp_path):
    document = requests.get(f"http://127.0.0.1:{HTTP_PORTS[service]}/openapi.json", timeout=10)
    schema = tmp_path / "openapi.json"
    schema.write_bytes(document.content)
    cases, _ = fuzz(platform, schema, tokens["family"], FAMILY_ROUTES)
    if service in AGENT_ROUTES:
        agent_cases, _ = fuzz(platform, schema, tokens["agent"], AGENT_ROUTES[service])
        cases += agent_cases
    print(f"{service}: {cases} generated cases, no failure")
    assert cases >= 200, f"{service}: only {cases} cases generated"
