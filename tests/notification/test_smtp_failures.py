"""SMTP down then back (retried, sent once) and an SMTP server that never answers (timeout, no stall)."""

import pytest

from portal_notification import deliveries
from portal_notification.app import SERVICE
from portal_notification.context import Context
from tests.notification.conftest import start_service
from tests.support.sinks import SilentServer
from tests.support.wait import wait_for


def test_smtp_down_then_back_is_retried_and_sent_once(notif):
    family = notif.family()
    wait_for(lambda: notif.smtp.messages(to=family["email"]), what="activation email")
    notif.smtp.stop()
    try:
        notif.publish("invoice.issued", family["account_id"], number="F-OUT", due_date="2026-12-20")
        wait_for(
            lambda: notif.db.delivery_log.find_one(
                {"account_id": family["account_id"], "channel": "email", "result": "retry"}
            ),
            timeout=20,
            what="a failed attempt",
        )
        assert deliveries.unfinished(notif.db, {"account_id": family["account_id"]}) == 1
    finally:
        notif.smtp.start()
    wait_for(
        lambda: notif.smtp.messages(to=family["email"], subject="Nouvelle facture disponible"),
        timeout=30,
        what="the email after the SMTP server came back",
    )
    wait_for(
        lambda: deliveries.unfinished(notif.db, {"account_id": family["account_id"]}) == 0,
        what="nothing left pending",
    )
    assert len(notif.smtp.messages(to=family["email"], subject="Nouvelle facture disponible")) == 1


@pytest.fixture(scope="module")
def silent_smtp(tmp_path_factory):
    silent = SilentServer()
    under_test, stop = start_service(
        tmp_path_factory.mktemp("silent"), SMTP_PORT=str(silent.port), SEND_TIMEOUT_SECONDS="1", DELIVERY_WORKERS="2"
    )
    yield under_test
    stop()
    silent.close()


def test_a_silent_smtp_server_times_out_and_never_stalls_consumption(silent_smtp):
    families = [silent_smtp.family() for _ in range(3)]  # three activation emails already hang
    topics = [silent_smtp.add_device(f) for f in families]
    for family in families:
        silent_smtp.publish("invoice.issued", family["account_id"], number="F-S", due_date="2026-12-20")
    # Feed and push keep flowing while every email worker waits on the silent server.
    for family, topic in zip(families, topics, strict=True):
        wait_for(lambda f=family: silent_smtp.feed(f)["items"], timeout=15, what="feed while SMTP hangs")
        wait_for(lambda t=topic: silent_smtp.push.for_topic(t), timeout=15, what="push while SMTP hangs")
    wait_for(
        lambda: silent_smtp.db.delivery_log.find_one({"channel": "email", "result": "retry"}),
        timeout=20,
        what="an email attempt that timed out",
    )
    failed = silent_smtp.db.delivery_log.find_one({"channel": "email", "result": "retry"})
    assert failed["error"]


def test_a_pending_retry_survives_a_restart_and_is_sent_once(tmp_path):
    # The retry is due seconds later, once the first process has stopped: only the next one can send it.
    under_test, stop = start_service(tmp_path, DELIVERY_RETRY_BASE_SECONDS="8")
    try:
        family = under_test.family()
        wait_for(lambda: under_test.smtp.messages(to=family["email"]), what="activation email")
        under_test.smtp.stop()
        under_test.publish("invoice.issued", family["account_id"], number="F-RST", due_date="2026-12-20")
        wait_for(
            lambda: under_test.db.delivery_log.find_one({"account_id": family["account_id"], "result": "retry"}),
            timeout=20,
            what="a failed attempt",
        )
        under_test.runtime.stop()
        under_test.smtp.start()
        restarted = Context.build(under_test.service.config)
        under_test.runtime = SERVICE.runtime(restarted)
        under_test.runtime.start()
        subject = "Nouvelle facture disponible"
        wait_for(lambda: under_test.smtp.messages(to=family["email"], subject=subject), timeout=30, what="resent")
        wait_for(
            lambda: deliveries.unfinished(under_test.db, {"account_id": family["account_id"]}) == 0,
            what="nothing left pending",
        )
        assert len(under_test.smtp.messages(to=family["email"], subject=subject)) == 1
    finally:
        stop()
