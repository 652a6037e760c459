"""Application settings, read once from the environment (prefix ``VEKL_``).

Validated at start-up so that a production deployment with a default secret or a
broken URL refuses to start instead of failing on the first request.
"""

from __future__ import annotations

import logging
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
    mail_from: str = "VEKL Konstanz <vekl@konstanz.example>"
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
