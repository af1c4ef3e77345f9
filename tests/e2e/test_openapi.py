"""Every service serves a valid OpenAPI 3.1 document at /openapi.json that lists each route it really has."""

import re

import pytest
import requests
from openapi_spec_validator import validate

from deploy.local.topology import services
from tests.deploy.test_chart import service_routes
from tests.support.env import LAYOUT

HTTP_PORTS = {name: LAYOUT.http_port(name) for name in services()}


@pytest.mark.parametrize("service", sorted(HTTP_PORTS))
def test_openapi_document_is_valid_and_complete(platform, service):
    response = requests.get(f"http://127.0.0.1:{HTTP_PORTS[service]}/openapi.json", timeout=10)
    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises on an invalid OpenAPI 3.1 document
    assert document["openapi"] == "3.1.0"
    documented = set(document["paths"])
    for rule in service_routes()[service]:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)
        assert path in documented, f"{service}: {rule} is served but not documented"
    for common in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert common in documented
    login = document["paths"].get("/v1/auth/login", {}).get("post")
    if login:
        assert login["security"] == []  # public operations say so; the rest need a bearer token
