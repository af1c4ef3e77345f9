import io
import json
import logging

from portal_common.logs import configure_logging, redact, request_id_var

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"


def capture(emit) -> dict:
    stream = io.StringIO()
    configure_logging("svc", "DEBUG", stream=stream)
    try:
        emit(logging.getLogger("test"))
    finally:
        configure_logging("svc", "WARNING")
    return json.loads(stream.getvalue().strip().splitlines()[-1])


def test_json_line_has_severity_timestamp_service_and_request_id():
    token = request_id_var.set("req-42")
    try:
        entry = capture(lambda log: log.warning("hello %s", "world"))
    finally:
        request_id_var.reset(token)
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "hello world"
    assert entry["service"] == "svc"
    assert entry["request_id"] == "req-42"
    assert entry["timestamp"].endswith("+00:00")


def test_secrets_never_reach_the_log_line():
    entry = capture(
        lambda log: log.info(
            "login with Authorization: Bearer %s password=hunter2hunter2",
            TOKEN,
            extra={"password": "hunter2hunter2", "refresh_token": "abc", "headers": {"Authorization": "Basic Zm9v"}},
        )
    )
    line = json.dumps(entry)
    assert TOKEN not in line
    assert "hunter2" not in line
    assert "Zm9v" not in line
    assert entry["password"] == "[redacted]"
    assert entry["headers"]["Authorization"] == "[redacted]"


def test_jwt_shaped_strings_and_exception_text_are_masked():
    def emit(log):
        try:
            raise ValueError(f"bad token {TOKEN}")
        except ValueError:
            log.exception("failed")

    entry = capture(emit)
    assert TOKEN not in entry["exception"]


def test_redact_keeps_ordinary_values():
    assert redact({"account_id": "a1", "count": 3, "items": ["x"]}) == {"account_id": "a1", "count": 3, "items": ["x"]}
