"""Vos documents and Document libre through real HTTP, GridFS on FerretDB and Kafka."""

import hashlib
from urllib.parse import unquote

from tests.document_store.conftest import PDF, PNG
from tests.support.kafka import find_events


def test_structure_sends_a_document_and_the_family_reads_and_downloads_identical_bytes(docs):
    agent, family = docs.agent(), docs.family()
    sent = docs.send_to_family(agent, family, filename="Reçu d'été.pdf", message="Bonne réception")
    assert sent.status_code == 201, sent.text
    document = sent.json()
    assert document["content_type"] == "application/pdf"
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["size"] == len(PDF)
    assert document["unread"] is True
    [event] = find_events(docs.topic, lambda e: e.type == "document.shared" and e.account_id == family["account_id"])
    assert event.document_shared.document_id == document["document_id"]
    assert event.source == "document-store"

    listed = docs.call("GET", "/v1/documents", family).json()["items"]
    assert [d["document_id"] for d in listed] == [document["document_id"]]
    assert listed[0]["unread"] is True

    content = docs.call("GET", f"/v1/documents/{document['document_id']}/content", family)
    assert content.status_code == 200
    assert content.content == PDF
    assert content.headers["Content-Type"] == "application/pdf"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    disposition = content.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Reçu d'été.pdf"
    assert docs.call("GET", "/v1/documents", family).json()["items"][0]["unread"] is False


def test_family_sends_a_free_document_and_its_structure_receives_it(docs):
    family, agent, outsider = docs.family("struct-7"), docs.agent("struct-7"), docs.agent("struct-8")
    sent = docs.send_to_structure(family, comment="Nouvelle adresse")
    assert sent.status_code == 201, sent.text
    document = sent.json()
    assert document["direction"] == "to_structure"
    assert document["message"] == "Nouvelle adresse"
    assert [d["document_id"] for d in docs.call("GET", "/v1/dossier/documents", family).json()["items"]] == [
        document["document_id"]
    ]
    received = docs.call("GET", "/v1/admin/dossier/documents", agent).json()["items"]
    assert document["document_id"] in [d["document_id"] for d in received]
    assert document["document_id"] not in [
        d["document_id"] for d in docs.call("GET", "/v1/admin/dossier/documents", outsider).json()["items"]
    ]
    assert docs.call("GET", f"/v1/documents/{document['document_id']}/content", agent).content == PNG
    find_events(docs.topic, lambda e: e.type == "document.uploaded" and e.account_id == family["account_id"])


def test_list_is_newest_first_and_paginated(docs):
    agent, family = docs.agent(), docs.family()
    ids = [docs.send_to_family(agent, family, title=f"Doc {i}").json()["document_id"] for i in range(3)]
    first = docs.call("GET", "/v1/documents", family, params={"limit": 2}).json()
    second = docs.call("GET", "/v1/documents", family, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [d["document_id"] for d in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


def test_the_structure_can_list_what_it_sent_to_a_family(docs):
    agent, family = docs.agent(), docs.family()
    sent = docs.send_to_family(agent, family).json()
    listed = docs.call("GET", f"/v1/admin/families/{family['account_id']}/documents", agent).json()["items"]
    assert [d["document_id"] for d in listed] == [sent["document_id"]]
