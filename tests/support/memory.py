"""The machine's memory in use (MemTotal - MemAvailable), sampled on a thread: the peak a run reached."""

from __future__ import annotations

import threading
from pathlib import Path


def used_bytes() -> int:
    fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    kib = {name: int(value.split()[0]) for name, value in fields.items() if name in ("MemTotal", "MemAvailable")}
    return (kib["MemTotal"] - kib["MemAvailable"]) * 1024


class PeakMemory:
    """`with PeakMemory() as memory: ...` then `memory.peak_gib` (sampled every `interval` seconds)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak = used_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, used_bytes())

    @property
    def peak_gib(self) -> float:
        return round(self.peak / 2**30, 2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
