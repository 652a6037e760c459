"""Can the locked previous groups still keep the rules, and if not, why not?

Locked groups are the only part of a problem that can make it infeasible: everything else may
wait on the waitlist. First the faults that no newcomer to the group could mend are listed
directly (a moderator who no longer has the evening, too many members from one country...).
Then a CP-SAT model holding only the locked groups, with every rule family and every group
behind an assumption literal, either completes them or names the rules and groups in
conflict (``sufficient_assumptions_for_infeasibility``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from matching.grouping import Grouping
from matching.instance import Instance, PreviousInfo
from matching.model.cpsat import GroupingModel, Slot, SubProblem
from matching.model.search import new_solver
from matching.rules import group_faults


@dataclass(frozen=True)
class LockedVerdict:
    # feasible: the grouping completes every locked group (it holds only them);
    # infeasible: the explanation says why; unknown: not decided in time.
    status: str
    grouping: Grouping | None
    explanation: list[str]


def static_faults(instance: Instance) -> list[str]:
    """Faults of locked groups that adding members cannot mend."""
    faults: list[str] = []
    per_series: Counter[int] = Counter()
    for group in instance.previous:
        if group.locked:
            per_series[group.series] += 1
            faults += _group_faults(instance, group)
    for series, count in per_series.items():
        info = instance.series[series]
        if count > info.max_groups:
            faults.append(
                f"{info.id} has room for {info.max_groups} groups but {count} locked groups"
            )
    return faults


def _group_faults(instance: Instance, group: PreviousInfo) -> list[str]:
    """What the locked group breaks with its members and their together companions (who
    must join it too), that no further member could mend (see :func:`group_faults`)."""
    name = f"locked group {group.id}"
    people = instance.people
    faults = []
    forced = sorted(
        {j for i in group.members for j in instance.components[instance.component_of[i]].members}
    )
    for fault in group_faults(instance, group.series, group.language, group.moderators, forced):
        if not fault.mendable:
            faults.append(f"{name}: {fault.text}")
    # Rule 9 across groups: a together companion kept in another locked group.
    for i in group.members:
        component = instance.components[instance.component_of[i]]
        for j in component.members:
            other = instance.previous_group_of.get(j)
            if other is not None and other != group.index and instance.previous[other].locked:
                faults.append(
                    f"{name}: {people[i].id} must be together with {people[j].id}, who is "
                    f"in locked group {instance.previous[other].id}"
                )
    return faults


def decide(instance: Instance, *, time_limit: float, stop: Callable[[], bool]) -> LockedVerdict:
    """Complete the locked groups with people who can join them, or explain why not."""
    slots = [Slot(g.series, g.index, True) for g in instance.previous if g.locked]
    if not slots:
        return LockedVerdict("feasible", Grouping(), [])
    series = {slot.series for slot in slots}
    locked_members = {
        instance.component_of[i] for g in instance.previous if g.locked for i in g.members
    }
    components = sorted(
        locked_members
        | {c.index for c in instance.components if set(instance.component_series[c.index]) & series}
    )
    room = {s: instance.series[s].max_groups for s in series}
    sub = SubProblem(slots, components, {}, room)
    model = GroupingModel(instance, sub, diagnose=True)
    assumptions = list(model.switches.values()) + list(model.keep_locked.values())
    model.model.add_assumptions(assumptions)
    # Prefer few extra members, so that the completion takes as few people as it can from
    # the rest of the pool.
    model.model.minimize(model.placed_count)
    if stop():
        return LockedVerdict("unknown", None, ["the search was stopped"])
    # The infeasibility core is only reported by a single worker.
    solver = new_solver(time_limit, 1)
    status = solver.solve(model.model)
    if status in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return LockedVerdict("feasible", model.read(solver), [])
    if status == cp_model.INFEASIBLE:
        core = set(solver.sufficient_assumptions_for_infeasibility())
        core = _minimise(model, core, time_limit)
        return LockedVerdict("infeasible", None, _explain(instance, model, core))
    return LockedVerdict(
        "unknown", None, ["the locked groups could not be checked within the time limit"]
    )


def _minimise(model: GroupingModel, core: set[int], time_limit: float) -> set[int]:
    """Drop every assumption the conflict does not need (locked groups first, so that the
    explanation names as few groups as it can, then rule families)."""
    literals = {v.index: v for v in [*model.keep_locked.values(), *model.switches.values()]}
    model.model.clear_objective()  # type: ignore[no-untyped-call]
    kept = [index for index in literals if index in core]
    for index in list(kept):
        trial = [k for k in kept if k != index]
        model.model.clear_assumptions()
        model.model.add_assumptions([literals[k] for k in trial])
        if new_solver(time_limit, 1).solve(model.model) == cp_model.INFEASIBLE:
            kept = trial
    return set(kept)


def _explain(instance: Instance, model: GroupingModel, core: set[int]) -> list[str]:
    families = [name for name, var in model.switches.items() if var.index in core]
    groups = [
        instance.previous[model.sub.slots[g].previous or 0]
        for g, var in model.keep_locked.items()
        if var.index in core
    ]
    if not groups:
        groups = [instance.previous[s.previous or 0] for s in model.sub.slots]
    if len(groups) > 1:
        names = ", ".join(g.id for g in groups)
        rules = ", ".join(sorted({_FAMILY_TEXT[f] for f in families})) or "the rules"
        return [f"locked groups {names} cannot all be kept ({rules}): they need the same people"]
    texts = [_family_text(instance, groups[0], family) for family in families]
    return list(dict.fromkeys(texts)) or [
        f"locked group {groups[0].id} cannot be kept with the people who can join it"
    ]


_FAMILY_TEXT = {
    "min_size": "minimum size",
    "max_size": "maximum size",
    "share_low": "newcomer share",
    "share_high": "newcomer share",
    "language": "language",
    "origin": "origin limit",
    "apart": "apart",
}


def _family_text(instance: Instance, group: PreviousInfo, family: str) -> str:
    name = f"locked group {group.id}"
    series = instance.series[group.series]
    people = instance.people
    members = len(group.members)
    newcomers = sum(people[i].newcomer for i in group.members)
    joinable = [
        i
        for i in range(len(people))
        if i not in instance.previous_group_of
        and group.series in instance.component_series[instance.component_of[i]]
    ]
    share = f"between {float(instance.share_low):.0%} and {float(instance.share_high):.0%}"
    if family == "min_size":
        return (
            f"{name} has {members} members left and needs {instance.min_size}; only "
            f"{len(joinable)} people who are in no locked group can join it on {series.id}"
        )
    if family == "max_size":
        return f"{name} would need more than {instance.max_size} members"
    if family in ("share_low", "share_high"):
        new = sum(people[i].newcomer for i in joinable)
        return (
            f"{name} keeps {newcomers} newcomers among {members} members and cannot reach a "
            f"newcomer share {share} with those who can join ({new} newcomers, "
            f"{len(joinable) - new} citizens)"
        )
    if family == "language":
        lost = [people[i].id for i in group.members if group.language not in people[i].languages]
        return (
            f"in {name}, {', '.join(lost) or 'members'} do not speak {group.language} and "
            f"nobody who can join shares a language with them and speaks {group.language}"
        )
    if family == "origin":
        return f"{name} would have more than {instance.max_same_origin} members of one origin"
    return f"{name} would hold people who must be kept apart"
