"""No Docker engine runs here: the Dockerfile is checked statically, and every path it copies must exist."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
SERVICES = ["identity", "billing_statement", "document_store", "notification"]


def instructions(text: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("service", SERVICES)
def test_every_copied_path_exists(service):
    for line in instructions(DOCKERFILE):
        if line.startswith("COPY") and "--from=" not in line:
            source = line.split()[1].replace("${SERVICE}", service)
            assert (ROOT / source).exists(), f"{source} (for {service}) does not exist"


def test_base_image_is_pinned_and_the_final_stage_is_unprivileged():
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm", DOCKERFILE)
    assert ":latest" not in DOCKERFILE
    final = DOCKERFILE.split("AS runtime", 1)[1]
    assert "USER 10001:10001" in final
    assert "PYTHONUNBUFFERED=1" in final
    assert "--require-hashes" in DOCKERFILE
    assert "grpcio-tools" not in final  # build tools stay in the build stages
    assert "protoc" not in final


def test_images_install_the_packages_from_the_one_lock():
    # The service and portal_common are installed packages (console scripts included), never copied sources,
    # and the third-party pins come from uv.lock, the lock `make venv` installs.
    final = DOCKERFILE.split("AS runtime", 1)[1]
    assert "COPY services" not in final
    assert "PYTHONPATH" not in DOCKERFILE
    dependencies = DOCKERFILE.split("AS dependencies", 1)[1].split("AS runtime", 1)[0]
    assert "uv export --frozen" in dependencies
    assert "pip install --no-deps --no-build-isolation ./services/common" in dependencies
    for member in (ROOT / "services").glob("*/pyproject.toml"):
        assert f"COPY {member.relative_to(ROOT)} " in dependencies, f"{member} must be in the image's workspace"


def test_wkhtmltopdf_only_in_the_billing_image():
    final = DOCKERFILE.split("AS runtime", 1)[1]
    install = next(line for line in instructions(final) if "wkhtmltopdf" in line)
    assert 'if [ "$SERVICE" = "billing_statement" ]' in install


def test_dockerignore_keeps_the_context_small():
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[1] == "*" or "*" in ignore
    assert "!services/**" in ignore
