"""The platform as one: time from `DELETE /v1/account` until each other service refuses the old token.

Target (issue 8): p99 <= 2 s. The four services run as processes behind the nginx gateway, started by
deploy/local/platform.sh (as `make up` does).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from bench.common import percentile, write_results
from tests.e2e.conftest import Platform
from tests.support.sinks import PushSink, SmtpSink

FAMILIES = 10
PASSWORD = "mesure de la propagation"
SERVICES = {
    "billing-statement": "/v1/statements",
    "document-store": "/v1/documents",
    "notification": "/v1/notifications",
}


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
            token = re.search(r"token=([A-Za-z0-9_-]+)", found[0].get_payload(decode=True).decode()).group(1)
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
        "targets": {"p99_ms": "<= 2000"},
    }
    write_results("platform", results)


if __name__ == "__main__":
    main()
