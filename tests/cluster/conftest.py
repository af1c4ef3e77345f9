"""The chart on a real single-node Kubernetes (deploy/cluster): the release installed as ops install it, then
used through the cluster's Ingress. `make test` brings the cluster up before these tests and down after.

The release fixture installs Kafka and FerretDB (charts/portal-dev-deps) and the portal chart with
deploy/cluster/values-portal.yaml; both are idempotent, so a warm cluster reuses what is there.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from deploy.local import kafka_security, pki
from deploy.local.topology import services
from portal_common.grpc_tls import GrpcTls
from portal_common.kafka_client import KafkaAccess
from tests.e2e.conftest import Platform, ok
from tests.support.env import MAILDIR, ROOT
from tests.support.memory import PeakMemory
from tests.support.sinks import PushSink, SmtpSink

CACHE = Path(os.environ.get("PORTAL_CACHE", Path.home() / ".cache" / "portal"))
VERSIONS = dict(
    line.split("=", 1) for line in (ROOT / "deploy/cluster/versions.env").read_text().split() if "=" in line
)
KUBECTL = CACHE / "cluster" / "bin" / f"kubectl-{VERSIONS['KUBERNETES_VERSION']}"
HELM = CACHE / "bin" / f"helm-{VERSIONS['HELM_VERSION']}"
KUBECONFIG = CACHE / "cluster" / "run" / "admin.kubeconfig"
RELEASE_SH = ROOT / "deploy" / "cluster" / "release.sh"
NODE_IP = "198.18.255.1"
INGRESS = f"http://{NODE_IP}:30080"
NAMESPACE = "portal"
SMTP_PORT, PUSH_PORT = 2525, 2580  # what values-portal.yaml gives notification


def run(
    *args: str | Path, timeout: float = 300, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "KUBECONFIG": str(KUBECONFIG), **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}{result.stdout}"
        )
    return result


def kubectl(*args: str, namespace: str = NAMESPACE, timeout: float = 120, check: bool = True) -> str:
    return run(KUBECTL, "-n", namespace, *args, timeout=timeout, check=check).stdout


def helm(
    *args: str, namespace: str = NAMESPACE, timeout: float = 900, check: bool = True
) -> subprocess.CompletedProcess:
    return run(HELM, "-n", namespace, *args, timeout=timeout, check=check)


def pods(selector: str, namespace: str = NAMESPACE, *, terminating: bool = False) -> list[dict[str, Any]]:
    """The pods of a selector, leaving out those already terminating (a rollout's old pods, draining) unless
    `terminating`: a terminating pod may still be serving."""
    items = json.loads(kubectl("get", "pods", "-l", selector, "-o", "json", namespace=namespace))["items"]
    return [pod for pod in items if terminating or "deletionTimestamp" not in pod["metadata"]]


def restarts_and_readiness(namespace: str = NAMESPACE) -> dict[str, tuple[int, bool]]:
    """Each service pod's restart count and readiness, by pod name."""
    result = {}
    for pod in pods("app.kubernetes.io/component=service", namespace):
        statuses = pod["status"].get("containerStatuses", [])
        result[pod["metadata"]["name"]] = (
            sum(s["restartCount"] for s in statuses),
            bool(statuses) and all(s["ready"] for s in statuses),
        )
    return result


class ClusterPlatform(Platform):
    """The e2e journeys' Platform, pointed at the release: the Ingress as gateway, billing's Service for the
    invoicing system, Kafka's node listener for the external event producers."""

    def __init__(self, push: PushSink) -> None:
        super().__init__(CACHE / "cluster" / "run", push)
        self.gateway = INGRESS
        billing_ip = kubectl("get", "service", "portal-billing-statement", "-o", "jsonpath={.spec.clusterIP}")
        self.billing_grpc = f"{billing_ip}:{services()['billing-statement'].grpc_port}"
        self.kafka_bootstrap = f"{NODE_IP}:30092"
        self.kafka = self.kafka_as(kafka_security.ADMIN)

    def grpc_identity(self, name: str) -> GrpcTls:
        """A caller's certificate on the test cluster's gRPC CA (release.sh made it)."""
        cert, key, ca = pki.grpc_identity(CACHE / "cluster" / "run" / "grpc", name)
        return GrpcTls(str(cert), str(key), str(ca))

    def kafka_as(self, principal: str) -> KafkaAccess:
        """The dev Kafka's node listener as `principal` (release.sh made the CA and the passwords)."""
        return kafka_security.access(CACHE / "cluster" / "run" / "kafka-security", self.kafka_bootstrap, principal)

    def script(self, command: str) -> None:  # the release is installed by the fixture, not by platform.sh
        raise NotImplementedError

    def command(self, service: str, *args: str) -> str:
        """A service's ops command inside one of its pods, with the pod's own configuration."""
        module = f"portal_{service.replace('-', '_')}"
        return kubectl("exec", f"deploy/portal-{service}", "--", "python", "-m", module, *args)

    def family_with_statement(self, smtp: SmtpSink, structure: str, run: str, password: str) -> dict[str, str]:
        """An agent of `structure` and one of its families (activated from its email), with one invoice and a
        statement, all through the release's public paths. Any refusal fails the caller."""
        agent_login, login = f"agent.{run}@mairie.fr", f"famille.{run}@example.fr"
        secret = self.create_agent(structure, agent_login)
        ok(self.call("POST", "/v1/auth/activate", json={"token": secret, "password": password}), 204)
        agent = ok(self.call("POST", "/v1/auth/login", json={"login": agent_login, "password": password}), 200)
        agent_token = agent.json()["access_token"]
        account_id, token = self.new_family(smtp, agent_token, login, password)
        self.record_invoice(
            structure,
            account_id,
            external_id=f"k8s-{run}",
            number=f"K-{run}",
            child="Léa K",
            issue_date="2026-03-31",
            amount_cents=31_000,
        )
        period = {"period_start": "2026-01-01", "period_end": "2026-06-30"}
        statement = ok(self.call("POST", "/v1/statements", token, json=period), 201)
        return {
            "login": login,
            "password": password,
            "account_id": account_id,
            "agent": agent_token,
            "agent_login": agent_login,
            "token": token,
            "statement": statement.json()["statement_id"],
        }

    def signing_key(self) -> tuple[str, bytes]:
        data = json.loads(kubectl("get", "secret", "portal-identity-signing-keys", "-o", "jsonpath={.data}"))
        name = max(data)
        return name.removesuffix(".pem"), base64.b64decode(data[name])


FIGURES: list[str] = []  # what the chaos tests measured, repeated at the end of the run for the report


def report(name: str, **figures: object) -> None:
    line = f"[cluster figures] {name}: " + json.dumps(figures, default=str, ensure_ascii=False)
    FIGURES.append(line)
    print(line, file=sys.stderr)


def pytest_terminal_summary(terminalreporter) -> None:
    for line in FIGURES:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session", autouse=True)
def node_memory() -> Iterator[PeakMemory]:
    """The node's peak memory in use over the cluster tests (control plane, containerd, every pod, the tests)."""
    with PeakMemory() as memory:
        yield memory
    report("node memory", peak_gib_in_use=memory.peak_gib)


@pytest.fixture(scope="session")
def release() -> None:
    if run(KUBECTL, "get", "--raw", "/readyz", check=False).returncode != 0:
        pytest.fail("no test cluster answers: run `make cluster-up` (make test does it)")
    started = time.monotonic()
    run("bash", RELEASE_SH, "reset", timeout=600)
    run("bash", RELEASE_SH, "deps", timeout=900)
    run("bash", RELEASE_SH, "install", NAMESPACE, "portal", timeout=1800)
    print(f"[cluster] release installed in {time.monotonic() - started:.0f}s")


@pytest.fixture(scope="session")
def sinks(release) -> Iterator[tuple[SmtpSink, PushSink]]:
    """Mail and push sinks on the node's address, where the release's notification pods send."""
    MAILDIR.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "new", "cur"):
        (MAILDIR / sub).mkdir(exist_ok=True)
    smtp = SmtpSink(MAILDIR, port=SMTP_PORT, host=NODE_IP)
    smtp.start()
    push = PushSink(host=NODE_IP, port=PUSH_PORT)
    try:
        yield smtp, push
    finally:
        smtp.stop()
        push.close()


@pytest.fixture(scope="session")
def platform(release, sinks) -> ClusterPlatform:
    return ClusterPlatform(sinks[1])


@dataclass
class Traffic:
    """A steady trickle of what families do most (sign in, download a statement, read the feed) through the
    Ingress, on threads, counting every answer. Any non-2xx or connection error is a failed request."""

    calls: dict[str, Callable[[], requests.Response]]
    pause_s: float = 0.15
    sent: Counter = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _loop(self, name: str, call: Callable[[], requests.Response]) -> None:
        while not self._stop.is_set():
            try:
                response = call()
                ok = 200 <= response.status_code < 300
                detail = f"{response.status_code} {response.text[:200]}"
            except requests.RequestException as error:
                ok, detail = False, repr(error)
            self.sent[name] += 1
            if not ok:
                self.failed.append(f"{time.strftime('%H:%M:%S')} {name}: {detail}")
            self._stop.wait(self.pause_s)

    def __enter__(self) -> Traffic:
        self._threads = [threading.Thread(target=self._loop, args=item, daemon=True) for item in self.calls.items()]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
