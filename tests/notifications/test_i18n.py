"""Catalogs and language choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications import catalogs
from notifications.i18n import (
    SUPPORTED_LANGUAGES,
    language_name,
    negotiate,
    normalise_language,
    text_direction,
    translations,
)

PACKAGE = Path(catalogs.__file__).parent


def test_extraction_finds_texts_in_templates_and_code() -> None:
    found = {message.id for message in catalogs.extract_messages() if message.id}
    assert "Please confirm your registration" in found  # a subject block
    assert "Hello %(name)s," in found  # a {% trans %} block with a variable
    assert "If the button does not work, copy this link into your browser:" in found  # _()
    assert "First name" in found  # Python code (the roster CSV)
    assert "step-free access" in found  # marked with N_()
    assert len(found) > 60


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_every_text_is_translated_in_every_catalog(lang: str) -> None:
    assert catalogs.problems(lang) == []


def test_the_completeness_check_notices_missing_and_broken_translations() -> None:
    template = catalogs.extract_messages()
    catalog = catalogs.read_catalog("uk")
    assert catalogs.check_catalog(catalog, template) == []
    del catalog["Your personal link"]
    catalog["Confirm registration"].string = ""
    catalog["Hello %(name)s,"].string = "Добрий день, %(імʼя)s!"
    catalog["You are on the waiting list"].flags.add("fuzzy")
    found = catalogs.check_catalog(catalog, template)
    assert "uk: missing translation for 'Your personal link'" in found
    assert "uk: missing translation for 'Confirm registration'" in found
    assert "uk: translation marked fuzzy for 'You are on the waiting list'" in found
    assert any(problem.startswith("uk: 'Hello %(name)s,'") for problem in found)


def test_no_compiled_catalogs_are_shipped() -> None:
    assert list(PACKAGE.rglob("*.mo")) == []
    for lang in SUPPORTED_LANGUAGES:
        assert catalogs.catalog_path(lang).is_file()


def test_translations_are_compiled_once_and_cached() -> None:
    assert translations("uk") is translations("uk-UA")
    assert translations("uk").gettext("Confirm registration") == "Підтвердити реєстрацію"
    assert translations("ar").gettext("Confirm registration") == "تأكيد التسجيل"
    assert translations("de").gettext("Confirm registration") == "Anmeldung bestätigen"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("de", "de"),
        ("de-CH", "de"),
        ("AR", "ar"),
        ("uk_UA", "uk"),
        ("en-GB", "en"),
        ("fa", "de"),
        ("tr", "de"),
        ("", "de"),
        (None, "de"),
    ],
)
def test_unsupported_languages_fall_back_to_german(tag: str | None, expected: str) -> None:
    assert normalise_language(tag) == expected
    assert translations(tag) is translations(expected)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", "uk"),
        ("fa-IR, ar;q=0.8, de;q=0.5", "ar"),
        ("en;q=0.2, ar;q=0.9", "ar"),
        ("fr-FR, fr;q=0.9", "de"),
        ("ar;q=0, en", "en"),
        ("*", "de"),
        ("de;q=abc, en", "en"),
        ("", "de"),
        (None, "de"),
    ],
)
def test_negotiate_picks_the_best_supported_language(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_text_direction() -> None:
    assert text_direction("ar") == "rtl"
    assert [text_direction(lang) for lang in ("de", "en", "uk")] == ["ltr", "ltr", "ltr"]
    assert text_direction("he") == "ltr"  # no Hebrew catalog: German is served, left to right


def test_language_names_are_written_in_the_readers_language() -> None:
    assert language_name("ar", "de") == "Arabisch"
    assert language_name("uk", "ar") == "الأوكرانية"
    assert language_name("de", "uk") == "німецька"
    assert language_name("xx-unknown", "de") == "xx-unknown"
