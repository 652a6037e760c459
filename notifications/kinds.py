"""One model per kind of mail, holding exactly what that mail needs.

The ``kind`` field makes :data:`Mail` a tagged union, so the outbox can store a mail as JSON
(``MAIL_ADAPTER.dump_json``) and rebuild it for a later attempt (``MAIL_ADAPTER.validate_json``).
Links in these models may carry secret tokens; they are put into mail bodies only, never into
calendar files or logs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from notifications.models import Evening, GroupInfo, Recipient, RosterMember, WebLink


class _MailBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    recipient: Recipient


class RegistrationConfirmation(_MailBase):
    """Double opt-in: asks the person to confirm their address by following ``confirm_url``."""

    kind: Literal["registration_confirmation"] = "registration_confirmation"
    confirm_url: WebLink
    confirm_before: AwareDatetime | None = None


class WaitingList(_MailBase):
    """Registration confirmed, but no group has a place yet."""

    kind: Literal["waiting_list"] = "waiting_list"
    self_service_url: WebLink | None = None


class GroupInvitation(_MailBase):
    """Invites the recipient to a group, with all its evenings as ``METHOD:REQUEST``.

    ``sequence`` is the SEQUENCE written into the calendar; store it, because every later update
    or cancellation of these evenings must use a higher one. ``feed_url`` is the person's webcal
    subscription, if the application offers one.
    """

    kind: Literal["group_invitation"] = "group_invitation"
    group: GroupInfo
    sequence: int = Field(default=0, ge=0)
    self_service_url: WebLink | None = None
    feed_url: WebLink | None = None


class GroupChange(StrEnum):
    """What changed, so the mail can say it in words and not only in the calendar."""

    TIME = "time"
    VENUE = "venue"
    MODERATOR = "moderator"
    GROUP = "group"
    """The person was moved to another group, keeping the same calendar UIDs."""


class GroupChanged(_MailBase):
    """The recipient's group changed; the calendar updates the entries (``METHOD:REQUEST``).

    ``group`` holds the group as it is now. The evenings must carry the UIDs of the invitation
    being updated, with a ``sequence`` higher than the last one sent. Evenings that disappear
    need an :class:`EveningsCancelled` mail, since one calendar can only carry one method.
    """

    kind: Literal["group_changed"] = "group_changed"
    group: GroupInfo
    changes: frozenset[GroupChange] = Field(min_length=1)
    sequence: int = Field(ge=1)
    self_service_url: WebLink | None = None


class CancellationReason(StrEnum):
    """Why the evenings are off, which decides the tone of the mail."""

    CANCELLED = "cancelled"
    """The organisers cancelled the evenings."""
    WITHDRAWN = "withdrawn"
    """The person withdrew or asked to be taken off."""


class EveningsCancelled(_MailBase):
    """Removes ``evenings`` from the recipient's calendar (``METHOD:CANCEL``).

    ``evenings`` carry the UIDs they were invited with; ``sequence`` must be higher than the last
    one sent for them. ``group`` gives the name shown in the mail.
    """

    kind: Literal["evenings_cancelled"] = "evenings_cancelled"
    group: GroupInfo
    evenings: tuple[Evening, ...] = Field(min_length=1)
    sequence: int = Field(ge=1)
    reason: CancellationReason = CancellationReason.CANCELLED
    self_service_url: WebLink | None = None


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


class ModeratorRoster(_MailBase):
    """The moderator's list of members plus the group's evenings as ``METHOD:REQUEST``.

    ``recipient`` is the moderator. ``sequence`` works as for :class:`GroupInvitation`, for the
    moderator's own calendar entries.
    """

    kind: Literal["moderator_roster"] = "moderator_roster"
    group: GroupInfo
    members: tuple[RosterMember, ...] = ()
    sequence: int = Field(default=0, ge=0)


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


Mail = Annotated[
    RegistrationConfirmation
    | WaitingList
    | GroupInvitation
    | GroupChanged
    | EveningsCancelled
    | EveningReminder
    | ModeratorRoster
    | WithdrawalConfirmed
    | SelfServiceLink,
    Field(discriminator="kind"),
]
"""Any mail this package can render."""

MAIL_ADAPTER: TypeAdapter[Mail] = TypeAdapter(Mail)
"""Validates and serialises :data:`Mail` values, e.g. for storing them in the outbox."""
