"""Why each waitlisted person is waiting, found by trying to seat them.

People the input alone rules out carry their reason from
:mod:`matching.explanations.screening`. For the others every group of every series they can
attend is tried with them (and their together companions) added, and the rules that block
each try are collected; then the chance of opening another group there is checked (room in
the series, a free moderator speaking a language they can follow, enough people waiting).
The reason names what blocks them most often, in words an organiser can act on.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from matching.grouping import Grouping
from matching.instance import Instance
from matching.rules import Rule, breaks_any, group_faults, role_mix_possible


@dataclass
class _Context:
    instance: Instance
    grouping: Grouping
    ids: list[str]
    by_series: dict[int, list[int]]
    moderators_used: dict[int, set[int]]
    waiting: set[int]
    # Per series, found when first needed: who is waiting among those who listed it (in the
    # order of ``waiting``), and how many of those who might be placed there wait, and how
    # many of them are newcomers.
    _listed: dict[int, list[int]] = field(default_factory=dict)
    _pools: dict[int, tuple[int, int]] = field(default_factory=dict)

    def waiting_on(self, series: int) -> list[int]:
        known = self._listed.get(series)
        if known is None:
            people = self.instance.people
            known = self._listed[series] = [j for j in self.waiting if series in people[j].series]
        return known

    def pool(self, series: int) -> tuple[int, int]:
        known = self._pools.get(series)
        if known is None:
            instance = self.instance
            pool = [
                j
                for j in self.waiting_on(series)
                if j not in instance.blocked
                and series in instance.component_series[instance.component_of[j]]
            ]
            known = self._pools[series] = (
                len(pool),
                sum(instance.people[j].newcomer for j in pool),
            )
        return known


# The reason given to people whose case was not analysed before the deadline.
NOT_ANALYSED = "no place was found for them before the time limit ran out"


def waitlist_reasons(
    instance: Instance,
    grouping: Grouping,
    *,
    deadline: float | None = None,
    by_lot: Collection[int] = frozenset(),
) -> dict[int, str]:
    """A reason for every participant who is not placed, by participant index. Past
    ``deadline`` the reasons found by screening are still given, the rest get
    :data:`NOT_ANALYSED`. ``by_lot`` names components that a grouping placing as many of
    each priority could seat (found by :func:`matching.improvement.lottery.draw_by_lot`):
    only the lot keeps them waiting."""
    placed = grouping.placed()
    by_series: dict[int, list[int]] = defaultdict(list)
    moderators_used: dict[int, set[int]] = defaultdict(set)
    for k, draft in enumerate(grouping.groups):
        by_series[draft.series].append(k)
        moderators_used[draft.series].update(draft.moderators)
    waiting = {i for i in range(len(instance.people)) if i not in placed}
    context = _Context(
        instance, grouping, grouping.ids(instance), by_series, moderators_used, waiting
    )
    reasons: dict[int, str] = {}
    for i in sorted(waiting):
        if i in reasons:
            continue
        if i in instance.blocked:
            reasons[i] = instance.blocked[i]
            continue
        component = instance.components[instance.component_of[i]]
        if deadline is not None and time.monotonic() >= deadline:
            text = NOT_ANALYSED
        else:
            text = _component_reason(context, component.index, component.index in by_lot)
        for j in component.members:
            if j in waiting and j not in instance.blocked:
                others = [instance.people[k].id for k in component.members if k != j]
                prefix = f"with {', '.join(others)} (together): " if others else ""
                reasons[j] = prefix + text
    return reasons


def _names(items: list[str]) -> str:
    return ", ".join(items)


# The words that start every reason where the lottery decided (matching.lottery).
BY_LOT = "by lot"


def _component_reason(context: _Context, c: int, lot: bool = False) -> str:
    """What keeps them waiting; where the lot decided (they could take the place of
    someone of the same priority with a better lottery rank), "by lot" first."""
    reason, searched = _rule_reason(context, c)
    if not searched:
        return reason
    exchange = _lot_exchange(context, c)
    if exchange is not None:
        return (
            f"{BY_LOT}: {reason}; group {context.ids[exchange]} could take them in place of "
            "a participant of the same priority who drew a better lottery rank"
        )
    if lot:
        return (
            f"{BY_LOT}: {reason}; a grouping placing as many people could take them only in "
            "place of participants of the same priority who drew better lottery ranks"
        )
    return reason


def _rule_reason(context: _Context, c: int) -> tuple[str, bool]:
    """The reason the rules give, and False when a group could take them as it is (the
    search, not the lot, left them out)."""
    instance, grouping = context.instance, context.grouping
    members = list(instance.components[c].members)
    series = list(instance.component_series[c])
    series_names = _names([instance.series[s].id for s in series])
    # Per blocking rule: the groups with room where it blocks them.
    blocked: dict[Rule, list[int]] = {}
    full: list[int] = []
    for s in series:
        for k in context.by_series[s]:
            draft = grouping.groups[k]
            if len(draft.members) + len(members) > instance.max_size:
                full.append(k)
                continue
            faults = group_faults(
                instance, s, draft.language, draft.moderators, [*draft.members, *members]
            )
            if not faults:
                return (
                    f"group {context.ids[k]} could take them, but the search ended before it "
                    "found that place"
                ), False
            for rule in dict.fromkeys(f.rule for f in faults):
                blocked.setdefault(rule, []).append(k)
    new_group = _new_group_obstacle(context, c, series)
    if not any(context.by_series[s] for s in series):
        return new_group or f"no group could be formed on {series_names}", True
    suffix = f"; and no new group can open: {new_group}" if new_group else ""
    if not blocked:
        priority = _priority_note(context, c, full)
        if all(len(context.by_series[s]) >= instance.series[s].max_groups for s in series):
            return (
                f"no series they can attend has room: all groups on {series_names} are full"
                + priority
            ), True
        return (
            f"all groups in the series they can attend ({series_names}) are full"
            + priority
            + suffix
        ), True
    rule = max(blocked, key=lambda r: (len(blocked[r]), -r))
    return _fault_detail(context, c, blocked[rule], rule) + suffix, True


# Up to this many people waiting, every exchange is tried with the rules; above it only
# people the rules treat alike (same role, origin and languages, one at a time), which needs
# no rule check: trying every exchange for thousands waiting would take the reasons' time.
EXCHANGES_TRIED_UP_TO = 300


def _lot_exchange(context: _Context, c: int) -> int | None:
    """A group where the component could take the place of as many people of the same
    priority who drew a better lottery rank, keeping every rule: the lot decided."""
    instance, grouping = context.instance, context.grouping
    people = instance.people
    component = instance.components[c]
    level = max(people[i].level for i in component.members)
    # People of the same role only: the newcomer share rarely allows an exchange of roles,
    # and the exact draw (``by_lot``) covers every other case in city rounds.
    role = [people[i].newcomer for i in component.members]
    alike = (
        (people[component.members[0]].origin, people[component.members[0]].languages)
        if len(component.members) == 1
        else None
    )
    every = len(context.waiting) <= EXCHANGES_TRIED_UP_TO
    apart = {j for i in component.members for j in instance.apart.get(i, frozenset())}
    for s in instance.component_series[c]:
        for k in context.by_series[s]:
            draft = grouping.groups[k]
            if draft.locked:
                continue
            seen: set[int] = set()
            for i in draft.members:
                d = instance.component_of[i]
                if d in seen:
                    continue
                seen.add(d)
                other = instance.components[d]
                if (
                    len(other.members) != len(component.members)
                    or [people[j].newcomer for j in other.members] != role
                    or other.lot > component.lot
                    or max(people[j].level for j in other.members) != level
                    or (
                        draft.previous is not None
                        and instance.previous_group_of.get(i) == draft.previous
                    )
                ):
                    continue
                if (
                    alike is not None
                    and len(other.members) == 1
                    and (people[i].origin, people[i].languages) == alike
                    and not apart & set(draft.members)
                ):
                    # The same role, origin and languages: the group keeps every rule.
                    return k
                if not every:
                    continue
                members = [j for j in draft.members if instance.component_of[j] != d]
                members += component.members
                if not breaks_any(instance, s, draft.language, draft.moderators, members):
                    return k
    return None


def _fault_detail(context: _Context, c: int, groups: list[int], rule: Rule) -> str:
    instance = context.instance
    drafts = [context.grouping.groups[k] for k in groups]
    where = _names(list(dict.fromkeys(instance.series[d.series].id for d in drafts)))
    members = instance.components[c].members
    if rule == Rule.NEWCOMER_SHARE:
        share = f"{float(instance.share_low):.0%} to {float(instance.share_high):.0%}"
        role = "newcomers" if instance.people[members[0]].newcomer else "citizens"
        return (
            f"the groups with room on {where} already have as many {role} as the newcomer "
            f"share ({share}) allows"
        )
    if rule == Rule.LANGUAGE:
        languages = _names(sorted({d.language for d in drafts}))
        return (
            f"nobody in the groups with room on {where} shares a language with them and "
            f"speaks the group's language ({languages})"
        )
    if rule == Rule.ORIGIN:
        origins = _names(sorted({o for i in members if (o := instance.people[i].origin)}))
        return (
            f"the groups with room on {where} already have {instance.max_same_origin} "
            f"members from {origins}"
        )
    if rule == Rule.TOGETHER_APART:
        clash = sorted(
            {
                instance.people[j].id
                for d in drafts
                for i in members
                for j in instance.apart.get(i, frozenset())
                if j in d.members
            }
        )
        who = _names(clash) or "someone they must be kept apart from"
        return f"{who}, whom they must be kept apart from, is in the groups with room on {where}"
    ids = _names([context.ids[k] for k in groups])
    return f"groups {ids} on {where} cannot take them (rule {int(rule)})"


def _new_group_obstacle(context: _Context, c: int, series: list[int]) -> str | None:
    """Why no further group opens on any of these series, or None when one could."""
    instance = context.instance
    people = instance.people
    members = instance.components[c].members
    obstacles = []
    for s in series:
        info = instance.series[s]
        name = info.id
        if len(context.by_series[s]) >= info.max_groups:
            obstacles.append(f"{name} has no room for another group")
            continue
        usable = set().union(*(people[i].languages for i in members))
        for j in context.waiting_on(s):
            if people[j].languages & usable:
                usable |= people[j].languages
        free = [m for m in info.moderators if m not in context.moderators_used[s]]
        languages = [
            lang
            for lang in info.languages
            if lang in usable
            and sum(lang in instance.moderators[m].languages for m in free) >= instance.per_group
        ]
        if not languages:
            own = _names(sorted(set().union(*(people[i].languages for i in members))))
            obstacles.append(
                f"no moderator who speaks {own} or a bridged language is free on {name}"
            )
            continue
        pool, newcomers = context.pool(s)
        if pool < instance.min_size:
            obstacles.append(
                f"only {pool} people who can attend {name} are waiting, too few to open a "
                f"group ({instance.min_size})"
            )
            continue
        if not _role_mix_available(instance, newcomers, pool - newcomers):
            role = "newcomers" if 2 * newcomers < pool else "citizens"
            obstacles.append(
                f"too few {role} are waiting on {name} to open a group with a newcomer share "
                f"between {float(instance.share_low):.0%} and {float(instance.share_high):.0%}"
            )
            continue
        return None
    return "; ".join(obstacles) if obstacles else None


def _priority_note(context: _Context, c: int, full: list[int]) -> str:
    instance = context.instance
    level = max(instance.people[i].level for i in instance.components[c].members)
    higher = any(
        instance.people[i].level > level for k in full for i in context.grouping.groups[k].members
    )
    return " (places went to participants with higher priority first)" if higher else ""


def _role_mix_available(instance: Instance, newcomers: int, citizens: int) -> bool:
    """Whether some group size allows a valid newcomer share from these people: a group of
    ``size`` holds at least ``size - citizens`` newcomers and ``size - newcomers`` citizens."""
    for size in range(instance.min_size, min(instance.max_size, newcomers + citizens) + 1):
        least_newcomers = max(0, size - citizens)
        least_citizens = max(0, size - newcomers)
        if role_mix_possible(instance, size, least_newcomers, least_citizens):
            return True
    return False
