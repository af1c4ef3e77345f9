"""The outbox against a real broker that really goes away: events wait in FerretDB, none is lost."""

import threading

import pytest

from portal_common import events, outbox
from portal_common.kafka_client import create_producer
from portal_common.metrics import OUTBOX_BACKLOG, OUTBOX_FAILURES, OUTBOX_OLDEST_AGE
from tests.support.env import KAFKA
from tests.support.kafka import create_event_topics, find_events, read_all, unique_topic
from tests.support.private_kafka import PrivateKafka
from tests.support.wait import wait_for


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    kafka = PrivateKafka(tmp_path_factory.mktemp("private-kafka"))
    kafka.start()  # formats storage and creates the topics
    yield kafka
    kafka.stop()


def pending(db) -> int:
    return sum(len(doc.get(outbox.FIELD, [])) for name in ("accounts", "outbox") for doc in db[name].find())


def account_event(event_type: str, account_id: str, **payload) -> events.AccountEvent:
    return events.new_event(event_type, account_id=account_id, structure_id="s1", source="identity", payload=payload)


@pytest.mark.slow
def test_events_written_while_kafka_is_down_arrive_after_it_returns(broker, mongo_db):
    broker.stop()
    written = []
    for i in range(20):  # state change + its event in one insert
        event = account_event("account.created", f"acc-{i}", login=f"user{i}@example.fr")
        mongo_db.accounts.insert_one(outbox.new_document({"_id": f"acc-{i}", "status": "active"}, event))
        written.append(event.event_id)
    for i in range(20):  # state change + its event in one update
        event = account_event("account.logged_out", f"acc-{i}", session_ids=[f"s{i}"])
        mongo_db.accounts.update_one({"_id": f"acc-{i}"}, outbox.with_events({"$set": {"sessions": 0}}, event))
        written.append(event.event_id)
    for i in range(10):  # events tied to no document
        event = account_event("account.login_failed", f"acc-{i}", ip="203.0.113.9")
        outbox.emit(mongo_db, event)
        written.append(event.event_id)
    assert pending(mongo_db) == 50

    relay = outbox.OutboxRelay(
        mongo_db,
        ["accounts"],
        lambda: create_producer(
            broker.access,
            "relay-test",
            max_block_ms=2000,
            request_timeout_ms=2000,
            bootstrap_timeout_ms=2000,
            reconnect_backoff_max_ms=500,
        ),
        topic=events.topic_of(events.TOPIC, "identity"),
        service="outbox-test",
    )
    failures_before = OUTBOX_FAILURES.labels("outbox-test")._value.get()
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop, 0.2, 1.0), daemon=True)
    thread.start()
    try:
        wait_for(
            lambda: OUTBOX_FAILURES.labels("outbox-test")._value.get() > failures_before,
            timeout=30,
            what="a failed publish round while Kafka is down",
        )
        assert pending(mongo_db) == 50  # nothing dropped during the outage
        # What ops see meanwhile (the PortalOutboxBacklog alert): events waiting, and for how long.
        assert OUTBOX_BACKLOG.labels("outbox-test")._value.get() > 0
        assert OUTBOX_OLDEST_AGE.labels("outbox-test")._value.get() > 0

        broker.start()
        wait_for(lambda: pending(mongo_db) == 0, timeout=60, what="outbox drained after Kafka is back")
        wait_for(lambda: OUTBOX_BACKLOG.labels("outbox-test")._value.get() == 0, timeout=10, what="backlog gauge 0")
        assert OUTBOX_OLDEST_AGE.labels("outbox-test")._value.get() == 0
    finally:
        stop.set()
        thread.join(15)

    records = read_all(events.TOPIC, expected=50, access=broker.access)
    received = [events.decode(r.value).event_id for r in records]
    assert sorted(set(received)) == sorted(written)  # count in == count out, the same events
    assert mongo_db.outbox.count_documents({}) == 0
    assert all(doc["status"] == "active" for doc in mongo_db.accounts.find())


def test_per_account_order_is_kept(broker, mongo_db):
    broker.start()
    from tests.support.kafka import create_event_topics, unique_topic

    topic = unique_topic("order")
    create_event_topics(topic, partitions=3, access=broker.access)
    mongo_db.accounts.insert_one({"_id": "acc-x"})
    expected = []
    for i in range(30):
        event = account_event("account.logged_out", "acc-x", session_ids=[str(i)])
        if i % 3 == 0:
            outbox.emit(mongo_db, event)
        else:
            mongo_db.accounts.update_one({"_id": "acc-x"}, outbox.with_events({"$inc": {"n": 1}}, event))
        expected.append(str(i))
    relay = outbox.OutboxRelay(
        mongo_db,
        ["accounts"],
        lambda: create_producer(broker.access, "relay-order"),
        topic=events.topic_of(topic, "identity"),
    )
    while relay.publish_pending():
        pass
    records = read_all(topic, expected=30, access=broker.access)
    assert [events.decode(r.value).account_logged_out.session_ids[0] for r in records] == expected


def test_a_malformed_event_never_enters_the_outbox(mongo_db):
    event = account_event("account.purged", "acc-1")
    event.event_id = ""
    with pytest.raises(events.MalformedEvent):
        outbox.emit(mongo_db, event)
    assert mongo_db.outbox.count_documents({}) == 0


def test_a_hinted_wake_reads_only_that_document_and_the_full_scan_catches_the_rest(mongo_db):
    topic = unique_topic("outbox-hints")
    create_event_topics(topic)
    relay = outbox.OutboxRelay(
        mongo_db,
        ["accounts"],
        lambda: create_producer(KAFKA, "relay-hints"),
        topic=events.topic_of(topic, "identity"),
        service="outbox-test",
        full_scan_interval_s=3600,
    )
    try:
        assert relay.next_round() is None  # the first round is a full scan
        assert relay.next_round() == set()  # then nothing to read until someone wakes it
        hinted, silent = account_event("account.created", "acc-h1"), account_event("account.created", "acc-h2")
        mongo_db.accounts.insert_one(outbox.new_document({"_id": "acc-h1"}, hinted))
        mongo_db.accounts.insert_one(outbox.new_document({"_id": "acc-h2"}, silent))  # its writer gave no hint
        relay.wake("accounts", "acc-h1")
        assert relay.publish_pending(relay.next_round()) == 1
        assert mongo_db.accounts.find_one({"_id": "acc-h1"})[outbox.PENDING] is False
        assert mongo_db.accounts.find_one({"_id": "acc-h2"})[outbox.PENDING] is True  # not scanned for
        relay.wake()  # a wake without a hint asks for a full scan
        assert relay.publish_pending(relay.next_round()) == 1
        assert mongo_db.accounts.find_one({"_id": "acc-h2"})[outbox.PENDING] is False
    finally:
        relay._reset_producer()
    ids = {e.event_id for e in (hinted, silent)}
    published = find_events(topic, lambda e: e.event_id in ids, count=2)
    assert [e.event_id for e in published] == [hinted.event_id, silent.event_id]


def test_hinted_events_of_their_own_go_out_in_one_round_in_order_and_leave_the_outbox(mongo_db):
    topic = unique_topic("outbox-standalone")
    create_event_topics(topic)
    relay = outbox.OutboxRelay(
        mongo_db,
        [],
        lambda: create_producer(KAFKA, "relay-standalone"),
        topic=events.topic_of(topic, "identity"),
        full_scan_interval_s=3600,
    )
    try:
        assert relay.next_round() is None  # the first round is a full scan, with nothing to find
        hinted = [account_event("account.login_failed", f"acc-e{i}", ip="203.0.113.7") for i in range(3)]
        silent = account_event("account.login_failed", "acc-e9", ip="203.0.113.7")
        for event in [*hinted, silent]:
            outbox.emit(mongo_db, event)
        for event in reversed(hinted):
            relay.wake(outbox.STANDALONE, event.event_id)
        assert relay.publish_pending(relay.next_round()) == 3
        assert [doc["_id"] for doc in mongo_db.outbox.find()] == [silent.event_id]  # its writer gave no hint
    finally:
        relay._reset_producer()
    ids = {e.event_id for e in hinted}
    published = find_events(topic, lambda e: e.event_id in ids, count=3)
    assert [e.event_id for e in published] == [e.event_id for e in hinted]  # written order, whatever the hints'
