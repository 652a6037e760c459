"""The moderator's link: their groups, who is in them (first names only), and the evenings.

A moderator learns what they need to lead the evening, nothing more: first names, the
languages people speak and whether they need step-free access. No surnames, no contact
data, no country of origin.
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
from vekl.moderators import service as moderators
from vekl.runs.placements import moderator_groups
from vekl.settings import Settings
from vekl.store.models import Moderator, RegistrationStatus, Round


@dataclass(frozen=True)
class ModeratorPage:
    moderator: Moderator
    round: Round
    groups: list[tuple[GroupEvenings, list[RosterMember]]]


def _members(group_evenings: GroupEvenings, step_free_note: str) -> list[RosterMember]:
    people = [
        m.participant
        for m in group_evenings.group.members
        if m.participant.status is not RegistrationStatus.WITHDRAWN
    ]
    people.sort(key=lambda p: p.first_name.casefold())
    return [
        RosterMember(
            first_name=p.first_name,
            languages=tuple(p.languages),
            needs=(step_free_note,) if "step_free" in p.needs else (),
        )
        for p in people
    ]


def page(session: Session, token: str, *, step_free_note: str) -> ModeratorPage:
    """``step_free_note`` is the need as the page's reader should see it, in their language."""
    moderator = tokens.moderator_for(session, token)
    groups = [describe(g) for g in moderator_groups(session, moderator)]
    return ModeratorPage(
        moderator=moderator,
        round=moderator.round,
        groups=[(g, _members(g, step_free_note)) for g in groups],
    )


def calendar(session: Session, settings: Settings, token: str) -> bytes:
    return moderator_calendar(session, settings, tokens.moderator_for(session, token))


def issue_links(
    session: Session, settings: Settings, round: Round, *, actor: str
) -> list[tuple[Moderator, str]]:
    """New links for every moderator of the round; links issued before stop working."""
    issued = [
        (moderator, links.moderator_url(settings, tokens.issue(moderator)))
        for moderator in moderators.list_moderators(session, round)
    ]
    session.flush()
    audit.record(
        session, actor, "moderator.links", round=round, subject=round.slug, count=len(issued)
    )
    return issued


def roster(
    session: Session, token: str, group_key: str, *, lang: str, step_free_note: str
) -> bytes:
    """The members of one of the moderator's groups as a spreadsheet file."""
    found = page(session, token, step_free_note=step_free_note)
    for group, members in found.groups:
        if group.group.key == group_key:
            return roster_csv(members, lang)
    raise NotFound(N_("no group '%(group)s' for this moderator"), group=group_key)
