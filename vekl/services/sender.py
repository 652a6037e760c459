"""The programme as mails and calendar files name it, taken from the settings."""

from __future__ import annotations

from email.utils import parseaddr

from notifications.models import Programme
from vekl.settings import Settings


def programme(settings: Settings) -> Programme:
    name, address = parseaddr(settings.mail_from)
    return Programme(
        email=address, website_url=settings.base_url, **({"name": name} if name else {})
    )


def first_name(full_name: str) -> str:
    """How a moderator is introduced: by the first word of their name."""
    parts = full_name.split()
    return parts[0] if parts else full_name
