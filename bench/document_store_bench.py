"""Document store: upload/download throughput through HTTP vs raw GridFS, and memory while streaming.

Targets (issue 6): HTTP >= 50 % of raw pymongo GridFS put/get of the same bytes, measured in this run;
peak RSS growth of the service < 32 MiB while a 200 MiB file streams through (each way).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import requests
from gridfs import GridFSBucket
from pymongo import MongoClient

from bench.common import ServiceProcess, judged, write_results
from portal_common import events
from portal_common.kafka_client import create_producer
from tests.support.env import KAFKA, LAYOUT, service_environment
from tests.support.kafka import create_event_topics
from tests.support.tokens import JwksServer, SigningKey

MIB = 1024 * 1024
BOUNDARY = "bench-boundary"


def in_turns(blocks: int, per_block: int, *works: Callable[[], None]) -> list[float]:
    """Seconds each work spent over `blocks` x `per_block` calls, the works taking turns block by block."""
    spent = [0.0] * len(works)
    for _ in range(blocks):
        for index, work in enumerate(works):
            started = time.perf_counter()
            for _ in range(per_block):
                work()
            spent[index] += time.perf_counter() - started
    return spent


def expect_size(received: int, size: int) -> None:
    if received != size:
        raise RuntimeError(f"received {received} bytes of {size}")


def multipart(size: int, chunk: bytes) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBench\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="bench.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    sent = 0
    while sent < size:
        part = chunk[: size - sent]
        yield part
        sent += len(part)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


class MultipartBody:
    """File-like body of known length, so requests sends Content-Length and streams it in pieces."""

    def __init__(self, size: int, chunk: bytes) -> None:
        self.parts = multipart(size, chunk)
        self.length = sum(len(p) for p in multipart(0, b"")) + size
        self.buffer = b""

    def __len__(self) -> int:
        return self.length

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self.buffer) < n:
            part = next(self.parts, None)
            if part is None:
                break
            self.buffer += part
        out, self.buffer = (self.buffer, b"") if n < 0 else (self.buffer[:n], self.buffer[n:])
        return out


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()

    def rss(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))

    def __enter__(self) -> RssSampler:
        self.baseline = self.rss()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self.thread.join()

    @property
    def growth_mib(self) -> float:
        return round((self.peak - self.baseline) / MIB, 1)


def main() -> None:
    mongo_uri = LAYOUT.mongo_uri
    key = SigningKey("bench")
    jwks = JwksServer(key)
    topic = f"bench-documents-{uuid.uuid4().hex[:6]}"
    create_event_topics(topic, partitions=1)
    environ = service_environment(
        "document-store", topic, layout_ports=True, JWKS_URL=jwks.url, MAX_UPLOAD_BYTES=str(256 * MIB)
    )
    db_name = environ["MONGO_DB"]
    service = ServiceProcess("document-store", environ)
    raw_db = MongoClient(mongo_uri)[f"{db_name}_raw"]
    raw = GridFSBucket(raw_db, bucket_name="raw", chunk_size_bytes=255 * 1024)
    chunk = b"%PDF-" + os.urandom(MIB - 5)
    results: dict[str, object] = {}
    try:
        family = "fam-bench"
        record = events.encode(events.new_event("account.created", account_id=family, structure_id="s"))
        producer = create_producer(KAFKA, "bench")
        producer.send(
            events.topic_of(topic, "identity"), key=record.key, value=record.value, headers=record.headers
        ).get(10)
        producer.close()
        agent = {"Authorization": f"Bearer {key.mint(sub='agent', role='agent', structure_id='s')}"}
        fam = {"Authorization": f"Bearer {key.mint(sub=family, role='family', structure_id='s')}"}
        deadline = time.monotonic() + 30
        url = f"{service.url}/v1/admin/families/{family}/documents"

        def http_upload(size: int) -> str:
            body = MultipartBody(size, chunk)
            headers = {
                **agent,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(len(body)),
            }
            response = requests.post(url, data=body, headers=headers, timeout=300)
            if response.status_code != 201:
                raise RuntimeError(f"{response.status_code} {response.text[:200]}")
            return response.json()["document_id"]

        def http_download(document_id: str) -> int:
            received = 0
            with requests.get(
                f"{service.url}/v1/documents/{document_id}/content", headers=fam, stream=True, timeout=300
            ) as response:
                for part in response.iter_content(256 * 1024):
                    received += len(part)
            return received

        while True:  # the family reaches the projection through Kafka
            try:
                http_upload(1024)
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        def raw_upload(size: int):
            stream = raw.open_upload_stream("raw.pdf")
            sent = 0
            while sent < size:
                stream.write(chunk[: size - sent])
                sent += min(len(chunk), size - sent)
            stream.close()
            return stream._id

        def raw_download(file_id) -> int:
            # pymongo's GridOut cannot be used here: FerretDB answers its default first batch (101 chunks of
            # 255 KiB) with one message over the 48 MB limit. A plain cursor with the batch size the service uses.
            cursor = raw_db["raw.chunks"].find({"files_id": file_id}, {"data": 1}).sort("n", 1).batch_size(8)
            return sum(len(chunk["data"]) for chunk in cursor)

        def compare(size: int, blocks: int, per_block: int) -> dict[str, object]:
            """HTTP against raw GridFS, taking turns block by block (this machine's speed drifts within
            minutes, which a baseline measured before or after would count as overhead), with as many
            files on each side: FerretDB reads a file's chunks by scanning its collection."""
            uploaded: dict[str, list] = {"http": [], "raw": []}
            upload_seconds = in_turns(
                blocks,
                per_block,
                lambda: uploaded["http"].append(http_upload(size)),
                lambda: uploaded["raw"].append(raw_upload(size)),
            )
            http_ids, raw_ids = iter(uploaded["http"]), iter(uploaded["raw"])
            download_seconds = in_turns(
                blocks,
                per_block,
                lambda: expect_size(http_download(next(http_ids)), size),
                lambda: expect_size(raw_download(next(raw_ids)), size),
            )
            mib = blocks * per_block * size / MIB
            rate = {
                name: round(mib / seconds, 1)
                for name, seconds in zip(
                    ("http_upload", "raw_upload", "http_download", "raw_download"),
                    (*upload_seconds, *download_seconds),
                    strict=True,
                )
            }
            return {
                "MiB_per_s": rate,
                "files_per_side": blocks * per_block,
                "upload_vs_raw": round(rate["http_upload"] / rate["raw_upload"], 3),
                "download_vs_raw": round(rate["http_download"] / rate["raw_download"], 3),
            }

        results["1MiB"] = compare(MIB, blocks=5, per_block=4)
        results["100MiB"] = compare(100 * MIB, blocks=2, per_block=1)

        with RssSampler(service.process.pid) as upload_rss:
            big = http_upload(200 * MIB)
        with RssSampler(service.process.pid) as download_rss:
            assert http_download(big) == 200 * MIB
        results["rss_growth_200MiB"] = {"upload_MiB": upload_rss.growth_mib, "download_MiB": download_rss.growth_mib}
    finally:
        service.stop()
        jwks.close()
        MongoClient(mongo_uri).drop_database(db_name)
        raw_db.client.drop_database(raw_db.name)
    ratios = [results[size][way] for size in ("1MiB", "100MiB") for way in ("upload_vs_raw", "download_vs_raw")]
    results |= judged(
        http_vs_raw=(">=", 0.50, min(ratios)),  # the worst of uploads and downloads, both sizes
        rss_growth_MiB=("<", 32, max(results["rss_growth_200MiB"].values())),
    )
    write_results("document_store", results)


if __name__ == "__main__":
    main()
