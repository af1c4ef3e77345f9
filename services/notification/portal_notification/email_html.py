"""The HTML part of an email: the same words as its text, paragraph by paragraph, links made clickable and
shown in full (the text part mail clients display is derived from this HTML by apprise, so a link must be
visible text to survive), autoescaped, readable without images or styles."""

from __future__ import annotations

import re

from portal_common import pages

URL = re.compile(r"https?://\S+")
TEMPLATES = pages.templates(__file__)


def parts(line: str) -> list[dict[str, str]]:
    """A line as text and URL pieces."""
    pieces, last = [], 0
    for match in URL.finditer(line):
        pieces += [{"text": line[last : match.start()]}, {"url": match.group()}]
        last = match.end()
    return [*pieces, {"text": line[last:]}]


def render(subject: str, body: str, sender: str) -> str:
    paragraphs = [parts(" ".join(p.splitlines())) for p in re.split(r"\n\s*\n", body) if p.strip()]
    return TEMPLATES.get_template("email.html").render(subject=subject, paragraphs=paragraphs, sender=sender)
