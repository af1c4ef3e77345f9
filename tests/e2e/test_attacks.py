"""#20's attacks replayed from outside the services, on the whole platform (gateway, Kafka, FerretDB, SMTP):
what a process that can read the topic, publish to it or flood the public routes gets. `make pentest` runs
this module alone; `make test` runs it with the others.

Kafka (finding 2) is attacked as a process on the network would: without credentials, with a wrong password,
and as a real service's principal writing another publisher's topic. gRPC (finding 3) without a certificate,
with another CA's, and as a service the method's table does not name.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from kafka.errors import KafkaTimeoutError, TopicAuthorizationFailedError
from pymongo import MongoClient

from deploy.local import pki
from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal_common import events
from portal_common.grpc_tls import BACK_OFFICE, GrpcClient, GrpcTls
from portal_common.kafka_client import KafkaAccess, create_admin, create_consumer, create_producer
from portal_identity.tokens import digest
from tests.support.env import LAYOUT, MAILDIR
from tests.support.kafka import read_all
from tests.support.sinks import SmtpSink, part_of
from tests.support.wait import wait_for

PASSWORD = "une phrase de passe solide"
RUN = uuid.uuid4().hex[:6]
STRUCTURE = f"cible-{RUN}"
pytestmark = pytest.mark.slow


def databases() -> MongoClient:
    return MongoClient(LAYOUT.mongo_uri, serverSelectionTimeoutMS=5000)


@pytest.fixture(autouse=True)
def forget_this_address_afterwards():
    """The floods below come from 127.0.0.1, like every other end-to-end test: their counts go with them."""
    yield
    with databases() as client:
        client["identity"]["throttle"].delete_many({"_id": {"$regex": r"^(ip|links-ip):127\.0\.0\.1$"}})


@pytest.fixture(scope="module")
def victim(platform):
    agent_login, login = f"agent.{RUN}@mairie.fr", f"victime.{RUN}@example.fr"
    secret = platform.create_agent(STRUCTURE, agent_login)
    assert platform.call("POST", "/v1/auth/activate", json={"token": secret, "password": PASSWORD}).status_code == 204
    agent = platform.call("POST", "/v1/auth/login", json={"login": agent_login, "password": PASSWORD}).json()
    created = platform.call(
        "POST", "/v1/admin/accounts", agent["access_token"], json={"login": login, "display_name": "Famille Cible"}
    )
    assert created.status_code == 201, created.text
    [mail] = wait_for(lambda: SmtpSink(MAILDIR).messages(to=login), timeout=60, what="the activation email")
    secret = re.search(r"token=([A-Za-z0-9_-]+)", part_of(mail)).group(1)
    assert platform.call("POST", "/v1/auth/activate", json={"token": secret, "password": PASSWORD}).status_code == 204
    return {"login": login, "account_id": created.json()["account_id"]}


def signs_in(platform, login: str) -> bool:
    return platform.call("POST", "/v1/auth/login", json={"login": login, "password": PASSWORD}).status_code == 200


def test_token_theft_from_the_topic_and_from_notifications_database(platform, victim):
    """Finding 1: read every record about the victim on `account-events` and every document of notification's
    database after a reset email went out; no string found there resets the password."""
    before = len(SmtpSink(MAILDIR).messages(to=victim["login"], subject="Réinitialisation de votre mot de passe"))
    assert platform.call("POST", "/v1/auth/password-reset", json={"login": victim["login"]}).status_code == 202
    [*_, mail] = wait_for(
        lambda: SmtpSink(MAILDIR).messages(to=victim["login"], subject="Réinitialisation de votre mot de passe")[
            before:
        ],
        timeout=60,
        what="the reset email",
    )
    emailed = re.search(r"token=([A-Za-z0-9_-]+)", part_of(mail)).group(1)
    stolen: set[str] = set()
    for record in read_all(platform.events_topic, expected=1_000_000, timeout_s=3):
        if record.key == victim["account_id"].encode():
            stolen |= {m.decode() for m in re.findall(rb"[A-Za-z0-9_-]{20,}", record.value)}
    with databases() as client:
        notification = client["notification"]
        for name in notification.list_collection_names():
            for document in notification[name].find():
                stolen |= set(re.findall(r"[A-Za-z0-9_-]{20,}", str(document)))
    assert stolen
    assert emailed not in stolen
    with databases() as client:
        stored = client["identity"]["accounts"].find_one({"_id": victim["account_id"]})
    assert stored["reset_digest"] == digest(emailed)  # the check below is the one confirm makes
    assert not {digest(candidate) for candidate in stolen} & {stored["reset_digest"], stored.get("activation_digest")}
    for candidate in sorted(stolen)[:10]:  # and through the gateway, as the attacker would
        body = {"token": candidate, "new_password": "mot de passe de l'attaquant"}
        assert platform.call("POST", "/v1/auth/password-reset/confirm", json=body).status_code == 400
    assert signs_in(platform, victim["login"])


def test_a_forged_account_event_changes_nothing_and_is_dead_lettered(platform, victim):
    """Finding 2 (consumer side): `account.deleted` published by someone who is not identity, on the one topic
    its principal may write (the dossier service's)."""
    forged = events.new_event("account.deleted", account_id=victim["account_id"], structure_id=STRUCTURE)
    forged.source = "identity"  # lying about who it is: the topic says otherwise
    producer = create_producer(LAYOUT.kafka_access("dossier"), f"attacker-{RUN}")
    try:
        dossier_topic = events.topic_of(platform.events_topic, "dossier")
        producer.send(dossier_topic, key=victim["account_id"].encode(), value=forged.SerializeToString()).get(10)
    finally:
        producer.close()

    def dead_lettered() -> list:
        records = read_all(events.DLQ_TOPIC, expected=1_000_000, timeout_s=2)
        return [r for r in records if r.key == victim["account_id"].encode()]

    dead = wait_for(lambda: len(dead_lettered()) >= 3, timeout=60, what="every consumer group dead-lettering it")
    assert dead
    assert signs_in(platform, victim["login"])
    token = platform.call("POST", "/v1/auth/login", json={"login": victim["login"], "password": PASSWORD}).json()
    assert platform.call("GET", "/v1/notifications", token["access_token"]).status_code == 200


def test_reset_flooding_gets_429_and_mails_the_victim_once(platform, victim):
    """Finding 5: 40 reset requests for one family from one address."""
    subject = "Réinitialisation de votre mot de passe"
    before = len(SmtpSink(MAILDIR).messages(to=victim["login"], subject=subject))
    statuses = [
        platform.call("POST", "/v1/auth/password-reset", json={"login": victim["login"]}).status_code for _ in range(40)
    ]
    assert statuses.count(429) >= 15, statuses
    assert set(statuses) <= {202, 429}
    assert len(SmtpSink(MAILDIR).messages(to=victim["login"], subject=subject)) - before <= 1


def test_parallel_password_guesses_are_each_counted(platform):
    """Finding 7: 24 guesses at once on one login through the gateway get at most 6 verdicts."""
    login = f"devine.{RUN}@example.fr"

    def guess(i: int) -> int:
        body = {"login": login, "password": f"essai numéro {i} du pirate"}
        return platform.call("POST", "/v1/auth/login", json=body).status_code

    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(guess, range(24)))
    assert statuses.count(401) <= 6, statuses
    assert set(statuses) <= {401, 429}


# ---------------------------------------------------------------------------------------------- Kafka


def refused(access: KafkaAccess) -> bool:
    try:
        create_admin(access, f"attacker-{RUN}", bootstrap_timeout_ms=3000).close()
    except KafkaTimeoutError:  # kafka-python's word for "no broker would talk to me"
        return True
    return False


def broker_log_lines(reason: str) -> int:
    log = LAYOUT.kafka_dir / "kafka.log"
    return sum(1 for line in log.read_text(errors="replace").splitlines() if reason in line)


def test_a_client_without_credentials_cannot_connect_to_kafka(tmp_path):
    """A plaintext client on the broker's port, the right name with a wrong password, and the right password
    without the platform's CA (a broker it cannot verify): no connection. The right ones connect."""
    identity = LAYOUT.kafka_access("identity")
    assert not refused(identity)  # the control: this test can fail
    handshakes = broker_log_lines("SSL handshake failed")
    assert refused(KafkaAccess(LAYOUT.kafka_bootstrap, "PLAINTEXT"))
    assert broker_log_lines("SSL handshake failed") > handshakes
    wrong = tmp_path / "password"
    wrong.write_text("not-the-password")
    guesses = broker_log_lines("invalid credentials with SASL mechanism SCRAM-SHA-512")
    assert refused(identity.as_user("identity", str(wrong)))
    assert broker_log_lines("invalid credentials with SASL mechanism SCRAM-SHA-512") > guesses
    assert refused(KafkaAccess(identity.bootstrap, "SASL_SSL", "identity", identity.password_file, ""))


def test_a_service_cannot_publish_another_publishers_events(platform, victim):
    """Billing's own credentials, trying identity's topic to move a family to another structure: the broker
    refuses the write, and nothing reaches the consumers."""
    forged = events.new_event("account.created", account_id=victim["account_id"], structure_id="autre-ville")
    record = events.encode(forged)
    producer = create_producer(platform.kafka_as("billing-statement"), f"billing-forger-{RUN}", max_block_ms=5000)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(
                events.topic_of(platform.events_topic, "identity"),
                key=record.key,
                value=record.value,
                headers=record.headers,
            ).get(10)
    finally:
        producer.close(timeout=5)
    on_topic = [r for r in read_all(platform.events_topic, expected=1_000_000, timeout_s=3) if r.value == record.value]
    assert on_topic == []


def test_an_external_publisher_cannot_read_the_families_events(platform, victim):
    """The dossier service publishes only: where notification reads identity's events about the victim, its
    principal reads nothing (the broker refuses the fetch; kafka-python just yields no record)."""
    identity_topic = events.topic_of(platform.events_topic, "identity")

    def victims_records(principal: str) -> int:
        consumer = create_consumer(
            platform.kafka_as(principal),
            identity_topic,
            group_id=None,
            auto_offset_reset="earliest",
            consumer_timeout_ms=4000,
        )
        try:
            return sum(1 for record in consumer if record.key == victim["account_id"].encode())
        finally:
            consumer.close()

    assert victims_records("notification") > 0
    assert victims_records("dossier") == 0


# ---------------------------------------------------------------------------------------------- gRPC


def test_grpc_callers_prove_who_they_are_and_call_only_what_they_may(platform, victim):
    """Finding 3: a process on the network calls identity's gRPC port without a certificate, with one of another
    CA, and as a real service that has no business there (billing asking for a family's reset link)."""
    target = LAYOUT.grpc_target("identity")
    request = identity_pb2.GetAccountRequest(account_id=victim["account_id"], structure_id=STRUCTURE)

    def get_account(tls: GrpcTls | None) -> grpc.StatusCode:
        client = GrpcClient(target, "identity", tls)
        try:
            identity_pb2_grpc.IdentityServiceStub(client.channel()).GetAccount(request, timeout=5)
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()
        finally:
            client.close()

    assert get_account(LAYOUT.grpc_identity(BACK_OFFICE)) == grpc.StatusCode.OK  # the control
    assert get_account(None) == grpc.StatusCode.UNAVAILABLE  # plaintext: no handshake
    cert, key, ca = pki.grpc_identity(Path(tempfile.mkdtemp()), BACK_OFFICE)  # the right name, another CA
    assert get_account(GrpcTls(str(cert), str(key), str(ca))) == grpc.StatusCode.UNAVAILABLE
    assert get_account(LAYOUT.grpc_identity("billing-statement")) == grpc.StatusCode.PERMISSION_DENIED
    billing = GrpcClient(target, "identity", LAYOUT.grpc_identity("billing-statement"))
    try:
        with pytest.raises(grpc.RpcError) as refused:
            identity_pb2_grpc.IdentityServiceStub(billing.channel()).IssueLink(
                identity_pb2.IssueLinkRequest(event_id="any"), timeout=5
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        billing.close()


def test_role_escalation_over_grpc_is_refused_even_to_an_allowed_caller(platform, victim):
    """Finding 3: the back office may create families over gRPC, never an agent of any structure."""
    client = GrpcClient(LAYOUT.grpc_target("identity"), "identity", LAYOUT.grpc_identity(BACK_OFFICE))
    request = identity_pb2.CreateAccountRequest(
        structure_id=STRUCTURE, login=f"faux.agent.{RUN}@example.fr", display_name="Faux agent", role="agent"
    )
    try:
        with pytest.raises(grpc.RpcError) as refused:
            identity_pb2_grpc.IdentityServiceStub(client.channel()).CreateAccount(request, timeout=5)
    finally:
        client.close()
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with databases() as client:
        assert client["identity"]["accounts"].find_one({"login": request.login}) is None
