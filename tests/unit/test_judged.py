"""The benchmarks' verdicts: a target's text and its check come from one statement; a paced load's timing."""

import subprocess
import sys
import time

import pytest

from bench.common import PartsCpu, judged, measure
from bench.web_bench import server_times


def test_each_target_is_stated_and_checked_against_the_measure():
    verdict = judged(
        refresh=(">=", 500, 272.3),
        p99_ms=("<", 150, 112.8),
        errors=("==", 0, 0),
        overhead=("<=", 0.20, 0.2),
    )
    assert verdict["targets"] == {"refresh": ">= 500", "p99_ms": "< 150", "errors": "== 0", "overhead": "<= 0.2"}
    assert verdict["targets_met"] == {"refresh": False, "p99_ms": True, "errors": True, "overhead": True}


def test_a_missing_measure_is_never_a_met_target():
    # The notification bench passes infinity when no latency was measured at all.
    assert judged(p99_ms=("<", 1000, float("inf")))["targets_met"] == {"p99_ms": False}


def test_a_paced_load_waits_between_operations_without_counting_the_wait():
    measured = measure(0.6, 2, lambda _: time.sleep(0.01), pause=0.1)
    assert measured.errors == 0
    assert 4 <= len(measured.latencies) <= 16  # about one operation per 0.11 s and thread, not one per 0.01 s
    assert max(measured.latencies) < 0.05  # the reading pause is not part of an operation's time


def test_a_page_server_time_is_its_request_or_the_sum_of_its_calls_from_the_gateway_log():
    # The gateway's `timed` format (deploy/local/gateway.py), request id last.
    log = "\n".join(
        [
            '- - - [x] "GET /mes-documents HTTP/1.1" 200 9 "" "portal-bench/paced/web/3/0/1"'
            " rt=0.031 urt=0.030 rid=9f0a",
            '- - - [x] "GET /v1/documents HTTP/1.1" 200 9 "" "portal-bench/paced/api/3/0/1"'
            " rt=0.012 urt=0.012 rid=9f0b",
            '- - - [x] "GET /v1/dossier/documents HTTP/1.1" 200 9 "" "portal-bench/paced/api/3/0/1"'
            " rt=0.008 urt=- rid=9f0c",
            '- - - [x] "GET /static/portal.css HTTP/1.1" 200 9 "-" "python-requests/2.34" rt=0.001 urt=- rid=9f0d',
        ]
    )
    times = server_times(log)
    assert times["paced"][("web", "/mes-documents")] == [0.031]
    assert times["paced"][("api", "/mes-documents")] == [pytest.approx(0.020)]
    assert set(times) == {"paced"}


def test_a_parts_meter_gives_each_part_the_cpu_it_used_inside_the_blocks_only():
    spin = "import time\nwhile True:\n    end = time.process_time() + 0.01\n    while time.process_time() < end: pass"
    busy = subprocess.Popen([sys.executable, "-c", spin])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)  # both started: what they used before the first block is not counted
        meter = PartsCpu({"busy": [busy.pid], "idle": [idle.pid]})
        before = meter()
        time.sleep(0.5)
        assert meter() - before > 0.2  # measure() reads the total before and after a block
        time.sleep(0.5)  # between two blocks: not counted
        meter()
        time.sleep(0.5)
        meter()
    finally:
        busy.kill()
        idle.kill()
    assert 0.4 < meter.used["busy"] < 1.2  # about 1 s of two blocks' CPU, not the 1.5 s in between
    assert meter.used["idle"] < 0.05
