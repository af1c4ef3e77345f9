"""A consumer process for the crash test: python -m tests.support.consumer_process TOPIC GROUP MONGO_URI DB
(on the test stack's Kafka, as its admin).

Its handler counts invocations and writes one effect per event id (idempotently, as real handlers do).
"""

from __future__ import annotations

import sys
import threading
import time

from pymongo import MongoClient

from portal_common.consumer import EventConsumer
from portal_common.kafka_client import create_producer
from tests.support.env import KAFKA


def main() -> None:
    topic, group, mongo_uri, db_name = sys.argv[1:5]
    db = MongoClient(mongo_uri)[db_name]

    def handler(event) -> None:
        db.invocations.update_one({"_id": event.event_id}, {"$inc": {"n": 1}}, upsert=True)
        time.sleep(0.01)  # some work, so that a kill lands in the middle of a batch
        db.effects.update_one({"_id": event.event_id}, {"$setOnInsert": {"at": time.time()}}, upsert=True)

    consumer = EventConsumer(
        access=KAFKA,
        group_id=group,
        handler=handler,
        db=db,
        topic=topic,
        dlq_producer_factory=lambda: create_producer(KAFKA, "crash-dlq"),
        max_poll_records=50,
    )
    consumer.run(threading.Event())


if __name__ == "__main__":
    main()
