"""What a file is (from its bytes, never from its name or the client's word) and how to name it safely."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
SNIFF_BYTES = 8
MAX_FILENAME = 120


def sniff(head: bytes) -> str | None:
    """The content type announced by the first bytes, or None when not one we know."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def safe_filename(raw: str | None, content_type: str) -> str:
    """Last path component only, no control characters, extension matching the real content."""
    name = (raw or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[: MAX_FILENAME - 5].strip(" .") or "document"
    return stem + EXTENSIONS[content_type]


def content_disposition(filename: str) -> str:
    """RFC 6266 attachment with an ASCII fallback and the UTF-8 name (RFC 5987) for accents."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'["\\;]', "_", ascii_name) or "document"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
