"""Brute force: growing delays, 429 with Retry-After, never locked for good."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from portal_common.problems import Problem
from portal_identity.throttle import Policy, Throttle
from tests.identity.conftest import PASSWORD, outcome_counts


def test_repeated_failures_get_429_with_retry_after_even_with_the_right_password(svc):
    throttled_before = outcome_counts(svc).get(("portal_identity_logins_total", "throttled"), 0)
    account = svc.new_account()
    for _ in range(5):
        assert (
            svc.call(
                "POST", "/v1/auth/login", json={"login": account["login"], "password": "nope nope nope"}
            ).status_code
            == 401
        )
    sixth = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": "nope nope nope"})
    assert sixth.status_code == 401  # the 6th failure is answered, then the delay starts
    blocked = svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert blocked.json()["title"] == "Trop de tentatives"
    assert outcome_counts(svc)[("portal_identity_logins_total", "throttled")] == throttled_before + 1


def test_a_successful_login_forgets_the_earlier_failures(svc):
    account = svc.new_account()

    def attempt(password: str) -> int:
        return svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": password}).status_code

    assert [attempt("nope nope nope") for _ in range(5)] == [401] * 5  # five free failures
    assert attempt(PASSWORD) == 200
    # Counting starts again: five more free failures, where a sixth in a row would have been delayed.
    assert [attempt("nope nope nope") for _ in range(6)] == [401] * 6
    assert attempt(PASSWORD) == 429


def test_throttling_does_not_reveal_whether_a_login_exists(svc):
    ghost = f"ghost-{uuid.uuid4().hex[:6]}@example.fr"
    statuses = [
        svc.call("POST", "/v1/auth/login", json={"login": ghost, "password": "nope nope nope"}).status_code
        for _ in range(7)
    ]
    assert statuses[-1] == 429


def test_delays_grow_cap_at_the_hourly_limit_and_end_with_the_window(mongo_db):
    throttle = Throttle(
        mongo_db,
        login_policy=Policy(free_failures=5, hourly_cap=100),
        ip_policy=Policy(30, 1000),
        link_ip_policy=Policy(20, 200),
    )
    start = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    key = "login:victim@example.fr"
    waits = []
    for i in range(100):
        now = start + timedelta(seconds=i)
        throttle.failure(key, throttle.login_policy, now=now)
        doc = mongo_db.throttle.find_one({"_id": key})
        if doc.get("blocked_until"):
            waits.append((doc["blocked_until"] - now).total_seconds())
    assert waits[:4] == [2, 4, 8, 16]  # doubling after five free failures
    assert max(waits[:-1]) <= 15 * 60
    with pytest.raises(Problem) as blocked:
        throttle.check(key, now=start + timedelta(minutes=30))
    assert blocked.value.status == 429
    # 100 failures in the hour: blocked until the window ends, and not a second longer.
    throttle.check(key, now=start + timedelta(hours=1, seconds=1))
    throttle.failure(key, throttle.login_policy, now=start + timedelta(hours=1, seconds=2))
    assert mongo_db.throttle.find_one({"_id": key})["failures"] == 1


def test_per_ip_limit(mongo_db):
    throttle = Throttle(
        mongo_db,
        login_policy=Policy(5, 100),
        ip_policy=Policy(free_failures=3, hourly_cap=1000),
        link_ip_policy=Policy(20, 200),
    )
    now = datetime.now(UTC)
    for _ in range(4):
        throttle.failure("ip:198.51.100.7", throttle.ip_policy, now=now)
    with pytest.raises(Problem):
        throttle.check("login:someone@example.fr", "ip:198.51.100.7", now=now)
    throttle.check("login:someone@example.fr", "ip:198.51.100.8", now=now)


def test_parallel_guesses_each_count_before_the_password_is_checked(svc):
    """#20 finding 7: checked before the hash and counted after, 24 guesses sent at once all got a verdict.
    Each attempt is now reserved first: at most the free failures and the one that starts the delay are
    verified; the others wait (429) without a hash."""
    from concurrent.futures import ThreadPoolExecutor

    account = svc.new_account()

    def guess(i: int) -> int:
        body = {"login": account["login"], "password": f"wrong guess number {i}"}
        return svc.call("POST", "/v1/auth/login", json=body).status_code

    with ThreadPoolExecutor(24) as pool:
        statuses = list(pool.map(guess, range(24)))
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 6, statuses  # 5 free failures, then the 6th starts the delay
    stored = svc.db.throttle.find_one({"_id": f"login:{account['login']}"})
    assert stored["failures"] == statuses.count(401)  # a refused attempt is not a failure
    assert svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD}).status_code == 429


def test_a_correct_password_in_a_burst_of_guesses_gives_back_its_ip_reservation(svc):
    """A success is not a failure of its IP: the address shared by a school or a town hall keeps its budget."""
    ip_key = "ip:127.0.0.1"
    account = svc.new_account()
    before = (svc.db.throttle.find_one({"_id": ip_key}) or {}).get("failures", 0)
    assert svc.call("POST", "/v1/auth/login", json={"login": account["login"], "password": PASSWORD}).status_code == 200
    after = (svc.db.throttle.find_one({"_id": ip_key}) or {}).get("failures", 0)
    assert after == before


def test_reset_requests_and_link_guesses_are_throttled_per_address_whatever_the_login(tmp_path):
    """#20 finding 5: a flood of reset requests (known and unknown logins alike) or of invented links gets 429."""
    from tests.identity.conftest import identity_service

    with identity_service(tmp_path, THROTTLE_LINK_IP_FREE_REQUESTS="4", THROTTLE_LINK_IP_HOURLY_CAP="10") as strict:
        known = strict.new_account()
        logins = [known["login"], "nobody-1@example.fr", known["login"], "nobody-2@example.fr", "nobody-3@example.fr"]
        statuses = [
            strict.call("POST", "/v1/auth/password-reset", json={"login": login}).status_code for login in logins
        ]
        assert statuses == [202, 202, 202, 202, 202]  # the 5th starts the delay
        refused = strict.call("POST", "/v1/auth/password-reset", json={"login": known["login"]})
        assert refused.status_code == 429
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) >= 1
        assert "Réessayez dans" in refused.json()["detail"]
        guess = strict.call("POST", "/v1/auth/activate", json={"token": "x" * 43, "password": "whatever it is"})
        assert guess.status_code == 429  # the same address guessing links waits too


def test_one_reset_email_per_account_per_interval(svc):
    """Later requests get the same 202 and no new email: the link mailed a moment ago still works."""
    from dataclasses import replace

    from portal_common import events
    from portal_identity import accounts
    from tests.support.kafka import read_all

    account = svc.new_account()
    patient = replace(svc.identity, config=replace(svc.identity.config, reset_min_interval_seconds=300))
    accounts.request_reset(patient, account["login"])
    first = svc.db.accounts.find_one({"_id": account["account_id"]})["reset_event_id"]
    accounts.request_reset(patient, account["login"])
    assert svc.db.accounts.find_one({"_id": account["account_id"]})["reset_event_id"] == first
    found = [events.decode(r.value) for r in read_all(svc.topic, expected=100_000, timeout_s=3)]
    assert [e.type for e in found if e.account_id == account["account_id"]].count(
        "account.password_reset_requested"
    ) == 1
