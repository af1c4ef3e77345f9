"""What later services rely on from the MongoDB protocol, proven on the real FerretDB."""

import hashlib
import os

import gridfs
import pytest
from pymongo.errors import DuplicateKeyError

from portal_common.mongo import ensure_indexes, insert_new, ping


def test_gridfs_round_trip_streams_chunks(mongo_db):
    bucket = gridfs.GridFSBucket(mongo_db)
    data = os.urandom(3 * 1024 * 1024 + 17)
    with bucket.open_upload_stream("report.pdf", chunk_size_bytes=255 * 1024, metadata={"owner": "fam-1"}) as stream:
        for start in range(0, len(data), 64 * 1024):
            stream.write(data[start : start + 64 * 1024])
        file_id = stream._id
    assert mongo_db["fs.chunks"].count_documents({"files_id": file_id}) == -(-len(data) // (255 * 1024))
    out = bucket.open_download_stream(file_id)
    digest = hashlib.sha256()
    while chunk := out.read(100_000):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    bucket.delete(file_id)
    assert mongo_db["fs.chunks"].count_documents({"files_id": file_id}) == 0


def test_unique_indexes_are_enforced_and_migrations_are_idempotent(mongo_db):
    specs = [("accounts", [("login", 1)], {"unique": True, "name": "login_unique"})]
    ensure_indexes(mongo_db, specs)
    ensure_indexes(mongo_db, specs)  # second start-up: no error
    mongo_db.accounts.insert_one({"login": "a@example.fr"})
    with pytest.raises(DuplicateKeyError):
        mongo_db.accounts.insert_one({"login": "a@example.fr"})


def test_compound_unique_index(mongo_db):
    ensure_indexes(mongo_db, [("deliveries", [("event_id", 1), ("channel", 1)], {"unique": True})])
    mongo_db.deliveries.insert_one({"event_id": "e1", "channel": "email"})
    mongo_db.deliveries.insert_one({"event_id": "e1", "channel": "push"})
    with pytest.raises(DuplicateKeyError):
        mongo_db.deliveries.insert_one({"event_id": "e1", "channel": "email"})


def test_ping(mongo_db):
    assert ping(mongo_db)


def test_insert_new_skips_what_is_already_there_and_reports_what_it_inserted(mongo_db):
    collection = mongo_db["claims"]
    assert insert_new(collection, [{"_id": "a"}, {"_id": "b"}]) == {"a", "b"}
    assert insert_new(collection, [{"_id": "b", "v": 2}, {"_id": "c"}, {"_id": "a"}]) == {"c"}
    assert collection.find_one({"_id": "b"}) == {"_id": "b"}  # not overwritten
    assert insert_new(collection, []) == set()


def test_lookups_by_id_use_the_id_index(mongo_db):
    """The stack's FerretDB carries deploy/local/ferretdb-sqlite-id-index.patch: reads, updates and
    deletes by _id search the _id index instead of scanning the collection (as MongoDB does)."""
    mongo_db.sessions.insert_many([{"_id": f"s{i}", "n": i} for i in range(50)])
    plan = mongo_db.command("explain", {"find": "sessions", "filter": {"_id": "s7"}})["queryPlanner"]["Plan"]
    assert any("USING INDEX" in step and "_id_" in step for step in plan), plan
    mongo_db.sessions.update_one({"_id": "s7"}, {"$set": {"n": -7}})
    mongo_db.sessions.delete_one({"_id": "s8"})
    assert mongo_db.sessions.find_one({"_id": "s7"})["n"] == -7
    assert mongo_db.sessions.find_one({"_id": "s8"}) is None
    assert mongo_db.sessions.count_documents({}) == 49
