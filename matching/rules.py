"""The hard rules of the contract on the solver's indices: one definition of each.

:class:`Rule` numbers them as ``docs/matching-problem.md`` does. :func:`group_faults` says
which rules one group breaks, and why; the constructive code (the greedy start, the rematch
repair, completing locked groups), the improving code (polishing) and the explanations
(screening, waitlist reasons) all ask it, or the predicates below that it is made of, so a
rule is written out once here. The greedy start's fit test keeps running counts per group
for speed, and tests them with the same predicates.

The CP-SAT model (:mod:`matching.model.cpsat`) states the same rules as constraints, one
method per rule, each tested on its own; the independent checker (:mod:`matching.checker`)
uses none of this, on purpose: a mistake here cannot hide behind the same mistake there.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum

# Rule 8 is defined where who may attend which series is worked out, once per problem.
from matching.pool import Pool
from matching.pool import reaches_series as reaches_series


class Rule(IntEnum):
    """The hard rules, by their number in the contract."""

    ONE_GROUP = 1  # a participant is in at most one group
    SIZE = 2  # min_size <= members <= max_size
    NEWCOMER_SHARE = 3  # the newcomer share lies within newcomer_share
    SERIES = 4  # members and moderators attend the series; room; one group per moderator
    MODERATORS = 5  # exactly moderators_per_group moderators
    LANGUAGE = 6  # working language, spoken by the moderators, followed by every member
    ORIGIN = 7  # at most max_same_origin members of one origin
    STEP_FREE = 8  # who needs step-free access meets at a step-free venue
    TOGETHER_APART = 9  # together in one group or both waiting; apart never together
    LOCKED = 10  # a locked previous group keeps what it keeps
    WAITLIST = 11  # everyone not in a group waits, with a reason


ALL_RULES = frozenset(Rule)
# The rules a change of a group's members can break (its series, language and moderators
# staying as they are): what polishing swaps and moves must keep.
MEMBERSHIP_RULES = frozenset(
    {Rule.SIZE, Rule.NEWCOMER_SHARE, Rule.LANGUAGE, Rule.ORIGIN, Rule.TOGETHER_APART}
)


@dataclass(frozen=True)
class Fault:
    rule: Rule
    text: str
    # Whether more members could mend it (a group too small, a share out of range, a member
    # who cannot follow yet); False for what no newcomer changes.
    mendable: bool = False


# -- the rules as predicates -------------------------------------------------------------------


def size_ok(pool: Pool, size: int) -> bool:
    """Rule 2."""
    return pool.min_size <= size <= pool.max_size


def newcomer_bounds(pool: Pool, size: int) -> tuple[int, int]:
    """Rule 3: the fewest and most newcomers a group of ``size`` may have."""
    if size < len(pool.newcomer_range):
        return pool.newcomer_range[size]
    return math.ceil(pool.share_low * size), math.floor(pool.share_high * size)


def newcomer_share_ok(pool: Pool, newcomers: int, size: int) -> bool:
    """Rule 3."""
    low, high = newcomer_bounds(pool, size)
    return low <= newcomers <= high


def role_mix_possible(pool: Pool, size: int, newcomers: int, citizens: int) -> bool:
    """Rule 3: whether a group of ``size`` can hold these newcomers and citizens (and
    others) and keep the newcomer share."""
    low, high = newcomer_bounds(pool, size)
    return max(newcomers, low) <= min(size - citizens, high)


def working_language_ok(pool: Pool, language: str) -> bool:
    """Rule 6: the language may be a group's working language."""
    return pool.working_languages is None or language in pool.working_languages


def follows(own: frozenset[str], language: str, spoken: frozenset[str]) -> bool:
    """Rule 6 for one member: they speak the group's language, or share one of ``spoken``
    (every language of the members who speak the group's language)."""
    return language in own or not own.isdisjoint(spoken)


def spoken_with(pool: Pool, language: str, members: Iterable[int]) -> frozenset[str]:
    """Every language of the members who speak ``language``: whoever shares one of them can
    follow through that member (rule 6)."""
    people = pool.people
    found: set[str] = set()
    for i in members:
        if language in people[i].languages:
            found |= people[i].languages
    return frozenset(found)


def unbridged(pool: Pool, language: str, members: Sequence[int]) -> list[int]:
    """Rule 6: members who neither speak ``language`` nor share a language with a member who
    does."""
    people = pool.people
    spoken = spoken_with(pool, language, members)
    return [i for i in members if not follows(people[i].languages, language, spoken)]


def origin_ok(pool: Pool, count: int) -> bool:
    """Rule 7: whether this many members of one origin may share a group."""
    return count <= pool.max_same_origin


def apart_clash(pool: Pool, person: int, members: set[int] | frozenset[int]) -> frozenset[int]:
    """Rule 9: who among ``members`` must be kept apart from ``person``."""
    return pool.apart.get(person, frozenset()) & members


# -- what one group breaks ---------------------------------------------------------------------


def group_faults(
    pool: Pool,
    series: int,
    language: str,
    moderators: Sequence[int],
    members: Sequence[int],
    rules: frozenset[Rule] = ALL_RULES,
) -> list[Fault]:
    """Every rule among ``rules`` that the group breaks, with why."""
    return list(_faults(pool, series, language, moderators, members, rules))


def breaks_any(
    pool: Pool,
    series: int,
    language: str,
    moderators: Sequence[int],
    members: Sequence[int],
    rules: frozenset[Rule] = ALL_RULES,
) -> bool:
    """Whether the group breaks one of ``rules`` (stops at the first)."""
    return next(_faults(pool, series, language, moderators, members, rules), None) is not None


def _faults(
    pool: Pool,
    series: int,
    language: str,
    moderators: Sequence[int],
    members: Sequence[int],
    rules: frozenset[Rule],
) -> Iterator[Fault]:
    people = pool.people
    size = len(members)
    if Rule.SIZE in rules and not size_ok(pool, size):
        yield Fault(
            Rule.SIZE,
            f"{size} members, not {pool.min_size} to {pool.max_size}",
            size < pool.min_size,
        )
    if Rule.NEWCOMER_SHARE in rules and size:
        newcomers = sum(people[i].newcomer for i in members)
        if not newcomer_share_ok(pool, newcomers, size):
            yield Fault(Rule.NEWCOMER_SHARE, f"{newcomers} newcomers among {size} members", True)
    if Rule.SERIES in rules:
        where = pool.series[series].id
        off = [people[i] for i in members if series not in people[i].series]
        unreachable = [p.id for p in off if p.listed_series(series)]
        absent = [p.id for p in off if not p.listed_series(series)]
        if absent:
            yield Fault(Rule.SERIES, f"{', '.join(absent)} cannot attend {where}")
        if unreachable and Rule.STEP_FREE in rules:
            yield Fault(
                Rule.STEP_FREE,
                f"{', '.join(unreachable)} need step-free access, which {where} lacks",
            )
        away = [
            pool.moderators[m].id for m in moderators if series not in pool.moderators[m].series
        ]
        if away:
            yield Fault(Rule.SERIES, f"moderator {', '.join(away)} is not free on {where}")
    if Rule.MODERATORS in rules and len(moderators) != pool.per_group:
        yield Fault(
            Rule.MODERATORS,
            f"{len(moderators)} moderators; the rules ask for {pool.per_group}",
        )
    if Rule.LANGUAGE in rules:
        if not working_language_ok(pool, language):
            yield Fault(Rule.LANGUAGE, f"{language} is not a working language")
        silent = [
            pool.moderators[m].id
            for m in moderators
            if language not in pool.moderators[m].languages
        ]
        if silent:
            yield Fault(Rule.LANGUAGE, f"moderator {', '.join(silent)} does not speak {language}")
        lost = unbridged(pool, language, members)
        if lost:
            names = ", ".join(people[i].id for i in lost)
            yield Fault(Rule.LANGUAGE, f"{names} cannot follow {language}", True)
    if Rule.ORIGIN in rules:
        origins = Counter(o for i in members if (o := people[i].origin) is not None)
        for origin, count in sorted(origins.items()):
            if not origin_ok(pool, count):
                yield Fault(
                    Rule.ORIGIN, f"{count} members from {origin}; at most {pool.max_same_origin}"
                )
    if Rule.TOGETHER_APART in rules:
        member_set = set(members)
        for i in members:
            clash = apart_clash(pool, i, member_set)
            if clash:
                names = ", ".join(sorted(people[j].id for j in clash))
                yield Fault(Rule.TOGETHER_APART, f"{people[i].id} must be kept apart from {names}")
                break
        for i in members:
            component = pool.components[pool.component_of[i]]
            if not member_set.issuperset(component.members):
                yield Fault(Rule.TOGETHER_APART, f"{people[i].id} is without a together companion")
                break
