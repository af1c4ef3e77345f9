"""Bytes in GridFS, streamed both ways: memory does not grow with the file size.

`UploadStream` is handed to werkzeug as the target of an uploaded file part (and fed by the gRPC
upload too): it sniffs the type from the first bytes, hashes with sha256, enforces the size limit at
the byte that crosses it, and writes GridFS chunks as they fill. `abort()` deletes every chunk
already written, so a failed or interrupted upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from gridfs import GridFSBucket
from pymongo.database import Database

from portal_common.problems import Problem
from portal_document_store.content import SNIFF_BYTES, sniff

BUCKET = "files"
CHUNK_BYTES = 255 * 1024
READ_BATCH = 8  # chunks per round trip when downloading: about 2 MiB in memory at a time


class UploadStream:
    def __init__(self, bucket: GridFSBucket, *, max_bytes: int, allowed_types: tuple[str, ...]) -> None:
        self.bucket = bucket
        self.max_bytes = max_bytes
        self.allowed_types = allowed_types
        self.size = 0
        self.content_type: str | None = None
        self._sha256 = hashlib.sha256()
        self._head = b""
        self._grid_in: Any = None
        self.file_id: Any = None
        self.kept = False

    # -- what werkzeug's multipart parser calls
    def write(self, data: bytes) -> int:
        if self.size + len(data) > self.max_bytes:
            raise Problem(
                413, f"Le fichier dépasse la taille maximale de {self.max_bytes} octets.", slug="file-too-large"
            )
        self.size += len(data)
        self._sha256.update(data)
        if self._grid_in is None:
            self._head += data
            if len(self._head) >= SNIFF_BYTES:
                self._open()
        else:
            self._grid_in.write(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:  # werkzeug rewinds the part when it ends
        return 0

    def tell(self) -> int:
        return self.size

    # -- ours
    def _open(self) -> None:
        content_type = sniff(self._head)
        if content_type is None or content_type not in self.allowed_types:
            raise Problem(
                415,
                "Ce type de fichier n'est pas accepté. Formats acceptés : "
                + ", ".join(t.split("/")[1].upper() for t in self.allowed_types)
                + ".",
                slug="unsupported-file-type",
            )
        self.content_type = content_type
        self._grid_in = self.bucket.open_upload_stream("upload", chunk_size_bytes=CHUNK_BYTES)
        self._grid_in.write(self._head)
        self._head = b""

    def finish(self) -> None:
        """Close the GridFS file; raise a Problem for an empty or unrecognised file."""
        if self.size == 0:
            raise Problem(422, "Le fichier est vide.", slug="empty-file")
        if self._grid_in is None:
            self._open()  # a tiny file: sniff what there is (fails with 415)
        self._grid_in.close()
        self.file_id = self._grid_in._id

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def abort(self) -> None:
        """Remove what was written, unless a document now refers to it."""
        if self.kept:
            return
        if self._grid_in is not None and not self._grid_in.closed:
            self._grid_in.abort()
        elif self.file_id is not None:
            self.bucket.delete(self.file_id)


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
