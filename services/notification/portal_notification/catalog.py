"""Which events notify whom, in which category, with which French text.

Templates are plain text filled with `str.format_map` from payload fields only (no expressions),
and every value is stripped of line breaks so no field can forge an email header or a new line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DOSSIER, INVOICES, DOCUMENTS, SECURITY = "dossier", "invoices", "documents", "security"


@dataclass(frozen=True)
class Kind:
    category: str
    preference: str | None  # the switch inside the category; None: no per-kind switch
    subject: str
    body: str
    link_path: str | None = None  # the portal page of a security link ({link}, issued at send time)
    to: str = "contact_email"  # a security message's address: this payload field (else the known contact email)


CATALOG: dict[str, Kind] = {
    "dossier.review_completed": Kind(
        DOSSIER,
        "review_completed",
        "Votre dossier a été vérifié",
        "La vérification de votre dossier est terminée. {outcome}",
    ),
    "dossier.document_requested": Kind(
        DOSSIER,
        "document_requested",
        "Une pièce justificative est demandée",
        "La structure vous demande : {document_label}. {reason}",
    ),
    "dossier.quotient_updated": Kind(
        DOSSIER,
        "quotient_updated",
        "Votre quotient familial a été mis à jour",
        "Votre quotient familial est désormais de {quotient}, à partir du {effective_from}.",
    ),
    "dossier.child_school_updated": Kind(
        DOSSIER,
        "child_school_updated",
        "Scolarité mise à jour",
        "La scolarité de {child_name} a été mise à jour : {school_level}, {school}.",
    ),
    "invoice.issued": Kind(
        INVOICES,
        "issued",
        "Nouvelle facture disponible",
        "La facture {number} de {amount} est disponible. À régler avant le {due_date}.",
    ),
    "invoice.payment_status_changed": Kind(
        INVOICES,
        "payment_status_changed",
        "Paiement de facture mis à jour",
        "La facture {number} est maintenant {status} : {paid} réglés sur {amount}.",
    ),
    "invoice.direct_debit_refused": Kind(
        INVOICES,
        "direct_debit_refused",
        "Prélèvement refusé",
        "Le prélèvement de {amount} pour la facture {number} a été refusé. {reason}",
    ),
    "invoice.unpaid_reminder": Kind(
        INVOICES,
        "unpaid_reminder",
        "Rappel : facture impayée",
        "La facture {number} reste à régler : {amount_due}, échéance le {due_date}.",
    ),
    "invoice.online_payment_blocked": Kind(
        INVOICES,
        "online_payment_blocked",
        "Paiement en ligne bloqué",
        "Le paiement en ligne de la facture {number} est bloqué. {reason}",
    ),
    "statement.certificate_available": Kind(
        INVOICES,
        None,
        "Votre attestation fiscale {year} est disponible",
        "Le relevé de vos frais de garde de {year}, à joindre à votre déclaration de revenus, est dans « Mon compte », "
        "rubrique « Relevés » : {statement_url}",
    ),
    "document.shared": Kind(
        DOCUMENTS, None, "Nouveau document de la structure", "La structure vous a envoyé un document : {title}."
    ),
    # Security messages: not optional, by email whatever the settings.
    "account.created": Kind(
        SECURITY,
        None,
        "Activez votre compte du portail famille",
        "Un compte a été créé pour vous. Choisissez votre mot de passe : {link}",
        link_path="/activation",
    ),
    "account.activation_resent": Kind(
        SECURITY,
        None,
        "Activez votre compte du portail famille",
        "Votre structure vous envoie un nouveau lien pour activer votre compte (le précédent ne fonctionne plus). "
        "Choisissez votre mot de passe : {link}",
        link_path="/activation",
    ),
    "account.password_reset_requested": Kind(
        SECURITY,
        None,
        "Réinitialisation de votre mot de passe",
        "Pour choisir un nouveau mot de passe : {link}\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.",
        link_path="/mot-de-passe/nouveau",
    ),
    "account.contact_email_change_requested": Kind(
        SECURITY,
        None,
        "Confirmez votre nouvelle adresse e-mail",
        "Vous avez demandé que le portail famille vous écrive à cette adresse. Pour la confirmer, ouvrez ce lien "
        "avant le {expires_at} : {link}\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne change.",
        link_path="/adresse-email/confirmer",
        to="new_contact_email",
    ),
    "account.contact_email_changed": Kind(
        SECURITY,
        None,
        "Votre adresse e-mail de contact a été modifiée",
        "Le portail famille vous écrira désormais à {contact_email}. Si vous n'êtes pas à l'origine de ce "
        "changement, rétablissez votre adresse avant le {undo_expires_at} : {link}",
        link_path="/adresse-email/annuler",
        to="previous_contact_email",
    ),
    "account.contact_email_change_undone": Kind(
        SECURITY,
        None,
        "Votre adresse e-mail de contact est rétablie",
        "Le changement d'adresse e-mail a été annulé et toutes les connexions à votre compte ont été fermées. Si "
        "vous n'en êtes pas à l'origine, choisissez un nouveau mot de passe depuis « Mot de passe oublié ».",
    ),
    "account.password_changed": Kind(
        SECURITY,
        None,
        "Votre mot de passe a été modifié",
        "Le mot de passe de votre compte vient d'être modifié. Si ce n'était pas vous, contactez votre structure.",
    ),
    "account.deleted": Kind(
        SECURITY,
        None,
        "Votre compte a été supprimé",
        "Votre compte a été supprimé. Votre structure peut le restaurer jusqu'au {restorable_until}.",
    ),
    "account.restored": Kind(
        SECURITY,
        None,
        "Votre compte a été restauré",
        "Votre structure a restauré votre compte ; vous pouvez de nouveau vous connecter.",
    ),
}


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(kind: Kind, fields: dict[str, Any]) -> tuple[str, str]:
    # Line breaks go (no field forges a header or a line); no-break spaces stay ("42,00 €" never wraps).
    clean = _Fields(
        {
            k: " ".join(str(v).splitlines()) if not isinstance(v, list) else ", ".join(map(str, v))
            for k, v in fields.items()
        }
    )
    return kind.subject.format_map(clean), " ".join(kind.body.format_map(clean).split(" ")).strip()
