"""Billing's collections, their indexes, and which of them carry outbox events."""

from __future__ import annotations

from portal_common import mongo
from portal_common.accounts import ACCOUNTS

INVOICES, PAYMENTS, ACTIONS = "invoices", "payments", "ledger_actions"
STATEMENTS = "statements"
PDFS = "statement_pdfs"  # the PDF bytes apart: listing or relaying a statement never reads them
# Keys -> statement, always read by _id (the one lookup FerretDB does not answer by decoding the whole
# collection): (family, period, ledger version, names) answers a repeat without reading the ledger;
# (family, content hash) finds the stored PDF when the ledger changed elsewhere.
REQUESTS = "statement_requests"
QUOTAS = "statement_quotas"  # per family (by account id): when its recent statements were made, which it keeps
CERTIFICATES = "yearly_certificates"  # "{year}:{account}": the yearly certificate's claim, then done (certificates)
STRUCTURES = "structures"  # by structure id: what its statements print (name, address, SIRET, contact)

INDEXES: list[mongo.IndexSpec] = [
    (INVOICES, [("account_id", 1), ("issue_date", -1)], {"name": "by_family"}),
    (PAYMENTS, [("invoice", 1)], {"name": "by_invoice"}),
    (STATEMENTS, [("account_id", 1), ("created_at", -1)], {"name": "by_family"}),
    (PDFS, [("account_id", 1)], {"name": "by_family"}),
    (REQUESTS, [("account_id", 1)], {"name": "by_family"}),
]
OUTBOX_COLLECTIONS = [INVOICES, PAYMENTS, ACTIONS, STATEMENTS, CERTIFICATES]
__all__ = [
    "ACCOUNTS",
    "ACTIONS",
    "INDEXES",
    "INVOICES",
    "OUTBOX_COLLECTIONS",
    "PAYMENTS",
    "PDFS",
    "QUOTAS",
    "REQUESTS",
    "STRUCTURES",
]
