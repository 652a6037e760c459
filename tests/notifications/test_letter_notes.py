"""The note on the back of a lottery letter, in English, Arabic, Ukrainian, Turkish and Farsi.

Turkish and Farsi have catalogs of that note only: they are no language of the pages or mails.
"""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from notifications import letters
from notifications.catalogs import catalog_path, extract_messages
from notifications.i18n import (
    NOTE_LANGUAGES,
    NOTE_ONLY_LANGUAGES,
    SUPPORTED_LANGUAGES,
    negotiate,
    normalise_language,
    note_gettext,
)

# Every message marked in notifications/letters.py, so a message added there must be
# translated into every note language (``catalogs check`` covers the page languages only).
NOTE_MESSAGES = sorted(
    str(m.id)
    for m in extract_messages()
    if m.id and any(location == "letters.py" for location, _ in m.locations)
)


def test_the_note_messages_are_found() -> None:
    assert letters.NOTE in NOTE_MESSAGES


@pytest.mark.parametrize("lang", NOTE_LANGUAGES)
def test_every_note_language_translates_the_note(lang: str) -> None:
    for message in NOTE_MESSAGES:
        text = note_gettext(lang, message)
        assert text.strip()
        assert (text == message) == (lang == "en"), lang


@pytest.mark.parametrize("lang", NOTE_ONLY_LANGUAGES)
def test_turkish_and_farsi_hold_the_note_only_and_are_offered_nowhere(lang: str) -> None:
    with catalog_path(lang).open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    assert sorted(str(m.id) for m in catalog if m.id) == sorted(NOTE_MESSAGES)
    assert lang not in SUPPORTED_LANGUAGES
    assert normalise_language(lang) == "de"
    assert negotiate(f"{lang},en;q=0.5") == "en"


def test_the_notes_come_in_order_with_their_direction() -> None:
    found = letters.notes()
    assert [(n.lang, n.direction) for n in found] == [
        ("en", "ltr"),
        ("ar", "rtl"),
        ("uk", "ltr"),
        ("tr", "ltr"),
        ("fa", "rtl"),
    ]
    assert [n.language_name for n in found] == [
        "English",
        "العربية",
        "Українська",
        "Türkçe",
        "فارسی",
    ]


def test_a_language_without_a_note_is_refused() -> None:
    with pytest.raises(ValueError, match="no note"):
        note_gettext("de", letters.NOTE)
