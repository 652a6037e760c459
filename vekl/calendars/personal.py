"""A person's evenings as calendar data: for their page, the .ics download and the feed.

The feed and the invitation mails use the same UIDs (vekl.calendars.uids), so a
calendar that holds both the invitation and the subscription shows each evening once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from notifications import models as rendered
from notifications.ics import feed_calendar
from notifications.models import GroupInfo
from vekl.calendars.uids import moderator_evening_uid, participant_evening_uid
from vekl.mail.recipients import first_name, language_of, programme
from vekl.runs.placements import current_group, group_label, moderator_groups
from vekl.settings import Settings
from vekl.store.models import (
    CalendarEntry,
    Evening,
    Group,
    Moderator,
    Participant,
    RegistrationStatus,
)


@dataclass(frozen=True)
class GroupEvenings:
    """A group as its members see it on their page."""

    group: Group
    moderator_first_names: list[str]
    evenings: list[Evening]

    def title(self, lang: str) -> str:
        """The group's name in the reader's language."""
        return group_label(self.group, lang)


def describe(group: Group) -> GroupEvenings:
    return GroupEvenings(
        group=group,
        moderator_first_names=[first_name(m.name) for m in group.moderators],
        evenings=list(group.series.evenings),
    )


def active_group(session: Session, person: Participant) -> Group | None:
    """The person's group, unless they withdrew (then they have none, whatever the run says)."""
    if person.status is RegistrationStatus.WITHDRAWN:
        return None
    return current_group(session, person)


def _info(group: Group, uid_of: Callable[[int], str], settings: Settings, lang: str) -> GroupInfo:
    """The group for a calendar in ``lang``; ``uid_of`` gives an evening's UID for this person."""
    series = group.series
    names = [first_name(m.name) for m in group.moderators]
    return GroupInfo(
        label=group_label(group, lang),
        series_label=series.label_in(lang),
        moderator_first_name=", ".join(names) if names else programme(settings).short_name,
        evenings=tuple(
            rendered.Evening(
                uid=uid_of(evening.id),
                start=evening.starts_at,
                end=evening.ends_at,
                venue_name=series.venue_name_in(lang),
                venue_address=series.venue_address,
                step_free=series.step_free,
            )
            for evening in series.evenings
        ),
    )


def _calendar(
    session: Session,
    settings: Settings,
    groups: list[GroupInfo],
    language: str,
    holder: tuple[InstrumentedAttribute[int | None], int],
    now: datetime | None,
) -> bytes:
    column, holder_id = holder
    # The highest SEQUENCE the person's invitations used, so the feed is never older.
    sequence = session.scalar(select(func.max(CalendarEntry.sequence)).where(column == holder_id))
    return feed_calendar(
        programme(settings),
        groups,
        language=language,
        sequence=int(sequence or 0),
        dtstamp=now,
    )


def participant_calendar(
    session: Session, settings: Settings, person: Participant, now: datetime | None = None
) -> bytes:
    group = active_group(session, person)
    groups = []
    if group is not None and group.series.evenings:

        def uid_of(evening_id: int) -> str:
            return participant_evening_uid(
                person.id, evening_id, domain=settings.mail_domain, secret=settings.secret_key
            )

        groups.append(_info(group, uid_of, settings, language_of(person)))
    return _calendar(
        session,
        settings,
        groups,
        person.preferred_language,
        (CalendarEntry.participant_id, person.id),
        now,
    )


def moderator_calendar(
    session: Session, settings: Settings, moderator: Moderator, now: datetime | None = None
) -> bytes:
    def uid_of(evening_id: int) -> str:
        return moderator_evening_uid(
            moderator.id, evening_id, domain=settings.mail_domain, secret=settings.secret_key
        )

    lang = language_of(moderator)
    groups = [
        _info(group, uid_of, settings, lang)
        for group in moderator_groups(session, moderator)
        if group.series.evenings
    ]
    return _calendar(
        session,
        settings,
        groups,
        moderator.preferred_language,
        (CalendarEntry.moderator_id, moderator.id),
        now,
    )
