"""A person's evenings as calendar data: for their page, the .ics download and the feed.

The feed and the invitation mails use the same UIDs (vekl.services.calendar_ids), so a
calendar that holds both the invitation and the subscription shows each evening once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from notifications.ics import feed_calendar
from notifications.models import Evening, GroupInfo
from vekl.services.calendar_ids import moderator_evening_uid, participant_evening_uid
from vekl.services.placements import current_group, group_label, moderator_groups
from vekl.services.sender import first_name, programme
from vekl.settings import Settings
from vekl.store.models import (
    CalendarEntry,
    Group,
    Moderator,
    Participant,
    RegistrationStatus,
)
from vekl.store.models import Session as EveningRow


@dataclass(frozen=True)
class GroupEvenings:
    """A group as its members see it on their page."""

    group: Group
    title: str
    moderator_first_names: list[str]
    evenings: list[EveningRow]


def describe(group: Group) -> GroupEvenings:
    return GroupEvenings(
        group=group,
        title=group_label(group),
        moderator_first_names=[first_name(m.name) for m in group.moderators],
        evenings=list(group.series.sessions),
    )


def active_group(session: Session, person: Participant) -> Group | None:
    """The person's group, unless they withdrew (then they have none, whatever the run says)."""
    if person.status is RegistrationStatus.WITHDRAWN:
        return None
    return current_group(session, person)


def _info(group: Group, uid_of: dict[int, str], settings: Settings) -> GroupInfo:
    series = group.series
    names = [first_name(m.name) for m in group.moderators]
    return GroupInfo(
        label=group_label(group),
        series_label=series.label,
        moderator_first_name=", ".join(names) if names else programme(settings).short_name,
        evenings=tuple(
            Evening(
                uid=uid_of[evening.id],
                start=evening.starts_at,
                end=evening.ends_at,
                venue_name=series.venue_name,
                venue_address=series.venue_address,
                step_free=series.step_free,
            )
            for evening in series.sessions
        ),
    )


def _sequence(session: Session, column: InstrumentedAttribute[int | None], holder_id: int) -> int:
    """The highest SEQUENCE the person's invitations used, so the feed is never older."""
    found = session.scalar(select(func.max(CalendarEntry.sequence)).where(column == holder_id))
    return int(found or 0)


def participant_calendar(
    session: Session, settings: Settings, person: Participant, now: datetime | None = None
) -> bytes:
    group = active_group(session, person)
    groups = []
    if group is not None and group.series.sessions:
        uids = {
            evening.id: participant_evening_uid(
                person.id, evening.id, domain=settings.mail_domain, secret=settings.secret_key
            )
            for evening in group.series.sessions
        }
        groups.append(_info(group, uids, settings))
    return feed_calendar(
        programme(settings),
        groups,
        language=person.preferred_language,
        sequence=_sequence(session, CalendarEntry.participant_id, person.id),
        dtstamp=now,
    )


def moderator_calendar(
    session: Session, settings: Settings, moderator: Moderator, now: datetime | None = None
) -> bytes:
    groups = []
    for group in moderator_groups(session, moderator):
        if not group.series.sessions:
            continue
        uids = {
            evening.id: moderator_evening_uid(
                moderator.id, evening.id, domain=settings.mail_domain, secret=settings.secret_key
            )
            for evening in group.series.sessions
        }
        groups.append(_info(group, uids, settings))
    return feed_calendar(
        programme(settings),
        groups,
        language=moderator.preferred_language,
        sequence=_sequence(session, CalendarEntry.moderator_id, moderator.id),
        dtstamp=now,
    )
