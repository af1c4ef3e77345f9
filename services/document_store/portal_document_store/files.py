"""Bytes in GridFS, streamed both ways: memory does not grow with the file size.

`UploadStream` is handed to werkzeug as the target of an uploaded file part (and fed by the gRPC
upload too): it sniffs the type from the first bytes, hashes with sha256, enforces the size limit at
the byte that crosses it, and writes GridFS chunks as they fill. `abort()` deletes every chunk
already written, so a failed or interrupted upload leaves nothing behind.

It writes the GridFS collections itself (same data model: any GridFS reader works) one chunk per
insert: pymongo's GridIn batches about 48 MB of chunks per bulk insert, which is memory that grows
with the file up to that size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bson import Binary, ObjectId
from gridfs import GridFSBucket
from pymongo.database import Database

from portal_common.french import file_size
from portal_common.problems import Problem
from portal_document_store.content import SNIFF_BYTES, sniff

BUCKET = "files"
CHUNK_BYTES = 255 * 1024
READ_BATCH = 8  # chunks per round trip when downloading: about 2 MiB in memory at a time


class UploadStream:
    def __init__(self, db: Database, *, max_bytes: int, allowed_types: tuple[str, ...]) -> None:
        self.chunks = db[f"{BUCKET}.chunks"]
        self.files = db[f"{BUCKET}.files"]
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types
        self.size = 0
        self.content_type: str | None = None
        self._sha256 = hashlib.sha256()
        self._pending = bytearray()  # bytes of the chunk being filled (at most one chunk)
        self._chunks_written = 0
        self.file_id: ObjectId | None = None
        self.finished = False
        self.kept = False

    # -- what werkzeug's multipart parser calls
    def write(self, data: bytes) -> int:
        if self.size + len(data) > self.max_bytes:
            raise Problem(
                413, f"Le fichier dépasse la taille maximale de {file_size(self.max_bytes)}.", slug="file-too-large"
            )
        self.size += len(data)
        self._sha256.update(data)
        self._pending += data
        if self.content_type is None and len(self._pending) >= SNIFF_BYTES:
            self._check_type()
        if self.content_type is not None:
            while len(self._pending) >= CHUNK_BYTES:
                self._write_chunk(bytes(self._pending[:CHUNK_BYTES]))
                del self._pending[:CHUNK_BYTES]
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:  # werkzeug rewinds the part when it ends
        return 0

    def tell(self) -> int:
        return self.size

    # -- ours
    def _check_type(self) -> None:
        content_type = sniff(bytes(self._pending[:SNIFF_BYTES]))
        if content_type is None or content_type not in self.allowed_types:
            raise Problem(
                415,
                "Ce type de fichier n'est pas accepté. Formats acceptés : "
                + ", ".join(t.split("/")[1].upper() for t in self.allowed_types)
                + ".",
                slug="unsupported-file-type",
            )
        self.content_type = content_type
        self.file_id = ObjectId()

    def _write_chunk(self, data: bytes) -> None:
        self.chunks.insert_one({"files_id": self.file_id, "n": self._chunks_written, "data": Binary(data)})
        self._chunks_written += 1

    def finish(self) -> None:
        """Write the last chunk and the files document; a Problem for an empty or unrecognised file."""
        if self.size == 0:
            raise Problem(422, "Le fichier est vide.", slug="empty-file")
        if self.content_type is None:
            self._check_type()  # a tiny file: judge what there is (fails with 415)
        if self._pending:
            self._write_chunk(bytes(self._pending))
            self._pending.clear()
        self.files.insert_one(
            {
                "_id": self.file_id,
                "length": self.size,
                "chunkSize": CHUNK_BYTES,
                "uploadDate": datetime.now(UTC),
                "filename": "upload",
                "metadata": {"sha256": self.sha256, "contentType": self.content_type},
            }
        )
        self.finished = True

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def abort(self) -> None:
        """Remove what was written, unless a document now refers to it."""
        if self.kept or self.file_id is None:
            return
        self.files.delete_one({"_id": self.file_id})
        self.chunks.delete_many({"files_id": self.file_id})


def bucket(db: Database) -> GridFSBucket:
    return GridFSBucket(db, bucket_name=BUCKET, chunk_size_bytes=CHUNK_BYTES)


def read_chunks(db: Database, file_id: Any) -> Iterator[bytes]:
    """The file's bytes, chunk by chunk, a few chunks per round trip."""
    cursor = db[f"{BUCKET}.chunks"].find({"files_id": file_id}, {"data": 1, "_id": 0}).sort("n", 1)
    try:
        for chunk in cursor.batch_size(READ_BATCH):
            yield bytes(chunk["data"])
    finally:
        cursor.close()
