"""The gateway's OpenAPI document (docs/api/openapi.json, `make openapi`) is valid, is what the services' routes and
declarations give today, and says of every routed operation what it answers."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from deploy import openapi_gateway


def test_the_committed_document_is_what_the_services_declare():
    assert openapi_gateway.OUTPUT.read_text() == openapi_gateway.text(), "run `make openapi` and commit the result"


def test_every_routed_operation_documents_its_answers():
    document = json.loads(openapi_gateway.text())
    validate(document)
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ids.append(operation["operationId"])
            responses = operation["responses"]
            page = "text/html" in responses.get("2XX", {}).get("content", {})  # the pages the emails link to
            assert "2XX" not in responses or page, f"{method.upper()} {path} does not say what it answers"
            assert "default" in responses
            assert operation["tags"], f"{method.upper()} {path} has no tag"
            for status, answer in responses.items():
                if status.startswith("4") or status == "default":
                    assert "application/problem+json" in answer["content"], f"{method.upper()} {path} {status}"
            if "429" in responses:
                assert "Retry-After" in responses["429"]["headers"]
    assert len(ids) == len(set(ids)), "operationIds must be unique across services"
    # The answers a client is built on: a PDF, an empty 204, a created resource.
    assert (
        "application/pdf"
        in document["paths"]["/v1/statements/{statement_id}/pdf"]["get"]["responses"]["200"]["content"]
    )
    assert "content" not in document["paths"]["/v1/auth/logout"]["post"]["responses"]["204"]
    created = document["paths"]["/v1/statements"]["post"]["responses"]["201"]
    assert set(created["content"]) == {"application/json", "application/pdf"}
    assert "Location" in created["headers"]
    assert document["components"]["schemas"]["Problem"]["properties"]["fields"]["type"] == "array"
    # Only what the gateway serves: no schema or tag of an operation it does not route (the health answers).
    assert set(document["components"]["schemas"]) == openapi_gateway.named_schemas(document)
    assert {tag["name"] for tag in document["tags"]} == openapi_gateway.used_tags(document["paths"])


def test_the_committed_client_is_the_one_generated_from_the_document(tmp_path):
    """The web calls the APIs through services/api_client: it must be what the generator makes of the document."""
    generated = tmp_path / "portal_api_client"
    openapi_gateway.generate_client(openapi_gateway.OUTPUT, generated)

    def files(root):
        return {
            p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        }

    assert files(openapi_gateway.CLIENT) == files(generated), "run `make openapi` and commit the result"
