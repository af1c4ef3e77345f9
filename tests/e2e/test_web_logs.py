"""What ops read when a page goes wrong: one request id from the gateway through the web service to the service
it called, and one log line per page in the web's own log (not one more per API call)."""

from __future__ import annotations

import json
import re

from tests.support.wait import wait_for
from tests.support.web_session import signed_in_session


def log_lines(platform, service: str) -> list[dict]:
    text = (platform.run_dir / "services" / f"{service}.log").read_text(errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_page_s_request_id_is_in_the_log_of_the_service_it_called(platform):
    family = platform.demo_accounts()["family"]
    browser = signed_in_session(platform.gateway, family["login"], family["password"])
    page = browser.get(platform.gateway + "/mon-compte/historique", timeout=10)
    assert page.status_code == 200
    request_id = page.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id

    called = wait_for(
        lambda: [line for line in log_lines(platform, "identity") if line.get("request_id") == request_id],
        timeout=10,
        what="identity's access log line of the page's call",
    )
    assert [line["message"] for line in called] == ["GET /v1/account/activity 200"]
    own = [line for line in log_lines(platform, "web") if line.get("request_id") == request_id]
    assert [(line["logger"], line["message"]) for line in own] == [("portal.access", "GET /mon-compte/historique 200")]
