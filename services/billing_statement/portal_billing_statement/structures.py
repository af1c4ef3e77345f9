"""The structure record printed on its families' statements: name, address, SIRET and contact, kept by billing
and fed by the structure's invoicing system over gRPC (`SetStructure`)."""

from __future__ import annotations

import re
from typing import Any

from pymongo.database import Database

from portal_billing_statement.ledger import text
from portal_billing_statement.store import STRUCTURES
from portal_common.bodies import check_text
from portal_common.problems import Problem

POSTAL_CODE = re.compile(r"\d{5}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def valid_siret(siret: str) -> bool:
    """14 digits whose Luhn sum is a multiple of 10 (INSEE's key; La Poste's establishments, which use another
    one, are not the structures of a portail famille)."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    total = 0
    for index, digit in enumerate(int(c) for c in reversed(siret)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def validate(request: dict[str, Any]) -> dict[str, Any]:
    siret = re.sub(r"\s", "", request.get("siret", ""))
    if not valid_siret(siret):
        raise Problem(422, "siret doit être un numéro SIRET valide (14 chiffres).", fields=["siret"])
    postal_code = request.get("postal_code", "")
    if not POSTAL_CODE.fullmatch(postal_code):
        raise Problem(422, "postal_code doit être un code postal à 5 chiffres.", fields=["postal_code"])
    email = request.get("email", "")
    if email and not EMAIL.fullmatch(email):
        raise Problem(422, "email doit être une adresse électronique.", fields=["email"])
    return {
        "name": text(request.get("name", ""), "name", 200),
        "address": text(request.get("address", ""), "address", 300),
        "postal_code": postal_code,
        "city": text(request.get("city", ""), "city", 100),
        "siret": siret,
        "email": email,
        "phone": check_text(request.get("phone", ""), "phone", max_length=30, required=False),
    }


def set_structure(db: Database, structure_id: str, request: dict[str, Any]) -> dict[str, Any]:
    """Replace the record (the invoicing system sends it whole); statements made afterwards print it."""
    structure_id = text(structure_id, "structure_id", 100)
    record = validate(request)
    db[STRUCTURES].replace_one({"_id": structure_id}, record, upsert=True)
    return {"structure_id": structure_id, **record}


def find(db: Database, structure_id: str) -> dict[str, Any] | None:
    found = db[STRUCTURES].find_one({"_id": structure_id})
    if found is None:
        return None
    found.pop("_id")
    return found
