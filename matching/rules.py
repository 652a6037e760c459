"""Which hard rules one group breaks, on the solver's indices.

The greedy constructor uses it to repair or drop groups, and the waitlist analysis uses it to
find what stops a waitlisted person from joining a group. The independent checker in
:mod:`matching.checker` does not use it: it re-derives everything from the public models.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from matching.instance import Instance


@dataclass(frozen=True)
class Fault:
    rule: int
    text: str


def unbridged(instance: Instance, language: str, members: Sequence[int]) -> list[int]:
    """Members who neither speak ``language`` nor share a language with a member who does."""
    people = instance.people
    speakers = [people[j].languages for j in members if language in people[j].languages]
    return [
        i
        for i in members
        if language not in people[i].languages
        and not any(people[i].languages & spoken for spoken in speakers)
    ]


def newcomer_share_ok(instance: Instance, newcomers: int, size: int) -> bool:
    if size >= len(instance.newcomer_range):
        return instance.share_low * size <= newcomers <= instance.share_high * size
    low, high = instance.newcomer_range[size]
    return low <= newcomers <= high


def group_faults(
    instance: Instance,
    series: int,
    language: str,
    moderators: Sequence[int],
    members: Sequence[int],
) -> list[Fault]:
    people = instance.people
    faults: list[Fault] = []
    size = len(members)
    if not instance.min_size <= size <= instance.max_size:
        faults.append(Fault(2, f"{size} members, not {instance.min_size} to {instance.max_size}"))
    newcomers = sum(people[i].newcomer for i in members)
    if size and not newcomer_share_ok(instance, newcomers, size):
        faults.append(Fault(3, f"{newcomers} newcomers among {size} members"))
    off_series = [people[i].id for i in members if series not in people[i].series]
    if off_series:
        faults.append(Fault(4, f"{', '.join(off_series)} cannot attend or reach this series"))
    wrong = [m for m in moderators if series not in instance.moderators[m].series]
    if len(moderators) != instance.per_group or wrong:
        faults.append(Fault(5, "moderators are missing or not free on this series"))
    allowed = instance.working_languages
    if allowed is not None and language not in allowed:
        faults.append(Fault(6, f"{language} is not a working language"))
    if any(language not in instance.moderators[m].languages for m in moderators):
        faults.append(Fault(6, f"a moderator does not speak {language}"))
    lost = unbridged(instance, language, members)
    if lost:
        names = ", ".join(people[i].id for i in lost)
        faults.append(Fault(6, f"{names} cannot follow {language}"))
    origins = Counter(people[i].origin for i in members if people[i].origin is not None)
    for origin, count in origins.items():
        if count > instance.max_same_origin:
            faults.append(Fault(7, f"{count} members from {origin}"))
    member_set = set(members)
    for i in members:
        clash = instance.apart.get(i, frozenset()) & member_set
        if clash:
            faults.append(Fault(9, f"{people[i].id} must be kept apart from others here"))
            break
    for i in members:
        component = instance.components[instance.component_of[i]]
        if not member_set.issuperset(component.members):
            faults.append(Fault(9, f"{people[i].id} is without a together companion"))
            break
    return faults
