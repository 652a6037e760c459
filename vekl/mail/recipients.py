"""Who mails come from and go to: the programme as mails and calendar files name it (from
the settings, with the time zone they show times in), and participants and moderators as
recipients."""

from __future__ import annotations

from email.utils import parseaddr

from notifications.i18n import normalise_language
from notifications.models import Contact, Programme, Recipient
from vekl.settings import Settings
from vekl.store.models import Moderator, Participant


def contact(settings: Settings) -> Contact:
    """Who is responsible and how to reach the organisers, as pages and mails show it."""
    return Contact(
        controller_name=settings.controller_name,
        controller_address=settings.controller_address,
        email=settings.contact_email,
        phone=settings.contact_phone,
        privacy_officer=settings.privacy_officer,
        privacy_officer_contact=settings.privacy_officer_contact,
        imprint_url=settings.imprint_url,
    )


def programme(settings: Settings) -> Programme:
    name, address = parseaddr(settings.mail_from)
    return Programme(
        email=address,
        website_url=settings.base_url,
        timezone=settings.timezone,
        contact=contact(settings),
        **({"name": name} if name else {}),
    )


def first_name(full_name: str) -> str:
    """How a moderator is introduced: by the first word of their name."""
    parts = full_name.split()
    return parts[0] if parts else full_name


def language_of(holder: Participant | Moderator) -> str:
    """The language a person reads mails and calendar files in: the texts', and the round's
    names where the organisers translated them."""
    return normalise_language(holder.preferred_language)


def participant_recipient(person: Participant) -> Recipient:
    return Recipient(
        name=person.full_name,
        first_name=person.first_name,
        email=person.email,
        language=person.preferred_language,
    )


def moderator_recipient(moderator: Moderator) -> Recipient:
    return Recipient(
        name=moderator.name,
        first_name=first_name(moderator.name),
        email=moderator.email,
        language=moderator.preferred_language,
    )
