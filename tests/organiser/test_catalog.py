"""Every text of the organiser pages and every service message has a German translation.

The organiser pages share the one catalog set with the mails and the public pages
(notifications/locale); their texts and the services' messages need German (English is the
message id), the citizens' texts every language.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from api.organiser.i18n import tr
from notifications import catalogs
from notifications.i18n import SUPPORTED_LANGUAGES, translations
from vekl.access import organisers

ROOT = Path(__file__).resolve().parents[2]
STAFF = (ROOT / "api" / "templates" / "organiser", ROOT / "api" / "organiser", ROOT / "vekl")


def _organiser_messages() -> set[str]:
    staff = catalogs.extract_staff_messages(STAFF[:2])
    return {str(m.id) for m in staff if m.id}


def test_every_organiser_text_is_in_german() -> None:
    messages = _organiser_messages()
    assert len(messages) > 200
    assert "Rounds" in messages  # tr("...") in a template
    assert "citizens" in messages  # tr(lang, "...") in code
    assert "This form has expired. Please reload the page and send it again." in messages  # N_
    catalog = catalogs.read_catalog("de")
    missing = sorted(m for m in messages if not ((entry := catalog.get(m)) and entry.string))
    assert missing == []
    placeholders = re.compile(r"%\((\w+)\)s")
    differ = [
        m.id
        for m in catalog
        if m.id
        and sorted(placeholders.findall(cast(str, m.id)))
        != sorted(placeholders.findall(cast(str, m.string)))
    ]
    assert differ == []


def test_the_whole_catalog_set_is_complete() -> None:
    """The project's check as ``python -m notifications.catalogs check`` runs it."""
    template = catalogs.extract_messages([ROOT / "api"], STAFF)
    staff = catalogs.extract_staff_messages(STAFF)
    found = [p for lang in SUPPORTED_LANGUAGES for p in catalogs.problems(lang, template, staff)]
    assert found == []
    assert (
        catalogs.main(
            ["check", "--templates", str(ROOT / "api")]
            + [arg for folder in STAFF for arg in ("--staff", str(folder))]
        )
        == 0
    )


def test_organiser_texts_are_not_asked_of_the_citizens_languages() -> None:
    template = catalogs.extract_messages([ROOT / "api"], STAFF)
    assert "Rounds" not in {m.id for m in template}
    assert translations("uk").gettext("Rounds") == "Rounds"


def test_english_shows_the_message_ids() -> None:
    assert tr("en", "Rounds") == "Rounds"
    assert tr("de", "Rounds") == "Runden"
    assert tr("de", "%(n)s shown.", n=3) == "3 angezeigt."
    assert tr("de", organisers.LOGIN_FAILED) != organisers.LOGIN_FAILED
