"""The short note on the back of a lottery letter, in the languages of :data:`NOTE_LANGUAGES`.

The letter itself is German; the note tells readers of English, Arabic, Ukrainian, Turkish
and Farsi what the letter is and how to register. Its texts are in the shared catalogs
(Turkish and Farsi have catalogs of this note only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from notifications.i18n import NOTE_LANGUAGES, note_direction, note_gettext, own_language_name


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is printed."""
    return message


NOTE = N_(
    "This letter is an invitation. You were chosen by lot from the population register of "
    "Konstanz to take part in “Von/Einander/Kennen/Lernen”: people who have lived in Konstanz "
    "for a long time and people who have recently arrived meet in small groups on a few "
    "evenings, with a moderator. Taking part is free and voluntary. To register, scan the QR "
    "code on the front of this letter or open the web address printed there and enter your "
    "personal code. In the form you can tell us which languages you speak."
)


@dataclass(frozen=True)
class Note:
    lang: str
    direction: Literal["ltr", "rtl"]
    language_name: str
    text: str


def notes() -> list[Note]:
    """The note in every language of the back page, in the order printed."""
    return [
        Note(lang, note_direction(lang), own_language_name(lang), note_gettext(lang, NOTE))
        for lang in NOTE_LANGUAGES
    ]
