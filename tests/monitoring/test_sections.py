"""The attendance, feedback and lottery sections: present with the right counts where a
round has the data, absent where not, small counts withheld (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import product

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.monitoring.data import ANSWERS, answer_survey, mark_attendance, run_lottery
from tests.monitoring.test_service import cell, table
from vekl.attendance.service import Counts, EveningCounts, RoundAttendance
from vekl.lottery import response as lottery_response
from vekl.monitoring import queries, sections, service
from vekl.monitoring.schemas import TOTAL, Aggregates, Section, Table
from vekl.monitoring.sections import ROLES
from vekl.monitoring.suppression import suppress
from vekl.store.models import LotteryLetter, MatchingRun, Round


def shown(n: int) -> str:
    return "<5" if 0 < n < 5 else str(n)


def test_without_attendance_answers_or_letters_the_sections_are_absent(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    report = service.round_report(db, example_round.slug)
    assert [s.name for s in report.sections] == [
        "registrations",
        "outcome",
        "composition",
        "encounters",
    ]
    encounters = report.section("encounters")
    assert encounters is not None and encounters.basis == "seated"


def test_attendance_per_evening_completion_and_encounters_who_both_came(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    marked = mark_attendance(db, example_round)
    data = service.compute(db, example_round)
    attendance = next(s for s in data.sections if s.name == "attendance")
    evenings, completion = attendance.tables
    assert evenings.rows == list(marked.present)
    assert evenings.rows[0] == "mon-1"
    for row, line in zip(evenings.rows, evenings.counts, strict=True):
        assert line == [marked.present[row][r] for r in sections.ROLES], row
    assert completion.counts == [
        [marked.members[r] for r in sections.ROLES],
        [marked.completed[r] for r in sections.ROLES],
    ]
    # The members are the placed: the completion table shares their counts.
    assert completion.cell_keys == {f"members|{r}": f"outcome|placed|{r}" for r in sections.ROLES}
    # Encounters: a citizen and a newcomer of one group who were present on one evening.
    groups = queries.seated_groups(db, example_round)
    pairs = sum(
        1
        for members in groups
        for (a, ra), (b, rb) in product(members, members)
        if ra == "citizen"
        and rb == "newcomer"
        and marked.evenings.get(a, set()) & marked.evenings.get(b, set())
    )
    encounters = next(s for s in data.sections if s.name == "encounters")
    assert encounters.basis == "attended" and encounters.tables[0].counts[0] == [pairs]
    seated = sections.encounters_section(groups)
    assert seated is not None and seated.tables[0].counts[0][0] > pairs

    report = service.round_report(db, example_round.slug)
    published_evenings = table(report, "attendance", "evenings")
    for row in published_evenings.rows:
        for role in sections.ROLES:
            n = marked.present[row][role]
            if 0 < n < 5:
                assert cell(published_evenings, row, role) == "<5"
            else:
                assert cell(published_evenings, row, role) in (str(n), "x")


def test_a_member_not_counted_as_placed_unlinks_the_completion() -> None:
    from datetime import UTC, datetime

    from vekl.attendance.service import Counts, EveningCounts, RoundAttendance

    figures = RoundAttendance(
        "r",
        [
            EveningCounts(
                "mon",
                1,
                datetime(2027, 5, 3, tzinfo=UTC),
                {"citizen": Counts(present=8), "newcomer": Counts(present=7)},
            )
        ],
        {"citizen": 9, "newcomer": 8},
        {"citizen": 6, "newcomer": 7},
    )
    found = sections.attendance_section(figures, {"citizen": 9, "newcomer": 9})
    assert found is not None
    completion = found.tables[1]
    assert completion.cell_keys == {"members|citizen": "outcome|placed|citizen"}
    assert completion.row_keys is None
    unmarked = RoundAttendance(
        "r",
        [
            EveningCounts(
                "mon",
                1,
                datetime(2027, 5, 3, tzinfo=UTC),
                {"citizen": Counts(expected=3, unmarked=3)},
            )
        ],
    )
    assert sections.attendance_section(unmarked) is None


def _placed_and_members(slug: str, placed: dict[str, int], members: dict[str, int]) -> Aggregates:
    """A round with nothing but its placed (the outcome's counts by role) and the members of
    its groups (the attendance's completion table, linked to the placed where equal)."""
    evening = EveningCounts(
        "mon", 1, datetime(2027, 5, 3, tzinfo=UTC), {r: Counts(present=members[r]) for r in ROLES}
    )
    attendance = sections.attendance_section(
        RoundAttendance(slug, [evening], members, dict.fromkeys(ROLES, 0)), placed
    )
    assert attendance is not None
    outcome = Table(
        name="by_outcome",
        rows=["placed"],
        columns=list(ROLES),
        counts=[[placed[r] for r in ROLES]],
        row_keys=[f"outcome|placed|{TOTAL}"],
        cell_keys={f"placed|{r}": f"outcome|placed|{r}" for r in ROLES},
    )
    return Aggregates(
        round=slug,
        round_name=slug,
        computed_at=datetime(2027, 6, 1, tzinfo=UTC),
        sections=[Section(name="outcome", tables=[outcome]), attendance],
    )


def _members_shown_as_placed(rounds: list[Aggregates]) -> set[str]:
    """The roles whose members the report across ``rounds`` counts as one cell with the
    placed (so suppression withholds both or neither)."""
    merged, _, status = service.across(rounds)
    outcome = next(s for s in merged if s.name == "outcome").tables[0]
    completion = next(s for s in merged if s.name == "attendance").tables[1]
    assert completion.rows[0] == "members"
    found = {
        role
        for c, role in enumerate(completion.columns)
        if completion.cell_key(service.ACROSS, 0, c)
        == outcome.cell_key(service.ACROSS, 0, outcome.columns.index(role))
    }
    assert all(completion.cell_key(service.ACROSS, 0, c) in status for c in range(len(ROLES)))
    return found


def test_across_rounds_members_are_the_placed_only_where_every_round_says_so() -> None:
    a = _placed_and_members("a", {"citizen": 9, "newcomer": 8}, {"citizen": 9, "newcomer": 8})
    b = _placed_and_members("b", {"citizen": 7, "newcomer": 9}, {"citizen": 7, "newcomer": 9})
    # Someone of round c counted as placed is no member of a published group.
    c = _placed_and_members("c", {"citizen": 7, "newcomer": 9}, {"citizen": 7, "newcomer": 8})
    assert _members_shown_as_placed([a]) == set(ROLES)
    assert _members_shown_as_placed([c]) == {"citizen"}
    assert _members_shown_as_placed([a, b]) == set(ROLES)
    # Added up, a's 8 members equal to its placed and c's 8 of 9 are 16 members against 17
    # placed: two counts, not one.
    assert _members_shown_as_placed([a, c]) == {"citizen"}
    assert _members_shown_as_placed([c, a]) == {"citizen"}


def test_feedback_satisfaction_by_kind_questions_and_pairs(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    answer_survey(db, example_round)
    data = service.compute(db, example_round)
    feedback = next(s for s in data.sections if s.name == "feedback")
    satisfaction, questions, pairs = feedback.tables
    assert satisfaction.rows == ["1", "2", "3", "4", "5"]
    assert satisfaction.columns == ["citizen", "newcomer", "moderator"]
    by = Counter((str(s), kind) for kind, s, _, _ in ANSWERS)
    assert satisfaction.counts == [[by[(r, c)] for c in satisfaction.columns] for r in "12345"]
    assert questions.rows == ["met_someone_new", "would_recommend"]
    assert questions.columns == ["yes", "no"]
    # Participants only, and only those who answered the question.
    assert questions.counts == [[13, 2], [15, 1]]
    assert pairs.rows == ["mutual_pairs", "citizen_newcomer_pairs"] and pairs.counts == [[0], [0]]

    report = service.round_report(db, example_round.slug)
    shown_t = table(report, "feedback", "satisfaction")
    for r, c in product(shown_t.rows, shown_t.columns):
        assert cell(shown_t, r, c) in (
            (shown(by[(r, c)]),) if by[(r, c)] < 5 else (str(by[(r, c)]), "x")
        )
    assert cell(shown_t, "4", "moderator") == "<5"
    shown_t = table(report, "feedback", "questions")
    assert cell(shown_t, "met_someone_new", "no") == "<5"
    assert cell(shown_t, "met_someone_new", "yes") == "x"  # else 15 - yes gives "no" away
    assert cell(shown_t, "would_recommend", "yes") in ("x", "15")
    assert shown_t.column_totals is None


def test_feedback_pairs_alone_make_a_section_and_small_pairs_are_withheld() -> None:
    assert sections.feedback_section([], {}) is None
    found = sections.feedback_section([], {"mutual_pairs": 3, "citizen_newcomer_pairs": 2})
    assert found is not None
    system = service.system_of([found], "r|")
    status = suppress(system)
    published = service.published_sections([found], system, status, "r|")
    assert [c[0].display for c in published[0].tables[2].cells] == ["<5", "<5"]


def test_lottery_letters_and_registrations_per_stratum_and_wave(
    db: Session, example_round: Round, published: MatchingRun
) -> None:
    run_lottery(db, example_round, answered=12)
    letters = dict(
        db.execute(
            select(LotteryLetter.stratum, func.count()).group_by(LotteryLetter.stratum)
        ).all()
    )
    data = service.compute(db, example_round)
    lottery = next(s for s in data.sections if s.name == "lottery")
    by_wave, response = lottery.tables
    assert by_wave.rows == response.rows == sorted(letters)
    assert by_wave.columns == ["wave-1"]
    assert [line[0] for line in by_wave.counts] == [letters[s] for s in by_wave.rows]
    assert response.columns == ["registered"]
    assert response.counts[response.rows.index("w")] == [12]
    live = lottery_response.response(db, example_round)
    assert sum(line[0] for line in response.counts) == live.registered == 12
    report = service.round_report(db, example_round.slug)
    registered = table(report, "lottery", "response")
    assert cell(registered, "w", "registered") == "12"
    assert registered.row_totals is None
    assert registered.total is not None and registered.total.display == "12"
    waves = table(report, "lottery", "letters_by_wave")
    assert waves.total is not None and waves.total.display == str(sum(letters.values()))


def test_a_lottery_without_letters_has_no_section() -> None:
    assert sections.lottery_section(None) is None
    assert sections.lottery_section(lottery_response.Response("r", waves=[])) is None


def test_the_new_names_are_shown_in_german() -> None:
    from vekl.monitoring.labels import display_name

    names = [
        ("", "attendance"),
        ("", "evenings"),
        ("", "completion"),
        ("", "feedback"),
        ("", "satisfaction"),
        ("", "questions"),
        ("", "stay_in_touch"),
        ("", "lottery"),
        ("", "response"),
        ("", "letters_by_wave"),
        ("completion", "members"),
        ("completion", "completed"),
        ("satisfaction", "moderator"),
        ("questions", "met_someone_new"),
        ("questions", "would_recommend"),
        ("questions", "yes"),
        ("questions", "no"),
        ("stay_in_touch", "mutual_pairs"),
        ("stay_in_touch", "citizen_newcomer_pairs"),
        ("response", "letters"),
        ("response", "registered"),
    ]
    for table_name, name in names:
        assert display_name(table_name, name, "de") not in (name, ""), name
    assert display_name("evenings", "mon-2", "de") == "mon, Abend 2"
    assert display_name("letters_by_wave", "wave-1", "de") == "Welle 1"
    assert display_name("response", "w", "de") == "w"


def test_an_evening_is_named_by_its_series_label_where_the_rounds_agree_on_it() -> None:
    from datetime import UTC, datetime

    from vekl.monitoring.labels import display_name
    from vekl.monitoring.schemas import Aggregates
    from vekl.monitoring.service import _shared_labels

    assert display_name("evenings", "mon-2", "de", {"mon": "Montagabende"}) == (
        "Montagabende, Abend 2"
    )
    assert display_name("evenings", "mon-2", "de") == "mon, Abend 2"
    when = datetime(2027, 6, 1, tzinfo=UTC)
    rounds = [
        Aggregates(round=slug, round_name=slug, computed_at=when, sections=[], series=series)
        for slug, series in (
            ("mai", {"mon": "Montagabende", "sat": "Samstagvormittage"}),
            ("herbst", {"mon": "Montagabende", "sat": "Samstagnachmittage"}),
        )
    ]
    # Across rounds, "sat" means two different times: it keeps its key.
    assert _shared_labels(rounds) == {"mon": "Montagabende"}
