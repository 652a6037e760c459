"""Finds who cannot be placed in any grouping at all, and why, from the input alone.

Screened-out people get no variables in the models (smaller models, tighter bounds) and a
waitlist reason that names the rule that stops them. The analysis repeats until nothing
changes, because a person screened out can no longer bridge a language or fill a series.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from matching.pool import Component, Pool
from matching.rules import apart_clash, origin_ok, role_mix_possible


@dataclass(frozen=True)
class Screening:
    # Reason per participant index, for everyone who cannot be placed.
    blocked: dict[int, str]
    # Per component: the series it might be placed in (empty when blocked).
    series: list[tuple[int, ...]]


@dataclass(frozen=True)
class _Block:
    text: str
    # The member the text is about; None when it concerns the whole component.
    culprit: int | None = None


def screen(instance: Pool) -> Screening:
    blocked: dict[int, str] = {}
    # Whether some group size allows a mix, by (newcomers, citizens): few distinct mixes.
    mixes: dict[tuple[int, int], bool] = {}
    for component in instance.components:
        block = _structural_block(instance, component, mixes)
        if block is not None:
            _record(instance, component, block, blocked)
    # A component's verdict depends only on its series: whether each is viable and who
    # attends it. After the first pass, only components on a series where that changed are
    # looked at again.
    pending = [c for c in instance.components if c.members[0] not in blocked]
    viable = _viable_series(instance, blocked)
    bridges = _Bridges(instance, blocked)
    while True:
        changed = False
        for component in pending:
            block = _series_block(component, viable)
            if block is None:
                block = _language_block(instance, component, viable, bridges)
            if block is not None:
                _record(instance, component, block, blocked)
                changed = True
        if not changed:
            break
        before_viable, before_bridges = viable, bridges
        viable = _viable_series(instance, blocked)
        bridges = _Bridges(instance, blocked)
        touched = {
            s.index
            for s in instance.series
            if viable[s.index] != before_viable[s.index]
            or bridges.profiles(s.index) != before_bridges.profiles(s.index)
        }
        pending = [
            c
            for c in instance.components
            if c.members[0] not in blocked and not touched.isdisjoint(c.series)
        ]
    series = [
        ()
        if component.members[0] in blocked
        else tuple(
            s
            for s in component.series
            if viable[s] is None and all(bridges.can_work_in(i, s) for i in component.members)
        )
        for component in instance.components
    ]
    return Screening(blocked, series)


def _record(instance: Pool, component: Component, block: _Block, out: dict[int, str]) -> None:
    for i in component.members:
        if block.culprit is None or block.culprit == i:
            out[i] = block.text
        else:
            name = instance.people[block.culprit].id
            out[i] = f"their companion {name} could not be placed: {block.text}"


def _names(ids: list[str]) -> str:
    return ", ".join(ids)


def _share_range(instance: Pool) -> str:
    return f"between {float(instance.share_low):.0%} and {float(instance.share_high):.0%}"


def _structural_block(
    instance: Pool, component: Component, mixes: dict[tuple[int, int], bool]
) -> _Block | None:
    people = [instance.people[i] for i in component.members]
    for person in people:
        listed = instance.problem.participants[person.index].series
        if not listed:
            return _Block("they did not list any series", person.index)
        if not person.languages:
            return _Block("they did not list any language", person.index)
        if not person.series:
            return _Block(
                f"they need step-free access, which none of their series ({_names(listed)}) offers",
                person.index,
            )

    def everyone() -> str:
        return _names([p.id for p in people])

    if not component.series:
        return _Block(f"they and their companions ({everyone()}) have no series in common")
    if len(people) > instance.max_size:
        return _Block(
            f"they and their companions ({everyone()}) are {len(people)} people, more than a "
            f"group may hold ({instance.max_size})"
        )
    members = set(component.members)
    for person in people:
        clash = sorted(instance.people[j].id for j in apart_clash(instance, person.index, members))
        if clash:
            return _Block(
                f"they must be in one group with {everyone()} (together), but {person.id} and "
                f"{_names(clash)} must be kept apart"
            )
    for origin, count in component.origins:
        if not origin_ok(instance, count):
            return _Block(
                f"they and their companions include {count} people from {origin}, more than "
                f"the {instance.max_same_origin} allowed in one group"
            )
    citizens = len(people) - component.newcomers
    mix = (component.newcomers, citizens)
    if mix not in mixes:
        sizes = range(max(instance.min_size, len(people)), instance.max_size + 1)
        mixes[mix] = any(role_mix_possible(instance, n, *mix) for n in sizes)
    if not mixes[mix]:
        if len(people) == 1:
            return _Block(
                f"no group size from {instance.min_size} to {instance.max_size} allows a "
                f"newcomer share {_share_range(instance)}"
            )
        return _Block(
            f"they and their companions ({everyone()}) cannot be in one group with a newcomer "
            f"share {_share_range(instance)}"
        )
    return None


def _viable_series(instance: Pool, blocked: dict[int, str]) -> dict[int, str | None]:
    """Per series: None when groups can form there, else why not."""
    attendance: dict[int, int] = defaultdict(int)
    for person in instance.people:
        if person.index not in blocked:
            for s in person.series:
                attendance[s] += 1
    result: dict[int, str | None] = {}
    for series in instance.series:
        count = attendance[series.index]
        if series.max_groups == 0:
            result[series.index] = f"{series.id} has no room for groups"
        elif len(series.moderators) < instance.per_group:
            result[series.index] = f"no moderator is free on {series.id}"
        elif count < instance.min_size:
            result[series.index] = (
                f"only {count} people who can be placed attend {series.id}, fewer than a group "
                f"needs ({instance.min_size})"
            )
        else:
            result[series.index] = None
    return result


def _series_block(component: Component, viable: dict[int, str | None]) -> _Block | None:
    reasons = [viable[s] for s in component.series]
    if any(reason is None for reason in reasons):
        return None
    return _Block("; ".join(dict.fromkeys(r for r in reasons if r is not None)))


class _Bridges:
    """Which languages a person can take part in on a series, through others who attend it.

    Works on language profiles (the set of languages a person speaks) rather than people,
    because a pool has far fewer profiles than people.
    """

    def __init__(self, instance: Pool, blocked: dict[int, str]) -> None:
        self._instance = instance
        self._profiles: dict[int, set[frozenset[str]]] = defaultdict(set)
        for person in instance.people:
            if person.index not in blocked:
                for s in person.series:
                    self._profiles[s].add(person.languages)
        self._cache: dict[tuple[int, frozenset[str]], frozenset[str]] = {}
        self._works: dict[tuple[int, frozenset[str]], bool] = {}
        self._allowed = [frozenset(s.languages) for s in instance.series]

    def profiles(self, series: int) -> set[frozenset[str]]:
        """The language profiles of the people who might attend ``series``."""
        return self._profiles.get(series, set())

    def bridged(self, person: int, series: int) -> frozenset[str]:
        """Languages, beyond the person's own, spoken by someone on ``series`` who shares a
        language with them (that someone is never the person, who does not speak these)."""
        own = self._instance.people[person].languages
        key = (series, own)
        if key not in self._cache:
            found: set[str] = set()
            for profile in self._profiles[series]:
                if profile & own:
                    found |= profile
            self._cache[key] = frozenset(found - own)
        return self._cache[key]

    def can_work_in(self, person: int, series: int) -> bool:
        own = self._instance.people[person].languages
        if not own.isdisjoint(self._allowed[series]):
            return True
        key = (series, own)
        known = self._works.get(key)
        if known is None:
            known = not self.bridged(person, series).isdisjoint(self._allowed[series])
            self._works[key] = known
        return known


def _language_block(
    instance: Pool,
    component: Component,
    viable: dict[int, str | None],
    bridges: _Bridges,
) -> _Block | None:
    series = [s for s in component.series if viable[s] is None]
    for i in component.members:
        if any(bridges.can_work_in(i, s) for s in series):
            continue
        person = instance.people[i]
        names = _names([instance.series[s].id for s in series])
        usable = set(person.languages)
        for s in series:
            usable |= bridges.bridged(i, s)
        allowed = instance.working_languages
        if allowed is not None and not usable & allowed:
            return _Block(
                f"nobody who can attend {names} shares a language with them and speaks a "
                f"working language ({_names(sorted(allowed))})",
                i,
            )
        own = _names(sorted(person.languages)) or "any language"
        bridged = sorted(usable - person.languages)
        via = f" or a bridged language ({_names(bridged)})" if bridged else " or a bridged language"
        return _Block(f"no moderator who speaks {own}{via} is free on {names}", i)
    return None
