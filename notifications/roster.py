"""The moderator's participant list as a spreadsheet file.

Written for spreadsheet programs rather than for parsers: UTF-8 with a byte order mark, so Excel
shows umlauts, Arabic and Cyrillic correctly, and cells that would start a formula are defused.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from babel.lists import format_list

from notifications.i18n import language_name, locale, translations
from notifications.models import RosterMember
from notifications.spreadsheet import SpreadsheetWriter


def N_(message: str) -> str:
    """Marks a text for the catalogs without translating it yet."""
    return message


KNOWN_NEEDS: dict[str, str] = {"step_free": N_("step-free access")}
"""Need codes the application stores, with the text shown for them; other needs are shown as
given."""


def describe_need(need: str, lang: str) -> str:
    """The text for one entry of :attr:`RosterMember.needs` in ``lang``."""
    message = KNOWN_NEEDS.get(need)
    return translations(lang).gettext(message) if message is not None else need


def roster_csv(members: Sequence[RosterMember], lang: str) -> bytes:
    """The members' first names, languages and needs, with column titles in ``lang``."""
    catalog = translations(lang)
    buffer = io.StringIO(newline="")
    writer = SpreadsheetWriter(buffer)
    writer.writerow(
        [catalog.gettext("First name"), catalog.gettext("Languages"), catalog.gettext("Needs")]
    )
    babel_locale = locale(lang)
    for member in members:
        languages = [language_name(code, lang) for code in member.languages]
        writer.writerow(
            [
                member.first_name,
                format_list(languages, locale=babel_locale),
                format_list([describe_need(n, lang) for n in member.needs], locale=babel_locale),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
