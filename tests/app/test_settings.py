from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import ValidationError

from vekl.settings import Settings

SECRET = "settings-test-secret-0123456789"
CONTACT: dict[str, Any] = {
    "controller_name": "Stadt Konstanz",
    "controller_address": "Kanzleistraße 15, 78462 Konstanz",
    "contact_email": "dialog@konstanz.example",
}


def test_development_accepts_the_default_secret() -> None:
    assert Settings(environment="development").secret_key


@pytest.mark.parametrize("environment", ["production", "test"])
def test_default_or_short_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="VEKL_SECRET_KEY"):
        Settings(environment=environment)
    with pytest.raises(ValidationError, match="VEKL_SECRET_KEY"):
        Settings(environment=environment, secret_key="short")
    assert (
        Settings(environment=environment, secret_key=SECRET, **CONTACT).environment == environment
    )


def test_production_refuses_a_secret_of_few_different_characters() -> None:
    for weak in ("x" * 32, "ab" * 16, "012345678" * 3):
        with pytest.raises(ValidationError, match="different characters"):
            Settings(environment="production", secret_key=weak, **CONTACT)
    assert Settings(environment="production", secret_key="0123456789abcdef", **CONTACT).secret_key
    # Test setups may keep simple secrets of enough length.
    assert Settings(environment="test", secret_key="s" * 32).secret_key


def test_production_warns_about_a_plain_http_base_url(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="vekl.settings"):
        Settings(
            environment="production", secret_key=SECRET, base_url="https://vekl.example", **CONTACT
        )
        assert caplog.records == []
        Settings(
            environment="production", secret_key=SECRET, base_url="http://vekl.example", **CONTACT
        )
    assert ["http://" in r.getMessage() for r in caplog.records] == [True]


def test_environment_variables_use_the_vekl_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEKL_DATABASE_URL", "sqlite:///elsewhere.sqlite3")
    monkeypatch.setenv("VEKL_BASE_URL", "https://vekl.konstanz.example/")
    settings = Settings()
    assert settings.database_url == "sqlite:///elsewhere.sqlite3"
    assert settings.base_url == "https://vekl.konstanz.example"


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(timezone="Europe/Konstanz")


def test_mail_domain_comes_from_the_sender_address() -> None:
    assert Settings(mail_from="VEKL <vekl@konstanz.de>").mail_domain == "konstanz.de"


def test_a_database_url_that_names_no_database_is_refused() -> None:
    for url in ("not a url", "postgresql+psycopg://vekl@host:port/vekl", "nosuch://vekl@host/db"):
        with pytest.raises(ValidationError, match="database"):
            Settings(database_url=url)
    for url in ("sqlite:///vekl.sqlite3", "postgresql+psycopg://vekl:pw@db.example:5432/vekl"):
        assert Settings(database_url=url).database_url == url


def test_refused_values_are_not_repeated_in_the_error() -> None:
    """The error may reach a log: it names the setting, not the password or the secret."""
    password = "Geheim-Pass-42"
    with pytest.raises(ValidationError) as refused_url:
        Settings(database_url=f"postgresql+psycopg://vekl:{password}@host:port/vekl")
    assert password not in str(refused_url.value)
    with pytest.raises(ValidationError) as refused_secret:
        Settings(environment="production", secret_key="aaaaaaaaaaaaaaaaaaaa-geheim")
    assert "geheim" not in str(refused_secret.value)


def test_production_refuses_to_start_without_the_controller_and_a_contact_address() -> None:
    for missing in CONTACT:
        given = {key: value for key, value in CONTACT.items() if key != missing}
        with pytest.raises(ValidationError, match=f"VEKL_{missing.upper()}"):
            Settings(environment="production", secret_key=SECRET, **given)
        # Outside production the contact is optional; pages and mails show what is given.
        assert Settings(environment="test", secret_key=SECRET, **given).environment == "test"
    full = Settings(environment="production", secret_key=SECRET, **CONTACT)
    assert full.contact_email == "dialog@konstanz.example"


def test_contact_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEKL_CONTACT_EMAIL", "  dialog@konstanz.example ")
    monkeypatch.setenv("VEKL_CONTACT_PHONE", "+49 7531 000-0000")
    monkeypatch.setenv("VEKL_IMPRINT_URL", "https://www.konstanz.example/impressum")
    monkeypatch.setenv("VEKL_PRIVACY_OFFICER", "")
    settings = Settings()
    assert settings.contact_email == "dialog@konstanz.example"
    assert settings.contact_phone == "+49 7531 000-0000"
    assert settings.privacy_officer is None
    for field, value in (
        ("contact_email", "no address"),
        ("imprint_url", "javascript:alert(1)"),
        ("controller_address", "Kanzleistraße 15\nBcc: x@example.org"),
    ):
        with pytest.raises(ValidationError, match=field):
            Settings(**{field: value})  # type: ignore[arg-type]
