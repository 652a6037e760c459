"""One model per kind of mail, holding exactly what that mail needs.

The ``kind`` field makes :data:`Mail` a tagged union, so the outbox can store a mail as JSON
(``MAIL_ADAPTER.dump_json``) and rebuild it for a later attempt (``MAIL_ADAPTER.validate_json``).
Links in these models may carry secret tokens; they are put into mail bodies only, never into
calendar files or logs.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    model_validator,
)

from notifications.models import (
    CalendarUid,
    Evening,
    GroupInfo,
    Recipient,
    RosterMember,
    SingleLine,
    WebLink,
)


class _MailBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    recipient: Recipient


def _evening_by_uid(evenings: tuple[Evening, ...], uid: str | None) -> Evening:
    if uid is None:
        return evenings[0]
    for evening in evenings:
        if evening.uid == uid:
            return evening
    raise ValueError(f"calendar_uid {uid} is not one of the mail's evenings")


class _CarriesOneEvening(_MailBase):
    """A mail whose calendar holds one evening, the one ``calendar_uid`` names.

    One evening per mail: mail programs act on the first event of an invitation only, so a
    person gets a mail for each evening (``docs/adr/0010-one-evening-per-invitation.md``).
    Without ``calendar_uid`` the mail carries the first of its evenings.
    """

    calendar_uid: CalendarUid | None = None

    def _evenings(self) -> tuple[Evening, ...]:
        raise NotImplementedError

    @property
    def calendar_evening(self) -> Evening:
        """The evening this mail's calendar adds, updates or removes."""
        return _evening_by_uid(self._evenings(), self.calendar_uid)

    @model_validator(mode="after")
    def _calendar_uid_is_one_of_the_evenings(self) -> _CarriesOneEvening:
        _evening_by_uid(self._evenings(), self.calendar_uid)
        return self


class RegistrationConfirmation(_MailBase):
    """Double opt-in: asks the person to confirm their address by following ``confirm_url``."""

    kind: Literal["registration_confirmation"] = "registration_confirmation"
    confirm_url: WebLink
    confirm_before: AwareDatetime | None = None


class WaitingList(_MailBase):
    """Registration confirmed, but no group has a place yet."""

    kind: Literal["waiting_list"] = "waiting_list"
    self_service_url: WebLink | None = None


class GroupInvitation(_CarriesOneEvening):
    """Invites the recipient to a group; the calendar invites to one of its evenings
    (``METHOD:REQUEST``), and the text names them all.

    ``sequence`` is the SEQUENCE written into the calendar; store it, because every later update
    or cancellation of these evenings must use a higher one. ``feed_url`` is the person's webcal
    subscription, if the application offers one.
    """

    kind: Literal["group_invitation"] = "group_invitation"
    group: GroupInfo
    sequence: int = Field(default=0, ge=0)
    self_service_url: WebLink | None = None
    feed_url: WebLink | None = None

    def _evenings(self) -> tuple[Evening, ...]:
        return self.group.evenings


class GroupChange(StrEnum):
    """What changed, so the mail can say it in words and not only in the calendar."""

    TIME = "time"
    VENUE = "venue"
    MODERATOR = "moderator"
    GROUP = "group"
    """The person was moved to another group, keeping the same calendar UIDs."""


class GroupChanged(_CarriesOneEvening):
    """The recipient's group changed; the calendar updates one entry (``METHOD:REQUEST``).

    ``group`` holds the group as it is now. The evening must carry the UID of the invitation
    being updated, with a ``sequence`` higher than the last one sent. Evenings that disappear
    need an :class:`EveningsCancelled` mail, since one calendar can only carry one method.
    """

    kind: Literal["group_changed"] = "group_changed"
    group: GroupInfo
    changes: frozenset[GroupChange] = Field(min_length=1)
    sequence: int = Field(ge=1)
    self_service_url: WebLink | None = None
    moved_from: tuple[AwareDatetime, AwareDatetime] | None = None
    """Start and end the updated evening had before, when it was moved."""

    def _evenings(self) -> tuple[Evening, ...]:
        return self.group.evenings


class MoveReason(StrEnum):
    """Why the groups were formed anew, said without naming anyone."""

    DROPOUTS = "dropouts"
    """Some participants cancelled, so the groups were rearranged."""
    REGROUPED = "regrouped"
    """The organisers rearranged the groups (for example, to place people waiting)."""


class GroupMoved(_MailBase):
    """The recipient was moved to another group: one mail that says so, says why, lists
    their evenings now (and the ones that no longer apply), and carries every calendar
    change as a file of its own (``docs/adr/0016-one-mail-for-a-moved-person.md``).

    ``previous`` is the group as the recipient knew it, with the evenings their calendar
    held; ``group`` is the group now. ``cancelled`` names the evenings of ``previous`` that
    leave the calendar (``METHOD:CANCEL``), ``requested`` those of ``group`` that are added
    or, when they keep their UID (a new group in the same series), updated
    (``METHOD:REQUEST``). Each becomes one calendar file with one event, at ``sequence``.
    """

    kind: Literal["group_moved"] = "group_moved"
    group: GroupInfo
    previous: GroupInfo
    reason: MoveReason = MoveReason.DROPOUTS
    cancelled: tuple[CalendarUid, ...] = ()
    requested: tuple[CalendarUid, ...] = ()
    sequence: int = Field(ge=1)
    self_service_url: WebLink | None = None
    feed_url: WebLink | None = None

    @model_validator(mode="after")
    def _changes_name_the_evenings(self) -> GroupMoved:
        if not (self.cancelled or self.requested):
            raise ValueError("a move changes at least one evening of the calendar")
        for uid in self.cancelled:
            _evening_by_uid(self.previous.evenings, uid)
        for uid in self.requested:
            _evening_by_uid(self.group.evenings, uid)
        return self

    @property
    def cancelled_evenings(self) -> tuple[Evening, ...]:
        """The evenings that leave the calendar, in time order."""
        return tuple(e for e in self.previous.evenings if e.uid in self.cancelled)

    @property
    def requested_evenings(self) -> tuple[Evening, ...]:
        """The evenings that are added or updated, in time order."""
        return tuple(e for e in self.group.evenings if e.uid in self.requested)

    @property
    def same_evenings(self) -> bool:
        """The new group meets on the evenings the old one did (the same series)."""
        return not self.cancelled and {e.uid for e in self.previous.evenings} == {
            e.uid for e in self.group.evenings
        }


class CancellationReason(StrEnum):
    """Why the evenings are off, which decides the tone of the mail."""

    CANCELLED = "cancelled"
    """The organisers cancelled the evenings."""
    WITHDRAWN = "withdrawn"
    """The person withdrew or asked to be taken off."""


class EveningsCancelled(_CarriesOneEvening):
    """Tells the recipient ``evenings`` are off; the calendar removes one of them
    (``METHOD:CANCEL``).

    ``evenings`` carry the UIDs they were invited with; ``sequence`` must be higher than the last
    one sent for them. ``group`` gives the name shown in the mail.
    """

    kind: Literal["evenings_cancelled"] = "evenings_cancelled"
    group: GroupInfo
    evenings: tuple[Evening, ...] = Field(min_length=1)
    sequence: int = Field(ge=1)
    reason: CancellationReason = CancellationReason.CANCELLED
    self_service_url: WebLink | None = None

    def _evenings(self) -> tuple[Evening, ...]:
        return self.evenings


class EveningReminder(_MailBase):
    """Sent the day before ``evening``, which must be one of ``group.evenings``."""

    kind: Literal["evening_reminder"] = "evening_reminder"
    group: GroupInfo
    evening: Evening
    self_service_url: WebLink | None = None

    @model_validator(mode="after")
    def _evening_in_group(self) -> EveningReminder:
        self.group.position(self.evening)
        return self


class ModeratorRoster(_CarriesOneEvening):
    """The moderator's list of members plus one of the group's evenings as ``METHOD:REQUEST``.

    ``recipient`` is the moderator. ``sequence`` works as for :class:`GroupInvitation`, for the
    moderator's own calendar entries. ``moderator_url`` is the moderator's personal page.
    """

    kind: Literal["moderator_roster"] = "moderator_roster"
    group: GroupInfo
    members: tuple[RosterMember, ...] = ()
    sequence: int = Field(default=0, ge=0)
    moderator_url: WebLink | None = None

    def _evenings(self) -> tuple[Evening, ...]:
        return self.group.evenings


class WithdrawalConfirmed(_MailBase):
    """The person withdrew before they had a group: confirms it, and where their data is."""

    kind: Literal["withdrawal_confirmed"] = "withdrawal_confirmed"
    round_name: str = Field(min_length=1, max_length=200)
    self_service_url: WebLink


class SelfServiceLink(_MailBase):
    """Sends the personal self-service link again, on request from the web app.

    ``withdrawn`` says the person has withdrawn from the round (they registered again, or asked
    for their link): the mail tells them so, and how to take part after all: on their page
    with ``can_rejoin`` (until ``rejoin_before``, if given), else by writing to the organisers.
    """

    kind: Literal["self_service_link"] = "self_service_link"
    self_service_url: WebLink
    withdrawn: bool = False
    can_rejoin: bool = False
    rejoin_before: AwareDatetime | None = None


class ModeratorLink(_MailBase):
    """Sends a moderator the link to their page (their groups, members and evenings) again,
    on request from the web app."""

    kind: Literal["moderator_link"] = "moderator_link"
    round_name: str = Field(min_length=1, max_length=200)
    moderator_url: WebLink


class SurveyInvitation(_MailBase):
    """After the person's last evening: a single-use link to a short anonymous survey.

    ``for_moderator`` chooses the moderators' own questions. ``contacts_url`` (participants
    only) is their personal page, where they can say whom they would like to stay in touch
    with and ask to hear about later rounds: apart from the survey, which stores no one.
    """

    kind: Literal["survey_invitation"] = "survey_invitation"
    round_name: str = Field(min_length=1, max_length=200)
    survey_url: WebLink
    closes_at: AwareDatetime
    for_moderator: bool = False
    contacts_url: WebLink | None = None


class StayInTouch(_MailBase):
    """Two members of a group both said they would like to stay in touch: introduces the
    other one (``other_name`` as the group knew them, ``other_email``)."""

    kind: Literal["stay_in_touch"] = "stay_in_touch"
    round_name: str = Field(min_length=1, max_length=200)
    other_name: SingleLine = Field(min_length=1, max_length=120)
    other_email: EmailStr
    self_service_url: WebLink | None = None


class NewsSubscribed(_MailBase):
    """Confirms that the person will hear about later rounds and the city's international
    meet-ups; like every such mail, it carries the link that ends it (``withdraw_url``)."""

    kind: Literal["news_subscribed"] = "news_subscribed"
    withdraw_url: WebLink
    self_service_url: WebLink | None = None


ANNOUNCEMENT_SUBJECT_MAX = 200
ANNOUNCEMENT_TEXT_MAX = 5000


class NewsAnnouncement(_MailBase):
    """The organisers write to everyone who asked to hear about later rounds and the city's
    international meet-ups: ``subject`` and ``text`` as they typed them, in the recipient's
    language, and the link that ends these mails (``withdraw_url``).

    The recipient is known by address and language only. ``text`` is plain text: paragraphs
    are separated by a blank line, and the HTML part escapes every character of it.
    """

    kind: Literal["news_announcement"] = "news_announcement"
    subject: SingleLine = Field(max_length=ANNOUNCEMENT_SUBJECT_MAX)
    text: str = Field(min_length=1, max_length=ANNOUNCEMENT_TEXT_MAX)
    withdraw_url: WebLink

    @property
    def paragraphs(self) -> tuple[tuple[str, ...], ...]:
        """The text's paragraphs, each as its lines, for the HTML part."""
        blocks = re.split(r"\n[ \t]*\n", self.text.replace("\r\n", "\n").strip())
        return tuple(
            tuple(line.rstrip() for line in block.strip("\n").split("\n"))
            for block in blocks
            if block.strip()
        )


Mail = Annotated[
    RegistrationConfirmation
    | WaitingList
    | GroupInvitation
    | GroupChanged
    | GroupMoved
    | EveningsCancelled
    | EveningReminder
    | ModeratorRoster
    | WithdrawalConfirmed
    | SelfServiceLink
    | ModeratorLink
    | SurveyInvitation
    | StayInTouch
    | NewsSubscribed
    | NewsAnnouncement,
    Field(discriminator="kind"),
]
"""Any mail this package can render."""

MAIL_ADAPTER: TypeAdapter[Mail] = TypeAdapter(Mail)
"""Validates and serialises :data:`Mail` values, e.g. for storing them in the outbox."""
