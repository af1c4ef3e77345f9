"""skaffold against the test cluster (skaffold.yaml, profile test-cluster): `skaffold build` with the local
builder (a custom build command running buildah; the Docker API that skaffold's local builder insists on is
podman's) leaves images the node can run, and `skaffold render` gives manifests naming exactly those images,
which the cluster's API server accepts (server-side dry run)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.conftest import CACHE, KUBECTL, VERSIONS, run
from tests.support.env import ROOT

pytestmark = pytest.mark.slow
SKAFFOLD = CACHE / "cluster" / "bin" / f"skaffold-{VERSIONS['SKAFFOLD_VERSION']}"
GLOBAL_CONFIG = ROOT / "deploy" / "cluster" / "skaffold" / "global-config.yaml"  # no metrics, no update check


@pytest.fixture(scope="module")
def skaffold() -> Path:
    """The skaffold binary: cached, or waited for while make test compiles it in the background (the cluster tests
    run meanwhile: it is the one program only this test needs), or compiled here."""
    run(ROOT / "deploy" / "cluster" / "build.sh", "skaffold", timeout=2400)
    return SKAFFOLD


@pytest.fixture
def skaffold_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A Docker-compatible API on a private socket (podman), the cluster's helm and kubectl on PATH, and a home
    whose skaffold settings send nothing anywhere (every command reads ~/.skaffold/config)."""
    home = tmp_path / "home"
    (home / ".skaffold").mkdir(parents=True)
    (home / ".skaffold" / "config").write_text(GLOBAL_CONFIG.read_text())
    socket = tmp_path / "docker.sock"
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not socket.exists():
            assert time.monotonic() < deadline, "podman's API socket never appeared"
            time.sleep(0.2)
        links = CACHE / "cluster" / "bin" / "links"
        yield {"DOCKER_HOST": f"unix://{socket}", "PATH": f"{links}:{os.environ['PATH']}", "HOME": str(home)}
    finally:
        service.terminate()
        service.wait(timeout=30)


@pytest.mark.timeout(2400)  # the fixture may wait for skaffold's compilation (about 5 minutes of both cores)
def test_skaffold_builds_what_the_node_runs_and_renders_what_the_cluster_accepts(
    release, skaffold, skaffold_env, tmp_path
):
    common = ["--filename", ROOT / "skaffold.yaml", "--profile", "test-cluster"]
    built = tmp_path / "build.json"
    run(skaffold, "build", *common, "--cache-artifacts=false", "--file-output", built, env=skaffold_env, timeout=900)
    tags = {b["tag"] for b in json.loads(built.read_text())["builds"]}
    assert {tag.split(":")[0] for tag in tags} == {
        "portal-identity",
        "portal-billing-statement",
        "portal-document-store",
        "portal-notification",
        "portal-web",
    }
    on_node = run("ctr", "--address", "/run/containerd/containerd.sock", "-n", "k8s.io", "images", "ls", "-q").stdout
    assert {f"docker.io/library/{tag}" for tag in tags} <= set(on_node.split())

    rendered = run(
        skaffold, "render", *common, "--offline", "--digest-source=tag", "--build-artifacts", built, env=skaffold_env
    ).stdout
    assert set(re.findall(r"image: (\S+)", rendered)) == tags  # every workload, the Job and the test Pod
    manifests = tmp_path / "rendered.yaml"
    manifests.write_text(rendered)
    applied = run(KUBECTL, "apply", "--dry-run=server", "-f", manifests)
    assert "deployment.apps/portal-identity" in applied.stdout, applied.stdout
