"""The release under the situations ops meet: `helm test`, upgrade and rollback under traffic, pods killed
while events flow, Kafka away for a minute, callers the NetworkPolicies must stop, a broken image, a second
release. Every request goes through the cluster's Ingress; every figure is printed for the report."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from kafka.partitioner.default import murmur2

from deploy.local.topology import services
from portal_common import events
from portal_common.kafka_client import create_admin, create_producer
from tests.cluster.conftest import (
    INGRESS,
    KUBECONFIG,
    KUBECTL,
    NAMESPACE,
    NODE_IP,
    RELEASE_SH,
    SMTP_PORT,
    ClusterPlatform,
    Traffic,
    helm,
    kubectl,
    pods,
    report,
    restarts_and_readiness,
    run,
)
from tests.support.sinks import SmtpSink, decoded
from tests.support.wait import wait_for
from tests.support.web_session import signed_in_session

pytestmark = pytest.mark.slow
PASSWORD = "une phrase de passe solide"
RUN = uuid.uuid4().hex[:6]
STRUCTURE = f"mairie-k8s-{RUN}"
SERVICES = ("identity", "billing-statement", "document-store", "notification", "web")
OOM_HEADROOM = 6 * 2**20  # above a billing container's use: less than a renderer adds to it (about 10 MB)
IMAGES = tuple(f"portal-{service}" for service in SERVICES)


def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, INGRESS + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def family(platform: ClusterPlatform, sinks) -> dict:
    """An agent, a family of its structure with one invoice and one statement, all through the release."""
    return platform.family_with_statement(sinks[0], STRUCTURE, RUN, PASSWORD)


def family_traffic(family: dict) -> Traffic:
    """Logins, statement downloads and feed reads (the latest login's token serves the other two), and the Mon
    compte page of a browser signed in once: its session lives in the database, so any web pod serves it."""
    current = {"token": family["token"]}
    browser = signed_in_session(INGRESS, family["login"], PASSWORD)

    def sign_in() -> requests.Response:
        response = call("POST", "/v1/auth/login", json={"login": family["login"], "password": PASSWORD})
        if response.status_code == 200:
            current["token"] = response.json()["access_token"]
        return response

    return Traffic(
        {
            "login": sign_in,
            "statement_pdf": lambda: call("GET", f"/v1/statements/{family['statement']}/pdf", current["token"]),
            "feed": lambda: call("GET", "/v1/notifications", current["token"]),
            # A redirect to /connexion (a lost session) is a failure like any non-2xx.
            "mon_compte_page": lambda: browser.get(INGRESS + "/mon-compte", timeout=30, allow_redirects=False),
        }
    )


def test_helm_test_signs_in_through_the_service_and_the_ingress(release):
    result = helm("test", "portal", "--timeout", "3m", "--logs", timeout=300)
    assert "service: signed in and read Mon compte" in result.stdout, result.stdout
    assert "ingress: signed in and read Mon compte" in result.stdout, result.stdout


def test_migrations_created_both_topics_and_the_uploads_pass_the_ingress(platform, family):
    admin = create_admin(platform.kafka, f"test-topics-{RUN}")
    try:
        assert {*events.topics("account-events"), "account-events.dlq"} <= set(admin.list_topics())
    finally:
        admin.close()
    # A 10 MiB document (the default MAX_UPLOAD_BYTES) goes through the Ingress and is stored whole.
    content = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 - 20) + b"\n%%EOF\n"
    sent = call(
        "POST",
        "/v1/dossier/documents",
        family["token"],
        files={"file": ("justificatif.pdf", content, "application/pdf")},
        data={"title": "Justificatif"},
    )
    assert sent.status_code == 201, sent.text[:300]


def test_upgrade_then_rollback_under_traffic_fail_no_request(family):
    before = json.loads(helm("history", "portal", "-o", "json").stdout)[-1]["revision"]
    tag = kubectl("get", "deploy/portal-identity", "-o", "jsonpath={.spec.template.spec.containers[0].image}").split(
        ":"
    )[-1]
    new_tag = f"{tag}-next"
    for image in IMAGES:
        run(
            "ctr",
            "--address",
            "/run/containerd/containerd.sock",
            "-n",
            "k8s.io",
            "images",
            "tag",
            "--force",
            f"docker.io/library/{image}:{tag}",
            f"docker.io/library/{image}:{new_tag}",
        )
    values = ["-f", "deploy/cluster/values-portal.yaml", "--reuse-values"]
    with family_traffic(family) as traffic:
        time.sleep(3)
        started = time.monotonic()
        helm(
            "upgrade",
            "portal",
            "charts/portal",
            *values,
            "--set",
            f"global.imageTag={new_tag}",
            "--set",
            "logLevel=DEBUG",
            "--wait",
            "--timeout",
            "10m",
        )
        upgraded_in = time.monotonic() - started
        images = {c["image"] for p in pods("app.kubernetes.io/component=service") for c in p["spec"]["containers"]}
        assert images == {f"{i}:{new_tag}" for i in IMAGES}
        time.sleep(3)
        after_upgrade = (dict(traffic.sent), list(traffic.failed))
        started = time.monotonic()
        helm("rollback", "portal", str(before), "--wait", "--timeout", "10m")
        rolled_back_in = time.monotonic() - started
        time.sleep(3)
    images = {
        c["image"].split(":")[-1] for p in pods("app.kubernetes.io/component=service") for c in p["spec"]["containers"]
    }
    assert images == {tag}
    report("upgrade", seconds=round(upgraded_in), sent=after_upgrade[0], failed=len(after_upgrade[1]))
    report("rollback", seconds=round(rolled_back_in), sent=dict(traffic.sent), failed=len(traffic.failed))
    assert sum(traffic.sent.values()) > 100
    assert traffic.failed == [], traffic.failed[:10]


def test_a_missing_image_fails_the_upgrade_cleanly_and_rollback_restores(family):
    before = json.loads(helm("history", "portal", "-o", "json").stdout)[-1]["revision"]
    failed = helm(
        "upgrade",
        "portal",
        "charts/portal",
        "-f",
        "deploy/cluster/values-portal.yaml",
        "--reuse-values",
        "--set",
        "global.imageTag=does-not-exist",
        "--wait",
        "--timeout",
        "60s",
        check=False,
    )
    assert failed.returncode != 0
    # maxUnavailable 0: the old pods kept serving while the new ones could not start.
    assert call("POST", "/v1/auth/login", json={"login": family["login"], "password": PASSWORD}).status_code == 200
    helm("rollback", "portal", str(before), "--wait", "--timeout", "5m")
    assert all(ready for _, ready in restarts_and_readiness().values())


def test_a_node_drain_stops_at_the_disruption_budgets_and_fails_no_request(family):
    """`kubectl drain` (what a node upgrade does) evicts through the PodDisruptionBudgets: one pod of each
    service goes, the last one stays (the eviction is refused), and the families notice nothing."""
    node = kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}", namespace="default")
    budgets = json.loads(kubectl("get", "pdb", "-o", "json"))["items"]
    assert {b["metadata"]["name"] for b in budgets} == {f"portal-{s}" for s in SERVICES}
    fewest_ready = dict.fromkeys(SERVICES, 99)
    with family_traffic(family) as traffic:
        drain = subprocess_drain(node)
        try:
            while drain.poll() is None:
                for service in SERVICES:
                    ready = sum(
                        1
                        for pod in pods(f"app.kubernetes.io/name={service},app.kubernetes.io/instance=portal")
                        if all(s["ready"] for s in pod["status"].get("containerStatuses", [{"ready": False}]))
                    )
                    fewest_ready[service] = min(fewest_ready[service], ready)
                time.sleep(1)
            refused = drain.stderr.read()
        finally:
            kubectl("uncordon", node, namespace="default")
        for service in SERVICES:
            kubectl("rollout", "status", f"deployment/portal-{service}", "--timeout=180s", timeout=200)
    report("node drain", sent=dict(traffic.sent), failed=len(traffic.failed), fewest_ready=fewest_ready)
    assert drain.returncode != 0  # it could not finish: the budgets kept one pod of each service
    assert "disruption budget" in refused, refused[-2000:]
    assert all(count >= 1 for count in fewest_ready.values()), fewest_ready
    assert traffic.failed == [], traffic.failed[:10]


def subprocess_drain(node: str) -> subprocess.Popen:
    """`kubectl drain` of the release's service pods, in the background; it retries refused evictions."""
    return subprocess.Popen(
        [
            str(KUBECTL),
            "drain",
            node,
            "--pod-selector=app.kubernetes.io/instance=portal,app.kubernetes.io/component=service",
            "--delete-emptydir-data",
            "--ignore-daemonsets",
            "--timeout=45s",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KUBECONFIG": str(KUBECONFIG)},
    )


def test_mongodb_unreachable_at_install_fails_the_job_clearly(platform, release):
    """A release whose MongoDB address is wrong: the migrations Job fails with one clear line and the install is
    marked failed. Its topics exist (the pre-install hook made them; a later install uses them as they are)."""
    namespace, name = "portal-nomongo", "nomongo"
    topic = f"account-events-{namespace}-{name}"  # what release.sh names a second release's topic
    kubectl("create", "namespace", namespace, namespace="default")
    try:
        for service in SERVICES:  # made before release.sh, which never overwrites a Secret
            kubectl(
                "create",
                "secret",
                "generic",
                f"portal-{service}-mongo",
                "--from-literal=uri=mongodb://ferretdb-absent.portal-deps.svc.cluster.local:27017/",
                namespace=namespace,
            )
        installed = run(
            "bash",
            RELEASE_SH,
            "install",
            namespace,
            name,
            "--wait=false",
            "--timeout=3m",
            "--set=migrations.backoffLimit=0",
            "--set=tests.ingressUrl=",
            *[f"--set=services.{s}.autoscaling.minReplicas=1" for s in SERVICES],
            timeout=400,
            check=False,
        )
        job_log = kubectl("logs", f"job/{name}-migrations-1", "-c", "billing-statement", namespace=namespace)
        status = json.loads(helm("status", name, "-o", "json", namespace=namespace).stdout)["info"]["status"]
        admin = create_admin(platform.kafka, f"test-nomongo-{RUN}")
        try:
            topics = set(admin.list_topics())
        finally:
            admin.close()
        report("mongodb unreachable at install", helm_status=status, job_log=job_log.strip())
        assert installed.returncode != 0
        assert "post-install" in installed.stderr, installed.stderr
        assert status == "failed"
        assert "MongoDB is unreachable at ferretdb-absent.portal-deps.svc.cluster.local:27017" in job_log, job_log
        assert "Traceback" not in job_log
        assert {*events.topics(topic), f"{topic}.dlq"} <= topics
    finally:
        helm("uninstall", name, "--wait", namespace=namespace, check=False)
        kubectl("delete", "namespace", namespace, "--wait=false", namespace="default", check=False)


def test_network_policies_admit_only_named_callers_and_let_each_pod_out_only_where_it_must(release, sinks):
    """Ingress: from a pod of the release's namespace without an allowed caller's labels, every gRPC and HTTP port
    is closed; labelled as notification it reaches identity's and billing's gRPC (the calls the release makes),
    labelled as billing-statement (no client) it reaches neither; from the Ingress
    controller's namespace the HTTP ports answer. Egress: a pod of the release reaches CoreDNS on port 53 but not
    its metrics port, which answers any pod the release's policies do not select; only notification reaches
    the SMTP sink."""
    image = kubectl("get", "deploy/portal-identity", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
    # Service addresses, not names: a DNS failure must not pass for a closed port.
    ip = {
        svc: kubectl("get", "service", f"portal-{svc}", "-o", "jsonpath={.spec.clusterIP}")
        for svc in ("identity", "billing-statement", "document-store", "notification")
    }
    dns_pod = kubectl(
        "get", "pods", "-l", "k8s-app=kube-dns", "-o", "jsonpath={.items[0].status.podIP}", namespace="kube-system"
    )
    targets = {
        "identity-grpc": f"{ip['identity']}:{services()['identity'].grpc_port}",
        "notification-grpc": f"{ip['notification']}:{services()['notification'].grpc_port}",
        "billing-grpc": f"{ip['billing-statement']}:{services()['billing-statement'].grpc_port}",
        "identity-http": f"{ip['identity']}:8081",
        "billing-http": f"{ip['billing-statement']}:8082",
        "documents-http": f"{ip['document-store']}:8083",
        "notification-http": f"{ip['notification']}:8084",
        "dns": f"{dns_pod}:53",
        "dns-metrics": f"{dns_pod}:9153",  # beyond the release, open to any pod no egress policy selects
        "smtp-sink": f"{NODE_IP}:{SMTP_PORT}",  # beyond the release: only notification sends mail
    }
    # Each target is tried for 20 s, in parallel: open if any attempt connects (a caller's new address reaches
    # the callee's allowed set a few seconds after the pod starts).
    probe = (
        "import json,socket,sys,time\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def reach(t):\n"
        "  h,p=t.rsplit(':',1); end=time.monotonic()+20\n"
        "  while time.monotonic()<end:\n"
        "    try:\n"
        "      socket.create_connection((h,int(p)),timeout=2).close(); return True\n"
        "    except OSError: time.sleep(0.5)\n"
        "  return False\n"
        "targets=json.loads(sys.argv[1])\n"
        "with ThreadPoolExecutor(len(targets)) as pool:\n"
        "  print(json.dumps(dict(zip(targets, pool.map(reach, targets.values())))))\n"
    )

    def policed(name: str, namespace: str) -> bool:
        """kube-router has put the pod's own firewall chain (its egress rules) in place: until then a new pod
        goes anywhere, so judging its egress earlier would prove nothing."""
        rules = subprocess.run(["iptables-save", "-t", "filter"], capture_output=True, text=True, check=True).stdout
        return f"traffic from POD name:{name} namespace: {namespace}" in rules

    def reach(name: str, namespace: str, labels: str) -> dict:
        overrides = json.dumps(
            {
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "imagePullPolicy": "Never",
                            "command": ["python", "-c", "import time; time.sleep(600)"],
                            "securityContext": {
                                "runAsNonRoot": True,
                                "runAsUser": 10001,
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"},
                            },
                        }
                    ],
                    "terminationGracePeriodSeconds": 0,
                }
            }
        )
        kubectl(
            "run",
            name,
            "--restart=Never",
            f"--labels={labels}",
            f"--image={image}",
            f"--overrides={overrides}",
            namespace=namespace,
        )
        try:
            kubectl("wait", "--for=condition=Ready", f"pod/{name}", "--timeout=120s", namespace=namespace, timeout=130)
            if "app.kubernetes.io/instance=portal" in labels:  # selected by the release's policies
                wait_for(lambda: policed(name, namespace), timeout=60, interval=1, what=f"{name}'s firewall chain")
            out = kubectl("exec", name, "--", "python", "-c", probe, json.dumps(targets), namespace=namespace)
            return json.loads(out.strip().splitlines()[-1])
        finally:
            kubectl("delete", "pod", name, "--wait=false", namespace=namespace, check=False)

    def of_the_release(service: str) -> str:
        return f"app.kubernetes.io/name={service},app.kubernetes.io/instance=portal,app.kubernetes.io/part-of=portal"

    intruder = reach(f"intruder-{RUN}", NAMESPACE, "app=intruder")
    # Not a pod of the release: no policy restricts where it goes, none admits it in.
    outside = {"dns": True, "dns-metrics": True, "smtp-sink": True}
    assert intruder == {**dict.fromkeys(targets, False), **outside}, intruder
    caller = reach(f"caller-{RUN}", NAMESPACE, of_the_release("notification"))
    assert caller["identity-grpc"] is True, caller  # notification calls identity's IssueLink (grpcCalls)
    assert caller["billing-grpc"] is True, caller  # and billing's GetStructure, the structure named in emails
    assert caller["notification-grpc"] is False, caller  # nobody in the release calls notification over gRPC
    assert caller["billing-http"] is False, caller
    assert caller["identity-http"] is True, caller  # the token keys (JWKS)
    assert caller["dns"] is True, caller
    assert caller["dns-metrics"] is False, caller  # egress denied by default
    assert caller["smtp-sink"] is True, caller  # notification's own egress: its SMTP relay
    no_client = reach(f"noclient-{RUN}", NAMESPACE, of_the_release("billing-statement"))
    assert no_client["identity-grpc"] is False, no_client  # billing has no identity client: not admitted
    assert no_client["billing-grpc"] is False, no_client  # nor may it call itself as a client would
    assert no_client["dns"] is True, no_client
    assert no_client["dns-metrics"] is False, no_client
    assert no_client["smtp-sink"] is False, no_client  # billing sends no mail
    gateway = reach(f"gateway-{RUN}", "ingress", "app=probe")
    assert all(gateway[name] for name in targets if name.endswith("-http")), gateway
    assert gateway["identity-grpc"] is False, gateway


def publish_dossier_reviews(platform: ClusterPlatform, account_id: str, count: int, pause_s: float = 0.2) -> None:
    """What the dossier service publishes when an agent finishes a review, `count` times (distinct events)."""
    producer = create_producer(platform.kafka_as("dossier"), f"test-dossier-{RUN}")
    try:
        for _ in range(count):
            event = events.new_event(
                "dossier.review_completed",
                account_id=account_id,
                structure_id=STRUCTURE,
                source="dossier",
                payload={"outcome": "validé"},
            )
            record = events.encode(event)
            producer.send(
                events.topic_of(platform.events_topic, "dossier"),
                key=record.key,
                value=record.value,
                headers=record.headers,
            ).get(30)
            time.sleep(pause_s)
    finally:
        producer.close(timeout=10)


def feed_count(token: str, event_type: str) -> int:
    items, cursor = [], None
    while True:
        page = call("GET", "/v1/notifications", token, params={"limit": 100, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json().get("next_cursor")
        if not cursor:
            return sum(1 for item in items if item["type"] == event_type)


def fresh_token(family: dict) -> str:
    return call("POST", "/v1/auth/login", json={"login": family["login"], "password": PASSWORD}).json()["access_token"]


def test_pods_killed_without_grace_while_events_flow_lose_and_repeat_nothing(platform, family, sinks):
    smtp: SmtpSink = sinks[0]
    subject = "Votre dossier a été vérifié"
    token = fresh_token(family)
    prefs = call(
        "PATCH", "/v1/notification-preferences", token, json={"email_enabled": True, "dossier": {"enabled": True}}
    )
    assert prefs.status_code == 200, prefs.text
    feed_before, mail_before = (
        feed_count(token, "dossier.review_completed"),
        len(smtp.messages(family["login"], subject)),
    )
    count = 40
    producer = threading.Thread(target=publish_dossier_reviews, args=(platform, family["account_id"], count))
    producer.start()
    killed = []
    for service in ("identity", "billing-statement", "document-store", "notification"):
        time.sleep(1.5)
        victim = pods(f"app.kubernetes.io/name={service},app.kubernetes.io/instance=portal")[0]["metadata"]["name"]
        kubectl("delete", "pod", victim, "--grace-period=0", "--force", "--wait=false")
        killed.append(victim)
    producer.join(timeout=120)
    token = fresh_token(family)

    def all_in_the_feed() -> bool:
        try:
            return feed_count(token, "dossier.review_completed") - feed_before >= count
        except AssertionError:  # a 502 while the Service still lists the pod killed without grace
            return False

    wait_for(all_in_the_feed, timeout=180, what=f"{count} events in the feed")
    wait_for(
        lambda: len(smtp.messages(family["login"], subject)) - mail_before >= count, timeout=180, what=f"{count} emails"
    )
    time.sleep(10)  # anything sent twice would arrive by now
    feed_in = feed_count(token, "dossier.review_completed") - feed_before
    mails_in = len(smtp.messages(family["login"], subject)) - mail_before
    report("pod kill", killed=killed, events_in=count, feed_out=feed_in, emails_out=mails_in)
    assert feed_in == count
    assert mails_in == count


def test_kafka_away_for_a_minute_keeps_pods_ready_and_the_platform_serving(platform, family, sinks):
    smtp: SmtpSink = sinks[0]
    before = restarts_and_readiness()
    token = fresh_token(family)
    feed_before = feed_count(token, "dossier.review_completed")
    kubectl("scale", "deployment/kafka", "--replicas=0", namespace="portal-deps")
    try:
        # Gone, not just terminating: a broker shutting down still takes writes (CI saw both emails go out "during"
        # the outage, sent in the seconds the old pod took to stop).
        wait_for(
            lambda: not pods("app.kubernetes.io/name=kafka", "portal-deps", terminating=True),
            timeout=90,
            what="kafka stopped",
        )
        stopped = time.monotonic()
        unready_seen: set[str] = set()
        # During the outage: events written by identity (two password changes) wait in its outbox.
        new_password = "une autre phrase de passe"
        for current, new in ((PASSWORD, new_password), (new_password, PASSWORD)):
            session = call("POST", "/v1/auth/login", json={"login": family["login"], "password": current}).json()
            changed = call(
                "PUT",
                "/v1/account/password",
                session["access_token"],
                json={"current_password": current, "new_password": new, "sign_out_other_sessions": False},
            )
            assert changed.status_code in (200, 204), changed.text
        with family_traffic(family) as traffic:
            while time.monotonic() - stopped < 60:
                # Pods that served before the outage (the HPA may add one meanwhile, unready while it starts).
                unready_seen |= {
                    name
                    for name, (_, ready) in restarts_and_readiness().items()
                    if name in before and before[name][1] and not ready  # served before: ready then
                }
                time.sleep(2)
            assert smtp.messages(family["login"], "Votre mot de passe a été modifié") == []  # still in the outbox
            kubectl("scale", "deployment/kafka", "--replicas=1", namespace="portal-deps")
            kubectl("rollout", "status", "deployment/kafka", "--timeout=180s", namespace="portal-deps", timeout=200)
            time.sleep(3)
    finally:  # whatever failed above, Kafka comes back: the tests after this one need it
        kubectl("scale", "deployment/kafka", "--replicas=1", namespace="portal-deps")
        kubectl("rollout", "status", "deployment/kafka", "--timeout=180s", namespace="portal-deps", timeout=200)
    after = restarts_and_readiness()
    restarted = {name for name, (count, _) in after.items() if name in before and count > before[name][0]}
    # Written during the outage, delivered after it: the two password-change notices reach the mailbox.
    wait_for(
        lambda: len(smtp.messages(family["login"], "Votre mot de passe a été modifié")) >= 2,
        timeout=120,
        what="password-change emails after the outage",
    )
    report(
        "kafka outage",
        seconds=60,
        sent=dict(traffic.sent),
        failed=len(traffic.failed),
        restarted=sorted(restarted),
        unready=sorted(unready_seen),
    )
    assert restarted == set()
    assert unready_seen == set()
    # A pod the HPA started during the outage is ready once it has read the revocations (#20 finding 6).
    wait_for(
        lambda: all(ready for _, ready in restarts_and_readiness().values()),
        timeout=120,
        interval=2,
        what="every pod ready once Kafka is back",
    )
    assert traffic.failed == [], traffic.failed[:10]
    assert feed_count(fresh_token(family), "dossier.review_completed") == feed_before
    # Calm again, no pod busy: a connection made while Kafka's Service had no endpoint kept kube-proxy's ICMP
    # "unreachable" in its socket's error queue, which made kafka-python's network thread spin at 0.8 CPU for good
    # (portal_common/kafka_selector.py). Idle pods use 15-40m here. A pod may still be catching up on what the
    # outage held back (a notification pod once used 428m in the first 20 s, 25m beside it): a spinning one stays
    # busy, so each pod is judged on its quietest of up to three 20 s windows.
    busy: dict[str, int] = {}
    for _ in range(3):
        window = cpu_millicores("app.kubernetes.io/component=service", 20)
        busy = {name: min(used, busy.get(name, used)) for name, used in window.items()}
        if max(busy.values()) < 400:
            break
    report("after the kafka outage", quietest_cpu_millicores=busy)
    assert max(busy.values()) < 400, busy


def families_across_partitions(platform: ClusterPlatform, smtp: SmtpSink, first: dict, partitions: int) -> list[dict]:
    """`first` and more families of its structure until their events (keyed by account) fall on all the topic's
    partitions but one: each notification consumer then has some of the flood, as when a structure writes to
    all its families. One family alone keeps the flood on one partition, one pod, whatever the HPA adds."""
    families, reached = [first], {partition_of(first["account_id"], partitions)}
    agent = fresh_token({"login": first["agent_login"]})
    while len(reached) < partitions - 1:
        assert len(families) < 20, f"20 families reach only partitions {sorted(reached)}"
        login = f"famille.{RUN}.{len(families)}@example.fr"
        account_id, _ = platform.new_family(smtp, agent, login, PASSWORD)
        families.append({"login": login, "account_id": account_id})
        reached.add(partition_of(account_id, partitions))
    return families


def partition_of(account_id: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives an event of this account (the key is the account id)."""
    return (murmur2(account_id.encode()) & 0x7FFFFFFF) % partitions


def unread(token: str) -> int:
    return call("GET", "/v1/notifications", token, params={"limit": 1}).json()["unread_count"]


def mails_to(smtp: SmtpSink, subject: str, families: list[dict]) -> list[int]:
    """How many emails of `subject` each family received, reading the mailbox once."""
    received = [decoded(message["To"]) for message in smtp.messages(subject=subject)]
    return [sum(1 for to in received if family["login"] in to) for family in families]


def set_hpa_maximum(pods: int) -> None:
    kubectl("patch", "hpa", "portal-notification", "--type=merge", "-p", json.dumps({"spec": {"maxReplicas": pods}}))


# Its own waits (scale-out, every event in the feed and the mailbox, scale-in) are bounded one by one; together they
# go past the suite's 300 s default when the HPA is slow to react and more events pile up.
@pytest.mark.timeout(1200)
def test_an_event_flood_scales_notification_out_without_loss_or_duplicate(platform, family, sinks, request):
    """A flood of events for a structure's families: the HPA (CPU, metrics-server) adds notification pods, the
    consumer group takes them in, and every event still gives one feed item and one email."""
    smtp: SmtpSink = sinks[0]
    subject = "Votre dossier a été vérifié"
    selector = "app.kubernetes.io/name=notification,app.kubernetes.io/instance=portal"
    topic = events.topic_of(platform.events_topic, "dossier")
    producer = create_producer(platform.kafka_as("dossier"), f"test-flood-{RUN}")
    families = families_across_partitions(platform, smtp, family, len(producer.partitions_for(topic)))
    tokens = [fresh_token(member) for member in families]
    for token in tokens:
        prefs = call(
            "PATCH", "/v1/notification-preferences", token, json={"email_enabled": True, "dossier": {"enabled": True}}
        )
        assert prefs.status_code == 200, prefs.text
    feed_before = [unread(token) for token in tokens]
    mail_before = mails_to(smtp, subject, families)
    minimum = int(kubectl("get", "hpa", "portal-notification", "-o", "jsonpath={.spec.minReplicas}"))
    maximum = int(kubectl("get", "hpa", "portal-notification", "-o", "jsonpath={.spec.maxReplicas}"))
    # A scale-out the chaos tests' traffic caused may still be cooling down (a minute, values-portal.yaml): the flood
    # must then add pods to those that run now.
    with contextlib.suppress(AssertionError):
        wait_for(lambda: len(pods(selector)) == minimum, timeout=300, interval=5, what="notification at its minimum")
    pods_before = len(pods(selector))
    if pods_before >= maximum:
        # Still busy from the tests before (seen once in CI, five minutes after the Kafka outage's catch-up): the
        # HPA gets room for one more pod for this test, and its maximum back after it.
        set_hpa_maximum(pods_before + 1)
        request.addfinalizer(lambda: set_hpa_maximum(maximum))
    stop, sent, refused = threading.Event(), [0] * len(families), []

    def flood() -> None:
        # At most 100 events a second (30-56 on the busy node), never waiting for Kafka, whose acknowledgements
        # count them in the producer's thread: waiting for each, or for batches, held the flood to 18 a second.
        def acknowledged(_metadata: object, index: int) -> None:
            sent[index] += 1

        turn = 0
        while not stop.is_set():
            index = turn % len(families)
            event = events.new_event(
                "dossier.review_completed",
                account_id=families[index]["account_id"],
                structure_id=STRUCTURE,
                source="dossier",
                payload={"outcome": "validé"},
            )
            record = events.encode(event)
            producer.send(topic, key=record.key, value=record.value, headers=record.headers).add_callback(
                acknowledged, index=index
            ).add_errback(lambda error: refused.append(repr(error)))
            turn += 1
            time.sleep(0.01)
        producer.flush(60)

    def ready_pods() -> int:
        statuses = [pod["status"].get("containerStatuses", [{}]) for pod in pods(selector)]
        return sum(1 for containers in statuses if all(c.get("ready") for c in containers))

    admin = create_admin(platform.kafka, f"test-flood-admin-{RUN}")
    flooding = threading.Thread(target=flood)
    started = time.monotonic()
    flooding.start()
    try:
        try:
            # At the end of a full run the node is busier than alone (57 s here): the HPA's decision waits for the
            # next metrics, and the new pod for CPU to start.
            scaled_to = wait_for(
                lambda: ready_pods() if ready_pods() > pods_before else 0, timeout=420, interval=3, what="scale-out"
            )
        except AssertionError as missing:  # what the autoscaler saw, for whoever reads the failure
            hpa = kubectl("describe", "hpa", "portal-notification", check=False)
            usage = kubectl("top", "pods", "-l", selector, check=False)
            raise AssertionError(f"{missing}; {sum(sent)} events sent; HPA:\n{hpa}\n{usage}") from None
        scaled_after = time.monotonic() - started
        # The new pods join the group while the flood goes on: as many members as ready pods.
        members = wait_for(
            lambda: (
                (n := len(admin.describe_groups(["notification-delivery"])["notification-delivery"]["members"]))
                >= scaled_to
                and n
            ),
            timeout=120,
            interval=2,
            what="the new pods in the consumer group",
        )
        time.sleep(10)
    finally:
        stop.set()
        flooding.join(timeout=90)
        producer.close(timeout=10)
        admin.close()
    assert refused == [], refused[:5]
    tokens = [fresh_token(member) for member in families]

    def feed_out() -> list[int]:
        return [unread(token) - before for token, before in zip(tokens, feed_before, strict=True)]

    def mails_out() -> list[int]:
        return [now - before for now, before in zip(mails_to(smtp, subject, families), mail_before, strict=True)]

    def all_in(out: list[int]) -> bool:
        return all(got >= count for got, count in zip(out, sent, strict=True))

    wait_for(lambda: all_in(feed_out()), timeout=420, interval=5, what=f"{sum(sent)} events in the feeds")
    wait_for(lambda: all_in(mails_out()), timeout=420, interval=5, what=f"{sum(sent)} emails")
    time.sleep(10)  # anything sent twice would arrive by now
    feeds, mails = feed_out(), mails_out()
    assert scaled_to > pods_before
    assert feeds == sent
    assert mails == sent
    # Once calm, back to the minimum (values-portal.yaml: one minute of stabilisation). Not this test's claim: in two
    # full runs on a slow machine notification stayed above its CPU target for minutes after a catch-up (session 26's
    # note); the figures then carry what the HPA saw instead of failing the scale-out proven above.
    calm = time.monotonic()
    try:
        wait_for(lambda: len(pods(selector)) <= pods_before, timeout=300, interval=5, what="scale-in after the flood")
        scaled_in: dict[str, object] = {"scaled_in_after_calm_s": round(time.monotonic() - calm)}
    except AssertionError:
        scaled_in = {
            "scaled_in_after_calm_s": None,
            "pods_300s_after_calm": len(pods(selector)),
            "hpa_metrics": kubectl(
                "get", "hpa", "portal-notification", "-o", "jsonpath={.status.currentMetrics}", check=False
            ),
            "top": kubectl("top", "pods", "-l", selector, check=False),
        }
    report(
        "hpa scale-out",
        **scaled_in,
        pods_before=pods_before,
        pods_after=scaled_to,
        scaled_after_s=round(scaled_after),
        group_members=members,
        families=len(families),
        events_in=sum(sent),
        feed_out=sum(feeds),
        emails_out=sum(mails),
    )


# On a new machine Prometheus may still be compiling in the background (make test builds it after what the cluster
# needs): release.sh monitoring waits for it.
@pytest.mark.timeout(1800)
def test_prometheus_scrapes_every_service_pod_and_a_dead_letter_fires_its_alert(platform, release):
    """The chart's ServiceMonitor and PrometheusRule as kube-prometheus-stack would load them (release.sh
    monitoring): every service pod is scraped through the NetworkPolicy, and records no consumer can read
    (what a broken producer would send) fire PortalDeadLetters with its runbook link."""
    run("bash", RELEASE_SH, "monitoring", timeout=1500)
    ip = kubectl("get", "service", "prometheus", "-o", "jsonpath={.spec.clusterIP}", namespace="monitoring")
    prometheus = f"http://{ip}:9090/api/v1"
    service_pods = {pod["metadata"]["name"] for pod in pods("app.kubernetes.io/component=service")}

    def scraped() -> bool:
        try:
            targets = requests.get(f"{prometheus}/targets", timeout=10).json()["data"]["activeTargets"]
        except requests.ConnectionError:  # helm's --wait saw the new pod ready before kube-proxy routes to it
            return False
        return service_pods <= {t["labels"]["pod"] for t in targets if t["health"] == "up"}

    wait_for(scraped, timeout=90, interval=2, what="every service pod scraped")
    producer = create_producer(platform.kafka_as("dossier"), f"test-broken-producer-{RUN}")
    started = time.monotonic()
    try:

        def dead_letters_firing() -> list[dict]:
            # One unreadable record per round: the counter must rise between two scrapes for increase() > 0.
            producer.send(
                events.topic_of(platform.events_topic, "dossier"),
                key=b"broken-producer",
                value=b"pas un evenement \xff",
            ).get(30)
            alerts = requests.get(f"{prometheus}/alerts", timeout=10).json()["data"]["alerts"]
            return [a for a in alerts if a["labels"]["alertname"] == "PortalDeadLetters" and a["state"] == "firing"]

        firing = wait_for(dead_letters_firing, timeout=180, interval=3, what="PortalDeadLetters firing")
    finally:
        producer.close(timeout=10)
    report("alert", alert="PortalDeadLetters", fired_after_s=round(time.monotonic() - started), groups=len(firing))
    assert firing[0]["labels"]["severity"] == "warning"
    assert firing[0]["annotations"]["runbook_url"].endswith("docs/runbooks.md#portaldeadletters")
    assert "dead-letter" in firing[0]["annotations"]["summary"]


def test_a_second_release_in_another_namespace_installs_beside_the_first(release):
    namespace = "portal-second"
    try:
        run(
            "bash",
            "deploy/cluster/release.sh",
            "install",
            namespace,
            "second",
            "--set",
            "ingress.host=second.portal.test",
            "--set",
            "tests.ingressUrl=",
            *[
                f"--set=services.{s}.autoscaling.minReplicas=1"
                for s in ("identity", "billing-statement", "document-store", "notification")
            ],
            timeout=1200,
        )
        result = helm("test", "second", "--timeout", "3m", "--logs", namespace=namespace, timeout=300)
        assert "service: signed in and read Mon compte" in result.stdout, result.stdout
        # The first release still answers on its own Ingress.
        assert call("GET", "/.well-known/jwks.json").status_code == 200
    finally:
        helm("uninstall", "second", "--wait", namespace=namespace, check=False)
        kubectl("delete", "namespace", namespace, "--wait=false", namespace="default", check=False)


def container_status(pod: dict) -> dict:
    """The status of a pod's (only) container; empty until it is created (a pod the HPA just added)."""
    return pod["status"].get("containerStatuses", [{}])[0]


def container_cgroup(pod: dict, controller: str = "memory") -> Path:
    """The node's cgroup (v1) of a pod's (only) container: where the kernel enforces its memory limit, or counts
    its CPU time (cpuacct)."""
    container = container_status(pod)["containerID"].split("://")[1]
    pattern = f"/sys/fs/cgroup/{controller}/kubepods*/**/pod{pod['metadata']['uid']}/{container}"
    return Path(glob.glob(pattern, recursive=True)[0])


def cpu_millicores(selector: str, seconds: float) -> dict[str, int]:
    """Each selected pod's CPU use over `seconds`, from its container's cpuacct counter (pods started or gone
    meanwhile left out)."""
    counters = {
        pod["metadata"]["name"]: container_cgroup(pod, "cpuacct") / "cpuacct.usage"
        for pod in pods(selector)
        if container_status(pod).get("containerID")
    }
    before = {name: int(path.read_text()) for name, path in counters.items()}
    time.sleep(seconds)
    used = {}
    for name, path in counters.items():
        with contextlib.suppress(FileNotFoundError):
            used[name] = round((int(path.read_text()) - before[name]) / seconds / 1e6)
    return used


def oom_killed() -> list[str]:
    """The billing pods whose container the kernel killed for memory."""
    return [
        pod["metadata"]["name"]
        for pod in pods("app.kubernetes.io/name=billing-statement")
        if container_status(pod).get("lastState", {}).get("terminated", {}).get("reason") == "OOMKilled"
    ]


def test_a_render_at_the_memory_limit_fails_that_statement_alone_and_keeps_nothing(family):
    """#18's bad situation: billing's pods reach their memory limit while rendering a statement. The family's
    request gets a prompt error, nothing is stored, sign-ins, the feed and the pages fail no request, the pods are
    all ready again, and the same statement renders when asked again."""
    period = {"period_start": "2026-01-01", "period_end": "2026-05-31"}  # the fixture made January-June
    token = fresh_token(family)
    listed = call("GET", "/v1/statements", token).json()["items"]
    # Late in the module the fixture's access token has expired: the feed would use it until the first sign-in.
    traffic = family_traffic({**family, "token": token})
    del traffic.calls["statement_pdf"]  # billing's pods are the ones under test
    limits = {}
    # The tests before may leave a pod starting (the HPA adds billing pods on renders' CPU): no container to limit yet.
    wait_for(lambda: all(ready for _, ready in restarts_and_readiness().values()), timeout=180, what="every pod ready")
    with traffic:
        try:
            # Lowered in place on each billing container: room for the service as it is, not for a renderer.
            for pod in pods("app.kubernetes.io/name=billing-statement"):
                if not container_status(pod).get("containerID"):
                    continue  # added since by the HPA: not ready for a while, so sent no request
                cgroup = container_cgroup(pod)
                limits[cgroup] = (cgroup / "memory.limit_in_bytes").read_text().strip()
                # What the container holds (its pages and the files it maps): the rest of its page cache is
                # given back first, and would otherwise make room for the renderer.
                stat = dict(line.split() for line in (cgroup / "memory.stat").read_text().splitlines())
                held = int(stat["total_rss"]) + int(stat["total_mapped_file"]) + int(stat["total_shmem"])
                (cgroup / "memory.limit_in_bytes").write_text(str(held + OOM_HEADROOM))
            started = time.monotonic()
            # Longer than billing's own limit on a render (RENDER_TIMEOUT_SECONDS, 30): its answer is the subject.
            answer = requests.post(
                INGRESS + "/v1/statements", json=period, headers={"Authorization": f"Bearer {token}"}, timeout=90
            )
            answered_in = time.monotonic() - started
        finally:
            for cgroup, limit in limits.items():
                with contextlib.suppress(OSError):  # gone with its container when the kernel killed it
                    (cgroup / "memory.limit_in_bytes").write_text(limit)
        if answer.status_code == 503:  # that request alone failed, with a French problem and a time to retry
            # Either the kernel took the renderer (score 1000), or it kept reclaiming the container's file pages
            # instead (each refault a disk read, slow while the disk is busy) until billing's render time limit
            # killed the renderer: seen once while Go compiled beside the tests.
            assert answer.json()["detail"].startswith(
                ("La mise en page du relevé a été interrompue", "La mise en page du relevé a pris trop de temps")
            ), answer.text
            assert answer.headers["Retry-After"] == "5"
            assert oom_killed() == []
        else:  # it took the service's own process (a Burstable pod's score is 994 + its size): the pod restarts
            assert answer.status_code == 502, (answer.status_code, answer.text[:300])
            wait_for(lambda: len(oom_killed()) == 1, timeout=60, what="the kubelet reports the OOM kill")
        wait_for(
            lambda: all(ready for _, ready in restarts_and_readiness().values()), timeout=180, what="every pod ready"
        )
    assert answered_in < 30 + 15  # the render time limit, and the time to answer after it
    assert call("GET", "/v1/statements", token).json()["items"] == listed  # nothing half-made
    again = wait_for(
        lambda: (r := call("POST", "/v1/statements", token, json=period)).status_code == 201 and r,
        timeout=60,
        what="the statement renders again",
    )
    pdf = call("GET", f"/v1/statements/{again.json()['statement_id']}/pdf", token)
    report(
        "render at the memory limit",
        answer=answer.status_code,
        answered_in_s=round(answered_in, 1),
        oom_killed=oom_killed(),
        sent=dict(traffic.sent),
        failed=len(traffic.failed),
    )
    assert pdf.content.startswith(b"%PDF")
    assert traffic.failed == [], traffic.failed[:10]


def test_a_node_restart_keeps_what_the_volumes_hold(family):
    """`make cluster-down && make cluster-up`: every process stopped and the host's network undone, then the
    same cluster back; the family signs in and downloads its statement (FerretDB's and Kafka's volumes)."""
    script = "deploy/cluster/cluster.sh"
    started = time.monotonic()
    run("bash", script, "down", timeout=300)
    run("bash", script, "up", timeout=900)
    for namespace, deployments in (
        ("ingress", ("traefik",)),
        ("portal-deps", ("kafka", "ferretdb")),
        (NAMESPACE, IMAGES),  # the Deployments are named like their images
    ):
        for deployment in deployments:
            kubectl("rollout", "status", f"deployment/{deployment}", "--timeout=300s", namespace=namespace, timeout=320)

    def signed_in() -> str | None:
        try:
            response = call("POST", "/v1/auth/login", json={"login": family["login"], "password": PASSWORD})
        except requests.ConnectionError:  # the Ingress controller's node port, until its pod listens again
            return None
        return response.json()["access_token"] if response.status_code == 200 else None

    token = wait_for(signed_in, timeout=120, what="the family signs in after the restart")

    def statement_pdf() -> requests.Response | None:
        # Right after the restart the Ingress may still answer 503 for a Service whose endpoints it has not
        # seen again yet (seen once in CI, billing after identity): wait for it as for the sign-in.
        response = call("GET", f"/v1/statements/{family['statement']}/pdf", token)
        return None if response.status_code == 503 else response

    pdf = wait_for(statement_pdf, timeout=120, what="the statement is served after the restart")
    report("node restart", seconds=round(time.monotonic() - started))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
