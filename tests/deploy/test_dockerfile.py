"""No Docker engine runs here: the Dockerfile is checked statically, and every path it copies must exist."""

import re
from pathlib import Path

import pytest
import yaml

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


def test_the_base_comes_by_digest_only_and_the_final_stage_is_unprivileged():
    """#20 finding 8: no FROM names a tag that could move. The base is an argument without a default, which
    every build passes by digest: skaffold from $PYTHON_IMAGE, the test cluster its own base's digest."""
    for dockerfile in (DOCKERFILE, (ROOT / "deploy" / "cluster" / "images" / "kafka.Dockerfile").read_text()):
        bases = [line.split()[1] for line in instructions(dockerfile) if line.startswith("FROM")]
        assert bases
        assert all(re.fullmatch(r"\$\{[A-Z_]+\}", base) for base in bases), bases  # an argument, never a name
        assert not re.search(r"^ARG (PYTHON_IMAGE|BASE)=", dockerfile, re.MULTILINE)  # and it has no default
    images_sh = (ROOT / "deploy" / "cluster" / "images.sh").read_text()
    assert not re.search(r"--build-arg (PYTHON_IMAGE|BASE)=\"\$BASE\"", images_sh)  # the tag alone
    assert images_sh.count('="$(pinned_base)"') == 3  # both service builds and Kafka's
    assert 'echo "${BASE%:*}@$digest"' in images_sh
    skaffold = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    for artifact in skaffold["build"]["artifacts"]:
        assert artifact["docker"]["buildArgs"]["PYTHON_IMAGE"] == "{{.PYTHON_IMAGE}}"
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
