"""The lottery's services on SQLite and PostgreSQL: import, plan, draw, waves, deletion."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import Session

from tests.lottery.conftest import (
    EXTRACT,
    MARKED_FAMILIES,
    MARKED_GIVEN,
    MARKED_STREETS,
    NOW,
    SECRET,
    MakeRound,
    csv_bytes,
    example_rows,
    marked_rows,
    shuffled,
)
from vekl.errors import Conflict, InvalidInput, NotFound
from vekl.lottery import queries, sampling
from vekl.lottery import service as lottery
from vekl.lottery.schemas import Dimension, PlanInput
from vekl.registration import letter_codes
from vekl.retention import service as retention
from vekl.store.base import Base
from vekl.store.models import (
    AuditEntry,
    InvitationCode,
    Lottery,
    LotteryExclusion,
    LotteryLetter,
    LotteryPerson,
    LotteryWave,
    Participant,
    Role,
    Round,
)

YEARS = 3


def _import(db: Session, round: Round, raw: bytes | None = None) -> Lottery:
    return lottery.import_extract(
        db,
        round,
        raw if raw is not None else EXTRACT.read_bytes(),
        actor="test",
        now=NOW,
        extract_days=60,
    )


def _plan(db: Session, round: Round, **changes: Any) -> Any:
    data = {"places": 30, **changes}
    return lottery.plan(
        db,
        round,
        PlanInput.model_validate(data),
        secret=SECRET,
        actor="test",
        now=NOW,
        exclusion_years=YEARS,
    )


def _draw(db: Session, round: Round, seed: str = "4 8 15 16 23 42", **kwargs: Any) -> LotteryWave:
    options: dict[str, Any] = {"now": NOW, "exclusion_years": YEARS, **kwargs}
    return lottery.draw(db, round, seed, secret=SECRET, actor="test", **options)


def _drawn(db: Session, round: Round) -> list[LotteryPerson]:
    found = queries.lottery_of(db, round)
    assert found is not None
    return [person for _, person in queries.drawn_people(db, found)]


def _state(db: Session) -> tuple[int, ...]:
    """Counts of everything a draw writes."""
    return tuple(
        db.scalar(select(func.count()).select_from(model)) or 0
        for model in (LotteryWave, LotteryLetter, InvitationCode, LotteryExclusion)
    )


# -- import ---------------------------------------------------------------------------------


def test_the_example_extract_is_imported_with_its_hash(db: Session, lottery_round: Round) -> None:
    stored = _import(db, lottery_round)
    raw = EXTRACT.read_bytes()
    assert stored.extract_sha256 == hashlib.sha256(raw).hexdigest()
    assert stored.extract_rows == 3000
    assert stored.extract_has_districts
    assert stored.extract_delete_by == NOW + timedelta(days=60)
    count = db.scalar(select(func.count()).select_from(LotteryPerson))
    assert count == 3000
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.import"))
    assert entry is not None and entry.details["rows"] == 3000


def test_windows_1252_with_commas_is_read(db: Session, lottery_round: Round) -> None:
    rows = [
        ["Günther", "Jürgen", "03.04.1961", "männlich", "Hußstraße", "5", "a", "78462", "Konstanz"],
        ["Weiß", "Bärbel", "29.02.1964", "weiblich", "Hußstraße", "7", "", "78462", "Konstanz"],
    ]
    raw = csv_bytes(rows, header=HEADER_WITHOUT_DISTRICT, delimiter=",", encoding="cp1252")
    stored = _import(db, lottery_round, raw)
    assert not stored.extract_has_districts
    people = db.scalars(select(LotteryPerson).order_by(LotteryPerson.line)).all()
    assert [(p.family_name, p.given_names, p.gender) for p in people] == [
        ("Günther", "Jürgen", "m"),
        ("Weiß", "Bärbel", "w"),
    ]
    assert people[0].street == "Hußstraße" and people[0].house_number_suffix == "a"


HEADER_WITHOUT_DISTRICT = [
    "Familienname",
    "Vornamen",
    "Geburtsdatum",
    "Geschlecht",
    "Straße",
    "Hausnummer",
    "Hausnummerzusatz",
    "PLZ",
    "Ort",
]


def test_a_file_with_bad_rows_is_refused_whole_naming_every_problem(
    db: Session, lottery_round: Round
) -> None:
    good = example_rows()[:50]
    bad = [
        ["", "Anna", "31.02.1980", "w", "Hussenstraße", "3", "", "7846", "Konstanz", "Altstadt"],
        ["Kaya", "Elif", "1980-01-01", "q", "Hussenstraße", "4", "", "78462", "Konstanz", ""],
        good[0],
    ]
    before = _state(db)
    with pytest.raises(InvalidInput) as refused:
        _import(db, lottery_round, csv_bytes(good + bad))
    found = {(e.line, e.field, e.text) for e in refused.value.errors}
    assert found == {
        (52, "Familienname", "must not be empty"),
        (52, "Geburtsdatum", "must be a date as DD.MM.YYYY, like 24.12.1980"),
        (52, "PLZ", "must be five digits"),
        (53, "Geburtsdatum", "must be a date as DD.MM.YYYY, like 24.12.1980"),
        (53, "Geschlecht", "must be m, w, d or x (männlich, weiblich, divers, ohne Angabe)"),
        (53, "Stadtteil", "must not be empty"),
        (54, "(row)", "the same person as line 2"),
    }
    assert db.scalar(select(func.count()).select_from(LotteryPerson)) == 0
    assert db.scalar(select(func.count()).select_from(Lottery)) == 0
    assert _state(db) == before


def test_a_new_extract_is_refused_once_letters_were_drawn(
    db: Session, lottery_round: Round
) -> None:
    _import(db, lottery_round)
    _plan(db, lottery_round, places=5)
    _draw(db, lottery_round)
    with pytest.raises(Conflict):
        _import(db, lottery_round)


# -- plan -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("places", "dimensions", "rate"),
    [(30, ["age", "gender", "district"], 0.05), (75, ["age", "district"], 0.1), (7, [], 0.3)],
)
def test_letters_follow_the_population_within_rounding_and_add_up_exactly(
    db: Session, lottery_round: Round, places: int, dimensions: list[str], rate: float
) -> None:
    _import(db, lottery_round)
    planned = _plan(db, lottery_round, places=places, dimensions=dimensions, default_rate=rate)
    population = sum(s.population for s in planned.strata)
    ideal = {s.stratum: places * s.population / population / rate for s in planned.strata}
    assert planned.letters == round(sum(ideal.values()))
    for stratum in planned.strata:
        assert abs(stratum.letters - ideal[stratum.stratum]) < 1, stratum
        assert stratum.expected == pytest.approx(stratum.letters * rate)
    assert planned.expected == pytest.approx(planned.letters * rate)
    stored = queries.lottery_of(db, lottery_round)
    assert stored is not None and stored.plan is not None
    assert stored.plan["letters"] == planned.letters


def test_a_stratum_of_its_own_rate_gets_more_letters(db: Session, lottery_round: Round) -> None:
    _import(db, lottery_round)
    flat = _plan(db, lottery_round, dimensions=["age"])
    young = next(s for s in flat.strata if s.stratum == "18-29")
    slow = _plan(db, lottery_round, dimensions=["age"], rates={"18-29": 0.025})
    assert next(s for s in slow.strata if s.stratum == "18-29").letters == pytest.approx(
        2 * young.letters, abs=1
    )


def test_unknown_strata_and_missing_districts_change_nothing(
    db: Session, lottery_round: Round
) -> None:
    _import(db, lottery_round)
    _plan(db, lottery_round, dimensions=["age"])
    with pytest.raises(InvalidInput) as refused:
        _plan(db, lottery_round, dimensions=["age"], rates={"17-29": 0.1})
    assert (
        refused.value.errors[0].message
        == "unknown stratum '%(stratum)s' (the extract has: %(known)s)"
    )
    stored = queries.lottery_of(db, lottery_round)
    assert stored is not None and stored.plan is not None
    assert stored.plan["dimensions"] == ["age"] and stored.plan["rates"] == {}


def test_more_letters_than_people_is_refused(db: Session, lottery_round: Round) -> None:
    _import(db, lottery_round)
    with pytest.raises(InvalidInput) as refused:
        _plan(db, lottery_round, places=2000, dimensions=["gender"], default_rate=0.5)
    assert {e.params["stratum"] for e in refused.value.errors} >= {"d", "x"}
    stored = queries.lottery_of(db, lottery_round)
    assert stored is not None and stored.plan is None


def test_districts_need_the_column(db: Session, lottery_round: Round) -> None:
    rows = [row[:9] for row in example_rows()[:200]]
    _import(db, lottery_round, csv_bytes(rows, header=HEADER_WITHOUT_DISTRICT))
    with pytest.raises(InvalidInput):
        _plan(db, lottery_round)
    assert _plan(db, lottery_round, places=2, dimensions=["age", "gender"]).letters > 0


# -- draw -----------------------------------------------------------------------------------


def test_each_stratum_gets_its_letters_and_each_household_one(
    db: Session, lottery_round: Round
) -> None:
    _import(db, lottery_round)
    planned = _plan(db, lottery_round, places=8)
    wave = _draw(db, lottery_round)
    assert wave.letters == planned.letters
    letters = db.scalars(select(LotteryLetter)).all()
    assert Counter(letter.stratum for letter in letters) == {
        s.stratum: s.letters for s in planned.strata if s.letters
    }
    people = _drawn(db, lottery_round)
    assert len(people) == planned.letters
    assert len({p.household_key for p in people}) == len(people)
    # The example has households of several adults: the rule had something to do.
    sizes = Counter(db.scalars(select(LotteryPerson.household_key)).all())
    assert sum(1 for p in people if sizes[p.household_key] > 1) > 0
    # Every letter has an invitation code of the round whose hash it keeps.
    codes = set(
        db.scalars(
            select(InvitationCode.code_hash).where(InvitationCode.round_id == lottery_round.id)
        )
    )
    assert {letter.code_hash for letter in letters} == codes


def test_a_letters_code_is_derived_and_checks_out(db: Session, lottery_round: Round) -> None:
    _import(db, lottery_round)
    _plan(db, lottery_round, places=5)
    _draw(db, lottery_round)
    letter = db.scalars(select(LotteryLetter)).first()
    assert letter is not None and letter.code_secret is not None
    code = letter_codes.derived_code(SECRET, letter.code_secret)
    assert letter_codes.format_problem(code) is None
    assert letter_codes.code_hash(code, SECRET) == letter.code_hash


def test_the_same_inputs_and_seed_give_the_same_list_whatever_the_row_order(
    db: Session, make_round: MakeRound
) -> None:
    rows = example_rows()
    lists = []
    digests = []
    for number, (slug, order) in enumerate(
        [("same-a", rows), ("same-b", rows), ("shuffled", shuffled(rows, 3))]
    ):
        round = make_round(slug)
        _import(db, round, csv_bytes(order))
        _plan(db, round, places=6)
        # Each round's draw must not be disturbed by the exclusions of the one before.
        wave = _draw(db, round, exclusion_years=0, now=NOW + timedelta(seconds=number))
        lists.append(
            [(p.family_name, p.given_names, p.birth_date, p.street) for p in _drawn(db, round)]
        )
        digests.append(wave.protocol["selection_sha256"])
    assert lists[0] == lists[1] == lists[2]
    assert len(set(digests)) == 1
    other = make_round("other-seed")
    _import(db, other)
    _plan(db, other, places=6)
    _draw(db, other, seed="4 8 15 16 23 43", exclusion_years=0, now=NOW + timedelta(seconds=9))
    assert [
        (p.family_name, p.given_names, p.birth_date, p.street) for p in _drawn(db, other)
    ] != lists[0]


def test_the_protocol_lets_an_observer_re_run_the_draw(db: Session, lottery_round: Round) -> None:
    raw = EXTRACT.read_bytes()
    _import(db, lottery_round, raw)
    _plan(db, lottery_round, places=5)
    wave = _draw(db, lottery_round, seed="  Würfel: 3 6 1 1 5  ")
    protocol = wave.protocol
    assert protocol["seed"] == "Würfel: 3 6 1 1 5"
    assert protocol["extract"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert protocol["software"]["version"] == lottery.software_version()
    assert protocol["strata"]["dimensions"] == ["age", "gender", "district"]
    # The observer's re-run: the file, the strata, the seed and the sampling functions.
    from datetime import date

    from vekl.lottery import extract
    from vekl.lottery.schemas import Candidate

    checked = extract.check(raw, NOW.date())
    reference = date.fromisoformat(protocol["strata"]["reference_date"])
    candidates = []
    for person in checked.people:
        stratum = sampling.stratum_of(
            person.birth_date,
            person.gender,
            person.district,
            dimensions=[Dimension(d) for d in protocol["strata"]["dimensions"]],
            bands=protocol["strata"]["age_bands"],
            reference=reference,
        )
        if stratum is not None:
            candidates.append(Candidate(0, person.person_key, person.household_key, stratum))
    wanted = {row["stratum"]: row["letters"] for row in protocol["allocation"]}
    again = sampling.select(candidates, wanted, protocol["seed"])
    assert sampling.selection_digest(c.person_key for c in again) == protocol["selection_sha256"]
    text = json.dumps(protocol, ensure_ascii=False)
    assert not any(p.family_name in text or p.street in text for p in checked.people[:200])
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.draw"))
    assert entry is not None
    assert entry.details["seed"] == "Würfel: 3 6 1 1 5"
    assert entry.details["letters"] == wave.letters


def test_people_with_a_letter_in_recent_years_are_left_out(
    db: Session, make_round: MakeRound
) -> None:
    a_year_ago = NOW - timedelta(days=365)
    first = make_round("a-year-ago")
    _import(db, first)
    lottery.plan(
        db,
        first,
        PlanInput(places=10, dimensions=(Dimension.GENDER,)),
        secret=SECRET,
        actor="test",
        now=a_year_ago,
        exclusion_years=YEARS,
    )
    _draw(db, first, now=a_year_ago)
    before = {p.person_key for p in _drawn(db, first)}
    assert db.scalar(select(func.count()).select_from(LotteryExclusion)) == len(before)

    later = make_round("now")
    _import(db, later)
    planned = _plan(db, later, places=10, dimensions=["gender"])
    assert planned.excluded == len(before)
    assert sum(s.population - s.eligible for s in planned.strata) == len(before)
    _draw(db, later)
    again = {p.person_key for p in _drawn(db, later)}
    assert again and not again & before

    # With no years to remember, nobody is left out.
    forgetful = make_round("forgetful")
    _import(db, forgetful)
    unlimited = lottery.plan(
        db,
        forgetful,
        PlanInput(places=10, dimensions=(Dimension.GENDER,)),
        secret=SECRET,
        actor="test",
        now=NOW,
        exclusion_years=0,
    )
    assert unlimited.excluded == 0

    # After the years have passed the purge forgets them.
    _, forgotten = lottery.purge_due(
        db, actor="test", now=NOW + timedelta(days=365 * YEARS), exclusion_years=YEARS
    )
    assert forgotten == len(before)
    assert db.scalar(select(func.count()).select_from(LotteryExclusion)) == len(again)


def test_a_second_wave_draws_nobody_drawn_before(db: Session, lottery_round: Round) -> None:
    _import(db, lottery_round)
    planned = _plan(db, lottery_round, places=8, dimensions=["age"])
    _draw(db, lottery_round)
    first = _drawn(db, lottery_round)
    short = [s.stratum for s in planned.strata][:2]
    wave = _draw(db, lottery_round, seed="second", more={short[0]: 30, short[1]: 10})
    assert wave.number == 2 and wave.letters == 40
    everyone = _drawn(db, lottery_round)
    second = everyone[len(first) :]
    assert len(second) == 40
    assert not {p.id for p in second} & {p.id for p in first}
    assert len({p.household_key for p in everyone}) == len(everyone)
    counts = Counter(
        letter.stratum
        for letter in db.scalars(select(LotteryLetter).where(LotteryLetter.wave_id == wave.id))
    )
    assert counts == {short[0]: 30, short[1]: 10}
    state = lottery.status(db, lottery_round)
    assert [w["number"] for w in state.waves] == [1, 2]
    row = next(s for s in state.strata if s.stratum == short[1])
    assert row.letters_by_wave[2] == 10


@pytest.mark.parametrize(
    ("seed", "more", "error"),
    [
        ("", None, InvalidInput),
        ("   ", None, InvalidInput),
        ("x", {"17-29": 3}, InvalidInput),
        ("x", {"75+": 100_000}, InvalidInput),
        ("x", {"75+": 0}, InvalidInput),
        ("x", None, Conflict),
    ],
)
def test_bad_input_to_a_draw_changes_nothing(
    db: Session, lottery_round: Round, seed: str, more: dict[str, int] | None, error: type
) -> None:
    _import(db, lottery_round)
    _plan(db, lottery_round, places=10, dimensions=["age"])
    _draw(db, lottery_round)
    before = _state(db)
    with pytest.raises(error):
        _draw(db, lottery_round, seed=seed, more=more)
    assert _state(db) == before


def test_an_empty_seed_draws_nothing(db: Session, lottery_round: Round) -> None:
    _import(db, lottery_round)
    _plan(db, lottery_round, places=10)
    with pytest.raises(InvalidInput) as refused:
        _draw(db, lottery_round, seed=" ")
    assert refused.value.errors[0].field == "seed"
    assert _state(db) == (0, 0, 0, 0)


def test_a_stratum_with_nobody_left_is_refused(db: Session, make_round: MakeRound) -> None:
    # The one person of gender d got a letter in the first round, so the second round's
    # stratum d has nobody who can be drawn.
    only = ["Einzig", "Robin", "01.01.1990", "d", "Sonderweg", "1", "", "78462", "Konstanz", "Egg"]
    rows = [row for row in example_rows()[:200] if row[3] in "mw"] + [only]
    plan = {"places": 2, "dimensions": ["gender"], "rates": {"d": 0.01}}
    first = make_round("few-a")
    _import(db, first, csv_bytes(rows))
    assert next(s for s in _plan(db, first, **plan).strata if s.stratum == "d").letters == 1
    _draw(db, first)
    assert "Einzig" in {p.family_name for p in _drawn(db, first)}
    later = make_round("few-b")
    _import(db, later, csv_bytes(rows))
    with pytest.raises(InvalidInput) as refused:
        _plan(db, later, **plan)
    assert [(e.message, e.params["stratum"]) for e in refused.value.errors] == [
        ("stratum '%(stratum)s' has nobody who can be drawn", "d")
    ]


def test_drawing_needs_an_extract_and_a_plan(db: Session, lottery_round: Round) -> None:
    with pytest.raises(NotFound):
        _draw(db, lottery_round)
    _import(db, lottery_round)
    with pytest.raises(Conflict):
        _draw(db, lottery_round)


# -- deletion -------------------------------------------------------------------------------


def _texts_in_every_table(db: Session) -> str:
    """Every value of every column of every table, as one text to search."""
    parts: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)):
            parts.extend(str(value) for value in row if value is not None)
    return "\n".join(parts)


def test_after_deletion_no_table_holds_a_name_or_an_address(
    db: Session, lottery_round: Round
) -> None:
    rows = marked_rows()
    _import(db, lottery_round, csv_bytes(rows))
    _plan(db, lottery_round, places=3, dimensions=["gender"], default_rate=0.1)
    wave = _draw(db, lottery_round)
    needles = MARKED_FAMILIES + MARKED_GIVEN + MARKED_STREETS
    needles += sorted({row[2] for row in rows})  # birth dates as the file has them
    people = db.scalars(select(LotteryPerson)).all()
    needles += sorted({p.birth_date.isoformat() for p in people})
    before = _texts_in_every_table(db)
    assert all(needle in before for needle in MARKED_FAMILIES + MARKED_STREETS)

    deleted = lottery.delete_extract(db, lottery_round, actor="test", now=NOW)
    assert deleted == len(rows)
    after = _texts_in_every_table(db)
    assert [needle for needle in needles if needle in after] == []
    # What stays: each letter's code hash, stratum and wave, and the protocol.
    letters = db.scalars(select(LotteryLetter)).all()
    assert len(letters) == wave.letters
    assert all(letter.person_id is None and letter.code_secret is None for letter in letters)
    assert all(
        letter.code_hash and letter.stratum and letter.wave_id == wave.id for letter in letters
    )
    stored = queries.lottery_of(db, lottery_round)
    assert stored is not None and stored.extract_deletion == "confirmed"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "lottery.delete_extract"))
    assert entry is not None and entry.details["rows"] == len(rows)
    with pytest.raises(Conflict):
        _draw(db, lottery_round, more={"m": 1})
    with pytest.raises(Conflict):
        lottery.delete_extract(db, lottery_round, actor="test", now=NOW)


def test_text_columns_are_all_searched() -> None:
    """The search above reads every table; a new table of text is searched as well."""
    names = {table.name for table in Base.metadata.sorted_tables}
    assert {"lottery_people", "lottery_letters", "audit_log", "lottery_waves"} <= names
    assert any(
        isinstance(column.type, String | Text)
        for column in Base.metadata.tables["lottery_people"].columns
    )


def test_the_purge_deletes_extracts_past_their_deadline(db: Session, lottery_round: Round) -> None:
    _import(db, lottery_round)
    deleted, _ = lottery.purge_due(
        db, actor="purge", now=NOW + timedelta(days=59), exclusion_years=YEARS
    )
    assert deleted == []
    deleted, _ = lottery.purge_due(
        db, actor="purge", now=NOW + timedelta(days=61), exclusion_years=YEARS
    )
    assert deleted == [("konstanz-mai", 3000)]
    assert db.scalar(select(func.count()).select_from(LotteryPerson)) == 0
    stored = queries.lottery_of(db, lottery_round)
    assert stored is not None and stored.extract_deletion == "deadline"


def test_the_rounds_own_purge_deletes_its_extract(db: Session, lottery_round: Round) -> None:
    _import(db, lottery_round)
    due = retention.purge_due_at(db, lottery_round)
    assert due is not None
    retention.purge_round(db, lottery_round, actor="purge", now=due + timedelta(days=1))
    assert db.scalar(select(func.count()).select_from(LotteryPerson)) == 0


def test_a_registration_with_a_letters_code_counts_for_its_stratum(
    db: Session, lottery_round: Round
) -> None:
    _import(db, lottery_round)
    _plan(db, lottery_round, places=5, dimensions=["age"])
    _draw(db, lottery_round)
    letter = db.scalars(select(LotteryLetter).order_by(LotteryLetter.position)).first()
    assert letter is not None and letter.code_secret is not None
    typed = letter_codes.grouped(letter_codes.derived_code(SECRET, letter.code_secret))
    checked = letter_codes.check(
        db, lottery_round, typed, email="a@example.org", client="test", secret=SECRET, now=NOW
    )
    assert checked.row is not None
    person = Participant(
        round_id=lottery_round.id,
        role=Role.CITIZEN,
        first_name="A",
        last_name="B",
        email="a@example.org",
    )
    db.add(person)
    db.flush()
    letter_codes.consume(db, checked.row, person, NOW)
    state = lottery.status(db, lottery_round)
    registered = {row.stratum: row.registered for row in state.strata if row.registered}
    assert registered == {letter.stratum: 1}
