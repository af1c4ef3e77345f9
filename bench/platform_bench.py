"""The platform as one, behind the nginx gateway, started by deploy/local/platform.sh as `make up` does.

1. Time from `DELETE /v1/account` until each other service refuses the old token (target p99 <= 2 s).
2. A mixed load through the gateway for 60 s (logins, feed reads, statement and document downloads)
   on the seeded demo family: throughput, errors (target 0) and p99 per route. Its baseline, in the
   same run: the same mix for 20 s straight to the services' own ports, without the gateway.
"""

from __future__ import annotations

import collections
import os
import random
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from bench.common import judged, percentile, run_threads, write_results
from tests.e2e.conftest import Platform
from tests.support.env import LAYOUT
from tests.support.sinks import PushSink, SmtpSink, part_of

FAMILIES = 10
PASSWORD = "mesure de la propagation"
SERVICES = {
    "billing-statement": "/v1/statements",
    "document-store": "/v1/documents",
    "notification": "/v1/notifications",
}


LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
BASELINE_SECONDS = float(os.environ.get("BENCH_BASELINE_SECONDS", "20"))
LOAD_THREADS = 8
# Weights of the mix: a family's visit reads its feed often, downloads now and then, logs in once.
MIX = {"login": 1, "feed": 6, "statement_pdf": 2, "document_content": 2}


def demo_family_targets(platform: Platform) -> dict[str, str]:
    """The seeded demo family's credentials, one statement and one document to download."""
    login = platform.demo_accounts()["family"]
    token = platform.call("POST", "/v1/auth/login", json=login).json()["access_token"]
    today = time.strftime("%Y-%m-%d")
    statement = platform.call(
        "POST", "/v1/statements", token, json={"period_start": today[:4] + "-01-01", "period_end": today}
    )
    statement.raise_for_status()
    document = platform.call("GET", "/v1/documents", token).json()["items"][0]
    return {
        **login,
        "statement_id": statement.json()["statement_id"],
        "document_id": document["document_id"],
    }


class MixedLoad:
    """The mix run by LOAD_THREADS clients, in one go or in blocks (`run` adds to what earlier blocks measured)."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {route: [] for route in MIX}
        self.errors: dict[str, int] = dict.fromkeys(MIX, 0)
        self.refusals: collections.Counter[str] = collections.Counter()  # "route status": what the errors were
        self.seconds = 0.0
        self.lock = threading.Lock()
        self.tokens: dict[int, str] = {}  # each client's access token, kept from one block to the next

    def run(
        self,
        bases: dict[str, str],
        targets: dict[str, str],
        seconds: float,
        sign_ins: list[dict[str, str]] | None = None,
    ) -> None:
        """`bases` maps each route to the base URL serving it (the gateway, or each service directly). The mix's
        sign-ins are client i's family's `sign_ins[i]` when given (as many families as clients), else the target
        family's for every client."""
        routes = [route for route, weight in MIX.items() for _ in range(weight)]
        credentials = {"login": targets["login"], "password": targets["password"]}
        logins = sign_ins or [credentials] * LOAD_THREADS
        # Each client signs in once, before the clock starts and one after another: the mix's clients all share
        # one family, and identity counts sign-ins on one login sent in parallel as guesses (429 after the fifth).
        for seed in range(LOAD_THREADS):
            if seed not in self.tokens:
                self.tokens[seed] = self.sign_in(bases["login"], credentials)
        deadline = time.monotonic() + seconds

        def worker(seed: int) -> None:
            session, pick, token = requests.Session(), random.Random(seed), self.tokens[seed]
            while time.monotonic() < deadline:
                route = pick.choice(routes)
                headers = {"Authorization": f"Bearer {token}"}
                started = time.perf_counter()
                try:
                    if route == "login":
                        response = session.post(bases[route] + "/v1/auth/login", json=logins[seed], timeout=30)
                        ok = response.status_code == 200
                    elif route == "feed":
                        response = session.get(bases[route] + "/v1/notifications", headers=headers, timeout=30)
                        ok = response.status_code == 200 and "items" in response.json()
                    elif route == "statement_pdf":
                        path = f"/v1/statements/{targets['statement_id']}/pdf"
                        response = session.get(bases[route] + path, headers=headers, timeout=30)
                        ok = response.status_code == 200 and response.content.startswith(b"%PDF")
                    else:
                        path = f"/v1/documents/{targets['document_id']}/content"
                        response = session.get(bases[route] + path, headers=headers, timeout=30)
                        ok = response.status_code == 200 and len(response.content) > 0
                    status = str(response.status_code)
                except requests.RequestException as exc:
                    ok, status = False, type(exc).__name__
                elapsed = time.perf_counter() - started
                with self.lock:
                    if ok:
                        self.samples[route].append(elapsed)
                    else:
                        self.errors[route] += 1
                        self.refusals[f"{route} {status}"] += 1

        self.seconds += run_threads(LOAD_THREADS, worker)

    @staticmethod
    def sign_in(base: str, credentials: dict[str, str]) -> str:
        response = requests.post(base + "/v1/auth/login", json=credentials, timeout=30)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def summary(self) -> dict[str, object]:
        total = sum(len(v) for v in self.samples.values())
        return {
            "seconds": round(self.seconds, 1),
            "threads": LOAD_THREADS,
            "requests": total,
            "per_second": round(total / self.seconds, 1),
            "errors": sum(self.errors.values()),
            "refusals": dict(self.refusals),
            "routes": {
                route: {
                    "requests": len(values),
                    "errors": self.errors[route],
                    "per_second": round(len(values) / self.seconds, 1),
                    "p50_ms": round(percentile(values, 50) * 1000, 1) if values else None,
                    "p99_ms": round(percentile(values, 99) * 1000, 1) if values else None,
                }
                for route, values in self.samples.items()
            },
        }


def mixed_load(bases: dict[str, str], targets: dict[str, str], seconds: float) -> dict[str, object]:
    load = MixedLoad()
    load.run(bases, targets, seconds)
    return load.summary()


def main() -> None:
    maildir = Path(os.environ.get("TEST_MAILDIR", ""))
    push = PushSink()
    platform = Platform(Path(tempfile.mkdtemp(prefix="bench-platform-")), push)
    platform.env["PORTAL_MAILDIR"] = str(maildir)
    run = uuid.uuid4().hex[:6]
    samples: dict[str, list[float]] = {name: [] for name in SERVICES}
    try:
        platform.script("up")
        agent_login = f"agent.{run}@bench.fr"
        secret = platform.create_agent(f"bench-{run}", agent_login)
        platform.call("POST", "/v1/auth/activate", json={"token": secret, "password": PASSWORD}).raise_for_status()
        agent = platform.call("POST", "/v1/auth/login", json={"login": agent_login, "password": PASSWORD}).json()
        for index in range(FAMILIES):
            family_login = f"family{index}.{run}@bench.fr"
            platform.call(
                "POST",
                "/v1/admin/accounts",
                agent["access_token"],
                json={"login": family_login, "display_name": "Bench"},
            ).raise_for_status()
            deadline = time.monotonic() + 30
            while not (found := SmtpSink(maildir).messages(to=family_login)):
                if time.monotonic() > deadline:
                    raise RuntimeError("activation email never arrived")
                time.sleep(0.2)
            token = re.search(r"token=([A-Za-z0-9_-]+)", part_of(found[0])).group(1)
            platform.call("POST", "/v1/auth/activate", json={"token": token, "password": PASSWORD}).raise_for_status()
            access = platform.call("POST", "/v1/auth/login", json={"login": family_login, "password": PASSWORD}).json()[
                "access_token"
            ]
            for path in SERVICES.values():  # every service knows and accepts the family before the deletion
                deadline = time.monotonic() + 30
                while platform.call("GET", path, access).status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{path} never accepted the family")
                    time.sleep(0.2)
            started = time.monotonic()
            platform.call("DELETE", "/v1/account", access, json={"password": PASSWORD}).raise_for_status()

            def watch(name: str, path: str, access: str = access, started: float = started) -> None:
                session = requests.Session()
                limit = time.monotonic() + 10
                while time.monotonic() < limit:
                    response = session.get(
                        platform.gateway + path, headers={"Authorization": f"Bearer {access}"}, timeout=5
                    )
                    if response.status_code == 401:
                        samples[name].append(time.monotonic() - started)
                        return
                    time.sleep(0.01)
                samples[name].append(float("inf"))

            watchers = [threading.Thread(target=watch, args=item) for item in SERVICES.items()]
            for watcher in watchers:
                watcher.start()
            for watcher in watchers:
                watcher.join()
        targets = demo_family_targets(platform)
        direct = {
            "login": LAYOUT.url("identity"),
            "feed": LAYOUT.url("notification"),
            "statement_pdf": LAYOUT.url("billing-statement"),
            "document_content": LAYOUT.url("document-store"),
        }
        baseline = mixed_load(direct, targets, BASELINE_SECONDS)
        load = mixed_load(dict.fromkeys(MIX, platform.gateway), targets, LOAD_SECONDS)
    finally:
        platform.script("down")
        push.close()
    everything = [s for values in samples.values() for s in values]
    results = {
        "families": FAMILIES,
        "deletion_to_refusal_ms": {
            name: {"p50": round(percentile(values, 50) * 1000, 1), "p99": round(percentile(values, 99) * 1000, 1)}
            for name, values in samples.items()
        },
        "all_services_p99_ms": round(percentile(everything, 99) * 1000, 1),
        "mixed_load_through_gateway": load,
        "mixed_load_direct_baseline": baseline,
        "gateway_vs_direct_throughput_ratio": round(load["per_second"] / baseline["per_second"], 3),
    }
    results |= judged(p99_ms=("<=", 2000, results["all_services_p99_ms"]), mixed_load_errors=("==", 0, load["errors"]))
    write_results("platform", results)
    print(
        f"deletion -> refusal p99 {results['all_services_p99_ms']} ms (target <= 2000); "
        f"mixed load {load['per_second']} req/s over {load['seconds']} s, {load['errors']} errors, "
        f"{results['gateway_vs_direct_throughput_ratio']}x the direct baseline ({baseline['per_second']} req/s)"
    )
    for route, figures in load["routes"].items():
        print(f"  {route}: {figures['per_second']} req/s, p99 {figures['p99_ms']} ms, {figures['errors']} errors")


if __name__ == "__main__":
    main()
