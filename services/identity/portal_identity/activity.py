"""The account's activity history: every event on `account-events`, with a French label.

Identity's own actions reach the history the same way as other services' events: through the topic
(consumer group `identity-activity`, in events_in.py), so there is one path and one order for everything.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database

from portal_common import events
from portal_common.pagination import keyset_page
from portal_common.problems import Problem
from portal_identity.store import ACTIVITY

LABELS = {
    "account.created": "Création du compte",
    "account.activated": "Activation du compte",
    "account.login_succeeded": "Connexion",
    "account.login_failed": "Tentative de connexion échouée",
    "account.logged_out": "Déconnexion",
    "account.session_revoked": "Session fermée",
    "account.password_changed": "Mot de passe modifié",
    "account.password_reset_requested": "Demande de réinitialisation du mot de passe",
    "account.deleted": "Suppression du compte",
    "account.restored": "Restauration du compte par la structure",
    "account.disabled": "Compte désactivé par la structure",
    "account.activation_resent": "Lien d'activation renvoyé par la structure",
    "account.contact_email_change_requested": "Demande de changement d'adresse e-mail",
    "account.contact_email_changed": "Adresse e-mail de contact modifiée",
    "account.contact_email_change_undone": "Changement d'adresse e-mail annulé",
    "dossier.review_completed": "Vérification du dossier terminée",
    "dossier.document_requested": "Nouvelle pièce justificative demandée",
    "dossier.quotient_updated": "Quotient familial mis à jour",
    "dossier.child_school_updated": "Scolarité d'un enfant mise à jour",
    "dossier.updated": "Modification de votre dossier",
    "reservation.created": "Réservation effectuée",
    "reservation.cancelled": "Réservation annulée",
    "invoice.issued": "Nouvelle facture disponible",
    "invoice.payment_status_changed": "Statut de paiement d'une facture modifié",
    "invoice.direct_debit_refused": "Prélèvement refusé",
    "invoice.unpaid_reminder": "Relance pour une facture impayée",
    "invoice.online_payment_blocked": "Paiement en ligne bloqué sur une facture",
    "statement.generated": "Relevé de facturation généré",
    "statement.certificate_available": "Attestation fiscale disponible",
    "document.shared": "Document reçu de la structure",
    "document.uploaded": "Document envoyé à la structure",
    "notification.preferences_changed": "Préférences de notification modifiées",
}
# Payload fields worth showing next to the label (never tokens or secrets).
DETAIL_FIELDS = {
    "account.login_succeeded": ("ip", "user_agent"),
    "account.login_failed": ("ip", "user_agent"),
    "account.session_revoked": ("reason",),
    "account.disabled": ("disabled_by",),
    "reservation.created": ("child_name", "activity", "dates"),
    "reservation.cancelled": ("child_name", "activity", "dates"),
    "invoice.issued": ("number", "amount_cents"),
    "invoice.payment_status_changed": ("number", "status"),
    "invoice.direct_debit_refused": ("number",),
    "invoice.unpaid_reminder": ("number",),
    "invoice.online_payment_blocked": ("number",),
    "statement.generated": ("number", "period_start", "period_end"),
    "statement.certificate_available": ("number", "year"),
    "document.shared": ("title",),
    "document.uploaded": ("title",),
    "dossier.document_requested": ("document_label",),
    "dossier.updated": ("changed",),
    "notification.preferences_changed": ("changed_paths",),
}


# The parts of a dossier the dossier service names in `dossier.updated`, as a family reads them.
DOSSIER_PARTS = {
    "address": "adresse",
    "phone": "téléphone",
    "email": "adresse électronique",
    "family_situation": "situation familiale",
    "children": "enfants",
    "employer": "employeur",
    "health": "informations de santé",
    "authorised_persons": "personnes autorisées à venir chercher les enfants",
}


def entry(event: events.AccountEvent) -> dict[str, Any]:
    payload = events.payload_dict(event)
    if "changed" in payload:  # codes from another service: words, and no code a family would not understand
        payload["changed"] = sorted({DOSSIER_PARTS.get(part, "autre information") for part in payload["changed"]})
    return {
        "_id": event.event_id,
        "account_id": event.account_id,
        "structure_id": event.structure_id,
        "type": event.type,
        "label": LABELS[event.type],
        "source": event.source,
        "occurred_at": events.occurred_at(event),
        "details": {k: payload[k] for k in DETAIL_FIELDS.get(event.type, ()) if k in payload},
    }


# Shown to the account itself only ("where was I signed in from?"): a structure's agents have no purpose for
# a family's addresses and browsers.
OWNER_ONLY_DETAILS = {"ip", "user_agent"}


def entry_view(entry: dict[str, Any], *, for_owner: bool = True) -> dict[str, Any]:
    details = entry.get("details", {})
    return {
        "event_id": entry["_id"],
        "type": entry["type"],
        "label": entry["label"],
        "source": entry["source"],
        "occurred_at": entry["occurred_at"].isoformat(),
        "details": details if for_owner else {k: v for k, v in details.items() if k not in OWNER_ONLY_DETAILS},
    }


def list_activity(
    db: Database, account_id: str, *, limit: int, cursor: str | None, types: list[str], for_owner: bool = True
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paginated on (occurred_at, event id); `for_owner` False: as an agent sees it."""
    unknown = sorted(set(types) - set(LABELS))
    if unknown:
        raise Problem(400, f"Types d'activité inconnus : {', '.join(unknown)}.", slug="unknown-activity-type")
    query: dict[str, Any] = {"account_id": account_id}
    if types:
        query["type"] = {"$in": types}
    page, next_cursor = keyset_page(db[ACTIVITY], query, time_field="occurred_at", limit=limit, cursor=cursor)
    return [entry_view(e, for_owner=for_owner) for e in page], next_cursor


def purge_old(db: Database, retention_days: int, now: datetime | None = None) -> int:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    return db[ACTIVITY].delete_many({"occurred_at": {"$lt": cutoff}}).deleted_count
