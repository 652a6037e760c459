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
    """The members' names, languages and needs, with column titles in ``lang``.

    The needs column is there only when someone in the list has a need.
    """
    catalog = translations(lang)
    buffer = io.StringIO(newline="")
    writer = SpreadsheetWriter(buffer, delimiter=";")
    with_needs = any(member.needs for member in members)
    titles = [catalog.gettext("First name"), catalog.gettext("Languages")]
    writer.writerow([*titles, catalog.gettext("Needs")] if with_needs else titles)
    babel_locale = locale(lang)
    for member in members:
        languages = [language_name(code, lang) for code in member.languages]
        row = [member.name, format_list(languages, locale=babel_locale)]
        if with_needs:
            row.append(
                format_list([describe_need(n, lang) for n in member.needs], locale=babel_locale)
            )
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def told_apart(members: Sequence[RosterMember]) -> tuple[RosterMember, ...]:
    """``members`` (each with the initial of their surname) as a roster lists them: sorted by
    name, the initial kept only for those whose first name another member shares.

    First names are compared without regard to case or surrounding spaces.
    """
    counts: dict[str, int] = {}
    for member in members:
        key = member.first_name.strip().casefold()
        counts[key] = counts.get(key, 0) + 1
    listed = [
        member
        if counts[member.first_name.strip().casefold()] > 1
        else member.model_copy(update={"last_initial": None})
        for member in members
    ]
    return tuple(
        sorted(listed, key=lambda m: (m.first_name.casefold(), (m.last_initial or "").casefold()))
    )
