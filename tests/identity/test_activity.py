"""The activity history: identity's own actions and other services' events, newest first, paginated."""

import base64
import uuid
from datetime import UTC, datetime, timedelta

from portal_common import events
from portal_common.kafka_client import create_producer
from portal_identity.events_in import ActivityRecorder
from portal_identity.housekeeping import run_purge
from tests.identity.conftest import PASSWORD
from tests.support.env import KAFKA
from tests.support.wait import wait_for


def history(svc, token, path="/v1/account/activity", **params):
    response = svc.call("GET", path, token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_history_has_every_action_with_a_french_label(svc):
    account = svc.new_account()
    svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": "wrong wrong wrong"})
    token = svc.login(account)["access_token"]
    svc.call(
        "PUT",
        "/v1/account/password",
        token,
        json={"current_password": PASSWORD, "new_password": "another good passphrase"},
    )
    # A reservation made then cancelled in the (external) reservation service, and the family's own change to its
    # dossier in the dossier service, published on their topics.
    external = [
        ("reservation.created", "reservation", {"child_name": "Léa", "activity": "Cantine", "dates": ["2026-12-01"]}),
        ("reservation.cancelled", "reservation", {"child_name": "Léa", "activity": "Cantine", "dates": ["2026-12-01"]}),
        ("dossier.updated", "dossier", {"dossier_id": "d-1", "changed": ["address", "phone", "shoe_size"]}),
    ]
    producer = create_producer(KAFKA, "test")
    for event_type, source, payload in external:
        event = events.new_event(
            event_type, account_id=account["account_id"], structure_id="struct-1", source=source, payload=payload
        )
        record = events.encode(event)
        topic = events.topic_of(svc.topic, source)
        producer.send(topic, key=record.key, value=record.value, headers=record.headers).get(10)
    producer.close()

    expected = {
        "account.created",
        "account.activated",
        "account.login_failed",
        "account.login_succeeded",
        "account.password_changed",
        "reservation.created",
        "reservation.cancelled",
        "dossier.updated",
    }
    items = wait_for(
        lambda: (lambda page: page if {i["type"] for i in page} >= expected else None)(history(svc, token)["items"]),
        timeout=30,
        what="every action in the history",
    )
    labels = {i["type"]: i["label"] for i in items}
    assert labels["account.login_failed"] == "Tentative de connexion échouée"
    assert labels["reservation.created"] == "Réservation effectuée"
    by_type = {i["type"]: i for i in items}
    assert by_type["reservation.created"]["source"] == "reservation"
    assert by_type["reservation.created"]["details"]["child_name"] == "Léa"
    assert labels["reservation.cancelled"] == "Réservation annulée"
    assert by_type["reservation.cancelled"]["details"] == {
        "child_name": "Léa",
        "activity": "Cantine",
        "dates": ["2026-12-01"],
    }
    assert labels["dossier.updated"] == "Modification de votre dossier"
    # What changed, in words; a part the portal does not know is not shown as its code.
    assert by_type["dossier.updated"]["details"] == {"changed": ["adresse", "autre information", "téléphone"]}
    assert by_type["account.login_succeeded"]["details"]["ip"] == "127.0.0.1"
    times = [i["occurred_at"] for i in items]
    assert times == sorted(times, reverse=True)
    assert "activation_token" not in str(items)
    assert "$argon2" not in str(items)


def test_a_poll_of_events_is_recorded_once_in_order_with_a_purge_erasing_what_came_before(mongo_db):
    def event(event_type, account_id, **payload):
        return events.new_event(event_type, account_id=account_id, structure_id="s1", payload=payload)

    login = event("account.login_succeeded", "acc-1", ip="203.0.113.5", user_agent="Firefox", session_id="s")
    other_purge = event("account.purged", "acc-other")
    recorder = ActivityRecorder(mongo_db)
    recorder.handle_batch([login, other_purge])
    later = event("invoice.issued", "acc-1", number="F-1", amount_cents=1200)
    purge = event("account.purged", "acc-1")
    after = event("account.login_failed", "acc-1", ip="203.0.113.5", user_agent="curl", reason="account_purged")
    kept = event("reservation.created", "acc-2", child_name="Léa", activity="Cantine", dates=["2026-12-01"])
    recorder.handle_batch([login, later, purge, after, kept, kept])  # a redelivered poll, a duplicate inside

    stored = {doc["_id"]: doc for doc in mongo_db.activity.find()}
    assert set(stored) == {after.event_id, kept.event_id}  # what came before the purge is gone, once
    assert stored[after.event_id]["label"] == "Tentative de connexion échouée"
    assert stored[kept.event_id]["details"] == {"child_name": "Léa", "activity": "Cantine", "dates": ["2026-12-01"]}


def test_history_is_paginated_and_filterable(svc):
    account = svc.new_account()
    tokens = [svc.login(account)["access_token"] for _ in range(5)]
    token = tokens[-1]
    wait_for(
        lambda: len(history(svc, token, type="account.login_succeeded")["items"]) == 5,
        timeout=30,
        what="five logins in the history",
    )
    seen, cursor = [], None
    while True:
        page = history(svc, token, limit=2, type="account.login_succeeded", **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen += [i["event_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    assert svc.call("GET", "/v1/account/activity", token, params={"type": "account.exploded"}).status_code == 400
    assert svc.call("GET", "/v1/account/activity", token, params={"cursor": "%%%"}).status_code == 400
    nested = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()
    assert svc.call("GET", "/v1/account/activity", token, params={"cursor": nested}).status_code == 400
    assert svc.call("GET", "/v1/account/activity", token, params={"limit": "1000"}).status_code == 400


def test_agents_read_their_families_history_only(svc):
    structure = f"struct-{uuid.uuid4().hex[:4]}"
    family = svc.new_account(structure=structure)
    svc.login(family)
    agent = svc.login(svc.new_account(role="agent", structure=structure))["access_token"]
    outsider = svc.login(svc.new_account(role="agent", structure="elsewhere"))["access_token"]
    path = f"/v1/admin/accounts/{family['account_id']}/activity"
    wait_for(lambda: history(svc, agent, path)["items"], timeout=30, what="family history for the agent")
    assert svc.call("GET", path, outsider).status_code == 404
    family_token = svc.login(family)["access_token"]
    assert svc.call("GET", path, family_token).status_code == 403


def test_a_family_sees_only_its_own_history(svc):
    mine, theirs = svc.new_account(), svc.new_account()
    my_token = svc.login(mine)["access_token"]
    svc.login(theirs)
    wait_for(lambda: history(svc, my_token)["items"], timeout=30, what="my history")
    assert {i["type"] for i in history(svc, my_token)["items"]} <= {
        "account.created",
        "account.activated",
        "account.login_succeeded",
    }
    ids = wait_for(
        lambda: {e["_id"] for e in svc.db.activity.find({"account_id": theirs["account_id"]})},
        timeout=30,
        what="their history",
    )
    assert not ids & {i["event_id"] for i in history(svc, my_token, limit=100)["items"]}


def test_the_purge_job_drops_history_and_sessions_past_their_retention_and_keeps_the_rest(svc):
    """Defaults: history kept 365 days, a session 180 days after its refresh token expired."""
    account = svc.new_account()
    old_login, recent_login = svc.login(account), svc.login(account)
    token = recent_login["access_token"]
    logins = wait_for(
        lambda: (lambda items: items if len(items) == 2 else None)(
            history(svc, token, type="account.login_succeeded")["items"]
        ),
        timeout=30,
        what="both logins in the history",
    )
    now = datetime.now(UTC)
    newer, older = logins  # newest first
    svc.db.activity.update_one({"_id": older["event_id"]}, {"$set": {"occurred_at": now - timedelta(days=366)}})
    svc.db.activity.update_one({"_id": newer["event_id"]}, {"$set": {"occurred_at": now - timedelta(days=364)}})
    svc.set_stored("sessions", old_login["session_id"], refresh_expires_at=now - timedelta(days=181))

    purged = run_purge(svc.identity)

    assert (purged["activity_deleted"], purged["sessions_deleted"]) == (1, 1)
    assert purged["throttle_counters_deleted"] == 0  # nothing failed here
    remaining = history(svc, token, type="account.login_succeeded")["items"]
    assert [i["event_id"] for i in remaining] == [newer["event_id"]]
    assert svc.db.sessions.find_one({"_id": old_login["session_id"]}) is None
    renewed = svc.call("POST", "/v1/auth/refresh", json={"refresh_token": recent_login["refresh_token"]})
    assert renewed.status_code == 200, renewed.text


def test_throttle_counters_are_kept_only_while_they_count(svc):
    """#20 finding 8: the throttle collection holds logins and IP addresses; a counter whose hour is over and
    which blocks nobody is deleted by the housekeeping, one still counting or blocking is kept."""
    now = datetime.now(UTC)
    svc.db.throttle.insert_many(
        [
            {"_id": "ip:198.51.100.1", "failures": 3, "window_start": now - timedelta(hours=2), "blocked_until": None},
            {
                "_id": "ip:198.51.100.2",
                "failures": 9,
                "window_start": now - timedelta(hours=2),
                "blocked_until": now + timedelta(minutes=5),
            },
            {
                "_id": "ip:198.51.100.3",
                "failures": 2,
                "window_start": now - timedelta(minutes=10),
                "blocked_until": None,
            },
        ]
    )
    assert run_purge(svc.identity)["throttle_counters_deleted"] >= 1
    left = {doc["_id"] for doc in svc.db.throttle.find({"_id": {"$regex": "^ip:198\\.51\\.100\\."}})}
    assert left == {"ip:198.51.100.2", "ip:198.51.100.3"}
