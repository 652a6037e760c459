"""Rematching after dropouts: start from the previous groups and repair them.

A member moves only when the hard rules force it (see :mod:`matching.models`), so a rematch
starts from the previous groups as they are after the dropouts and repairs the broken ones
series by series; the solver then improves on that across series.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from matching.grouping import Draft, Grouping
from matching.instance import Instance
from matching.model.neighbourhood import MIN_STEP, neighbourhood, solve_neighbourhood
from matching.rules import breaks_any


def rematch_by_series(
    instance: Instance,
    *,
    deadline: float,
    workers: int,
    stop: Callable[[], bool],
) -> Grouping | None:
    """A rematch solved series by series from the previous groups as they are after the
    dropouts: a series whose groups all still keep the rules stays as it is; the others are
    solved exactly with the fewest moves, taking in as few people waiting (or let go by an
    earlier series) as that allows, so that later series find the people they need. Vacant
    places are filled afterwards. A series not solved in time keeps its previous groups that
    still keep every rule. None if a locked group could not be completed."""
    raw = [
        Draft(g.series, g.language, g.moderators, list(g.members), g.index, g.locked)
        for g in instance.previous
    ]
    placed: set[int] = set()
    groups: list[Draft] = []
    order = sorted(
        {d.series for d in raw},
        key=lambda s: (-sum(len(d.members) for d in raw if d.series == s), s),
    )
    order += [s.index for s in instance.series if s.index not in order]
    for k, s in enumerate(order):
        later = set(order[k:])
        waiting = [
            c.index
            for c in instance.components
            if instance.component_series[c.index]
            and c.index not in placed
            and not _previous_member_of(instance, c.index, later)
        ]
        # The previous groups that still keep every rule are the starting point (a feasible
        # hint); the members of the others are free to be placed anew.
        inside = [d for d in raw if d.series == s]
        valid = [d for d in inside if not _faults(instance, d, placed)]
        loose = {
            instance.component_of[i] for d in inside if d not in valid for i in d.members
        } - placed
        staged = None
        # Where every previous group still keeps the rules nobody has to move; vacancies
        # are filled later, where people waiting can be seated without moving anyone.
        if loose and time.monotonic() < deadline and not stop():
            part = neighbourhood(instance, Grouping(valid), [s], [*waiting, *sorted(loose)])
            staged = solve_neighbourhood(
                instance,
                part,
                time_limit=max(MIN_STEP, (deadline - time.monotonic()) / (len(order) - k)),
                workers=workers,
                stop=stop,
                frugal=True,
            )
        if staged is None and any(d.locked for d in inside if d not in valid):
            return None
        solved = staged.grouping.groups if staged is not None else valid
        groups += solved
        placed |= {instance.component_of[i] for d in solved for i in d.members}
    return Grouping(groups)


def _faults(instance: Instance, draft: Draft, placed: set[int]) -> bool:
    if any(instance.component_of[i] in placed for i in draft.members):
        return True
    return breaks_any(instance, draft.series, draft.language, draft.moderators, draft.members)


def _previous_member_of(instance: Instance, c: int, series: set[int]) -> bool:
    """Whether a member of the component was in a previous group of one of these series."""
    for i in instance.components[c].members:
        g = instance.previous_group_of.get(i)
        if g is not None and instance.previous[g].series in series:
            return True
    return False
