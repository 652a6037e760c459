"""Each hard rule of the contract, tested in the CP-SAT model itself.

For every rule a fixed assignment (which groups open, their language, moderators and members,
everyone else waiting) that breaks exactly that rule must make the model INFEASIBLE, and a
valid one next to it FEASIBLE: the model is built as the solver builds it, the assignment is
added as constraints, and CP-SAT decides. Taking any one rule out of the model turns one of
these tests red, whatever the rest of the solver would have mended.

Rule 11 (everyone not in a group waits, with a reason) is not a rule of the model: the
solution is built with a reason for each waiting person, and the checker and the solver tests
look after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from ortools.sat.python import cp_model

from matching import Problem
from matching.instance import Instance
from matching.model.cpsat import GroupingModel, Slot, SubProblem
from matching.model.search import new_solver

from .factory import citizens, moderator, newcomers, person, problem


@dataclass(frozen=True)
class Fixed:
    """One open group of the assignment."""

    series: str
    language: str
    moderators: tuple[str, ...]
    members: tuple[str, ...]
    # The previous group it continues (by id), if any.
    previous: str | None = None


@dataclass
class _Assigned:
    slots: list[Slot] = field(default_factory=list)
    fixed: dict[int, Fixed] = field(default_factory=dict)


def _slots(instance: Instance, groups: list[Fixed]) -> _Assigned:
    """Every slot the solver would offer (each previous group, and new ones up to each
    series' capacity), with more new ones where the assignment opens more groups."""
    out = _Assigned()
    by_previous = {g.id: g.index for g in instance.previous}
    for g in instance.previous:
        out.slots.append(Slot(g.series, g.index, g.locked))
    for fixed in groups:
        if fixed.previous is not None:
            out.fixed[by_previous[fixed.previous]] = fixed
    for series in instance.series:
        wanted = [f for f in groups if f.previous is None and f.series == series.id]
        for k in range(max(series.capacity, len(wanted))):
            if k < len(wanted):
                out.fixed[len(out.slots)] = wanted[k]
            out.slots.append(Slot(series.index))
    return out


def model_status(p: Problem, groups: list[Fixed]) -> str:
    """Whether the model of the whole problem admits exactly this grouping."""
    instance = Instance(p)
    assigned = _slots(instance, groups)
    sub = SubProblem(
        slots=assigned.slots,
        components=[c.index for c in instance.components],
        moderators={s.index: frozenset(s.moderators) for s in instance.series},
        room={s.index: s.max_groups for s in instance.series},
    )
    grouping = GroupingModel(instance, sub)
    model = grouping.model
    impossible = False

    def fix(variables: dict[Any, cp_model.IntVar], chosen: set[Any]) -> None:
        nonlocal impossible
        # A choice the model has no variable for is one it rules out by construction.
        impossible |= not chosen <= variables.keys()
        for key, var in variables.items():
            model.add(var == int(key in chosen))

    slot_members: dict[int, set[int]] = {}
    for g in range(len(assigned.slots)):
        chosen = assigned.fixed.get(g)
        model.add(grouping.active[g] == int(chosen is not None))
        fix(grouping.language[g], {chosen.language} if chosen else set())
        fix(
            grouping.lead[g],
            {instance.moderator_index[m] for m in chosen.moderators} if chosen else set(),
        )
        members = {instance.person_index[i] for i in chosen.members} if chosen else set()
        for i in members:
            # Together people are one component: it joins with all of them or not at all.
            component = instance.components[instance.component_of[i]]
            impossible |= not members.issuperset(component.members)
        slot_members[g] = {instance.component_of[i] for i in members}
    for c in range(len(instance.components)):
        fix(
            grouping.x.get(c, {}),
            {g for g, components in slot_members.items() if c in components},
        )
    if impossible:
        return "infeasible"
    status = new_solver(10.0, 1).solve(model)
    return {cp_model.OPTIMAL: "feasible", cp_model.FEASIBLE: "feasible"}.get(
        status, "infeasible" if status == cp_model.INFEASIBLE else "unknown"
    )


def group(*members: str, language: str = "de", moderators: tuple[str, ...] = ("m1",)) -> Fixed:
    return Fixed("mon", language, moderators, members)


def base(participants: list[dict[str, Any]] | None = None, **rules: Any) -> Problem:
    """mon (room for two groups) and tue; two moderators for mon, one for tue. Four citizens
    and four newcomers listed for mon unless given."""
    return problem(
        participants if participants is not None else citizens(4) + newcomers(4),
        series=[
            {"id": "mon", "max_groups": 2, "step_free": True},
            {"id": "tue", "max_groups": 1, "step_free": False},
        ],
        moderators=[
            moderator("m1", series=("mon",)),
            moderator("m2", series=("mon",)),
            moderator("t1", series=("tue",)),
        ],
        **rules,
    )


VALID = group("c1", "c2", "n1", "n2")


def test_a_valid_grouping_is_feasible() -> None:
    assert model_status(base(), [VALID]) == "feasible"
    assert model_status(base(), []) == "feasible"  # everyone waits
    two = [group("c1", "c2", "n1", "n2"), group("c3", "c4", "n3", "n4", moderators=("m2",))]
    assert model_status(base(), two) == "feasible"


# -- rule 1: a participant is in at most one group ---------------------------------------------


def test_rule_1_one_group_per_participant() -> None:
    twice = [group("c1", "c2", "n1", "n2"), group("c1", "c3", "n3", "n4", moderators=("m2",))]
    assert model_status(base(), twice) == "infeasible"


# -- rule 2: min_size <= members <= max_size ---------------------------------------------------


def test_rule_2_group_size() -> None:
    people = citizens(4) + newcomers(4)
    assert model_status(base(people), [group("c1", "n1", "n2")]) == "infeasible"
    assert model_status(base(people), [group("c1", "c2", "c3", "n1", "n2", "n3")]) == "feasible"
    seven = group("c1", "c2", "c3", "c4", "n1", "n2", "n3")
    assert model_status(base(people), [seven]) == "infeasible"


# -- rule 3: the newcomer share ----------------------------------------------------------------


def test_rule_3_newcomer_share() -> None:
    assert model_status(base(), [group("c1", "c2", "c3", "c4")]) == "infeasible"
    assert model_status(base(), [group("n1", "n2", "n3", "n4")]) == "infeasible"
    assert model_status(base(), [group("c1", "c2", "c3", "n1")]) == "feasible"
    assert model_status(base(), [group("c1", "n1", "n2", "n3")]) == "feasible"


# -- rule 4: series of members and moderators, room, one group per moderator and series -------


def test_rule_4_members_attend_the_series() -> None:
    people = citizens(4) + newcomers(3) + [person("n4", "newcomer", series=["tue"])]
    assert model_status(base(people), [group("c1", "c2", "n1", "n4")]) == "infeasible"
    assert model_status(base(people), [group("c1", "c2", "n1", "n2")]) == "feasible"


def test_rule_4_moderators_attend_the_series() -> None:
    assert model_status(base(), [group("c1", "c2", "n1", "n2", moderators=("t1",))]) == "infeasible"


def test_rule_4_room_in_the_series() -> None:
    p = problem(
        citizens(4) + newcomers(4),
        series=[{"id": "mon", "max_groups": 1}],
        moderators=[moderator("m1"), moderator("m2")],
    )
    two = [group("c1", "c2", "n1", "n2"), group("c3", "c4", "n3", "n4", moderators=("m2",))]
    assert model_status(p, two) == "infeasible"
    assert model_status(p, two[:1]) == "feasible"


def test_rule_4_a_moderator_leads_one_group_per_series() -> None:
    both = [group("c1", "c2", "n1", "n2"), group("c3", "c4", "n3", "n4", moderators=("m1",))]
    assert model_status(base(), both) == "infeasible"


# -- rule 5: moderators per group --------------------------------------------------------------


def test_rule_5_moderators_per_group() -> None:
    assert model_status(base(), [group("c1", "c2", "n1", "n2", moderators=())]) == "infeasible"
    two = group("c1", "c2", "n1", "n2", moderators=("m1", "m2"))
    assert model_status(base(), [two]) == "infeasible"
    assert model_status(base(moderators_per_group=2), [two]) == "feasible"


# -- rule 6: working language, moderators speak it, members follow (bridges) ------------------


def test_rule_6_the_language_is_a_working_language() -> None:
    people = citizens(4, languages=["de", "fr"]) + newcomers(4, languages=["de", "fr"])
    p = problem(
        people,
        moderators=[moderator("m1", languages=("de", "fr"))],
        working_languages=["de"],
    )
    assert model_status(p, [group("c1", "c2", "n1", "n2", language="fr")]) == "infeasible"
    assert model_status(p, [group("c1", "c2", "n1", "n2", language="de")]) == "feasible"


def test_rule_6_moderators_speak_the_language() -> None:
    p = problem(
        citizens(4, languages=["de", "en"]) + newcomers(4, languages=["de", "en"]),
        moderators=[moderator("m1", languages=("en",)), moderator("m2", languages=("de",))],
    )
    assert model_status(p, [group("c1", "c2", "n1", "n2", language="de")]) == "infeasible"
    assert model_status(p, [group("c1", "c2", "n1", "n2", language="en")]) == "feasible"


def test_rule_6_every_member_follows_the_language() -> None:
    people = [
        *citizens(4),
        *newcomers(2),
        person("a1", "newcomer", languages=["ar"]),
        person("b1", "newcomer", languages=["ar", "de"]),
    ]
    p = base(people)
    assert model_status(p, [group("c1", "c2", "n1", "a1")]) == "infeasible"
    # With b1, who speaks German and Arabic, a1 follows through a bridge.
    assert model_status(p, [group("c1", "c2", "a1", "b1")]) == "feasible"


# -- rule 7: origin -----------------------------------------------------------------------------


def test_rule_7_at_most_max_same_origin_from_one_origin() -> None:
    people = citizens(4) + newcomers(3, origin="SY") + newcomers(1, prefix="u", origin="UA")
    p = base(people)
    assert model_status(p, [group("c1", "n1", "n2", "n3")]) == "infeasible"
    assert model_status(p, [group("c1", "n1", "n2", "u1")]) == "feasible"


# -- rule 8: step-free access ------------------------------------------------------------------


def test_rule_8_step_free_need() -> None:
    people = [
        *citizens(4, series=["mon", "tue"]),
        *newcomers(3, series=["mon", "tue"]),
        person("w1", "newcomer", series=["mon", "tue"], needs=["step_free"]),
    ]
    p = base(people)
    on_tue = Fixed("tue", "de", ("t1",), ("c1", "c2", "n1", "w1"))
    assert model_status(p, [on_tue]) == "infeasible"
    assert model_status(p, [group("c1", "c2", "n1", "w1")]) == "feasible"
    assert model_status(p, [Fixed("tue", "de", ("t1",), ("c1", "c2", "n1", "n2"))]) == "feasible"


# -- rule 9: together and apart ----------------------------------------------------------------


def test_rule_9_together() -> None:
    people = citizens(4) + newcomers(3) + [person("n4", "newcomer", together=["c1"])]
    p = base(people)
    assert model_status(p, [group("c1", "c2", "n1", "n2")]) == "infeasible"
    assert model_status(p, [group("c1", "c2", "n1", "n4")]) == "feasible"
    assert model_status(p, [group("c2", "c3", "n1", "n2")]) == "feasible"  # both wait


def test_rule_9_apart() -> None:
    people = citizens(4) + newcomers(3) + [person("n4", "newcomer", apart=["c1"])]
    p = base(people)
    assert model_status(p, [group("c1", "c2", "n1", "n4")]) == "infeasible"
    assert model_status(p, [group("c1", "c2", "n1", "n2")]) == "feasible"


# -- rule 10: locked previous groups -----------------------------------------------------------


def _locked() -> Problem:
    previous = {
        "id": "g1",
        "series": "mon",
        "language": "de",
        "moderators": ["m1"],
        "members": ["c1", "c2", "n1", "n2"],
        "locked": True,
    }
    return problem(
        citizens(4, languages=["de", "en"]) + newcomers(4, languages=["de", "en"]),
        series=[{"id": "mon", "max_groups": 2, "step_free": True}],
        moderators=[moderator("m1"), moderator("m2")],
        previous=[previous],
    )


def kept(*members: str, language: str = "de", moderators: tuple[str, ...] = ("m1",)) -> Fixed:
    return Fixed("mon", language, moderators, members, previous="g1")


@pytest.mark.parametrize(
    ("assignment", "status"),
    [
        ([kept("c1", "c2", "n1", "n2")], "feasible"),
        ([kept("c1", "c2", "n1", "n2", "c3")], "feasible"),  # it may gain members
        ([], "infeasible"),  # it must stay open
        ([kept("c1", "c2", "n1", "c3")], "infeasible"),  # n2 leaves it
        ([kept("c1", "c2", "n1", "n2", language="en")], "infeasible"),
        ([kept("c1", "c2", "n1", "n2", moderators=("m2",))], "infeasible"),
    ],
)
def test_rule_10_a_locked_group_keeps_what_previous_says(
    assignment: list[Fixed], status: str
) -> None:
    assert model_status(_locked(), assignment) == status
