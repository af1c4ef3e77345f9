"""A bounded in-memory cache of immutable documents (stored statements and their PDFs), by size.

A statement never changes once stored (a purge deletes it), so a replica may keep what it served;
who may see it is still checked against the database on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class SizedCache:
    """Least recently used entries go first once the total size passes `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str, load: Callable[[], Any], size_of: Callable[[Any], int]) -> Any:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key][0]
        value = load()
        if value is None:
            return None
        size = size_of(value)
        if size > self.max_bytes:
            return value
        with self.lock:
            if key not in self.entries:
                self.entries[key] = (value, size)
                self.size += size
                while self.size > self.max_bytes:
                    _, (_, dropped) = self.entries.popitem(last=False)
                    self.size -= dropped
        return value

    def forget(self, keys: set[str]) -> None:
        with self.lock:
            for key in keys & set(self.entries):
                self.size -= self.entries.pop(key)[1]
