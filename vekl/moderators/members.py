"""What a moderator learns about the members of their group, wherever they see it.

First names, the initial of the surname where two members share a first name, the
languages people speak and whether they need step-free access. No surnames, no contact
data, no country of origin. Needs are codes (``step_free``); whoever shows them words them.
"""

from __future__ import annotations

from collections.abc import Iterable

from notifications.models import RosterMember
from notifications.roster import told_apart
from vekl.store.models import Participant

# The needs a moderator is told about; others (and free text) stay with the organisers.
SHARED_NEEDS = ("step_free",)


def roster_member(person: Participant) -> RosterMember:
    """One member, with the initial of their surname (a roster shows it only where needed)."""
    initial = person.last_name.strip()[:1].upper()[:1]
    return RosterMember(
        first_name=person.first_name,
        last_initial=initial or None,
        languages=tuple(person.languages),
        needs=tuple(need for need in SHARED_NEEDS if need in person.needs),
    )


def roster(people: Iterable[Participant]) -> tuple[RosterMember, ...]:
    """The members as a roster lists them: sorted, told apart where first names repeat."""
    return told_apart([roster_member(person) for person in people])


def same_member(listed: RosterMember, member: RosterMember) -> bool:
    """Whether ``listed`` (an entry of a roster) is ``member`` (from :func:`roster_member`)."""
    return (
        listed.first_name == member.first_name
        and listed.languages == member.languages
        and listed.needs == member.needs
        and listed.last_initial in (None, member.last_initial)
    )


def listed_names(people: Iterable[Participant]) -> dict[int, str]:
    """Each person's name as a moderator reads it, by id: the first name, with the initial
    of the surname where another of ``people`` has the same first name."""
    found = list(people)
    listed = {
        person.id: member.name
        for person, member in zip(found, told_apart_in_order(found), strict=True)
    }
    return listed


def told_apart_in_order(people: list[Participant]) -> list[RosterMember]:
    """:func:`roster_member` of each person, in the given order, told apart as a roster does."""
    counts: dict[str, int] = {}
    for person in people:
        key = person.first_name.strip().casefold()
        counts[key] = counts.get(key, 0) + 1
    return [
        roster_member(person)
        if counts[person.first_name.strip().casefold()] > 1
        else roster_member(person).model_copy(update={"last_initial": None})
        for person in people
    ]
