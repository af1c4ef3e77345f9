"""The benchmarks' verdicts: a target's text and its check come from one statement; a paced load's timing."""

import time

from bench.common import judged, measure


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
