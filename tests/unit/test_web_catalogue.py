"""The web pages speak French first and English too: every text the pages and views mark for translation has its
English text, with the same placeholders, and the compiled catalogue the service loads is the one in git."""

from __future__ import annotations

import re
from configparser import ConfigParser
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "services" / "web"
CATALOGUE = WEB / "portal_web" / "translations" / "en" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def marked_texts() -> set[str | tuple[str, ...]]:
    """What `make translations` extracts, read with the same map (babel.cfg) and keywords."""
    config = ConfigParser()
    config.read(WEB / "babel.cfg")
    method_map = [(section.split(":", 1)[1].strip(), section.split(":", 1)[0]) for section in config.sections()]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None}
    found = extract_from_dir(str(WEB), method_map, keywords=keywords)
    return {as_key(message) for _, _, message, _, _ in found}


def as_key(text: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    return text if isinstance(text, str) else tuple(text)  # a plural: its forms (a list in a .mo)


def english() -> dict[str | tuple[str, ...], str | tuple[str, ...]]:
    with open(CATALOGUE / "messages.po", "rb") as po:
        return {as_key(m.id): as_key(m.string) for m in read_po(po) if m.id}


def test_every_text_of_the_pages_has_its_english_text_with_the_same_placeholders():
    catalogue = english()
    missing = sorted(str(text) for text in marked_texts() if not catalogue.get(text))
    assert missing == [], "run make translations, then translate these"
    for source, target in catalogue.items():
        sources = source if isinstance(source, tuple) else (source,)
        targets = target if isinstance(target, tuple) else (target,)
        assert all(targets), source
        for text in targets:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(sources[-1])), source


def test_the_compiled_catalogue_is_the_one_in_git():
    with open(CATALOGUE / "messages.mo", "rb") as mo:
        compiled = {as_key(m.id): as_key(m.string) for m in read_mo(mo) if m.id}
    assert compiled == english(), "run make translations"
