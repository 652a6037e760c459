"""Every text of the organiser pages has a German translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.organiser.auth import FORM_EXPIRED
from api.organiser.i18n import catalog_path, tr
from vekl.access import organisers

ROOT = Path(__file__).resolve().parents[2]
# Texts handed to ``tr`` by name rather than as a literal.
NAMED = (organisers.LOGIN_FAILED, organisers.LOCKED, FORM_EXPIRED)


def _messages() -> set[str]:
    found = set(NAMED)
    for _f, _l, message, _c, _x in extract_from_dir(
        ROOT / "api" / "templates" / "organiser",
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"trimmed": "true"}},
        keywords={"tr": None},
    ):
        found.add(cast(str, message))
    for _f, _l, message, _c, _x in extract_from_dir(
        ROOT / "api" / "organiser", method_map=[("**.py", "python")], keywords={"tr": (2,)}
    ):
        found.add(cast(str, message))
    return found


def test_every_organiser_text_is_in_german() -> None:
    messages = _messages()
    assert len(messages) > 200
    with catalog_path("de").open("rb") as handle:
        catalog = read_po(handle, locale="de")
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


def test_english_shows_the_message_ids() -> None:
    assert tr("en", "Rounds") == "Rounds"
    assert tr("de", "Rounds") == "Runden"
    assert tr("de", "%(n)s shown.", n=3) == "3 angezeigt."
