"""Pure logic: type sniffing, file-name sanitising, Content-Disposition."""

import pytest

from portal_document_store.content import content_disposition, safe_filename, sniff


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"<html>", None),
        (b"GIF89a", None),
        (b"", None),
    ],
)
def test_sniff(head, expected):
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C:\\Users\\x\\relevé.pdf", "relevé.pdf"),
        ("line\nbreak\r\n.pdf", "linebreak.pdf"),
        ("tab\there\x00.pdf", "tabhere.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("a" * 500 + ".pdf", "a" * 115 + ".pdf"),
        ("photo.PNG", "photo.pdf"),
        (" .hidden ", "hidden.pdf"),
    ],
)
def test_safe_filename(raw, expected):
    assert safe_filename(raw, "application/pdf") == expected


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition('Relevé "2026"; été.pdf')
    assert header.startswith('attachment; filename="Releve _2026__ ete.pdf"; ')
    assert header.endswith("filename*=UTF-8''Relev%C3%A9%20%222026%22%3B%20%C3%A9t%C3%A9.pdf")
