"""The public pages' view-models: a participant's page and a moderator's page.

Built from what the services return; the words for codes (a need such as ``step_free``)
are chosen here, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from api.error_texts import N_
from api.pages import gettext
from vekl.attendance import service as attendance
from vekl.attendance.queries import evening_number
from vekl.calendars.personal import GroupEvenings
from vekl.moderators import moderation
from vekl.registration import self_service
from vekl.registration.self_service import Standing
from vekl.settings import Settings
from vekl.store.models import Evening, Moderator, Participant, Round

NEEDS = {"step_free": N_("Needs step-free access")}


def need_label(lang: str, need: str) -> str:
    """A need code in the reader's language; unknown codes are shown as they are."""
    message = NEEDS.get(need)
    return gettext(lang, message) if message is not None else need


@dataclass(frozen=True)
class ParticipantPage:
    participant: Participant
    round: Round
    standing: Standing
    group: GroupEvenings | None
    can_change_series: bool
    can_change_details: bool
    retention_until: datetime | None
    feed_token: str
    can_rejoin: bool
    had_place: bool


def participant_page(session: Session, settings: Settings, token: str) -> ParticipantPage:
    found = self_service.status(session, token, secret_key=settings.secret_key)
    return ParticipantPage(
        participant=found.participant,
        round=found.participant.round,
        standing=found.standing,
        group=found.group,
        can_change_series=found.can_change_series,
        can_change_details=found.can_change_details,
        retention_until=found.retention_until,
        feed_token=found.feed_token,
        can_rejoin=found.can_rejoin,
        had_place=found.had_place,
    )


@dataclass(frozen=True)
class MemberView:
    first_name: str
    name: str
    """The first name, with the surname's initial where another member shares it."""
    languages: list[str]
    needs: list[str]


@dataclass(frozen=True)
class OpenEvening:
    """An evening of a group whose attendance the moderator can mark now."""

    evening: Evening
    number: int


@dataclass(frozen=True)
class ModeratorPage:
    moderator: Moderator
    round: Round
    groups: list[tuple[GroupEvenings, list[MemberView]]]
    # By group id: the evenings the moderator can mark now (empty where nobody asked).
    open_evenings: dict[int, list[OpenEvening]] = field(default_factory=dict)
    attendance_days: int = 0
    lang: str = "de"
    """The page's language (the needs are named in it)."""


def moderator_page(
    session: Session,
    token: str,
    language: str | Callable[[str | None], str],
    *,
    attendance_days: int | None = None,
    now: datetime | None = None,
) -> ModeratorPage:
    """The moderator's groups; with ``attendance_days``, the evenings they can mark at ``now``.

    ``language`` is the page's language, or chooses it given the moderator's own."""
    found = moderation.moderation(session, token)
    lang = language if isinstance(language, str) else language(found.moderator.preferred_language)
    open_evenings: dict[int, list[OpenEvening]] = {}
    if attendance_days is not None:
        moment = now or datetime.now(UTC)
        for group in found.groups:
            open_evenings[group.group.group.id] = [
                OpenEvening(e, evening_number(e))
                for e in attendance.open_evenings(group.group.group, attendance_days, moment)
            ]
    return ModeratorPage(
        moderator=found.moderator,
        round=found.round,
        open_evenings=open_evenings,
        attendance_days=attendance_days or 0,
        lang=lang,
        groups=[
            (
                group.group,
                [
                    MemberView(
                        first_name=m.first_name,
                        name=m.name,
                        languages=list(m.languages),
                        needs=[need_label(lang, need) for need in m.needs],
                    )
                    for m in group.members
                ],
            )
            for group in found.groups
        ],
    )
