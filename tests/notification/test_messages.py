"""Every message kind a family receives, through the real consumer to the SMTP and push sinks, with its exact
French text: amounts "1 234,56 €", dates "15 mars 2025", statuses and outcomes in words."""

import re

import pytest
from markupsafe import escape

from portal_common import events
from tests.support.sinks import part_of
from tests.support.wait import wait_for

NBSP, NNBSP = "\u00a0", "\u202f"


def spaced(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ")


KINDS = [
    (
        "dossier.review_completed",
        {"dossier_id": "d1", "outcome": "incomplete"},
        "Votre dossier a été vérifié",
        "La vérification de votre dossier est terminée. Il manque des pièces : consultez votre dossier sur le portail.",
    ),
    (
        "dossier.document_requested",
        {"dossier_id": "d1", "document_label": "Justificatif de domicile", "reason": "Le document fourni a expiré."},
        "Une pièce justificative est demandée",
        "La structure vous demande : Justificatif de domicile. Le document fourni a expiré.",
    ),
    (
        "dossier.quotient_updated",
        {"dossier_id": "d1", "quotient": 1250, "effective_from": "2026-01-01"},
        "Votre quotient familial a été mis à jour",
        f"Votre quotient familial est désormais de 1{NNBSP}250{NBSP}€, à partir du 1er janvier 2026.",
    ),
    (
        "dossier.child_school_updated",
        {"dossier_id": "d1", "child_name": "Léa", "school": "École Jules Ferry", "school_level": "CE1"},
        "Scolarité mise à jour",
        "La scolarité de Léa a été mise à jour : CE1, École Jules Ferry.",
    ),
    (
        "invoice.issued",
        {"invoice_id": "i1", "number": "F-2026-001", "amount_cents": 123456, "due_date": "2026-12-15"},
        "Nouvelle facture disponible",
        f"La facture F-2026-001 de 1{NNBSP}234,56{NBSP}€ est disponible. À régler avant le 15 décembre 2026.",
    ),
    (
        "invoice.payment_status_changed",
        {"invoice_id": "i1", "number": "F-1", "status": "partially_paid", "paid_cents": 4000, "amount_cents": 10000},
        "Paiement de facture mis à jour",
        f"La facture F-1 est maintenant partiellement payée : 40,00{NBSP}€ réglés sur 100,00{NBSP}€.",
    ),
    (
        "invoice.direct_debit_refused",
        {"invoice_id": "i1", "number": "F-1", "amount_cents": 10000, "reason": "Provision insuffisante."},
        "Prélèvement refusé",
        f"Le prélèvement de 100,00{NBSP}€ pour la facture F-1 a été refusé. Provision insuffisante.",
    ),
    (
        "invoice.unpaid_reminder",
        {"invoice_id": "i1", "number": "F-1", "amount_due_cents": 6000, "due_date": "2026-11-30"},
        "Rappel : facture impayée",
        f"La facture F-1 reste à régler : 60,00{NBSP}€, échéance le 30 novembre 2026.",
    ),
    (
        "invoice.online_payment_blocked",
        {"invoice_id": "i1", "number": "F-1", "reason": "Trop de tentatives."},
        "Paiement en ligne bloqué",
        "Le paiement en ligne de la facture F-1 est bloqué. Trop de tentatives.",
    ),
    (
        "statement.certificate_available",
        {"statement_id": "st-2025", "number": "REL-20260105-ABC123", "year": 2025},
        "Votre attestation fiscale 2025 est disponible",
        "Le relevé de vos frais de garde de 2025, à joindre à votre déclaration de revenus, est dans « Mon compte », "
        "rubrique « Relevés » : {public_url}/mes-releves/st-2025",
    ),
    (
        "document.shared",
        {"document_id": "doc1", "title": "Attestation CAF"},
        "Nouveau document de la structure",
        "La structure vous a envoyé un document : Attestation CAF.",
    ),
]


@pytest.mark.parametrize(("event_type", "payload", "subject", "body"), KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_reaches_email_push_and_feed_in_the_words_a_parent_reads(notif, event_type, payload, subject, body):
    body = body.replace("{public_url}", notif.service.config.public_url)  # the statement's deep link
    family = notif.family()
    topic = notif.add_device(family)
    notif.publish(event_type, family["account_id"], **payload)
    [email] = wait_for(lambda: notif.smtp.messages(to=family["email"], subject=subject), timeout=15, what="email")
    # multipart/alternative: an accessible HTML part, and the text part apprise derives from it.
    assert email.get_content_type() == "multipart/alternative"
    html = part_of(email, "text/html")
    assert '<html lang="fr">' in html
    assert f'<h1 style="font-size:20px;margin:0 0 1rem;color:#1d4e89;">{escape(subject)}</h1>' in html
    lines = [line.strip() for line in part_of(email).splitlines() if line.strip()]
    # who writes, what about, the message (apprise's text turns no-break spaces into spaces; the HTML keeps them)
    assert lines[:3] == ["Portail Famille", subject, spaced(body)]
    for piece in re.split(r"https?://\S+", body):  # the words as they are; links as links
        assert str(escape(piece)) in html
    for url in re.findall(r"https?://\S+", body):
        assert f'<a href="{escape(url)}"' in html
    if event_type.startswith("document."):  # documents have no email switch of their own: nothing to unsubscribe from
        assert lines[3:] == []
    else:
        [unsubscribe] = lines[3:]
        assert unsubscribe.startswith("Se désabonner de ces e-mails : http")
        link = unsubscribe.split(" : ", 1)[1]
        assert f'<a href="{escape(link)}"' in html  # a link a parent can tap
    [push] = wait_for(lambda: notif.push.for_topic(topic), timeout=15, what="push")
    assert (push["title"], push["message"]) == (subject, body)
    [entry] = [e for e in notif.feed(family)["items"] if e["type"] == event_type]
    assert (entry["title"], entry["body"]) == (subject, body)
    # what the entry is about, for the portal's deep link: a statement or a document, nothing for an invoice
    expected = {"statement_id": "statement", "document_id": "document"}
    targets = [{"kind": kind, "id": payload[field]} for field, kind in expected.items() if field in payload]
    assert entry["target"] == (targets[0] if targets else None)


@pytest.mark.parametrize(
    ("event_type", "payload", "subject", "body"),
    [
        (
            "account.password_changed",
            {},
            "Votre mot de passe a été modifié",
            "Le mot de passe de votre compte vient d'être modifié. Si ce n'était pas vous, contactez votre structure.",
        ),
        (  # 23:30 UTC on 31 December is already 1 January in France
            "account.deleted",
            {"restorable_until": "2026-12-31T23:30:00Z"},
            "Votre compte a été supprimé",
            "Votre compte a été supprimé. Votre structure peut le restaurer jusqu'au 1er janvier 2027.",
        ),
        (
            "account.restored",
            {"restored_by": "agent-1"},
            "Votre compte a été restauré",
            "Votre structure a restauré votre compte ; vous pouvez de nouveau vous connecter.",
        ),
        (
            "account.contact_email_change_undone",
            {"revoked_session_ids": ["s1"]},
            "Votre adresse e-mail de contact est rétablie",
            "Le changement d'adresse e-mail a été annulé et toutes les connexions à votre compte ont été fermées. Si "
            "vous n'en êtes pas à l'origine, choisissez un nouveau mot de passe depuis « Mot de passe oublié ».",
        ),
    ],
    ids=["password_changed", "deleted", "restored", "contact_email_change_undone"],
)
def test_each_security_message_in_the_words_a_parent_reads(notif, event_type, payload, subject, body):
    family = notif.family()
    if "contact_email" in events.payload_class(event_type).DESCRIPTOR.fields_by_name:
        payload = {**payload, "contact_email": family["email"]}  # else the address notification already knows
    notif.publish(event_type, family["account_id"], **payload)
    [email] = wait_for(lambda: notif.smtp.messages(to=family["email"], subject=subject), timeout=15, what="email")
    lines = [line.strip() for line in part_of(email).splitlines() if line.strip()]
    assert lines == ["Portail Famille", subject, spaced(body)]
