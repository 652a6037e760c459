"""The order of objectives in a rematch, one rule per test: places filled first, then fewest
people whose evenings change, then fewest moves within a series, then groups keep their
working language; and every series change and language change comes with its reason."""

from __future__ import annotations

from typing import Any

from matching import changes, quality_report

from .factory import citizens, group_of, moderator, problem, solved

TWO_SERIES = [{"id": "mon", "max_groups": 2}, {"id": "wed", "max_groups": 2}]
BOTH = ["mon", "wed"]


def previous_group(
    gid: str, series: str, members: list[str], moderator_id: str, language: str = "de"
) -> dict[str, Any]:
    return {
        "id": gid,
        "series": series,
        "language": language,
        "moderators": [moderator_id],
        "members": members,
    }


def test_a_rematch_that_can_keep_everyones_evenings_changes_none() -> None:
    # wed-1 lost one of its four members. Fewest moves would take one member of mon-1 (which
    # has five) to wed-1: one move, but a change of evenings. Keeping everyone's evenings
    # dissolves wed-1 into wed-2 and wed-3 instead: three moves, all on Wednesdays.
    people = citizens(16, series=BOTH)
    ids = [p["id"] for p in people]
    previous = [
        previous_group("mon-1", "mon", ids[0:5], "m1"),
        previous_group("wed-1", "wed", [*ids[5:8], "gone"], "m2"),
        previous_group("wed-2", "wed", ids[8:12], "m3"),
        previous_group("wed-3", "wed", ids[12:16], "m4"),
    ]
    p = problem(
        people,
        series=[{"id": "mon", "max_groups": 2}, {"id": "wed", "max_groups": 3}],
        moderators=[moderator(f"m{k}", series=("mon", "wed")) for k in range(1, 5)],
        previous=previous,
        newcomer_share=[0, 1],
    )
    solution = solved(p)
    assert solution.objective.placed == 16
    assert solution.objective.series_changes == 0
    assert solution.objective.moves == 3
    assert solution.proven.placed and solution.proven.moves
    assert solution.rematch is not None and solution.rematch.series_changes == []
    assert all(group_of(solution, pid) == "mon-1" for pid in ids[0:5])


def test_a_forced_change_of_evenings_is_reported_with_its_reason() -> None:
    # Seven people are left on Wednesdays, where groups have four to six members and one
    # group fits: one of them has to go to Monday's group, which has room.
    people = citizens(12, series=BOTH)
    ids = [p["id"] for p in people]
    previous = [
        previous_group("mon-1", "mon", ids[0:5], "m1"),
        previous_group("wed-1", "wed", [*ids[5:8], "gone-1", "gone-2"], "m2"),
        previous_group("wed-2", "wed", ids[8:12], "m3"),
    ]
    p = problem(
        people,
        series=[{"id": "mon", "max_groups": 2}, {"id": "wed", "max_groups": 1}],
        moderators=[moderator(f"m{k}", series=("mon", "wed")) for k in range(1, 4)],
        previous=previous,
        newcomer_share=[0, 1],
    )
    solution = solved(p)
    assert solution.objective.placed == 12
    # wed-2 continues with two of wed-1; the third goes to Monday.
    assert (solution.objective.series_changes, solution.objective.moves) == (1, 3)
    assert solution.proven.moves
    assert solution.rematch is not None
    [change] = solution.rematch.series_changes
    assert (change.from_group, change.to_group, change.to_series) == ("wed-1", "mon-1", "mon")
    assert change.participant in ids[5:8]
    assert (change.cause, change.dropouts, change.group_continues) == ("no_room", 2, False)
    assert [(b.group, b.rules) for b in change.blocked] == [("wed-2", [2])]
    assert change.reason.startswith("group wed-1 lost 2 members and does not continue")
    wednesday = next(g for g in solution.groups if g.series == "wed")
    assert f"no group on wed had room for {change.participant} that keeps the rules" in (
        change.reason
    )
    assert f"{wednesday.id}: full" in change.reason
    # The report and the preview list it too.
    assert change.reason in quality_report(p, solution).text()
    diff = changes(p.previous, solution)
    assert [c.participant for c in diff.series_changes] == [change.participant]
    assert "evenings change" in diff.text()


def test_someone_who_can_no_longer_attend_their_evenings_is_told_so() -> None:
    people = citizens(10, series=BOTH)
    people[0]["series"] = ["mon"]
    ids = [p["id"] for p in people]
    previous = [
        previous_group("mon-1", "mon", ids[5:10], "m1"),
        previous_group("wed-1", "wed", ids[0:5], "m2"),
    ]
    p = problem(
        people,
        series=TWO_SERIES,
        moderators=[moderator("m1", series=("mon",)), moderator("m2", series=("wed",))],
        previous=previous,
        newcomer_share=[0, 1],
    )
    solution = solved(p)
    assert solution.objective.series_changes == 1
    assert solution.rematch is not None
    [change] = solution.rematch.series_changes
    assert (change.participant, change.cause, change.to_group) == ("c1", "cannot_attend", "mon-1")
    assert change.reason.startswith("c1 can no longer attend wed")


def test_a_group_keeps_its_language_when_its_members_allow() -> None:
    # g1 lost a member and takes one from g2. Its moderator m1 now speaks only English:
    # keeping m1 would change the group's language; keeping German takes m2 instead. The
    # language ranks before the moderator.
    people = citizens(8, languages=["de", "en"])
    ids = [p["id"] for p in people]
    previous = [
        previous_group("g1", "mon", [*ids[0:3], "gone"], "m1"),
        previous_group("g2", "mon", ids[3:8], "m3"),
    ]
    p = problem(
        people,
        series=[{"id": "mon", "max_groups": 2}],
        moderators=[
            moderator("m1", languages=("en",)),
            moderator("m2", languages=("de",)),
            moderator("m3", languages=("de", "en")),
        ],
        previous=previous,
        newcomer_share=[0, 1],
    )
    solution = solved(p)
    g1 = next(g for g in solution.groups if g.id == "g1")
    assert (g1.language, g1.moderators) == ("de", ["m2"])
    assert solution.objective.language_changes == 0
    assert solution.objective.moves == 1
    assert solution.rematch is not None and solution.rematch.language_changes == []


def test_a_group_changes_its_language_when_its_members_force_it_and_says_who() -> None:
    # x1 speaks English and Arabic and followed German through b1 (German, Arabic), who
    # dropped out; nobody else who speaks German shares a language with x1. In English
    # everyone can follow (z1 bridges French). Keeping German would leave x1 without a place.
    people = [
        *citizens(4, languages=["de", "fr"]),
        *citizens(1, "z", languages=["en", "fr"]),
        *citizens(1, "x", languages=["en", "ar"]),
    ]
    members = [p["id"] for p in people]
    previous = [previous_group("g1", "mon", [*members, "b1"], "m1")]
    p = problem(
        people,
        series=[{"id": "mon", "max_groups": 1}],
        moderators=[moderator("m1")],
        previous=previous,
        newcomer_share=[0, 1],
    )
    solution = solved(p)
    [group] = solution.groups
    assert (group.id, group.language) == ("g1", "en")
    assert solution.objective.placed == 6
    assert solution.objective.moves == 0
    assert solution.objective.language_changes == 1
    assert solution.rematch is not None
    [change] = solution.rematch.language_changes
    assert (change.group, change.from_language, change.to_language) == ("g1", "de", "en")
    assert (change.cause, change.members) == ("members", ["x1"])
    assert change.reason.startswith("with de, x1 could not follow")
    assert "language de -> en" in changes(p.previous, solution).text()


def test_placement_ranks_before_keeping_evenings() -> None:
    # w1 (higher priority, Mondays only) gets the last place on Monday only if a member of
    # mon-1, who can also come on Wednesdays, moves to wed-1: places by priority rank before
    # evenings, so that member's evenings change, and the reason says Monday is full.
    people = [*citizens(9, series=BOTH), *citizens(1, "w", series=["mon"], priority=1)]
    ids = [p["id"] for p in people]
    previous = [
        previous_group("mon-1", "mon", ids[0:5], "m1"),
        previous_group("wed-1", "wed", ids[5:9], "m2"),
    ]
    p = problem(
        people,
        series=TWO_SERIES,
        moderators=[moderator("m1", series=("mon",)), moderator("m2", series=("wed",))],
        previous=previous,
        newcomer_share=[0, 1],
        max_size=5,
    )
    solution = solved(p)
    assert solution.objective.placed == 10
    assert group_of(solution, "w1") == "mon-1"
    assert (solution.objective.series_changes, solution.objective.moves) == (1, 1)
    assert solution.rematch is not None
    [change] = solution.rematch.series_changes
    assert (change.from_group, change.to_group, change.cause) == ("mon-1", "wed-1", "no_room")
    assert [(b.group, b.rules) for b in change.blocked] == [] or change.blocked[0].rules == [2]
