"""Every text of the web pages is translated in every language the pages offer."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.problems import SERVICE_MESSAGES
from notifications.i18n import SUPPORTED_LANGUAGES, catalog_file

API_DIR = Path(__file__).resolve().parents[2] / "api"


@functools.cache
def _web_messages() -> frozenset[str]:
    found: set[str] = set(SERVICE_MESSAGES)
    for _file, _line, message, _comments, _context in extract_from_dir(
        API_DIR,
        method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
        options_map={
            "templates/**": {
                "extensions": "jinja2.ext.i18n",
                "trimmed": "true",
                "newstyle_gettext": "true",
            }
        },
        keywords={"_": None, "gettext": None, "N_": None},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return frozenset(found)


def test_the_pages_have_texts_to_translate() -> None:
    messages = _web_messages()
    assert "Privacy notice" in messages and len(messages) > 100


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_web_text_is_translated(lang: str) -> None:
    with catalog_file(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang)
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
