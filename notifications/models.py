"""The plain data the application hands to this package.

The application maps its database rows to these models; nothing here knows about the store.
Every model is frozen and refuses unknown fields, so a typo in the mapping fails loudly instead of
silently dropping a value. Short texts are single-line because many of them end up in mail
headers or calendar properties, where a line break could inject content.
"""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from notifications.headers import check_header_value


def _single_line(value: str) -> str:
    check_header_value("text", value)
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _web_link(value: str) -> str:
    check_header_value("link", value)
    if not re.fullmatch(r"(https?|webcal)://[^\s<>\"]+", value):
        raise ValueError("must be an absolute http(s):// or webcal:// link without spaces")
    return value


def _calendar_uid(value: str) -> str:
    if not re.fullmatch(r"[\x21-\x7e]{1,255}", value):
        raise ValueError("must be 1 to 255 printable ASCII characters without spaces")
    return value


def _language_code(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*", value):
        raise ValueError("must be a language tag such as 'de', 'ar' or 'uk-UA'")
    return value


SingleLine = Annotated[str, AfterValidator(_single_line)]
"""Non-empty text without line breaks or control characters; surrounding spaces are dropped."""

WebLink = Annotated[str, AfterValidator(_web_link)]
"""An absolute link for mail bodies; it may carry a secret token, so it never goes into a .ics."""

CalendarUid = Annotated[str, AfterValidator(_calendar_uid)]
"""A calendar UID such as :func:`notifications.identifiers.event_uid` makes."""

LanguageCode = Annotated[str, AfterValidator(_language_code)]
"""A BCP 47 style language tag; only the primary subtag picks the mail language."""


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
"""An IANA time zone name such as ``Europe/Berlin``."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Contact(_Frozen):
    """Who is responsible for the personal data, and how people reach the organisers.

    ``controller_name`` and ``controller_address`` name the controller in the sense of the GDPR
    (e.g. the city, with its postal address); ``email`` and ``phone`` reach the organisers;
    ``privacy_officer`` (a name) and ``privacy_officer_contact`` (an address or email) the data
    protection officer; ``imprint_url`` links to the Impressum. Every field is optional: mail
    footers show what is given.
    """

    controller_name: SingleLine | None = None
    controller_address: SingleLine | None = None
    email: EmailStr | None = None
    phone: SingleLine | None = None
    privacy_officer: SingleLine | None = None
    privacy_officer_contact: SingleLine | None = None
    imprint_url: WebLink | None = None

    @property
    def phone_link(self) -> str | None:
        """The phone number as a ``tel:`` link (digits and a leading plus only)."""
        if self.phone is None:
            return None
        digits = re.sub(r"[^0-9+]", "", self.phone)
        return f"tel:{digits}" if digits.strip("+") else None


class Programme(_Frozen):
    """The sending side, configured once per deployment.

    ``email`` is the From address of every mail and the ORGANIZER of every calendar entry; its
    domain is the one Message-IDs and calendar UIDs are made on. ``reply_to`` lets answers go to
    the team's inbox when the sending address is not read. ``website_url`` is public and appears
    in mail footers only. ``timezone`` is where the evenings take place: every date and time in
    mails and calendar files is shown and written in it (the application passes its setting).
    ``contact`` names who is responsible and how to reach the organisers, in every mail footer.
    """

    name: SingleLine = "Von/Einander/Kennen/Lernen"
    short_name: SingleLine = "VEKL"
    email: EmailStr
    reply_to: EmailStr | None = None
    website_url: WebLink | None = None
    timezone: TimeZoneName = "Europe/Berlin"
    contact: Contact = Contact()

    @property
    def zone(self) -> ZoneInfo:
        """:attr:`timezone` as a zone to convert times with."""
        return ZoneInfo(self.timezone)

    @property
    def domain(self) -> str:
        """The domain of the sending address, which the programme controls."""
        return self.email.rsplit("@", 1)[1]


class Recipient(_Frozen):
    """The person a mail goes to.

    ``name`` is the full name as the person gave it and only appears in the To header;
    ``first_name`` is used in the salutation. ``language`` is the preferred language tag as
    stored; languages without a catalog are served in German. A reader known by address only
    (a news subscriber) has neither name: the To header holds the address alone and the
    salutation names nobody.
    """

    name: SingleLine | None = None
    first_name: SingleLine | None = None
    email: EmailStr
    language: LanguageCode = "de"


class Evening(_Frozen):
    """One meeting of a group.

    ``start`` and ``end`` must carry a time zone; they are shown and written to calendars in
    the programme's zone (:attr:`Programme.timezone`) whatever zone they come in. ``uid`` is the
    calendar identity of this evening for the recipient and must stay the same across
    invitation, update and cancellation; see :func:`notifications.identifiers.event_uid`.
    ``step_free`` is ``None`` when unknown.
    """

    uid: CalendarUid
    start: AwareDatetime
    end: AwareDatetime
    venue_name: SingleLine
    venue_address: SingleLine
    step_free: bool | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Evening:
        if self.end <= self.start:
            raise ValueError("an evening must end after it starts")
        return self

    @property
    def location(self) -> str:
        """Venue and address on one line, as calendar clients show it."""
        return f"{self.venue_name}, {self.venue_address}"


class GroupInfo(_Frozen):
    """A dialogue group as its members see it.

    ``label`` names the group (e.g. "Gruppe Seerhein"), ``series_label`` the series it belongs to
    (e.g. "Frühjahr 2026"). ``evenings`` are the group's meetings in any order; they are shown
    sorted by start. ``what_to_bring`` is a short note from the organisers, shown as written;
    without it a translated default is used.
    """

    label: SingleLine
    series_label: SingleLine
    moderator_first_name: SingleLine
    evenings: tuple[Evening, ...] = Field(min_length=1)
    what_to_bring: SingleLine | None = None

    @field_validator("evenings")
    @classmethod
    def _sorted_unique_evenings(cls, evenings: tuple[Evening, ...]) -> tuple[Evening, ...]:
        uids = [evening.uid for evening in evenings]
        if len(set(uids)) != len(uids):
            raise ValueError("every evening of a group needs its own uid")
        return tuple(sorted(evenings, key=lambda evening: evening.start))

    @property
    def names_series(self) -> bool:
        """Whether ``label`` already names the series ("B (Montagabende)"), so that a text
        does not say it twice ("„B (Montagabende)“ (Montagabende)")."""
        return self.series_label in self.label

    def position(self, evening: Evening) -> int:
        """The 1-based number of ``evening`` within the series, matched by uid."""
        for number, candidate in enumerate(self.evenings, start=1):
            if candidate.uid == evening.uid:
                return number
        raise ValueError(f"evening {evening.uid} is not part of group {self.label!r}")


class RosterMember(_Frozen):
    """What a moderator learns about one member: no surname, no contact data.

    ``last_initial`` is the first letter of the surname. A roster shows it only when another
    member of the same group has the same first name, so the two can be told apart ("Anna K.",
    "Anna S."); :func:`notifications.roster.told_apart` drops it everywhere else.
    ``languages`` are language codes the member speaks (shown with their names in the
    moderator's language). ``needs`` are codes from
    :data:`notifications.roster.KNOWN_NEEDS` (such as ``step_free``), shown translated, or short
    notes, shown as given.
    """

    first_name: SingleLine
    last_initial: SingleLine | None = Field(default=None, max_length=1)
    languages: tuple[LanguageCode, ...] = ()
    needs: tuple[SingleLine, ...] = ()

    @property
    def name(self) -> str:
        """How the member is listed: the first name, with the initial where it is given."""
        if self.last_initial is None:
            return self.first_name
        return f"{self.first_name} {self.last_initial}."
