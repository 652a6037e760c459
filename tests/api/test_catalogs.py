"""Every text of the web pages is translated in every language the pages offer."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from api.error_texts import SERVICE_MESSAGES
from notifications import catalogs
from notifications.i18n import SUPPORTED_LANGUAGES

API_DIR = Path(__file__).resolve().parents[2] / "api"
# The organiser pages are the team's: German is enough there (tests/organiser/test_catalog.py).
ORGANISER = (API_DIR / "templates" / "organiser", API_DIR / "organiser")


@functools.cache
def _web_messages() -> frozenset[str]:
    found: set[str] = set(SERVICE_MESSAGES)
    for message in catalogs.extract_messages([API_DIR], ORGANISER):
        if message.id:
            found.add(str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id))
    return frozenset(found)


def test_the_pages_have_texts_to_translate() -> None:
    messages = _web_messages()
    assert "Privacy notice" in messages and len(messages) > 100
    assert "Please choose an entry from the list." in messages  # N_ in api/error_texts.py
    assert "Rounds" not in messages  # an organiser text


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_web_text_is_translated(lang: str) -> None:
    catalog = catalogs.read_catalog(lang)
    missing = [
        message
        for message in sorted(_web_messages())
        if (entry := catalog.get(message)) is None or not entry.string
    ]
    assert missing == [], f"{lang}: {len(missing)} texts without translation, e.g. {missing[:3]}"
    placeholders = [
        message.id
        for message in catalog
        if message.id in _web_messages()
        and sorted(_names(str(message.id))) != sorted(_names(str(message.string)))
    ]
    assert placeholders == [], f"{lang}: placeholders differ in {placeholders}"


def _names(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)s", text)
