"""Bad uploads are refused clearly and leave no orphan chunks in GridFS."""

import socket
from urllib.parse import urlparse

import pytest

from tests.document_store.conftest import MAX_UPLOAD, PDF, PNG
from tests.support.wait import wait_for


def no_new_chunks(docs, before: int) -> bool:
    return docs.chunk_count() == before


def test_empty_file(docs):
    before = docs.chunk_count()
    response = docs.send_to_family(docs.agent(), docs.family(), content=b"")
    assert response.status_code == 422
    assert response.json()["type"].endswith("empty-file")
    assert no_new_chunks(docs, before)


def test_a_file_one_byte_over_the_limit_is_413_and_leaves_no_chunks(docs):
    agent, family = docs.agent(), docs.family()
    before = docs.chunk_count()
    exact = b"%PDF-" + b"x" * (MAX_UPLOAD - 5)
    assert docs.send_to_family(agent, family, content=exact).status_code == 201
    before = docs.chunk_count()
    response = docs.send_to_family(agent, family, content=exact + b"x")
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    wait_for(lambda: no_new_chunks(docs, before), what="the aborted upload's chunks removed")


def test_a_body_far_over_the_limit_is_refused_from_its_content_length(docs):
    response = docs.send_to_family(docs.agent(), docs.family(), content=b"%PDF-" + b"x" * (4 * MAX_UPLOAD))
    assert response.status_code == 413


def test_type_comes_from_the_bytes_not_the_name(docs):
    agent, family = docs.agent(), docs.family()
    png_as_pdf = docs.send_to_family(agent, family, content=PNG, filename="photo.pdf")
    assert png_as_pdf.status_code == 201
    assert png_as_pdf.json()["content_type"] == "image/png"
    assert png_as_pdf.json()["filename"] == "photo.png"
    before = docs.chunk_count()
    html = b"<html><script>alert(document.cookie)</script></html>" * 10
    html_as_pdf = docs.send_to_family(agent, family, content=html, filename="facture.pdf")
    assert html_as_pdf.status_code == 415
    assert no_new_chunks(docs, before)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:/Users/x/relevé.pdf", "relevé.pdf"),
        # clients percent-encode line breaks in multipart file names (HTML5): harmless text by then
        ("line\nbreak.pdf", "line%0Abreak.pdf"),
        ("", "document.pdf"),
        ("....", "document.pdf"),
    ],
)
def test_file_names_are_sanitised(docs, raw, expected):
    response = docs.send_to_family(docs.agent(), docs.family(), filename=raw)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == expected


def test_a_huge_title_is_refused_and_its_file_discarded(docs):
    before = docs.chunk_count()
    response = docs.send_to_family(docs.agent(), docs.family(), title="T" * 10_000)
    assert response.status_code == 422
    wait_for(lambda: no_new_chunks(docs, before), what="chunks of the refused upload removed")


def test_two_uploads_of_the_same_bytes_are_two_documents(docs):
    family = docs.family()
    first, second = docs.send_to_structure(family).json(), docs.send_to_structure(family).json()
    assert first["document_id"] != second["document_id"]
    assert first["sha256"] == second["sha256"]


def test_wrong_shapes_of_request(docs):
    agent, family = docs.agent(), docs.family()
    path = f"/v1/admin/families/{family['account_id']}/documents"
    assert docs.call("POST", path, agent, json={"title": "x"}).status_code == 415
    two = docs.call(
        "POST",
        path,
        agent,
        data={"title": "x"},
        files=[("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.pdf", PDF, "application/pdf"))],
    )
    assert two.status_code == 422
    unknown = docs.call("POST", path, agent, data={"title": "x", "admin": "1"}, files={"file": ("a.pdf", PDF)})
    assert unknown.status_code == 422
    no_title = docs.call("POST", path, agent, files={"file": ("a.pdf", PDF)})
    assert no_title.status_code == 422
    twice = docs.call("POST", path, agent, data=[("title", "A"), ("title", "B")], files={"file": ("a.pdf", PDF)})
    assert twice.status_code == 422
    assert twice.json()["fields"] == ["title"]
    assert docs.call("GET", path, agent).json()["items"] == []  # nothing of the refused requests was kept


def test_a_multipart_body_cut_in_the_middle_leaves_nothing(docs):
    agent, family = docs.agent(), docs.family()
    boundary = "cut-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nCoupé\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    body = head + PDF[: len(PDF) // 2]  # no end of part, no closing boundary
    before = docs.chunk_count()
    url = urlparse(docs.url)
    request = (
        f"POST /v1/admin/families/{family['account_id']}/documents HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Bearer {agent['token']}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection((url.hostname, url.port), timeout=30) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.split(b" ")[1] == b"400", answer[:300]
    assert b"application/problem+json" in answer
    wait_for(lambda: no_new_chunks(docs, before), what="no chunks left by the cut upload")
    assert docs.call("GET", "/v1/documents", family).json()["items"] == []
