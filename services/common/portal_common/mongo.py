"""MongoDB access shared by services: one client per process, index migrations, ping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

IndexSpec = tuple[str, list[tuple[str, int]], Mapping[str, Any]]  # (collection, keys, options)


def connect(uri: str, db_name: str, *, app_name: str = "portal") -> Database:
    client: MongoClient = MongoClient(
        uri,
        appname=app_name,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
        socketTimeoutMS=30_000,
        tz_aware=True,
    )
    return client[db_name]


def ping(db: Database) -> bool:
    try:
        db.command("ping")
        return True
    except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
        return False


def ensure_indexes(db: Database, specs: Iterable[IndexSpec]) -> None:
    """Idempotent index migration, run at start-up (or by the chart's migration job)."""
    for collection, keys, options in specs:
        db[collection].create_index(keys, **options)
