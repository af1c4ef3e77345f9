"""End-to-end journeys through the gateway, every process real (issue 8, journeys 1-7)."""

import hashlib
import html
import os
import re
import subprocess
import time
import uuid
from urllib.parse import urljoin

import pytest
import requests

from deploy.local.topology import kafka_environment
from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.support.env import MAILDIR
from tests.support.sinks import SmtpSink, part_of
from tests.support.wait import wait_for

PASSWORD = "une phrase de passe solide"
NEW_PASSWORD = "une autre phrase de passe"
RUN = uuid.uuid4().hex[:6]
STRUCTURE = f"mairie-{RUN}"
FAMILY_LOGIN = f"parent.{RUN}@example.fr"
AGENT_LOGIN = f"agent.{RUN}@mairie.fr"
PDF = b"%PDF-1.4\n" + b"attestation " * 2000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20

pytestmark = pytest.mark.slow
mail = SmtpSink(MAILDIR)  # the stack's SMTP sink, where `make up` sends mail


def mails(subject: str) -> list:
    return mail.messages(to=FAMILY_LOGIN, subject=subject)


def body(message) -> str:
    return part_of(message)


@pytest.fixture(scope="module")
def state():
    return {}


def login(platform, who: str, password: str) -> dict:
    response = platform.call("POST", "/v1/auth/login", json={"login": who, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def follow_link(message) -> requests.Response:
    """The first link of the email's HTML part, opened as a browser would."""
    link = html.unescape(re.search(r'<a href="([^"]+)"', part_of(message, "text/html")).group(1))
    page = requests.get(link, timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    return page


def submit(page: requests.Response, **typed: str) -> requests.Response:
    """The page's form as a browser posts it: its hidden fields, what the parent typed, to its action."""
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page.text, re.S)
    assert form is not None, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    fields = {name: html.unescape(value) for name, value in hidden.items()} | typed
    return requests.post(urljoin(page.url, html.unescape(form.group(1))), data=fields, timeout=10)


def field_error(page: requests.Response, field: str) -> str:
    """The message shown next to a field (its error paragraph, which the field points to)."""
    assert f'aria-describedby="{field}-error"' in page.text or f"{field}-hint {field}-error" in page.text
    return html.unescape(re.search(rf'<p class="error" id="{field}-error"[^>]*>([^<]+)</p>', page.text).group(1))


def test_1_agent_creates_a_family_which_activates_and_logs_in(platform, state):
    # The structure's record, which its invoicing system keeps in billing: notification names it in emails.
    with platform.invoicing_channel() as channel:
        billing_pb2_grpc.BillingServiceStub(channel).SetStructure(
            billing_pb2.Structure(
                structure_id=STRUCTURE,
                name=f"Ville de Montreuil {RUN}",
                address="Place Jean Jaurès",
                postal_code="93100",
                city="Montreuil",
                siret="21750001600019",
            ),
            timeout=10,
        )
    token = platform.create_agent(STRUCTURE, AGENT_LOGIN)
    assert platform.call("POST", "/v1/auth/activate", json={"token": token, "password": PASSWORD}).status_code == 204
    state["agent"] = login(platform, AGENT_LOGIN, PASSWORD)["access_token"]
    created = platform.call(
        "POST", "/v1/admin/accounts", state["agent"], json={"login": FAMILY_LOGIN, "display_name": "Famille Bernard"}
    )
    assert created.status_code == 201, created.text
    state["family_id"] = created.json()["account_id"]
    [activation] = wait_for(
        lambda: mails("Activez votre compte du portail famille"), timeout=20, what="activation email"
    )
    # The parent taps the link in the email: a page through the gateway, a form, as a browser without JavaScript.
    page = follow_link(activation)
    assert "Activez votre compte" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    mismatch = submit(page, password=PASSWORD, confirmation=PASSWORD + "x")
    assert mismatch.status_code == 422
    assert "Les deux mots de passe sont différents." in field_error(mismatch, "confirmation")
    common = submit(mismatch, password="password1234", confirmation="password1234")  # the form again, link still good
    assert "mots de passe les plus répandus" in field_error(common, "password")
    done = submit(common, password=PASSWORD, confirmation=PASSWORD)
    assert done.status_code == 200, done.text
    assert "Votre compte est activé." in done.text
    again = submit(common, password=PASSWORD, confirmation=PASSWORD)  # the link serves once
    assert again.status_code == 400
    assert "invalide ou a expiré" in again.text
    state["session"] = login(platform, FAMILY_LOGIN, PASSWORD)
    state["token"] = state["session"]["access_token"]


def test_2_mon_compte_and_preferences(platform, state):
    me = platform.call("GET", "/v1/account", state["token"]).json()
    assert me["login"] == FAMILY_LOGIN
    assert me["login_modifiable"] is False
    wait_for(
        lambda: platform.call("GET", "/v1/notification-preferences", state["token"]).status_code == 200,
        what="preferences ready",
    )
    prefs = platform.call(
        "PATCH",
        "/v1/notification-preferences",
        state["token"],
        json={
            "email_enabled": True,
            "push_enabled": True,
            "invoices": {"enabled": True},
            "dossier": {"enabled": False},
        },
    )
    assert prefs.status_code == 200, prefs.text
    device = platform.call(
        "POST", "/v1/push-devices", state["token"], json={"kind": "ntfy", "target": f"famille-{RUN}"}
    )
    assert device.status_code == 201


def test_3_an_invoice_notifies_and_a_dossier_event_only_reaches_the_feed(platform, state):
    platform.record_invoice(
        STRUCTURE,
        state["family_id"],
        external_id=f"inv-{RUN}",
        number=f"F-{RUN}",
        child="Nina Bernard",
        issue_date="2026-01-31",
        amount_cents=42_000,
    )
    with platform.invoicing_channel() as channel:
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        stub.RecordPayment(
            billing_pb2.RecordPaymentRequest(
                external_id=f"pay-{RUN}",
                structure_id=STRUCTURE,
                invoice_external_id=f"inv-{RUN}",
                paid_on="2026-02-10",
                amount_cents=42_000,
                method=billing_pb2.PAYMENT_METHOD_CARD,
            ),
            timeout=10,
        )
    [invoice_mail] = wait_for(lambda: mails("Nouvelle facture disponible"), timeout=20, what="invoice email")
    # Headed with the family's structure, which notification asked billing for over gRPC.
    assert body(invoice_mail).strip().splitlines()[0] == f"Ville de Montreuil {RUN}"
    wait_for(lambda: platform.push.for_topic(f"famille-{RUN}"), timeout=20, what="invoice push")
    subprocess.run(
        [
            *_cli(platform),
            "publish",
            "dossier.review_completed",
            "--account",
            state["family_id"],
            "--structure",
            STRUCTURE,
            "--set",
            "outcome=validé",
        ],
        check=True,
        timeout=60,
        env=os.environ | kafka_environment(platform.kafka_as("dossier")),  # as the dossier service
    )
    feed = wait_for(
        lambda: (lambda f: f if {"invoice.issued", "dossier.review_completed"} <= {i["type"] for i in f} else None)(
            platform.call("GET", "/v1/notifications", state["token"]).json()["items"]
        ),
        timeout=20,
        what="both in the feed",
    )
    assert feed
    time.sleep(1)
    assert mails("Votre dossier a été vérifié") == []  # category off: nothing sent
    assert all(p.get("title") != "Votre dossier a été vérifié" for p in platform.push.for_topic(f"famille-{RUN}"))
    activity = wait_for(
        lambda: (
            {
                i["type"]
                for i in platform.call("GET", "/v1/account/activity", state["token"], params={"limit": 100}).json()[
                    "items"
                ]
            }
            >= {"invoice.issued", "dossier.review_completed"}
        ),
        timeout=20,
        what="activity history",
    )
    assert activity


def _cli(platform) -> list[str]:
    import sys

    return [
        sys.executable,
        "-m",
        "portal_common.events_cli",
        "--bootstrap",
        platform.kafka_bootstrap,
        "--topic",
        platform.events_topic,
    ]


def test_4_a_statement_for_the_year(platform, state):
    created = platform.call(
        "POST", "/v1/statements", state["token"], json={"period_start": "2026-01-01", "period_end": "2026-11-25"}
    )
    assert created.status_code == 201, created.text
    pdf = platform.call("GET", f"/v1/statements/{created.json()['statement_id']}/pdf", state["token"])
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "420,00" in text
    assert "7GA" in text
    assert "Nina Bernard" in text


def test_5_documents_both_ways(platform, state):
    sent = platform.call(
        "POST",
        f"/v1/admin/families/{state['family_id']}/documents",
        state["agent"],
        files={"file": ("attestation.pdf", PDF)},
        data={"title": "Attestation CAF"},
    )
    assert sent.status_code == 201, sent.text
    wait_for(
        lambda: any(
            i["type"] == "document.shared"
            for i in platform.call("GET", "/v1/notifications", state["token"]).json()["items"]
        ),
        timeout=20,
        what="family notified of the document",
    )
    listed = platform.call("GET", "/v1/documents", state["token"]).json()["items"]
    assert [d["title"] for d in listed] == ["Attestation CAF"]
    content = platform.call("GET", f"/v1/documents/{listed[0]['document_id']}/content", state["token"]).content
    assert hashlib.sha256(content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    free = platform.call(
        "POST",
        "/v1/dossier/documents",
        state["token"],
        files={"file": ("domicile.png", PNG)},
        data={"title": "Justificatif de domicile"},
    )
    assert free.status_code == 201
    received = platform.call("GET", "/v1/admin/dossier/documents", state["agent"]).json()["items"]
    assert "Justificatif de domicile" in [d["title"] for d in received]
    state["document_id"] = listed[0]["document_id"]


def test_6_password_change_ends_the_other_session_everywhere(platform, state):
    other = login(platform, FAMILY_LOGIN, PASSWORD)["access_token"]
    changed = platform.call(
        "PUT", "/v1/account/password", state["token"], json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 200
    assert platform.call("GET", "/v1/account", other).status_code == 401
    for path in ("/v1/documents", "/v1/notifications", "/v1/statements"):
        wait_for(lambda p=path: platform.call("GET", p, other).status_code == 401, timeout=5, what=f"{path} refuses")
        assert platform.call("GET", path, state["token"]).status_code == 200  # this session was kept
    wait_for(lambda: mails("Votre mot de passe a été modifié"), timeout=20, what="password email")


def test_7_deletion_is_everywhere_within_2s_and_the_structure_restores(platform, state):
    old = state["token"]
    deleted = platform.call("DELETE", "/v1/account", old, json={"password": NEW_PASSWORD})
    assert deleted.status_code == 200
    started = time.monotonic()
    for path in ("/v1/account", "/v1/documents", "/v1/notifications", "/v1/statements", "/v1/invoices"):
        wait_for(
            lambda p=path: platform.call("GET", p, old).status_code == 401,
            timeout=2,
            interval=0.05,
            what=f"{path} refuses the deleted account's token",
        )
    assert time.monotonic() - started < 2.5
    assert (
        platform.call("POST", "/v1/auth/login", json={"login": FAMILY_LOGIN, "password": NEW_PASSWORD}).status_code
        == 401
    )
    wait_for(lambda: mails("Votre compte a été supprimé"), timeout=20, what="deletion confirmation")

    restored = platform.call("POST", f"/v1/admin/accounts/{state['family_id']}/restore", state["agent"])
    assert restored.status_code == 200, restored.text
    again = login(platform, FAMILY_LOGIN, NEW_PASSWORD)["access_token"]
    # The history is read from the topic: the deletion reaches it within about half a second.
    wait_for(
        lambda: (
            {
                i["type"]
                for i in platform.call("GET", "/v1/account/activity", again, params={"limit": 100}).json()["items"]
            }
            >= {"account.created", "invoice.issued", "account.deleted", "account.restored"}
        ),
        timeout=10,
        what="the deletion and the restore in the history",
    )
    wait_for(
        lambda: platform.call("GET", "/v1/documents", again).status_code == 200,
        timeout=10,
        what="documents back after restore",
    )
    assert [d["title"] for d in platform.call("GET", "/v1/documents", again).json()["items"]] == ["Attestation CAF"]


def test_8_a_forgotten_password_is_chosen_again_through_the_emailed_link(platform, state):
    asked = platform.call("POST", "/v1/auth/password-reset", json={"login": FAMILY_LOGIN})
    assert asked.status_code == 202
    [email] = wait_for(lambda: mails("Réinitialisation de votre mot de passe"), timeout=20, what="reset email")
    page = follow_link(email)
    assert "Choisissez un nouveau mot de passe" in page.text
    short = submit(page, password="court", confirmation="court")
    assert short.status_code == 422
    assert "entre 12 et" in field_error(short, "password")
    done = submit(short, password="encore une phrase de passe", confirmation="encore une phrase de passe")
    assert done.status_code == 200, done.text
    assert "Votre mot de passe est modifié" in done.text
    login(platform, FAMILY_LOGIN, "encore une phrase de passe")
    refused = platform.call("POST", "/v1/auth/login", json={"login": FAMILY_LOGIN, "password": NEW_PASSWORD})
    assert refused.status_code == 401


def test_9_the_contact_email_changes_only_once_confirmed_and_the_old_address_can_undo_it(platform, state):
    """#21: a verification link to the new address, then a notice with an undo link to the old one for 7 days;
    the login identifier never changes. Both links are followed from the received emails as a browser would."""
    password = "encore une phrase de passe"  # chosen in journey 8
    new_address = f"nouvelle.{RUN}@example.org"
    session = login(platform, FAMILY_LOGIN, password)
    token = session["access_token"]

    def change(address: str, typed: str = password) -> requests.Response:
        return platform.call(
            "PUT", "/v1/account/contact-email", token, json={"contact_email": address, "password": typed}
        )

    refused = change(new_address, "pas le bon mot de passe")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Le mot de passe actuel est incorrect."
    invalid = change("pas une adresse")
    assert (invalid.status_code, invalid.json()["fields"]) == (422, ["contact_email"])
    assert change(FAMILY_LOGIN).json()["detail"] == "C'est déjà votre adresse e-mail de contact."
    asked = change(new_address)
    assert asked.status_code == 202, asked.text
    assert new_address in asked.json()["message"]
    me = platform.call("GET", "/v1/account", token).json()
    assert (me["contact_email"], me["pending_contact_email"]["contact_email"]) == (FAMILY_LOGIN, new_address)

    [confirmation] = wait_for(
        lambda: mail.messages(to=new_address, subject="Confirmez votre nouvelle adresse e-mail"),
        timeout=20,
        what="confirmation email to the new address",
    )
    text = " ".join(body(confirmation).split())
    assert "Vous avez demandé que le portail famille vous écrive à cette adresse. Pour la confirmer, ouvrez ce " in text
    page = follow_link(confirmation)
    assert "Confirmez votre nouvelle adresse e-mail" in page.text
    # Opening the link changed nothing (a mail scanner follows links too): the button does.
    assert platform.call("GET", "/v1/account", token).json()["contact_email"] == FAMILY_LOGIN
    done = submit(page)
    assert done.status_code == 200, done.text
    assert "Votre nouvelle adresse e-mail est enregistrée." in done.text
    assert submit(page).status_code == 400  # the link serves once
    me = platform.call("GET", "/v1/account", token).json()
    assert (me["login"], me["contact_email"], me["pending_contact_email"]) == (FAMILY_LOGIN, new_address, None)

    [notice] = wait_for(
        lambda: mails("Votre adresse e-mail de contact a été modifiée"), timeout=20, what="notice to the old address"
    )
    assert f"Le portail famille vous écrira désormais à {new_address}. Si vous n'êtes pas à l'origine" in " ".join(
        body(notice).split()
    )
    blocked = change(f"troisieme.{RUN}@example.org")  # the undo belongs to the old address for 7 days
    assert blocked.status_code == 409
    assert "peut encore être annulé depuis l'ancienne adresse jusqu'au" in blocked.json()["detail"]

    undo_page = follow_link(notice)
    assert "Annulez le changement d'adresse e-mail" in html.unescape(undo_page.text)
    undone = submit(undo_page)
    assert undone.status_code == 200, undone.text
    assert "Votre adresse e-mail est rétablie et toutes les connexions à votre compte sont fermées." in html.unescape(
        undone.text
    )
    # Whoever made the change is signed out, in every service.
    for path in ("/v1/account", "/v1/notifications", "/v1/documents"):
        wait_for(lambda p=path: platform.call("GET", p, token).status_code == 401, timeout=5, what=f"{path} refuses")
    again = login(platform, FAMILY_LOGIN, password)["access_token"]
    assert platform.call("GET", "/v1/account", again).json()["contact_email"] == FAMILY_LOGIN
    wait_for(lambda: mails("Votre adresse e-mail de contact est rétablie"), timeout=20, what="undo confirmation")
    labels = wait_for(
        lambda: (lambda items: items if "account.contact_email_change_undone" in {i["type"] for i in items} else None)(
            platform.call("GET", "/v1/account/activity", again, params={"limit": 100}).json()["items"]
        ),
        timeout=10,
        what="the change in the history",
    )
    assert {"Demande de changement d'adresse e-mail", "Adresse e-mail de contact modifiée"} <= {
        i["label"] for i in labels
    }
