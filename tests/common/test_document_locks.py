"""DocumentLocks on the real FerretDB: concurrent writers of one document never lose an update."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from portal_common.mongo import DocumentLocks, LockTimeout


def test_concurrent_read_modify_write_under_the_lock_loses_nothing(mongo_db):
    locks = DocumentLocks(mongo_db)
    mongo_db.counters.insert_one({"_id": "c", "items": []})

    def writer(n: int) -> None:
        for i in range(10):
            with locks.hold("counters:c"):
                doc = mongo_db.counters.find_one({"_id": "c"})
                mongo_db.counters.replace_one({"_id": "c"}, {"items": [*doc["items"], f"{n}-{i}"]})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(mongo_db.counters.find_one({"_id": "c"})["items"]) == 40
    assert mongo_db.locks.count_documents({}) == 0  # every lock released


def test_a_held_lock_times_out_and_a_crashed_holders_lease_expires(mongo_db):
    locks = DocumentLocks(mongo_db, lease_s=30)
    with locks.hold("k"), pytest.raises(LockTimeout), locks.hold("k", timeout_s=0.2):
        pass
    # A holder that died without releasing: its lease is in the past, the next writer takes over.
    mongo_db.locks.insert_one({"_id": "k2", "owner": "dead", "expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    with locks.hold("k2", timeout_s=2):
        assert mongo_db.locks.find_one({"_id": "k2"})["owner"] != "dead"
