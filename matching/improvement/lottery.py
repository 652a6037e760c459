"""The lottery for the last places: among people of equal priority, the lower lottery rank
(:mod:`matching.lottery`) is placed first; only the rules and priority override it.

The lottery is the objective level right after placement (and, in a rematch, moves); it
never changes how many people of each priority are placed. Two passes keep it:

- :func:`exchange_by_lot` (every pool, fast): a waiting person takes the place of a placed
  person of the same priority with a worse rank wherever the group keeps every rule with the
  exchange. Each exchange places a better rank instead of a worse one, so the passes end.
- :func:`draw_by_lot` (pools small enough for the whole model): the lexicographic optimum
  exactly. People of the highest priority first, then by rank: each in turn is fixed placed
  if some valid grouping places them together with every decision before, keeping each
  priority's count, and fixed waiting otherwise. A person waiting in the end therefore waits
  because placing them would keep someone of the same priority with a better rank from a
  place (the lot), or because no grouping places them with that many (the rules).

See docs/adr/0014-lottery-for-the-last-places.md.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Container
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from matching.grouping import Draft, Grouping
from matching.instance import Instance
from matching.model.cpsat import GroupingModel
from matching.model.neighbourhood import neighbourhood
from matching.model.search import new_solver, stop_watch
from matching.rules import breaks_any


@dataclass
class Drawn:
    grouping: Grouping
    # Whether every decision was taken (the result is the lexicographic optimum for the
    # placement it keeps), rather than cut short by the time limit.
    complete: bool
    # Waiting components that a grouping with as many placed could seat: only the lot
    # keeps them waiting.
    by_lot: set[int] = field(default_factory=set)


def _top_level(instance: Instance, c: int) -> int:
    return max(instance.people[i].level for i in instance.components[c].members)


def _order(instance: Instance, components: list[int]) -> list[int]:
    """Highest priority first, then by lottery rank."""
    return sorted(components, key=lambda c: (-_top_level(instance, c), instance.components[c].lot))


def _worse_placed(instance: Instance, grouping: Grouping) -> dict[int, int]:
    """Per priority level, the worst lottery rank placed."""
    worst: dict[int, int] = {}
    for d in grouping.groups:
        for i in d.members:
            c = instance.component_of[i]
            level = _top_level(instance, c)
            worst[level] = max(worst.get(level, -1), instance.components[c].lot)
    return worst


def draw_by_lot(
    instance: Instance,
    grouping: Grouping,
    *,
    deadline: float,
    workers: int,
    stop: Callable[[], bool],
) -> Drawn:
    """The grouping that places as many of each priority as ``grouping`` (or more), chosen
    by lot as described above. Meant for a round without a previous grouping (a rematch
    keeps people in their groups first). Stops, incomplete, at ``deadline``."""
    placed = grouping.placed()
    placeable = [c for c, series in enumerate(instance.component_series) if series]
    worst = _worse_placed(instance, grouping)
    # Only someone waiting who drew a better rank than someone placed of the same priority
    # can change anything.
    contested = [
        c
        for c in placeable
        if instance.components[c].members[0] not in placed
        and instance.components[c].lot < worst.get(_top_level(instance, c), -1)
    ]
    if not contested:
        return Drawn(grouping, complete=True)
    part = neighbourhood(instance, grouping, range(len(instance.series)), placeable)
    model = GroupingModel(instance, part.sub)
    # No priority level loses a place.
    counts = [0] * len(instance.level_counts)
    for i in placed:
        counts[instance.people[i].level] += 1
    per_level: list[list[cp_model.LinearExprT]] = [[] for _ in counts]
    for c in model.x:
        for i in instance.components[c].members:
            per_level[instance.people[i].level].append(model.placed_var(c))
    for level, terms in enumerate(per_level):
        if counts[level]:
            model.model.add(sum(terms) >= counts[level])
    # Each decision holds under an assumption literal, so that the same model also tells
    # whether someone could be placed without the decisions (the reason "by lot").
    decisions: list[cp_model.IntVar] = []

    def decide(c: int, value: int) -> None:
        literal = model.model.new_bool_var(f"lot_{c}")
        model.model.add(model.placed_var(c) == value).only_enforce_if(literal)
        decisions.append(literal)

    best = grouping
    for c in _order(instance, placeable):
        if c not in model.x:
            continue
        if instance.components[c].members[0] in best.placed():
            decide(c, 1)
            continue
        if instance.components[c].lot > _worse_placed(instance, best).get(
            _top_level(instance, c), -1
        ):
            # Everyone of this priority placed drew a better rank, and is fixed placed:
            # seating them too would take a place more, which is not the lottery's to find.
            continue
        if time.monotonic() >= deadline or stop():
            return Drawn(best, complete=False)
        verdict, found = _try(model, c, decisions, best, deadline, workers, stop)
        if verdict == "unknown":
            return Drawn(best, complete=False)
        if verdict == "feasible" and found is not None:
            best = part.merge(found)
            decide(c, 1)
        else:
            decide(c, 0)
    # Who waits only because of the lot: placed without the decisions, they could be.
    by_lot: set[int] = set()
    placed = best.placed()
    for c in _order(instance, placeable):
        if instance.components[c].members[0] in placed or c not in model.x:
            continue
        if time.monotonic() >= deadline or stop():
            break
        verdict, _ = _try(model, c, [], best, deadline, workers, stop)
        if verdict == "feasible":
            by_lot.add(c)
    return Drawn(best, complete=True, by_lot=by_lot)


def _try(
    model: GroupingModel,
    c: int,
    decisions: list[cp_model.IntVar],
    hint: Grouping,
    deadline: float,
    workers: int,
    stop: Callable[[], bool],
) -> tuple[str, Grouping | None]:
    """Whether some grouping places component ``c`` too, keeping the ``decisions``."""
    literal = model.model.new_bool_var(f"try_{c}")
    model.model.add(model.placed_var(c) == 1).only_enforce_if(literal)
    model.model.clear_assumptions()
    model.model.add_assumptions([*decisions, literal])
    model.model.clear_objective()  # type: ignore[no-untyped-call]
    model.hint(hint.groups)
    solver = new_solver(deadline - time.monotonic(), workers)
    with stop_watch(solver, stop):
        status = solver.solve(model.model)
    model.model.clear_assumptions()
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "feasible", model.read(solver)
    if status == cp_model.INFEASIBLE:
        return "infeasible", None
    return "unknown", None


def exchange_by_lot(
    instance: Instance,
    grouping: Grouping,
    *,
    deadline: float,
    fixed: Container[int] = frozenset(),
) -> Grouping:
    """Direct exchanges: a waiting component takes the place of a placed component of the
    same priority and role, as many people, and a worse lottery rank, in a group that keeps
    every rule with the exchange. Nobody in ``fixed`` (locked groups, people back in their
    previous group) is exchanged. Stops at ``deadline``."""
    result = grouping.copy()
    placed = result.placed()
    by_series: dict[int, list[Draft]] = defaultdict(list)
    for d in result.groups:
        if not d.locked:
            by_series[d.series].append(d)
    queue = deque(
        _order(
            instance,
            [
                c
                for c, series in enumerate(instance.component_series)
                if series and instance.components[c].members[0] not in placed
            ],
        )
    )
    while queue and time.monotonic() < deadline:
        c = queue.popleft()
        swap = _exchange_for(instance, c, by_series, fixed)
        if swap is None:
            continue
        draft, out = swap
        draft.members = sorted(
            [i for i in draft.members if instance.component_of[i] != out]
            + list(instance.components[c].members)
        )
        # The one who now waits may in turn take the place of someone with a worse rank.
        queue.append(out)
    return result


def _exchange_for(
    instance: Instance, c: int, by_series: dict[int, list[Draft]], fixed: Container[int]
) -> tuple[Draft, int] | None:
    """The group and the placed component with the worst rank that ``c`` can replace."""
    component = instance.components[c]
    level = _top_level(instance, c)
    size = len(component.members)
    role = [instance.people[i].newcomer for i in component.members]
    options: list[tuple[int, int, Draft]] = []
    for s in instance.component_series[c]:
        for draft in by_series.get(s, ()):
            for i in draft.members:
                d = instance.component_of[i]
                other = instance.components[d]
                if (
                    other.members[0] != i
                    or other.lot < component.lot
                    or len(other.members) != size
                    or [instance.people[j].newcomer for j in other.members] != role
                    or _top_level(instance, d) != level
                    or any(j in fixed for j in other.members)
                ):
                    continue
                options.append((other.lot, d, draft))
    for _, d, draft in sorted(options, key=lambda o: -o[0]):
        members = [i for i in draft.members if instance.component_of[i] != d]
        members += component.members
        if not breaks_any(instance, draft.series, draft.language, draft.moderators, members):
            return draft, d
    return None
