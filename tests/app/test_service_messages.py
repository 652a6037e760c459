"""Service messages are message ids with values, and every one has a German translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.error_texts import service_texts
from notifications import catalogs
from vekl.errors import N_, FieldError, InvalidInput, NotFound, field_errors
from vekl.registration import csv_import
from vekl.validation import RegistrationInput

VEKL = Path(__file__).resolve().parents[2] / "vekl"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _service_messages() -> set[str]:
    return {str(m.id) for m in catalogs.extract_staff_messages([VEKL]) if m.id}


def test_the_services_mark_their_messages() -> None:
    found = _service_messages()
    assert "unknown column" in found  # CSV import
    assert "unknown language code '%(value)s'" in found  # validation
    assert "line %(line)s, column %(field)s: %(message)s" in found  # FieldError
    assert "no round '%(round)s'" in found  # a NotFound
    assert len(found) > 80


def test_every_service_message_has_a_german_translation() -> None:
    catalog = catalogs.read_catalog("de")
    missing = []
    for message in sorted(_service_messages()):
        entry = catalog.get(message)
        if entry is None or not entry.string:
            missing.append(message)
        elif sorted(PLACEHOLDER.findall(message)) != sorted(PLACEHOLDER.findall(str(entry.string))):
            missing.append(f"placeholders differ: {message}")
    assert missing == []


def test_a_bad_file_is_described_in_german_and_in_english() -> None:
    text = "role;first_name;shoe_size\n"
    with pytest.raises(InvalidInput) as info:
        csv_import.read_rows(text, csv_import.REGISTRATION_COLUMNS)
    german = service_texts("de", info.value)
    assert "Zeile 1, Spalte shoe_size: unbekannte Spalte" in german
    assert "Zeile 1, Spalte email: Pflichtspalte fehlt" in german
    assert "line 1, column shoe_size: unknown column" in service_texts("en", info.value)
    # The command line shows the English text.
    assert "line 1, column shoe_size: unknown column" in str(info.value).splitlines()


def test_values_are_put_into_the_translation() -> None:
    error = NotFound(N_("no round '%(round)s'"), round="konstanz-mai")
    assert str(error) == "no round 'konstanz-mai'"
    assert service_texts("de", error) == ["keine Runde 'konstanz-mai'"]
    field = FieldError("email", N_("same email as line %(other)s"), 6, {"other": 2})
    assert service_texts("de", field) == [
        "Zeile 6, Spalte email: gleiche E-Mail-Adresse wie Zeile 2"
    ]


def test_validation_errors_become_translatable_message_ids() -> None:
    bad = {
        "role": "visitor",
        "first_name": "",
        "last_name": "x" * 101,
        "email": "not-an-email",
        "languages": ["xx"],
        "series": ["mon"],
        "gender": "q",
        "priority": "many",
        "consent": False,
    }
    with pytest.raises(ValidationError) as info:
        RegistrationInput.model_validate(bad)
    errors = field_errors(info.value, line=4, top_level=True)
    by_field = {e.field: e for e in errors}
    assert set(by_field) >= {"role", "first_name", "last_name", "email", "languages", "gender"}
    catalog = catalogs.read_catalog("de")
    for error in errors:
        assert catalog.get(error.message) is not None, error.message
        assert error.message != "is not valid: %(detail)s", error
    german = {e.field: service_texts("de", e)[0] for e in errors}
    assert german["languages"] == "Zeile 4, Spalte languages: unbekanntes Sprachkürzel 'xx'"
    assert german["last_name"] == "Zeile 4, Spalte last_name: darf höchstens 100 Zeichen haben"
    assert german["role"].startswith("Zeile 4, Spalte role: muss einer dieser Werte sein: ")
