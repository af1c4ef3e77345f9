"""Page numbers ("page 2 / 3") stamped at the foot of every page of a rendered PDF.

Debian's wkhtmltopdf is built without its patched Qt, so it has no header or footer options and WebKit has no
page counters: the numbers are drawn afterwards, in the bottom margin, with a standard PDF font (Helvetica,
which every reader has, so nothing is embedded).
"""

from __future__ import annotations

from io import BytesIO

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

FONT_SIZE = 9  # points: the smallest body size a statement uses
BOTTOM = 18  # points from the bottom edge: inside the 12 mm margin
# Helvetica's advance widths (thousandths of the font size) for the characters a page number uses.
WIDTHS = {**dict.fromkeys("pageé0123456789", 556), " ": 278, "/": 278}
FONT = DictionaryObject(
    {
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    }
)


def label(number: int, count: int) -> str:
    return f"page {number} / {count}"


def overlay(width: float, height: float, text: str) -> PageObject:
    page = PageObject.create_blank_page(width=width, height=height)
    text_width = sum(WIDTHS[c] for c in text) * FONT_SIZE / 1000
    stream = DecodedStreamObject()
    x = (width - text_width) / 2
    stream.set_data(f"BT /PortalPage {FONT_SIZE} Tf {x:.2f} {BOTTOM} Td ({text}) Tj ET".encode("ascii"))
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/PortalPage"): FONT})}
    )
    page[NameObject("/Contents")] = stream
    return page


def numbered(pdf: bytes) -> bytes:
    """The same document with "page x / y" centred at the foot of each page."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    count = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        box = page.mediabox
        page.merge_page(overlay(float(box.width), float(box.height), label(number, count)))
        page.compress_content_streams()  # merging decoded them: without this the file grows fivefold
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
