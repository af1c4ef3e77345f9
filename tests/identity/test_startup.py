"""The service process: refuses to start on bad configuration; the ops command creates a first agent."""

import json
import os
import subprocess
import sys
import uuid

from tests.identity.conftest import identity_environ
from tests.support.kafka import create_event_topics, find_events, unique_topic


def run(args, environ, timeout=60, stdin=None):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")} | environ
    return subprocess.run(
        [sys.executable, "-m", "portal_identity", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )


def test_missing_settings_stop_start_up_with_their_names(tmp_path):
    environ = identity_environ(tmp_path, "t")
    del environ["MONGO_URI"]
    environ["HTTP_PORT"] = "not-a-port"
    result = run(["serve"], environ)
    assert result.returncode == 2
    assert "MONGO_URI is required" in result.stderr
    assert "HTTP_PORT='not-a-port' is not a valid integer" in result.stderr


def test_production_without_a_mounted_signing_key_refuses_to_start(tmp_path):
    # In production IDENTITY_GENERATE_KEYS=false and the Secret is mounted; an empty mount is a misconfiguration.
    environ = identity_environ(tmp_path, "t", IDENTITY_GENERATE_KEYS="false")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "broken.pem").write_text("not a key")
    result = run(["serve"], environ)
    assert result.returncode == 2
    assert "holds no readable RSA key" in result.stderr
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "keys").iterdir()) == [tmp_path / "keys" / "broken.pem"]  # nothing generated


def test_create_agent_ops_command(tmp_path):
    topic = unique_topic("identity-ops")
    create_event_topics(topic)
    environ = identity_environ(tmp_path, topic)
    login = f"agent-{uuid.uuid4().hex[:6]}@mairie.fr"
    result = run(["create-agent", "--structure", "mairie-1", "--login", login, "--display-name", "Agent Un"], environ)
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout.strip().splitlines()[-1])
    assert created["activation_email_to"] == login
    assert "token" not in result.stdout.lower()  # no secret on the operator's terminal or in a job's log
    [event] = find_events(topic, lambda e: e.type == "account.created" and e.account_id == created["account_id"])
    assert event.account_created.role == "agent"
    assert event.structure_id == "mairie-1"
    same_login = ["create-agent", "--structure", "mairie-1", "--login", login.upper(), "--display-name", "Agent"]
    again = run(same_login, environ)
    assert again.returncode == 1
    assert "identity: Un compte existe déjà avec cet identifiant." in again.stderr
    assert "Traceback" not in again.stderr
    purge = run(["purge"], environ)
    assert purge.returncode == 0, purge.stderr
    assert json.loads(purge.stdout.strip().splitlines()[-1])["accounts_purged"] == 0


def test_an_agent_a_deployment_signs_in_with_gets_its_password_from_stdin(svc, tmp_path):
    """`helm test`'s account: active at once, the password never on a command line, nothing printed."""
    from tests.identity.conftest import identity_environ

    environ = identity_environ(tmp_path, svc.topic) | {"MONGO_DB": svc.db.name}
    login = f"helm-test-{uuid.uuid4().hex[:6]}@portal.test"
    args = ["create-agent", "--structure", "helm-test", "--login", login, "--display-name", "Test", "--password-stdin"]
    weak = run(args, environ, stdin="password\n")
    assert weak.returncode == 1
    assert "identity: " in weak.stderr
    assert "Traceback" not in weak.stderr
    made = run(args, environ, stdin="une phrase de passe de test\n")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout.strip().splitlines()[-1])["status"] == "active"
    assert "phrase" not in made.stdout + made.stderr
    signed_in = svc.call("POST", "/v1/auth/login", json={"login": login, "password": "une phrase de passe de test"})
    assert signed_in.status_code == 200, signed_in.text

    disabled = run(["disable-agent", "--login", login], environ)  # and ops take it away again
    assert disabled.returncode == 0, disabled.stderr
    assert svc.call("GET", "/v1/account", signed_in.json()["access_token"]).status_code == 401
    unknown = run(["disable-agent", "--login", "nobody@portal.test"], environ)
    assert unknown.returncode == 1
    assert "aucun agent" in unknown.stderr


def test_sigterm_drains_and_exits_cleanly(tmp_path):
    import signal
    import time

    import requests

    topic = unique_topic("identity-drain")
    create_event_topics(topic)
    environ = identity_environ(tmp_path, topic, HTTP_PORT="38081", GRPC_PORT="35051")
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")} | environ
    process = subprocess.Popen(
        [sys.executable, "-m", "portal_identity"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get("http://127.0.0.1:38081/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "identity never became ready"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    messages = [json.loads(line)["message"] for line in output.splitlines() if line.startswith("{")]
    assert "received signal SIGTERM" in messages
    assert messages[-1] == "identity stopped"
    assert "correct horse" not in output


def test_ready_without_kafka_which_the_metrics_report(tmp_path):
    """Readiness follows MongoDB only: with no broker at the configured address the process still serves and
    says so in portal_kafka_reachable (the chart's probes and the PortalKafkaUnreachable alert rely on it)."""
    import time

    import requests
    from prometheus_client.parser import text_string_to_metric_families

    from tests.support.sinks import free_port

    closed, http_port, grpc_port = free_port(), free_port(), free_port()  # nothing listens on `closed`
    environ = identity_environ(
        tmp_path,
        "no-broker",
        HTTP_PORT=str(http_port),
        GRPC_PORT=str(grpc_port),
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{closed}",
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")} | environ
    log = tmp_path / "identity.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "portal_identity"], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = requests.get(f"{url}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "identity never became ready without Kafka"
            time.sleep(0.2)
        assert ready.json()["checks"] == {"mongodb": True}
        text = requests.get(f"{url}/metrics", timeout=10).text
        [reachable] = [
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "portal_kafka_reachable" and sample.labels["service"] == "identity"
        ]
        assert reachable == 0
    finally:
        process.kill()
        process.wait(10)


def test_migrate_with_mongodb_unreachable_says_so_in_one_line(tmp_path):
    """The migrations Job's first step: an operator reading its log learns which dependency failed, without a
    traceback and without the URI's credentials."""
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    environ = identity_environ(tmp_path, "t", MONGO_URI=f"mongodb://portal:s3cret-pass@127.0.0.1:{port}/")
    result = run(["migrate"], environ)
    assert result.returncode == 3, result.stderr
    assert f"identity: MongoDB is unreachable at 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3cret-pass" not in result.stderr
