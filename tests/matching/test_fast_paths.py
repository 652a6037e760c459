"""The shortcuts that keep large pools within their time limit give what the plain rules give:
the greedy fit test, screening that looks again only where something changed, polishing's
deviation, making room, and pausing the garbage collector."""

from __future__ import annotations

import gc
import random
import threading
import time
from collections import Counter

from benchmarks.matching_pool import generate
from matching.construction.greedy import _Box, _Greedy, greedy, make_room
from matching.heap import collection_paused
from matching.improvement.polish import polish
from matching.instance import Instance
from matching.rules import unbridged

from .factory import citizens, moderator, newcomers, person, problem, reason_of, solved


def plain_fits(instance: Instance, box: _Box, component: int, *, final: bool) -> bool:
    """What ``_Box.fits`` decides, from the rules and the box's members alone."""
    comp = instance.components[component]
    people = instance.people
    members = [*box.draft.members, *comp.members]
    size = len(members)
    if box.draft.series not in instance.component_series[component] or size > instance.max_size:
        return False
    newcomers = sum(people[i].newcomer for i in members)
    if final:
        low, high = instance.newcomer_range[size]
        if size < instance.min_size or not low <= newcomers <= high:
            return False
    else:
        low, high = instance.newcomer_range[instance.max_size]
        if newcomers > high or size - newcomers > instance.max_size - low:
            return False
    origins = Counter(people[i].origin for i in members if people[i].origin is not None)
    joining = {people[i].origin for i in comp.members}
    if any(n > instance.max_same_origin for o, n in origins.items() if o in joining):
        return False
    if any(instance.apart.get(i, frozenset()) & set(box.draft.members) for i in comp.members):
        return False
    return not unbridged(instance, box.draft.language, members)


def test_the_fit_test_agrees_with_the_rules_whoever_is_in_the_group() -> None:
    rng = random.Random(3)
    compared = lost = 0
    for seed in (1, 2):
        instance = Instance(generate(240, seed=seed))
        builder = _Greedy(instance)
        builder.start_from(greedy(instance))
        components = [c.index for c in instance.components if instance.component_series[c.index]]
        for box in builder.boxes:
            # The box as it is, and without each of its members in turn: some of those leave a
            # member who can no longer follow the group's language.
            for leaving in [None, *list(box.draft.members)]:
                if leaving is not None:
                    box.remove([leaving])
                lost += bool(unbridged(instance, box.draft.language, box.draft.members))
                for c in rng.sample(components, 60):
                    for final in (False, True):
                        compared += 1
                        assert box.fits(c, final=final) == plain_fits(
                            instance, box, c, final=final
                        ), (box.draft, c, final)
                if leaving is not None:
                    box.add([leaving])
    assert lost > 0 and compared > 10_000


def test_screening_looks_again_where_someone_screened_out_leaves_too_few() -> None:
    # On tue, nobody shares a language with f1; without f1 the other five are too few for a
    # group, which only a second look finds. Mon is not affected.
    series = [{"id": "mon", "max_groups": 2}, {"id": "tue", "max_groups": 2}]
    people = citizens(3, series=["tue"]) + newcomers(2, series=["tue"])
    people += [person("f1", "newcomer", languages=["fa"], series=["tue"])]
    people += citizens(3, prefix="d") + newcomers(3, prefix="k")
    moderators = [moderator("m1", series=("mon",)), moderator("m2", series=("tue",))]
    p = problem(people, series=series, moderators=moderators, min_size=6, max_size=8)
    solution = solved(p)
    assert reason_of(solution, "f1").startswith("nobody who can attend tue shares a language")
    assert reason_of(solution, "c1").startswith("only 5 people who can be placed attend tue")
    assert sorted(i for g in solution.groups for i in g.members) == [
        "d1",
        "d2",
        "d3",
        "k1",
        "k2",
        "k3",
    ]


def test_polishing_reports_the_deviation_of_what_it_returns() -> None:
    instance = Instance(generate(200, seed=4))
    start = greedy(instance)
    before = start.deviation(instance)
    polished, deviation = polish(
        instance, start, deadline=time.monotonic() + 0.5, fixed=set(), deviation=before
    )
    assert deviation == polished.deviation(instance) <= before
    unchanged, same = polish(instance, start, deadline=time.monotonic(), fixed=set())
    assert unchanged is start and same == before


def test_making_room_returns_the_grouping_itself_when_nobody_can_be_seated() -> None:
    instance = Instance(generate(200, seed=4))
    start = greedy(instance)
    assert make_room(instance, start, deadline=time.monotonic(), movable=set()) is start


def test_pauses_of_the_collector_nest_and_restore_it() -> None:
    assert gc.isenabled()
    entered = threading.Event()
    leave = threading.Event()

    def other_pause() -> None:
        with collection_paused():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=other_pause)
    with collection_paused():
        assert not gc.isenabled()
        thread.start()
        entered.wait(10)
    # The other thread's pause is still on.
    assert not gc.isenabled()
    leave.set()
    thread.join(10)
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
