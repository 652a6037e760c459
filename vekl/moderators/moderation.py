"""The moderator's link: their groups, who is in them (first names only), and the evenings.

A moderator learns what they need to lead the evening, nothing more (see
:mod:`vekl.moderators.members`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from notifications.models import RosterMember
from notifications.roster import roster_csv
from vekl.access import links, tokens
from vekl.audit import records as audit
from vekl.calendars.personal import GroupEvenings, describe, moderator_calendar
from vekl.errors import N_, NotFound
from vekl.moderators import members
from vekl.moderators import service as moderators
from vekl.runs.placements import moderator_groups
from vekl.settings import Settings
from vekl.store.models import Moderator, RegistrationStatus, Round


@dataclass(frozen=True)
class ModeratedGroup:
    group: GroupEvenings
    members: tuple[RosterMember, ...]


@dataclass(frozen=True)
class Moderation:
    moderator: Moderator
    round: Round
    groups: list[ModeratedGroup]


def _members(group_evenings: GroupEvenings) -> tuple[RosterMember, ...]:
    return members.roster(
        m.participant
        for m in group_evenings.group.members
        if m.participant.status is not RegistrationStatus.WITHDRAWN
    )


def moderation(session: Session, token: str) -> Moderation:
    """The moderator of the link with the groups they lead and those groups' members."""
    moderator = tokens.moderator_for(session, token)
    groups = [describe(g) for g in moderator_groups(session, moderator)]
    return Moderation(
        moderator=moderator,
        round=moderator.round,
        groups=[ModeratedGroup(g, _members(g)) for g in groups],
    )


def calendar(session: Session, settings: Settings, token: str) -> bytes:
    return moderator_calendar(session, settings, tokens.moderator_for(session, token))


def issue_links(
    session: Session, settings: Settings, round: Round, *, actor: str
) -> list[tuple[Moderator, str]]:
    """New links for every moderator of the round; links issued before stop working."""
    issued = [
        (moderator, links.moderator_url(settings, tokens.replace(moderator, settings.secret_key)))
        for moderator in moderators.list_moderators(session, round)
    ]
    session.flush()
    audit.record(
        session, actor, "moderator.links", round=round, subject=round.slug, count=len(issued)
    )
    return issued


def roster(session: Session, token: str, group_key: str, *, lang: str) -> bytes:
    """The members of one of the moderator's groups as a spreadsheet file in ``lang``."""
    for group in moderation(session, token).groups:
        if group.group.group.key == group_key:
            return roster_csv(group.members, lang)
    raise NotFound(N_("no group '%(group)s' for this moderator"), group=group_key)
