"""The web pages (#22), behind the gateway, on the platform `make up` starts, with its seeded demo family.

20 browser-like sessions (HTTP with a cookie, not Chromium) read the family's main pages for 60 s; in turns with
them (bench.common.alternating, the same run), 20 clients make the same public API calls each page makes,
straight through the gateway with a bearer token, as the phone app would. Targets: each page's p95 server time
under 250 ms, the web layer adding at most 30 % to the p95 of the calls it makes, and every page (HTML, CSS
and JavaScript, uncompressed) under 150 KB.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench.common import alternating, judged, percentile, write_results
from tests.e2e.conftest import Platform
from tests.support.sinks import PushSink

SESSIONS = 20
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
# Each page, and the API calls it makes for the signed-in family (portal_web.views).
PAGES: dict[str, list[str]] = {
    "/": ["/v1/notifications?limit=20"],
    "/mon-compte": ["/v1/account", "/v1/structure"],
    "/mes-releves": ["/v1/statements"],
    "/mes-documents": ["/v1/documents?limit=20", "/v1/dossier/documents?limit=20"],
    "/mon-compte/historique": ["/v1/account/activity?limit=25"],
    "/mon-compte/notifications": ["/v1/notification-preferences", "/v1/push-devices"],
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ASSETS = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def signed_in_browser(gateway: str, credentials: dict[str, str]) -> requests.Session:
    browser = requests.Session()
    form = browser.get(gateway + "/connexion", timeout=30)
    token = CSRF.search(form.text)
    assert token, "no CSRF token on the sign-in page"
    answer = browser.post(gateway + "/connexion", data={**credentials, "csrf_token": token.group(1)}, timeout=30)
    assert answer.url.rstrip("/") == gateway, f"sign-in failed: {answer.status_code} {answer.url}"
    return browser


def page_weights(gateway: str, browser: requests.Session) -> dict[str, int]:
    """Bytes of each page as a first visit loads it: the HTML and every stylesheet and script it names."""
    weights = {}
    for page in PAGES:
        html = browser.get(gateway + page, timeout=30).text
        assets = sum(len(browser.get(gateway + path, timeout=30).content) for path in set(ASSETS.findall(html)))
        weights[page] = len(html.encode()) + assets
    return weights


def main() -> None:
    platform = Platform(Path(tempfile.mkdtemp(prefix="bench-web-")), PushSink())
    try:
        platform.script("up")
        gateway = platform.gateway
        family = platform.demo_accounts()["family"]
        browsers = [signed_in_browser(gateway, family) for _ in range(SESSIONS)]
        tokens = [platform.call("POST", "/v1/auth/login", json=family).json()["access_token"] for _ in range(SESSIONS)]
        pages = list(PAGES)
        by_page: dict[tuple[str, str], list[float]] = {(kind, p): [] for kind in ("web", "api") for p in pages}
        turns = [0] * SESSIONS
        lock = threading.Lock()

        def record(kind: str, page: str, seconds: float) -> None:
            with lock:
                by_page[(kind, page)].append(seconds)

        def web(index: int) -> None:
            page = pages[turns[index] % len(pages)]
            turns[index] += 1
            started = time.perf_counter()
            answer = browsers[index].get(gateway + page, timeout=30, allow_redirects=False)
            if answer.status_code != 200 or "<h1>" not in answer.text:
                raise RuntimeError(f"{page}: {answer.status_code}")
            record("web", page, time.perf_counter() - started)

        api_sessions = [requests.Session() for _ in range(SESSIONS)]
        api_turns = [0] * SESSIONS

        def api(index: int) -> None:
            page = pages[api_turns[index] % len(pages)]
            api_turns[index] += 1
            headers = {"Authorization": f"Bearer {tokens[index]}"}
            started = time.perf_counter()
            for path in PAGES[page]:  # one after the other, as the page makes them
                answer = api_sessions[index].get(gateway + path, headers=headers, timeout=30)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path}: {answer.status_code}")
            record("api", page, time.perf_counter() - started)

        web_total, api_total = alternating(LOAD_SECONDS, (SESSIONS, web), (SESSIONS, api), blocks=6)
        weights = page_weights(gateway, browsers[0])
    finally:
        platform.script("down")

    def p95_ms(kind: str, page: str) -> float:
        values = by_page[(kind, page)]
        return round(percentile(values, 95) * 1000, 1) if values else float("inf")

    per_page = {
        page: {
            "web_p95_ms": p95_ms("web", page),
            "api_p95_ms": p95_ms("api", page),
            "web_requests": len(by_page[("web", page)]),
            "weight_bytes": weights[page],
        }
        for page in pages
    }

    def every(kind: str) -> list[float]:
        return [value for (k, _), values in by_page.items() if k == kind for value in values]

    overhead = percentile(every("web"), 95) / percentile(every("api"), 95)
    write_results(
        "web",
        {
            "sessions": SESSIONS,
            "seconds_each": LOAD_SECONDS,
            "web": web_total,
            "api_calls_of_the_same_pages": api_total,
            "pages": per_page,
            "web_p95_over_api_p95": round(overhead, 3),
            **judged(
                web_overhead=("<=", 1.30, round(overhead, 3)),
                slowest_page_p95_ms=("<", 250, max(p["web_p95_ms"] for p in per_page.values())),
                heaviest_page_kb=("<", 150, round(max(weights.values()) / 1024, 1)),
                errors=("==", 0, web_total["errors"] + api_total["errors"]),
            ),
        },
    )


if __name__ == "__main__":
    main()
