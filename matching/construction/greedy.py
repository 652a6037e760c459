"""A fast constructor that always returns a grouping keeping every hard rule.

It is the fallback when the time runs out, the warm start for CP-SAT, and the baseline the
benchmarks compare against. In short: spread components over the series they can attend by
free capacity, open as many groups per series as the people assigned there fill, deal people
into them (higher priority and fewer alternatives first, each into the emptiest group where
they fit and their categories are rarest), then top up, repair or drop groups that still break
a rule. Locked previous groups are kept and only gain members.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from matching.construction.series_flow import series_assignment
from matching.grouping import Draft, Grouping
from matching.instance import Instance
from matching.rules import (
    Rule,
    breaks_any,
    follows,
    group_faults,
    newcomer_bounds,
    newcomer_share_ok,
    origin_ok,
    size_ok,
    spoken_with,
    unbridged,
)

_NOBODY: frozenset[int] = frozenset()


class _Box:
    """A draft group with the running counts that make fit tests cheap."""

    def __init__(self, instance: Instance, draft: Draft) -> None:
        self.instance = instance
        self.draft = draft
        self.newcomers = 0
        self.origins: Counter[str] = Counter()
        self.categories: list[Counter[str]] = [Counter() for _ in range(5)]
        self.members: set[int] = set()
        # Changes with every member added or removed; what :meth:`_bridging` found holds
        # for the version it was found for, and the group was found valid at
        # ``valid_version``.
        self.version = 0
        self.valid_version = -1
        self._bridged: tuple[int, frozenset[str], bool] = (-1, frozenset(), False)
        people = instance.people
        for i in draft.members:
            person = people[i]
            self.members.add(i)
            self.newcomers += person.newcomer
            if person.origin is not None:
                self.origins[person.origin] += 1
            for a, category in enumerate(person.categories):
                self.categories[a][category] += 1

    @property
    def size(self) -> int:
        return len(self.draft.members)

    def add(self, people: Iterable[int]) -> None:
        for i in people:
            person = self.instance.people[i]
            self.draft.members.append(i)
            self.members.add(i)
            self.newcomers += person.newcomer
            if person.origin is not None:
                self.origins[person.origin] += 1
            for a, category in enumerate(person.categories):
                self.categories[a][category] += 1
        self.version += 1

    def remove(self, people: Iterable[int]) -> None:
        for i in people:
            person = self.instance.people[i]
            self.draft.members.remove(i)
            self.members.discard(i)
            self.newcomers -= person.newcomer
            if person.origin is not None:
                self.origins[person.origin] -= 1
            for a, category in enumerate(person.categories):
                self.categories[a][category] -= 1
        self.version += 1

    def _bridging(self) -> tuple[frozenset[str], bool]:
        """Every language spoken by a member who speaks the group's language (a member who
        shares one of them can follow), and whether some member cannot follow."""
        version, spoken, lost = self._bridged
        if version != self.version:
            people = self.instance.people
            language = self.draft.language
            spoken = spoken_with(self.instance, language, self.draft.members)
            lost = any(
                not follows(people[i].languages, language, spoken) for i in self.draft.members
            )
            self._bridged = (self.version, spoken, lost)
        return spoken, lost

    def fits(self, component: int, *, final: bool = False) -> bool:
        """Whether the component can join without breaking a rule that adding more people
        could not mend (or, with ``final``, without breaking any rule of a finished group)."""
        # The inner loop of dealing: plain loops, no generators, the cheapest tests first.
        instance = self.instance
        comp = instance.components[component]
        draft = self.draft
        members = comp.members
        size = len(draft.members) + len(members)
        if size > instance.max_size:
            return False
        if draft.series not in instance.component_series[component]:
            return False
        newcomers = self.newcomers + comp.newcomers
        if final:
            if not size_ok(instance, size) or not newcomer_share_ok(instance, newcomers, size):
                return False
        else:
            # Rule 3 with room to grow: the largest group can still take what it lacks.
            low, high = newcomer_bounds(instance, instance.max_size)
            if newcomers > high or size - newcomers > instance.max_size - low:
                return False
        origins = self.origins
        for origin, n in comp.origins:
            if not origin_ok(instance, origins.get(origin, 0) + n):
                return False
        apart = instance.apart
        if apart:
            for i in members:
                if not apart.get(i, _NOBODY).isdisjoint(self.members):
                    return False
        spoken, lost = self._bridging()
        language = draft.language
        if lost:
            return not unbridged(instance, language, [*draft.members, *members])
        # Nobody here is lost, and joiners only add speakers: only the joiners can be lost.
        people = instance.people
        if len(members) == 1:
            return follows(people[members[0]].languages, language, spoken)
        joining = spoken | spoken_with(instance, language, members)
        return all(follows(people[i].languages, language, joining) for i in members)

    def crowding(self, component: int) -> int:
        """How many members already share a category with the component's members: lower
        means the group's mix gets closer to the pool's."""
        people = self.instance.people
        categories = self.categories
        total = 0
        for i in self.instance.components[component].members:
            for a, category in enumerate(people[i].categories):
                total += categories[a].get(category, 0)
        return total


_RANKINGS: WeakKeyDictionary[
    Instance, tuple[dict[int, tuple[int, int, int]], dict[int, list[int]]]
] = WeakKeyDictionary()


def _ranking(
    instance: Instance,
) -> tuple[dict[int, tuple[int, int, int]], dict[int, list[int]]]:
    known = _RANKINGS.get(instance)
    if known is None:
        rank = {
            c.index: (
                -max(instance.people[i].level for i in c.members),
                len(instance.component_series[c.index]),
                # The lottery, not the input order, breaks the remaining ties: one member's
                # rank (the smallest id's), not the best of the members' (``c.lot``), which
                # would put people who come together ahead of the others in the start.
                instance.people[min(c.members, key=lambda i: instance.people[i].id)].lot,
            )
            for c in instance.components
        }
        candidates: dict[int, list[int]] = defaultdict(list)
        placeable = [c.index for c in instance.components if instance.component_series[c.index]]
        for c in sorted(placeable, key=rank.__getitem__):
            for series in instance.component_series[c]:
                candidates[series].append(c)
        known = _RANKINGS[instance] = (rank, candidates)
    return known


class _Greedy:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.boxes: list[_Box] = []
        self.unassigned: set[int] = {
            c.index for c in instance.components if instance.component_series[c.index]
        }
        self.moderators_used: dict[int, set[int]] = defaultdict(set)
        self.by_series: dict[int, list[_Box]] = defaultdict(list)
        # Whether :meth:`run` stopped at its deadline before dealing every series.
        self.cut = False
        # Higher priority first, then those with fewer series to choose from; per series,
        # the components that may attend it in that order. Both follow from the instance
        # alone, and every builder on it (make_room and undo_moves start one each) shares them.
        self.rank, self.candidates = _ranking(instance)

    # -- bookkeeping -------------------------------------------------------------------------

    def open(self, draft: Draft) -> _Box:
        box = _Box(self.instance, draft)
        self.boxes.append(box)
        self.by_series[draft.series].append(box)
        self.moderators_used[draft.series].update(draft.moderators)
        return box

    def close(self, box: _Box) -> None:
        self.boxes.remove(box)
        self.by_series[box.draft.series].remove(box)
        self.moderators_used[box.draft.series].difference_update(box.draft.moderators)
        self.release(box, list(box.draft.members))

    def release(self, box: _Box, people: list[int]) -> None:
        box.remove(people)
        self.unassigned.update(self.instance.component_of[i] for i in people)

    def place(self, box: _Box, component: int) -> None:
        box.add(self.instance.components[component].members)
        self.unassigned.discard(component)

    def groups_in(self, series: int) -> list[_Box]:
        return list(self.by_series.get(series, []))

    def free_slots(self, series: int) -> int:
        return self.instance.series[series].max_groups - len(self.groups_in(series))

    def pick_moderators(
        self, series: int, language: str, exclude: set[int] | None = None
    ) -> tuple[int, ...] | None:
        instance = self.instance
        excluded = self.moderators_used[series] | (exclude or set())
        free = [
            m
            for m in instance.series[series].moderators
            if m not in excluded and language in instance.moderators[m].languages
        ]
        if len(free) < instance.per_group:
            return None
        # Keep versatile moderators for groups in rarer languages.
        free.sort(key=lambda m: (len(instance.moderators[m].languages), m))
        return tuple(free[: instance.per_group])

    def _can_lead(self, series: int, language: str) -> bool:
        """Whether :meth:`pick_moderators` would find moderators (without choosing them)."""
        instance = self.instance
        used = self.moderators_used[series]
        needed = instance.per_group
        for m in instance.series[series].moderators:
            if needed <= 0:
                break
            if m not in used and language in instance.moderators[m].languages:
                needed -= 1
        return needed <= 0

    def order(self, components: Iterable[int]) -> list[int]:
        return sorted(components, key=self.rank.__getitem__)

    # -- phases ------------------------------------------------------------------------------

    def start_from(self, grouping: Grouping) -> None:
        """Keep these groups as they are, as if they were locked."""
        for draft in grouping.copy().groups:
            draft.locked = True
            self.open(draft)
            self.unassigned -= {self.instance.component_of[i] for i in draft.members}

    def start_from_previous(self) -> None:
        """Reopen the previous groups with their remaining members, locked ones first so that
        their together companions join them rather than another group."""
        instance = self.instance
        present = {b.draft.previous for b in self.boxes}
        ordered = sorted(instance.previous, key=lambda g: (not g.locked, g.index))
        for previous in ordered:
            if previous.index in present:
                continue
            series = previous.series
            reused = (
                (previous.language, previous.moderators)
                if previous.locked
                else self._reuse(previous.series, previous.language, previous.moderators)
            )
            if reused is None:
                continue
            language, moderators = reused
            box = self.open(
                Draft(series, language, moderators, [], previous.index, previous.locked)
            )
            for component in dict.fromkeys(instance.component_of[i] for i in previous.members):
                members = instance.components[component].members
                if previous.locked:
                    for other in self.boxes:
                        if other is not box and not other.draft.locked:
                            self.release(other, [i for i in members if i in other.members])
                    box.add(i for i in members if i not in box.members)
                    self.unassigned.discard(component)
                elif (
                    component in self.unassigned
                    and all(instance.previous_group_of.get(i) == previous.index for i in members)
                    and series in instance.component_series[component]
                ):
                    self.place(box, component)

    def _reuse(
        self, series: int, language: str, moderators: tuple[int, ...]
    ) -> tuple[str, tuple[int, ...]] | None:
        """The previous language and moderators of an unlocked group where they still work,
        otherwise the closest replacement."""
        instance = self.instance
        if language not in instance.series[series].languages:
            return None
        usable = [
            m
            for m in moderators
            if series in instance.moderators[m].series
            and language in instance.moderators[m].languages
            and m not in self.moderators_used[series]
        ][: instance.per_group]
        if len(usable) < instance.per_group:
            extra = self.pick_moderators(series, language, exclude=set(usable))
            if extra is None:
                return None
            usable += extra[: instance.per_group - len(usable)]
        return language, tuple(usable)

    def _language_for(self, series: int, spoken: Counter[str]) -> str | None:
        """The series language most people speak (``spoken``: how many speak each) that
        enough free moderators speak."""
        instance = self.instance
        options = [
            lang for lang in instance.series[series].languages if self._can_lead(series, lang)
        ]
        if not options:
            return None
        return max(options, key=lambda lang: (spoken[lang], -options.index(lang)))

    def spread(self, by_flow: bool = True) -> dict[int, list[int]]:
        """Assign each unassigned component to one series: where a capacity flow sends it
        (priority first, no series over its room), else (or without ``by_flow``) where most
        room is left."""
        instance = self.instance
        room: dict[int, int] = {}
        for series in instance.series:
            used = sum(b.size for b in self.groups_in(series.index))
            room[series.index] = series.capacity * instance.max_size - used
        pending = self.order(self.unassigned)
        flow = series_assignment(instance, room, pending) if by_flow else {}
        assigned: dict[int, list[int]] = defaultdict(list)
        for c in pending:
            options = instance.component_series[c]
            best = flow.get(c, max(options, key=lambda s: (room[s], -options.index(s))))
            room[best] -= len(instance.components[c].members)
            assigned[best].append(c)
        return assigned

    def open_groups(self, series: int, components: list[int]) -> None:
        instance = self.instance
        people = sum(len(instance.components[c].members) for c in components)
        existing = self.groups_in(series)
        room_existing = sum(instance.max_size - b.size for b in existing)
        wanted = max(0, -(-(people - room_existing) // instance.max_size))
        if people - room_existing < instance.min_size:
            wanted = 0
        spoken: Counter[str] = Counter()
        for c in components:
            for i in instance.components[c].members:
                spoken.update(instance.people[i].languages)
        for _ in range(min(wanted, self.free_slots(series))):
            language = self._language_for(series, spoken)
            if language is None:
                break
            moderators = self.pick_moderators(series, language)
            assert moderators is not None
            self.open(Draft(series, language, moderators, []))

    def deal(self, series: int, components: list[int]) -> None:
        """Deal people into the series' groups: within a priority level, first those who can
        bridge the group language for others, then those who speak it, then those who need a
        bridge (by then most groups have one)."""
        instance = self.instance
        boxes = self.groups_in(series)
        languages = {b.draft.language for b in boxes}
        level = {c: i for i, c in enumerate(self.order(components))}

        def bridging(c: int) -> int:
            spoken = [instance.people[i].languages for i in instance.components[c].members]
            if not all(s & languages for s in spoken):
                return 2
            return 0 if any(len(s) > 1 for s in spoken) else 1

        def key(c: int) -> tuple[int, int, int]:
            top = max(instance.people[i].level for i in instance.components[c].members)
            return (-top, bridging(c), level[c])

        pending = sorted(components, key=key)
        for _ in range(2):
            deferred = []
            for c in pending:
                box = _emptiest_fitting(boxes, c)
                if box is not None:
                    self.place(box, c)
                else:
                    deferred.append(c)
            pending = deferred

    def repair(self) -> None:
        """Top up or trim groups that break a rule; drop those that cannot be mended (a locked
        group stays, and the caller learns from the checker that it is broken)."""
        instance = self.instance
        for box in list(self.boxes):
            if box.valid_version == box.version:
                continue
            rules = self._faults(box)
            for _ in range(2 * instance.max_size):
                if not rules or not self._mend(box, rules):
                    break
                rules = self._faults(box)
            if not rules:
                box.valid_version = box.version
            elif not box.draft.locked:
                self.close(box)

    def _faults(self, box: _Box) -> set[Rule]:
        d = box.draft
        return {
            f.rule
            for f in group_faults(self.instance, d.series, d.language, d.moderators, d.members)
        }

    def _mend(self, box: _Box, rules: set[Rule]) -> bool:
        """One step towards a valid group (which breaks ``rules``); False when no step
        helps."""
        lost = unbridged(self.instance, box.draft.language, box.draft.members)
        mendable = {Rule.SIZE, Rule.NEWCOMER_SHARE, Rule.LANGUAGE}
        if rules - mendable or (Rule.LANGUAGE in rules and not lost):
            return False
        if self._top_up(box, bool(lost)):
            return True
        return not box.draft.locked and self._trim(box, lost)

    def _top_up(self, box: _Box, unbridged_members: bool) -> bool:
        instance = self.instance
        size, newcomers = box.size, box.newcomers
        low, high = newcomer_bounds(instance, max(size, instance.min_size))
        need_newcomer = newcomers < low
        need_citizen = size - newcomers < max(size, instance.min_size) - high
        if not (size < instance.min_size or need_newcomer or need_citizen or unbridged_members):
            return False
        for c in self.candidates.get(box.draft.series, ()):
            if c not in self.unassigned:
                continue
            comp = instance.components[c]
            if need_newcomer and comp.newcomers == 0:
                continue
            if need_citizen and comp.newcomers == len(comp.members):
                continue
            if box.fits(c):
                self.place(box, c)
                return True
        return False

    def _trim(self, box: _Box, lost: list[int]) -> bool:
        instance = self.instance
        if lost:
            components = {instance.component_of[i] for i in lost}
            self.release(box, [i for c in components for i in instance.components[c].members])
            return True
        size, newcomers = box.size, box.newcomers
        if size - 1 < instance.min_size:
            return False
        too_many_newcomers = newcomers > newcomer_bounds(instance, size)[1]
        for i in reversed(box.draft.members):
            single = len(instance.components[instance.component_of[i]].members) == 1
            if single and instance.people[i].newcomer == too_many_newcomers:
                self.release(box, [i])
                return True
        return False

    def insert_leftovers(self) -> None:
        """Put remaining people into any group that stays valid with them."""
        instance = self.instance
        for c in self.order(list(self.unassigned)):
            fitting = [
                b
                for s in instance.component_series[c]
                for b in self.by_series.get(s, [])
                if b.fits(c, final=True)
            ]
            if fitting:
                self.place(min(fitting, key=lambda b: (b.size, b.crowding(c))), c)

    def eject(self, deadline: float, movable: set[int]) -> None:
        """Seat waiting people by making room: a waiting person takes the place of a
        ``movable`` member who fits into another group of a series they attend."""
        instance = self.instance
        for c in self.order(list(self.unassigned)):
            if time.monotonic() >= deadline:
                return
            for s in instance.component_series[c]:
                if self._eject_into(c, s, movable):
                    break

    def _eject_into(self, c: int, series: int, movable: set[int]) -> bool:
        instance = self.instance
        for box in self.by_series.get(series, []):
            for m in list(box.draft.members):
                if (
                    m not in movable
                    or len(instance.components[instance.component_of[m]].members) > 1
                ):
                    continue
                box.remove([m])
                if box.fits(c, final=True):
                    for s in self._targets(m, series):
                        for other in self.by_series.get(s, []):
                            if other is not box and other.fits(
                                instance.component_of[m], final=True
                            ):
                                other.add([m])
                                self.place(box, c)
                                return True
                box.add([m])
        return False

    def _targets(self, m: int, series: int) -> list[int]:
        """Series a member of a group of ``series`` may be moved to: any they can attend,
        except that a previous member's evenings do not change (a rematch ranks that above
        seating one more person here; the exact search decides such trades): they stay in
        ``series`` or return to their previous group's series."""
        instance = self.instance
        allowed = instance.component_series[instance.component_of[m]]
        previous = instance.previous_group_of.get(m)
        if previous is None:
            return list(allowed)
        home = instance.previous[previous].series
        return [s for s in dict.fromkeys((home, series)) if s in allowed]

    def return_home(self, deadline: float) -> None:
        """Bring people back into their previous group where it is open: directly, or in
        exchange for someone who joined it, who goes to the group the returner leaves or to
        another group of the series, where their own evenings do not change (placement and
        series changes rank before moves, so nobody goes to the waitlist for it)."""
        instance = self.instance
        home = {b.draft.previous: b for b in self.boxes if b.draft.previous is not None}
        where = {i: b for b in self.boxes for i in b.draft.members}
        for i, g in sorted(instance.previous_group_of.items()):
            if time.monotonic() >= deadline:
                return
            box = home.get(g)
            c = instance.component_of[i]
            if box is None or i in box.members or len(instance.components[c].members) > 1:
                continue
            current = where.get(i)
            if current is not None and current.draft.locked:
                continue
            if current is not None:
                current.remove([i])
                if not self._valid(current):
                    current.add([i])
                    continue
            if self._bring_back(box, i, current, where):
                where[i] = box
                self.unassigned.discard(c)
            elif current is not None:
                current.add([i])

    def _valid(self, box: _Box) -> bool:
        d = box.draft
        return not breaks_any(self.instance, d.series, d.language, d.moderators, d.members)

    def _bring_back(self, box: _Box, i: int, left: _Box | None, where: dict[int, _Box]) -> bool:
        instance = self.instance
        box.add([i])
        if self._valid(box):
            return True
        for j in list(box.draft.members):
            joined = instance.previous_group_of.get(j) != box.draft.previous
            if not joined or len(instance.components[instance.component_of[j]].members) > 1:
                continue
            box.remove([j])
            if self._valid(box):
                for target in [left, *self.by_series.get(box.draft.series, [])]:
                    if target is None or target is box or not self._keeps_evenings(j, box, target):
                        continue
                    target.add([j])
                    if self._valid(target):
                        where[j] = target
                        return True
                    target.remove([j])
            box.add([j])
        box.remove([i])
        return False

    def _keeps_evenings(self, j: int, source: _Box, target: _Box) -> bool:
        """Whether moving ``j`` from ``source`` to ``target`` leaves their evenings as they
        were or brings them back to their previous group's series."""
        instance = self.instance
        if target.draft.series == source.draft.series:
            return True
        previous = instance.previous_group_of.get(j)
        if previous is None:
            return True
        home = instance.previous[previous].series
        return target.draft.series == home or source.draft.series != home

    def _past(self, deadline: float | None) -> bool:
        self.cut |= deadline is not None and time.monotonic() >= deadline
        return self.cut

    def run(
        self, start: Grouping | None, deadline: float | None = None, by_flow: bool = True
    ) -> Grouping:
        """Deal series by series; past ``deadline`` no further series is dealt (``cut`` is
        then set), and the groups dealt so far are repaired, so the result stays valid.
        Without ``by_flow`` series are chosen by the room left (see :meth:`spread`)."""
        if start is not None:
            self.start_from(start)
        self.start_from_previous()
        self.repair()
        for _ in range(3):
            before = len(self.unassigned)
            if self._past(deadline):
                break
            for series, components in sorted(self.spread(by_flow).items()):
                if self._past(deadline):
                    break
                self.open_groups(series, components)
                self.deal(series, components)
            self.repair()
            if self.cut:
                break
            self.insert_leftovers()
            if len(self.unassigned) == before:
                break
        return Grouping([b.draft for b in self.boxes])


def _emptiest_fitting(boxes: list[_Box], component: int) -> _Box | None:
    """Of the boxes the component fits into, the one with the fewest members, then the
    least crowded, then the first (as ``min`` over all fitting boxes would choose): boxes
    with more members than one already found are not tested."""
    best: _Box | None = None
    best_size = best_crowding = 0
    for size, k in sorted([(len(b.draft.members), k) for k, b in enumerate(boxes)]):
        if best is not None and size > best_size:
            break
        box = boxes[k]
        if box.fits(component):
            crowding = box.crowding(component)
            if best is None or crowding < best_crowding:
                best, best_size, best_crowding = box, size, crowding
    return best


def make_room(
    instance: Instance, grouping: Grouping, *, deadline: float, movable: set[int]
) -> Grouping:
    """The grouping with more people seated where one member can move to another group to
    make room (see :meth:`_Greedy.eject`); then everyone who simply fits. When nobody could
    be seated, the grouping itself."""
    builder = _Greedy(instance)
    builder.start_from(grouping)
    waiting = len(builder.unassigned)
    builder.eject(deadline, movable)
    builder.insert_leftovers()
    if len(builder.unassigned) == waiting:
        return grouping
    result = Grouping([b.draft for b in builder.boxes])
    _restore_locked(instance, result)
    return result


def undo_moves(instance: Instance, grouping: Grouping, *, deadline: float) -> Grouping:
    """The grouping with people back in their previous group wherever the rules allow (see
    :meth:`_Greedy.return_home`), then everyone waiting who simply fits."""
    builder = _Greedy(instance)
    builder.start_from(grouping)
    builder.return_home(deadline)
    builder.insert_leftovers()
    result = Grouping([b.draft for b in builder.boxes])
    _restore_locked(instance, result)
    return result


def _restore_locked(instance: Instance, grouping: Grouping) -> None:
    for draft in grouping.groups:
        draft.locked = draft.previous is not None and instance.previous[draft.previous].locked


def greedy(instance: Instance, start: Grouping | None = None) -> Grouping:
    """A valid grouping, unless a locked previous group cannot keep the rules (then that group
    is returned as it is, and the caller must treat the problem as infeasible).

    ``start`` groups (for example locked groups completed by
    :mod:`matching.construction.locked`) are kept as they are, like locked groups; their
    ``locked`` flags are restored in the result."""
    return greedy_until(instance, start)[0]


def greedy_until(
    instance: Instance,
    start: Grouping | None = None,
    *,
    deadline: float | None = None,
    by_flow: bool = True,
) -> tuple[Grouping, bool]:
    """:func:`greedy` that deals no further series after ``deadline``: the grouping (as valid
    as :func:`greedy`'s, with the series not dealt left waiting) and whether it was cut short.

    Without ``by_flow`` each component goes to the series with the most room left instead of
    where a capacity flow sends it: for a large pool the flow is a third of the time, and
    when time is short dealing at once places more people."""
    builder = _Greedy(instance)
    result = builder.run(start, deadline, by_flow)
    _restore_locked(instance, result)
    return result, builder.cut
