"""The gateway's OpenAPI document: every operation the gateway (nginx locally, the chart's Ingress) routes to a
service, from the services' own documents, in one file for the API's consumers (web, mobile, generated clients).

`make openapi` writes docs/api/openapi.json and generates from it the client the web service calls the APIs with
(services/api_client/portal_api_client, openapi-python-client); tests/unit/test_openapi_gateway.py fails when the
committed document or client is not what this writes, when an operation is routed but says nothing of its answers,
or when two services use the same operationId.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "api" / "openapi.json"
CLIENT = ROOT / "services" / "api_client" / "portal_api_client"
CLIENT_CONFIG = ROOT / "deploy" / "openapi-client.yaml"
TITLE = "Portail famille — API publique (gestion du compte)"


def routed() -> dict[str, list[str]]:
    """Each API service's path prefixes behind the gateway (the chart's `ingressPaths`; the web's `/` left out)."""
    values = yaml.safe_load((ROOT / "charts" / "portal" / "values.yaml").read_text())
    return {svc["module"]: svc["ingressPaths"] for svc in values["services"].values() if svc.get("kafka", True)}


def is_routed(path: str, prefixes: list[str]) -> bool:
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)


def merged() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    tags: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for module, prefixes in routed().items():
        service = importlib.import_module(f"{module}.app").SERVICE
        document = service.openapi_document()
        for path, operations in document["paths"].items():
            if not is_routed(path, prefixes):
                continue
            for operation in operations.values():
                operation_id = operation["operationId"]
                if operation_id in owners:
                    raise SystemExit(f"operationId {operation_id} in both {owners[operation_id]} and {service.name}")
                owners[operation_id] = service.name
            paths[path] = operations
        tags |= {tag["name"]: tag for tag in document["tags"]}
        schemas |= document["components"]["schemas"]
    base = document
    return {
        "openapi": base["openapi"],
        "info": {
            "title": TITLE,
            "version": base["info"]["version"],
            "description": (
                "Les opérations que la passerelle sert, de chaque service. Les erreurs suivent la RFC 9457 "
                "(application/problem+json) avec un titre et un détail en français, à afficher tels quels."
            ),
        },
        "tags": sorted((tags[name] for name in used_tags(paths)), key=lambda tag: tag["name"]),
        "paths": dict(sorted(paths.items())),
        "security": base["security"],
        "components": {
            "securitySchemes": base["components"]["securitySchemes"],
            "schemas": {name: schemas[name] for name in sorted(reachable(paths, schemas))},
        },
    }


def used_tags(paths: dict[str, Any]) -> set[str]:
    return {tag for operations in paths.values() for operation in operations.values() for tag in operation["tags"]}


def reachable(paths: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The schemas the routed operations name, and those these name in turn (the services' health answers,
    never routed, stay out)."""
    found: set[str] = set()
    waiting = named_schemas(paths)
    while waiting:
        name = waiting.pop()
        if name not in found:
            found.add(name)
            waiting |= named_schemas(schemas[name])
    return found


def named_schemas(value: Any) -> set[str]:
    """The component schemas a part of the document refers to (`$ref`), anywhere inside it."""
    return set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(value)))


def text() -> str:
    return json.dumps(merged(), ensure_ascii=False, indent=2) + "\n"


def generate_client(document: Path, package: Path) -> None:
    """The client package generated from `document` at `package` (replaced)."""
    generator = Path(sys.executable).with_name("openapi-python-client")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / package.name
        command = [str(generator), "generate", "--path", str(document), "--meta", "none"]
        command += ["--output-path", str(out), "--config", str(CLIENT_CONFIG)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if result.returncode != 0 or "warning" in (result.stdout + result.stderr).lower():
            raise SystemExit(f"openapi-python-client:\n{result.stdout}{result.stderr}")
        shutil.rmtree(package, ignore_errors=True)
        shutil.copytree(out, package)


def main() -> int:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text())
    print(f"{OUTPUT.relative_to(ROOT)}: {len(merged()['paths'])} paths")
    generate_client(OUTPUT, CLIENT)
    print(f"{CLIENT.relative_to(ROOT)}: {sum(1 for _ in CLIENT.rglob('*.py'))} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
