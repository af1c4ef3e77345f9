"""Preferences x channels x categories through real Kafka, FerretDB, SMTP and an HTTP push endpoint."""

import html
import re
import time
import uuid

import pytest

from portal_notification import deliveries
from tests.support.sinks import part_of
from tests.support.wait import wait_for


def body_text(message) -> str:
    return part_of(message)


INVOICE = (
    "invoice.issued",
    {"invoice_id": "i1", "number": "F-2026-001", "amount_cents": 4200, "due_date": "2026-12-15"},
    "Nouvelle facture disponible",
    "invoices",
)
DOSSIER = (
    "dossier.review_completed",
    {"dossier_id": "d1", "outcome": "validé"},
    "Votre dossier a été vérifié",
    "dossier",
)


def delivered(notif, family, subject, topic):
    pushes = [p for p in notif.push.for_topic(topic) if p.get("title") == subject]
    return len(notif.smtp.messages(to=family["email"], subject=subject)), len(pushes)


@pytest.mark.parametrize("sample", [INVOICE, DOSSIER], ids=["invoices", "dossier"])
@pytest.mark.parametrize(
    ("email", "push"),
    [(True, True), (True, False), (False, True), (False, False)],
    ids=["email+push", "email", "push", "none"],
)
def test_each_category_and_channel_combination(notif, sample, email, push):
    event_type, payload, subject, _ = sample
    family = notif.family()
    topic = notif.add_device(family)
    notif.set_preferences(family, {"email_enabled": email, "push_enabled": push})
    notif.publish(event_type, family["account_id"], **payload)
    # Every notification lands in the feed, whatever the channels.
    wait_for(lambda: notif.feed(family)["items"], what="feed entry")
    wait_for(
        lambda: delivered(notif, family, subject, topic) == (int(email), int(push)),
        timeout=15,
        what=f"email={email} push={push}",
    )
    time.sleep(0.5)  # nothing more arrives afterwards
    assert delivered(notif, family, subject, topic) == (int(email), int(push))
    entry = notif.feed(family)["items"][0]
    assert entry["title"] == subject
    if email:
        [message] = notif.smtp.messages(to=family["email"], subject=subject)
        assert message["List-Unsubscribe"].startswith("<http")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    if push:
        [pushed] = notif.push.for_topic(topic)
        assert pushed["title"] == subject
        # No icon: the phone would fetch apprise's from GitHub, telling it a notification came.
        assert "icon" not in pushed
        assert "X-Icon" not in pushed["headers"]


@pytest.mark.parametrize("switch", [{"invoices": {"enabled": False}}, {"invoices": {"issued": False}}])
def test_a_category_or_kind_switched_off_reaches_the_feed_but_sends_nothing(notif, switch):
    family = notif.family()
    topic = notif.add_device(family)
    notif.set_preferences(family, switch)
    notif.publish(INVOICE[0], family["account_id"], **INVOICE[1])
    notif.publish(*DOSSIER[:1], family["account_id"], **DOSSIER[1])  # a marker that is delivered
    wait_for(lambda: len(notif.feed(family)["items"]) == 2, what="both entries in the feed")
    wait_for(lambda: delivered(notif, family, DOSSIER[2], topic) == (1, 1), what="the marker sent")
    assert delivered(notif, family, INVOICE[2], topic) == (0, 0)


def test_security_messages_go_by_email_even_with_everything_off(notif):
    family = notif.family()
    notif.set_preferences(
        family,
        {"email_enabled": False, "push_enabled": False, "invoices": {"enabled": False}, "dossier": {"enabled": False}},
    )
    notif.publish("account.password_changed", family["account_id"], contact_email=family["email"])
    wait_for(
        lambda: notif.smtp.messages(to=family["email"], subject="Votre mot de passe a été modifié"),
        timeout=15,
        what="the security email",
    )
    activation = notif.smtp.messages(to=family["email"], subject="Activez votre compte du portail famille")
    [token] = notif.identity.issued[family["created_event_id"]]
    assert f"/activation?token={token}" in body_text(activation[0])
    # Never held back behind a flood of other emails (the dispatcher's urgent lane).
    stored = notif.db.deliveries.find({"account_id": family["account_id"]}, {"event_type": 1, "urgent": 1})
    assert {d["event_type"]: d.get("urgent") for d in stored} == {
        "account.created": True,
        "account.password_changed": True,
    }


def test_a_security_link_exists_only_in_the_email(notif):
    """#20 finding 1: identity issues the link as the email goes out; no delivery record, log or feed entry
    of notification's database holds it, so reading that database takes over no account."""
    family = notif.family()
    [activation] = wait_for(
        lambda: notif.smtp.messages(to=family["email"], subject="Activez votre compte du portail famille"),
        what="the activation email",
    )
    [activation_token] = notif.identity.issued[family["created_event_id"]]
    assert f"/activation?token={activation_token}" in body_text(activation)
    reset = notif.publish("account.password_reset_requested", family["account_id"], contact_email=family["email"])
    [mail] = wait_for(
        lambda: notif.smtp.messages(to=family["email"], subject="Réinitialisation de votre mot de passe"),
        what="the reset email",
    )
    [reset_token] = notif.identity.issued[reset.event_id]
    assert f"/mot-de-passe/nouveau?token={reset_token}" in body_text(mail)
    mine = {"account_id": family["account_id"]}
    wait_for(lambda: deliveries.unfinished(notif.db, mine) == 0, what="both messages finished")
    stored = [d for name in notif.db.list_collection_names() for d in notif.db[name].find()]
    assert any(family["account_id"] in str(d) for d in stored)
    for document in stored:
        assert activation_token not in str(document)
        assert reset_token not in str(document)
        assert "token=link-" not in str(document)


def test_a_link_identity_no_longer_issues_is_not_mailed_and_nothing_stalls(notif):
    """Used, replaced or expired: identity says NOT_FOUND; the email is given up at once, not retried."""
    family = notif.family()
    event_id = uuid.uuid4().hex
    notif.identity.gone.add(event_id)
    notif.publish(
        "account.password_reset_requested", family["account_id"], event_id=event_id, contact_email=family["email"]
    )
    notif.publish("account.password_changed", family["account_id"], contact_email=family["email"])
    wait_for(
        lambda: notif.smtp.messages(to=family["email"], subject="Votre mot de passe a été modifié"),
        what="the next security email",
    )
    dead = wait_for(lambda: notif.db.dead_deliveries.find_one({"_id": f"{event_id}:email"}), what="given up")
    assert "given up" in dead["error"]
    assert notif.db.delivery_log.count_documents({"_id": {"$regex": f"^{event_id}:email:"}}) == 1  # one attempt
    assert not notif.smtp.messages(to=family["email"], subject="Réinitialisation de votre mot de passe")


def test_one_click_unsubscribe_turns_that_category_email_off_without_login(notif):
    family = notif.family()
    topic = notif.add_device(family)
    notif.publish(INVOICE[0], family["account_id"], **INVOICE[1])
    [message] = wait_for(lambda: notif.smtp.messages(to=family["email"], subject=INVOICE[2]), what="first email")
    link = message["List-Unsubscribe"].strip("<>")
    path_and_query = link[link.index("/v1/unsubscribe") :]
    response = notif.call("POST", path_and_query, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200, response.text
    assert notif.call("GET", "/v1/notification-preferences", family).json()["invoices"]["email"] is False
    notif.publish(INVOICE[0], family["account_id"], **{**INVOICE[1], "number": "F-2"})
    wait_for(lambda: len(notif.push.for_topic(topic)) == 2, what="second push still sent")
    wait_for(lambda: len(notif.feed(family)["items"]) == 2, what="second feed entry")
    assert len(notif.smtp.messages(to=family["email"], subject=INVOICE[2])) == 1
    forged = notif.call("POST", path_and_query[:-3] + "AAA", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 400


def test_a_duplicate_event_is_delivered_once(notif):
    family = notif.family()
    event = notif.publish(INVOICE[0], family["account_id"], **INVOICE[1])
    notif.publish(INVOICE[0], family["account_id"], event_id=event.event_id, **INVOICE[1])
    wait_for(lambda: notif.smtp.messages(to=family["email"], subject=INVOICE[2]), what="the email")
    notif.publish(*DOSSIER[:1], family["account_id"], **DOSSIER[1])
    wait_for(lambda: len(notif.feed(family)["items"]) == 2, what="the marker after the duplicate")
    assert len(notif.smtp.messages(to=family["email"], subject=INVOICE[2])) == 1
    assert [i["type"] for i in notif.feed(family)["items"]].count("invoice.issued") == 1


def test_deleted_account_receives_nothing_until_restored(notif):
    family = notif.family()
    notif.publish(
        "account.deleted", family["account_id"], contact_email=family["email"], restorable_until="2026-12-26T10:00:00Z"
    )
    wait_for(
        lambda: notif.smtp.messages(to=family["email"], subject="Votre compte a été supprimé"),
        what="deletion confirmation",
    )
    notif.publish(INVOICE[0], family["account_id"], **INVOICE[1])
    notif.publish("account.restored", family["account_id"])
    wait_for(lambda: notif.smtp.messages(to=family["email"], subject="Votre compte a été restauré"), what="restored")
    notif.publish(INVOICE[0], family["account_id"], **{**INVOICE[1], "number": "F-after"})
    wait_for(lambda: notif.smtp.messages(to=family["email"], subject=INVOICE[2]), what="invoice after restore")
    [message] = notif.smtp.messages(to=family["email"], subject=INVOICE[2])
    assert "F-after" in body_text(message)


def test_purge_erases_preferences_devices_feed_and_sent_messages(notif):
    family = notif.family()
    notif.add_device(family)
    notif.publish(*DOSSIER[:1], family["account_id"], **DOSSIER[1])
    wait_for(lambda: notif.feed(family)["items"], what="feed entry")
    mine = {"account_id": family["account_id"]}
    wait_for(
        lambda: notif.db.deliveries.find_one(mine) and deliveries.unfinished(notif.db, mine) == 0,
        what="the messages sent",
    )
    notif.publish("account.purged", family["account_id"])
    wait_for(lambda: notif.db.preferences.find_one({"_id": family["account_id"]}) is None, what="preferences erased")
    for collection in ("devices", "feed", *deliveries.COLLECTIONS):
        assert notif.db[collection].count_documents({"account_id": family["account_id"]}) == 0, collection


def test_a_malformed_event_goes_to_the_dlq_and_delivery_goes_on(notif):
    from tests.support.kafka import (
        find_events,  # noqa: F401 - DLQ records are not AccountEvents
        read_all,
    )

    family = notif.family()
    notif.publish("", family["account_id"], raw=b"\x00garbage that is not an event")
    notif.publish(*DOSSIER[:1], family["account_id"], **DOSSIER[1])
    wait_for(lambda: notif.feed(family)["items"], what="the next event delivered")
    dead = [
        r
        for r in read_all("account-events.dlq", expected=1000, timeout_s=3)
        if dict(r.headers).get("dlq_group") == b"notification-delivery" and r.key == family["account_id"].encode()
    ]
    assert len(dead) == 1
    assert b"malformed" in dict(dead[0].headers)["dlq_reason"]


def test_delivery_records_and_feed_entries_past_their_retention_are_deleted(notif):
    """Messages hold addresses and texts: kept DELIVERY_RETENTION_DAYS (30), the feed FEED_RETENTION_DAYS (400)."""
    from datetime import UTC, datetime, timedelta

    from portal_notification.housekeeping import run_expiry

    old, recent = notif.family(), notif.family()
    for family in (old, recent):
        notif.publish(INVOICE[0], family["account_id"], **INVOICE[1])
        wait_for(lambda f=family: notif.smtp.messages(to=f["email"], subject=INVOICE[2]), what="the invoice email")
        mine = {"account_id": family["account_id"]}
        wait_for(lambda m=mine: deliveries.unfinished(notif.db, m) == 0, what="messages finished")
        wait_for(lambda f=family: notif.feed(f)["items"], what="the feed entry")
    mine = {"account_id": old["account_id"]}
    now = datetime.now(UTC)
    for collection in (deliveries.DELIVERIES, deliveries.ATTEMPTS, deliveries.LOG, deliveries.FINISHED):
        notif.db[collection].update_many(mine, {"$set": {"at": now - timedelta(days=31)}})
    notif.db[deliveries.PENDING].update_many(mine, {"$set": {"created_at": now - timedelta(days=31)}})
    notif.db.feed.update_many(mine, {"$set": {"created_at": now - timedelta(days=401)}})
    notif.call("POST", f"/v1/notifications/{notif.feed(old)['items'][0]['notification_id']}/read", old)

    counts = run_expiry(notif.service)
    assert counts["feed_entries_deleted"] >= 1
    assert counts["delivery_records_deleted"] >= 4
    for collection in ("feed", "feed_reads", *deliveries.COLLECTIONS):
        assert notif.db[collection].count_documents(mine) == 0, collection
    assert notif.feed(old)["items"] == []
    assert notif.feed(recent)["items"]  # younger records stay
    assert notif.db[deliveries.DELIVERIES].count_documents({"account_id": recent["account_id"]}) >= 2


def test_the_unsubscribe_link_in_the_body_opens_a_page_whose_button_unsubscribes(notif):
    """#21: the link a parent taps in the email's text. The GET (which mail scanners also make) only asks; the
    page's button POSTs and the answer says what was turned off and how to turn it back on."""
    family = notif.family()
    notif.publish(INVOICE[0], family["account_id"], **INVOICE[1])
    [message] = wait_for(lambda: notif.smtp.messages(to=family["email"], subject=INVOICE[2]), what="the email")
    [link] = re.findall(r"Se désabonner de ces e-mails : (\S+)", body_text(message))
    path_and_query = link[link.index("/v1/unsubscribe") :]
    opened = notif.call("GET", path_and_query)
    assert opened.status_code == 200
    assert opened.headers["Content-Type"].startswith("text/html")
    assert "« Factures »" in opened.text
    assert notif.call("GET", "/v1/notification-preferences", family).json()["invoices"]["email"] is True  # unchanged
    # The form as a browser submits it: its action is the page's own address, its fields the hidden ones.
    form = re.search(r'<form method="post" action="([^"]*)">(.*?)</form>', opened.text, re.S)
    assert form is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    done = notif.call("POST", path_and_query if form.group(1) == "" else form.group(1), data=fields)
    assert done.status_code == 200
    assert done.headers["Content-Type"].startswith("text/html")
    assert "vous ne recevrez plus par e-mail les notifications « Factures »" in done.text
    assert "« Mon compte »" in done.text
    assert notif.call("GET", "/v1/notification-preferences", family).json()["invoices"]["email"] is False
    broken = notif.call("GET", path_and_query[:-3] + "AAA")
    assert broken.status_code == 400
    assert "n'est pas valide" in html.unescape(broken.text)
    # In English for whoever chose it on the portal (the `langue` cookie), else whose browser prefers it.
    english = notif.call("GET", path_and_query, headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.text
    assert "Unsubscribe from “Invoices” emails" in english.text
    assert '<html lang="fr">' in notif.call("GET", path_and_query, cookies={"langue": "fr"}).text
