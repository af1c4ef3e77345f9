"""Email in the production mode (SMTP_MODE=starttls): the sending processes verify the relay's
certificate against the CA directory they use (see `apprise_process.use_ca_directory`)."""

from __future__ import annotations

import ssl

import pytest

from tests.notification.conftest import start_service
from tests.support.pki import make_pki
from tests.support.sinks import SmtpSink
from tests.support.wait import wait_for


def relay(tmp_path, pki, certificate: str) -> SmtpSink:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / f"{certificate}.pem", pki / f"{certificate}.key")
    sink = SmtpSink(tmp_path / f"{certificate}-maildir", tls=context)
    sink.start()
    return sink


@pytest.fixture
def pki(tmp_path, monkeypatch):
    (tmp_path / "pki").mkdir()
    made = make_pki(tmp_path / "pki")
    monkeypatch.setenv("SSL_CERT_DIR", str(made / "certs"))  # the CAs the spawned senders trust
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    return made


@pytest.mark.parametrize(("certificate", "delivered"), [("server", True), ("impostor", False)])
def test_email_over_starttls_reaches_only_a_relay_with_a_trusted_certificate(tmp_path, pki, certificate, delivered):
    sink = relay(tmp_path, pki, certificate)
    (tmp_path / "service").mkdir()
    notif, stop = start_service(
        tmp_path / "service", SMTP_HOST="localhost", SMTP_PORT=str(sink.port), SMTP_MODE="starttls"
    )
    try:
        family = notif.family()
        mine = {"account_id": family["account_id"], "channel": "email"}
        wait_for(lambda: notif.db.delivery_log.find_one(mine), timeout=30, what="a first email attempt")
        first = notif.db.delivery_log.find_one(mine)
        if delivered:
            assert first["result"] == "sent", first
            wait_for(lambda: sink.messages(to=family["email"]), what="the activation email, over TLS")
        else:
            assert first["result"] == "retry"  # certificate refused: nothing sent in clear, tried again later
            assert sink.messages(to=family["email"]) == []
    finally:
        stop()
        sink.stop()
