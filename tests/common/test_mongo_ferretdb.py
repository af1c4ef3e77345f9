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
