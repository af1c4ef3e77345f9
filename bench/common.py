"""Helpers for benchmarks: timed loops, percentiles, results file, a service subprocess."""

from __future__ import annotations

import json
import operator
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from deploy.local.topology import services
from tests.support.private_kafka import PrivateKafka

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


CpuMeter = Callable[[], float]  # CPU seconds used so far by whatever does the work (a process)
# (threads, work) or (threads, work, cpu meter)
Load = tuple[int, Callable[[int], None]] | tuple[int, Callable[[int], None], CpuMeter]


@dataclass
class Measured:
    """Latencies of the operations that succeeded, failures, and the seconds spent, over one or more runs
    (and the CPU seconds spent doing the work, when a meter was given)."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float | None = None

    def summary(self) -> dict[str, Any]:
        values = self.latencies
        summary = {
            "operations": len(values),
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "per_second": round(len(values) / self.seconds, 1),
            "p50_ms": round(statistics.median(values) * 1000, 2) if values else None,
            "p99_ms": round(percentile(values, 99) * 1000, 2) if values else None,
        }
        if self.cpu_seconds:
            summary["cpu_seconds"] = round(self.cpu_seconds, 2)
            summary["per_cpu_second"] = round(len(values) / self.cpu_seconds, 1)
        return summary


def measure(
    seconds: float,
    threads: int,
    work: Callable[[int], None],
    into: Measured | None = None,
    max_ops: int = 1_000_000,
    cpu: CpuMeter | None = None,
    pause: float = 0.0,
) -> Measured:
    """Run `work(thread_index)` in `threads` threads for `seconds` (bounded by `max_ops`), adding to `into`;
    with `cpu`, also add the CPU seconds it counted meanwhile. With `pause`, each thread waits between 0.5 and
    1.5 times that many seconds after each operation, untimed (a person reading the page before the next), and
    starts after a random part of such a wait (people who read do not all ask for a page at the same instant)."""
    into = into or Measured()
    cpu_before = cpu() if cpu else 0.0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop(index: int) -> None:
        local, failed = [], 0
        if pause:  # readers are already somewhere in a page when the block starts, not all arriving at once
            time.sleep(pause * random.uniform(0.0, 1.5))
        while time.perf_counter() < deadline and len(local) < max_ops // threads:
            started = time.perf_counter()
            try:
                work(index)
                local.append(time.perf_counter() - started)
            except Exception:  # noqa: BLE001 - counted, reported as errors
                failed += 1
            if pause:
                time.sleep(pause * random.uniform(0.5, 1.5))  # spreads the readers apart
        with lock:
            into.latencies.extend(local)
            into.errors += failed

    into.seconds += run_threads(threads, loop)
    if cpu:
        into.cpu_seconds = (into.cpu_seconds or 0.0) + cpu() - cpu_before
    return into


def run_for(seconds: float, threads: int, work: Callable[[int], None], max_ops: int = 1_000_000) -> dict[str, Any]:
    return measure(seconds, threads, work, max_ops=max_ops).summary()


def alternating(seconds: float, *loads: Load, blocks: int = 5, pause: float = 0.0) -> list[dict[str, Any]]:
    """Each load (threads, work[, cpu meter]) runs `seconds` in all, in `blocks` blocks taking turns: a
    change in the machine's speed during the run (other tenants) weighs on a measure and its baseline alike."""
    measured = [Measured() for _ in loads]
    for _ in range(blocks):
        for load, into in zip(loads, measured, strict=True):
            threads, work, *meter = load
            measure(seconds / blocks, threads, work, into, cpu=meter[0] if meter else None, pause=pause)
    return [m.summary() for m in measured]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_children(pid: int) -> list[int]:
    """A process and its direct children (nginx's master and its workers, a service and its renders)."""
    found = [pid]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


class PartsCpu:
    """A CPU meter (for `measure` and `alternating`) over several processes grouped in parts ("web", "ferretdb",
    ...): it answers their total, and keeps each part's share of what was used between a block's first and last
    reading (`measure` reads once before a block and once after)."""

    def __init__(self, parts: dict[str, list[int]]) -> None:
        self.parts = parts
        self.used = dict.fromkeys(parts, 0.0)
        self._started: dict[str, float] | None = None

    def __call__(self) -> float:
        now = {part: sum(_cpu_or_zero(pid) for pid in pids) for part, pids in self.parts.items()}
        if self._started is None:
            self._started = now
        else:
            for part, seconds in now.items():
                self.used[part] += seconds - self._started[part]
            self._started = None
        return sum(now.values())


def _cpu_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except (FileNotFoundError, ProcessLookupError):  # a worker that ended: what it used is lost, not an error
        return 0.0


def run_threads(count: int, target: Callable[[int], None]) -> float:
    """Run `target(i)` in `count` threads; the seconds until the last one finished."""
    started = time.perf_counter()
    pool = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started


_COMPARISONS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def judged(**targets: tuple[str, float, float]) -> dict[str, Any]:
    """`name=(comparison, threshold, measured)`: each target as text and whether this run met it.

    One place states a target and checks it, so the JSON's verdict cannot drift from its text.
    """
    return {
        "targets": {name: f"{cmp} {threshold}" for name, (cmp, threshold, _) in targets.items()},
        "targets_met": {name: _COMPARISONS[cmp](value, threshold) for name, (cmp, threshold, value) in targets.items()},
    }


def write_results(name: str, results: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    results = {
        "benchmark": name,
        "cores": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **results,
    }
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if "targets_met" in results:
        print(
            "targets: " + ", ".join(f"{k} {'met' if met else 'NOT MET'}" for k, met in results["targets_met"].items())
        )
    return path


class ServiceProcess:
    """One service (`python -m` its module, deploy/local/topology.py) with the given environment (its HTTP_PORT
    included), waited for on /readyz, stopped with SIGTERM."""

    def __init__(self, name: str, environ: dict[str, str]) -> None:
        module, http_port = services()[name].module, int(environ["HTTP_PORT"])
        # Logging as in production (INFO, an access-log line per request, here thrown away): its cost is
        # part of what a request costs.
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")} | environ
        self.url = f"http://127.0.0.1:{http_port}"
        self.process = subprocess.Popen([sys.executable, "-m", module], env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{module} did not become ready")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


@contextmanager
def plaintext_kafka() -> Iterator[PrivateKafka]:
    """A broker without TLS, SCRAM or ACLs, started for the run and stopped after: the baseline the secured
    test broker is measured against (#20: SASL_SSL may cost at most 15 %)."""
    broker = PrivateKafka(Path(os.environ["PORTAL_RUN_DIR"]) / "plaintext", 29192, 29193, plaintext=True)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
