"""Balance figures, their floor and bound, the quality report and the rematch diff."""

from __future__ import annotations

from fractions import Fraction

from matching import changes, quality_report
from matching.balance import PoolMix
from matching.bounds.balance import imbalance_bound
from matching.models import (
    Bound,
    Group,
    Objective,
    Previous,
    PreviousGroup,
    Solution,
    WaitlistEntry,
)

from .factory import citizens, newcomers, person, problem, solved


def profile(role: str, gender: str = "f") -> tuple[str, ...]:
    return (role, gender, "(none)", "(none)", "(none)")


def test_deviation_is_the_l1_distance_from_the_pool_mix() -> None:
    groups = [
        [profile("citizen"), profile("citizen")],
        [profile("newcomer"), profile("newcomer")],
    ]
    mix = PoolMix(groups)
    # Each group has role counts (2, 0) against a target of (1, 1): distance 2.
    assert mix.deviation(groups[0]) == 2
    assert mix.imbalance(groups) == 1.0
    assert mix.floor(2) == 0
    assert mix.imbalance_floor([2, 2]) == 0.0


def test_floor_rounds_each_group_and_attribute_on_its_own() -> None:
    pool = [[profile("citizen", g) for g in "abc"]]
    mix = PoolMix(pool)
    # Targets for a group of 2: a, b, c each 2/3; best integer vector (1, 1, 0): 1/3+1/3+2/3.
    assert mix.floor(2) == Fraction(4, 3)


def test_bound_respects_rare_categories_unlike_the_floor() -> None:
    # Four groups of two; one person of category x. The floor expects 1/4 of an x per group,
    # costing 1/4 each; but one group must hold the x.
    groups = [[profile("citizen", "x"), profile("citizen")]] + [
        [profile("citizen"), profile("citizen")] for _ in range(3)
    ]
    mix = PoolMix(groups)
    bound = imbalance_bound(mix, [2, 2, 2, 2])
    assert bound > mix.imbalance_floor([2, 2, 2, 2])
    assert abs(bound - mix.imbalance(groups)) < 1e-9


def test_quality_report_describes_groups_and_bridges() -> None:
    people = citizens(3, gender="f") + newcomers(2, gender="m", origin="SY")
    people += [
        person("f1", "newcomer", languages=["fa"]),
        person("b1", "citizen", languages=["fa", "de"]),
    ]
    p = problem(
        people, working_languages=["de"], max_size=8, series=[{"id": "mon", "max_groups": 1}]
    )
    solution = solved(p)
    report = quality_report(p, solution)
    assert (report.placed, report.waitlisted, report.moves) == (7, 0, 0)
    group = report.groups[0]
    assert group.size == 7
    assert abs(group.newcomer_share - 3 / 7) < 1e-9
    assert [(b.member, b.via, b.shared) for b in group.bridges] == [("f1", ["b1"], ["fa"])]
    assert group.counts["gender"] == {"(none)": 2, "f": 3, "m": 2}
    assert report.imbalance == solution.objective.imbalance
    assert report.imbalance_floor <= report.imbalance_bound <= report.imbalance + 1e-9
    text = report.text()
    assert "f1 follows through b1 (fa)" in text
    assert report.model_dump_json()


def test_changes_lists_stays_moves_joins_leavers_and_group_fates() -> None:
    previous = Previous(
        groups=[
            PreviousGroup(
                id="g1", series="mon", language="de", moderators=["m1"], members=["a", "b", "c"]
            ),
            PreviousGroup(
                id="g2", series="mon", language="de", moderators=["m2"], members=["d", "e", "f"]
            ),
            PreviousGroup(
                id="g3", series="mon", language="de", moderators=["m3"], members=["g", "h"]
            ),
        ]
    )
    solution = Solution(
        status="feasible",
        groups=[
            Group(
                id="g1",
                series="mon",
                language="de",
                moderators=["m1"],
                members=["a", "b", "g", "h", "x"],
            ),
            Group(id="mon-1", series="mon", language="de", moderators=["m2"], members=["d", "e"]),
        ],
        waitlist=[WaitlistEntry(id="f", reason="r")],
        objective=Objective(placed=7, moves=5, imbalance=0.0),
        bound=Bound(imbalance=0.0),
        solve_seconds=0.0,
    )
    diff = changes(previous, solution)
    assert [(s.participant, s.group) for s in diff.stays] == [("a", "g1"), ("b", "g1")]
    assert [(m.participant, m.from_group, m.to_group) for m in diff.moves] == [
        ("d", "g2", "mon-1"),
        ("e", "g2", "mon-1"),
        ("f", "g2", None),
        ("g", "g3", "g1"),
        ("h", "g3", "g1"),
    ]
    assert [(j.participant, j.group) for j in diff.joins] == [("x", "g1")]
    assert [(gone.participant, gone.group) for gone in diff.left] == [("c", "g1")]
    assert [(g.group, g.kind, g.into) for g in diff.groups] == [
        ("g1", "kept", None),
        ("g2", "merged", "mon-1"),
        ("g3", "merged", "g1"),
        ("mon-1", "new", None),
    ]
    assert "f: g2 -> the waitlist" in diff.text()
