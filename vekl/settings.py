"""Application settings, read once from the environment (prefix ``VEKL_``).

Validated at start-up so that a production deployment with a default secret or a
broken URL refuses to start instead of failing on the first request.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vekl.store.problems import url_problem

DEFAULT_SECRET = "change-me"
MIN_DISTINCT_SECRET_CHARACTERS = 10
"""A production secret with fewer different characters ("aaaa…", "abab…") is no random value;
``secrets.token_urlsafe(32)`` has about 30."""

log = logging.getLogger("vekl.settings")

CONTACT_REQUIRED_IN_PRODUCTION = {
    "controller_name": "VEKL_CONTROLLER_NAME",
    "controller_address": "VEKL_CONTROLLER_ADDRESS",
    "contact_email": "VEKL_CONTACT_EMAIL",
}
"""Who is responsible for the data and where people can write: production does not start
without them (Art. 13 GDPR asks for both before anyone gives their data)."""
_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")


class Settings(BaseSettings):
    # A refused value is not repeated in the error: it may be the secret key, or a database
    # URL with its password.
    model_config = SettingsConfigDict(
        env_prefix="VEKL_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=lambda: f"sqlite:///{Path.cwd() / 'vekl.sqlite3'}")
    base_url: str = "http://localhost:8000"
    secret_key: str = DEFAULT_SECRET
    timezone: str = "Europe/Berlin"

    # Mail: with no SMTP URL every mail goes to the file sink in ``mail_dir``.
    smtp_url: str | None = None
    smtp_ca_file: Path | None = None
    smtp_timeout: float = 30.0
    mail_dir: Path = Path("mail")
    mail_from: str = "Von/Einander/Kennen/Lernen Konstanz <vekl@konstanz.example>"
    # Seconds between two rounds of sending due mail (and queueing reminders) in the worker.
    mail_interval: float = Field(default=5.0, gt=0)

    # Worker (``vekl worker``, or the loop inside ``vekl serve``): how often it looks for
    # jobs and renews the heartbeat of the one it runs (seconds), and how old a heartbeat
    # may get before its job, or the worker in the health check, counts as dead.
    worker_poll_interval: float = Field(default=1.0, gt=0)
    worker_stale_after: float = Field(default=120.0, gt=0)
    # Organiser uploads of CSV files with at most this many lines are imported within the
    # request; larger ones are checked and imported by the worker, with a progress page.
    import_inline_rows: int = Field(default=1000, ge=0)
    # Health check: a mail due for longer than this (seconds) means sending is stuck.
    outbox_stuck_after: float = Field(default=900.0, gt=0)

    # The lottery: a register extract is deleted at the latest this many days after its
    # import (``vekl purge`` deletes it if the organisers have not confirmed the letters are
    # out before), and people who got a letter within this many years are not drawn again.
    lottery_extract_days: int = Field(default=60, ge=1, le=365)
    lottery_exclusion_years: int = Field(default=3, ge=0, le=20)
    # A wave's letters rendered by the worker can be downloaded for this many minutes; then
    # the PDF (names, addresses, codes) is deleted (docs/adr/0025-letters-as-a-job.md).
    lottery_letters_keep_minutes: int = Field(default=60, ge=1, le=1440)

    # Attendance: a moderator marks who came from an evening's start until this many days
    # after it (organisers may correct it at any time after the start).
    attendance_days: int = Field(default=7, ge=0, le=60)
    # Feedback: the survey after a group's last evening stays open this many days; with
    # ``survey_autosend`` the worker sends the invitations itself once the evening is over,
    # otherwise an organiser does (``vekl feedback send`` or the feedback page).
    survey_close_days: int = Field(default=21, ge=1, le=365)
    survey_autosend: bool = False

    # Who is responsible for the personal data (the controller, with postal address), how
    # people reach the organisers, the data protection officer and the Impressum. Shown at the
    # foot of every public page and every mail and in the privacy notice; every dead end
    # names the contact. Production refuses to start without the controller and an email.
    controller_name: str | None = None
    controller_address: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    privacy_officer: str | None = None
    privacy_officer_contact: str | None = None
    imprint_url: str | None = None

    @field_validator(
        "controller_name",
        "controller_address",
        "contact_email",
        "contact_phone",
        "privacy_officer",
        "privacy_officer_contact",
        "imprint_url",
        mode="before",
    )
    @classmethod
    def _one_line(cls, value: object) -> object:
        # Shown on pages and in mail footers: one line of printable text, empty means unset.
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if len(value) > 300 or any(ord(char) < 32 or ord(char) == 127 for char in value):
                raise ValueError("must be one line of at most 300 characters")
        return value

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("must be an email address such as vekl@konstanz.example")
        return value

    @field_validator("imprint_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s<>\"]+", value):
            raise ValueError("must be an http:// or https:// address without spaces")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        weak = self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 16
        if weak and self.environment != "development":
            raise ValueError(
                "VEKL_SECRET_KEY must be a random value of at least 16 characters outside "
                "development (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if (
            self.environment == "production"
            and len(set(self.secret_key)) < MIN_DISTINCT_SECRET_CHARACTERS
        ):
            raise ValueError(
                f"VEKL_SECRET_KEY has fewer than {MIN_DISTINCT_SECRET_CHARACTERS} different "
                "characters; use a random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        missing = [
            variable
            for field, variable in CONTACT_REQUIRED_IN_PRODUCTION.items()
            if getattr(self, field) is None
        ]
        if missing and self.environment == "production":
            raise ValueError(
                f"{', '.join(missing)} must be set in production: every page, the privacy "
                "notice and every mail name who is responsible for the data and how to reach "
                "the organisers"
            )
        if self.environment == "production" and self.base_url.startswith("http://"):
            log.warning(
                "VEKL_BASE_URL starts with http:// in production: personal links in mails "
                "and the login cookie would travel unencrypted"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def mail_domain(self) -> str:
        """The domain Message-IDs and calendar UIDs are made on."""
        address = self.mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
        return address.rsplit("@", 1)[-1] if "@" in address else "vekl.invalid"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
