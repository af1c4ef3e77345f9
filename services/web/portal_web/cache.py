"""What pages show but almost never changes (the portal's VAPID key, a structure's name and contact), kept a few
minutes in this process so a page does not ask a service for it at every view. A miss or a race only asks twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Expiring(Generic[T]):
    def __init__(self, seconds: float, max_entries: int = 1000) -> None:
        self.seconds, self.max_entries = seconds, max_entries
        self._values: dict[str, tuple[float, T]] = {}

    def get(self, key: str, load: Callable[[], T]) -> T:
        now = time.monotonic()
        found = self._values.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = load()
        if len(self._values) >= self.max_entries:  # bounded: the oldest half goes
            for stale in sorted(self._values, key=lambda k: self._values[k][0])[: self.max_entries // 2]:
                self._values.pop(stale, None)
        self._values[key] = (now + self.seconds, value)
        return value
