from __future__ import annotations

import pytest
from pydantic import ValidationError

from vekl.settings import Settings


def test_development_accepts_the_default_secret() -> None:
    assert Settings(environment="development").secret_key


@pytest.mark.parametrize("environment", ["production", "test"])
def test_default_or_short_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="VEKL_SECRET_KEY"):
        Settings(environment=environment)
    with pytest.raises(ValidationError, match="VEKL_SECRET_KEY"):
        Settings(environment=environment, secret_key="short")
    assert Settings(environment=environment, secret_key="x" * 32).environment == environment


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
