"""The report's sections, each a few tables of counts.

Built here from the store: ``registrations`` (by source and role), ``outcome`` (placed,
waitlisted with the reasons grouped, dropped out by who recorded it and by the category of
why, not yet matched), ``composition`` (groups against the pool by gender, age band,
district, origin and languages) and ``encounters`` (citizen–newcomer pairs in one group).
Aggregates kept before a table existed get it from :func:`complete_kept`.

Built from the figures of other domain packages, where a round has them: ``attendance``
(who came per evening and role, who came to every evening: ``vekl.attendance``),
``feedback`` (the survey's figures: ``vekl.feedback``) and ``lottery`` (letters and
registrations with a letter's code per stratum: ``vekl.lottery``). :func:`build` calls
each builder in turn; a builder returns ``None`` when the round has no such data, and the
section is simply absent. Their tables take part in the same suppression and are kept at
the purge with the rest. A table that repeats a count of another table (the groups'
members by role against placed by role) says so with ``row_keys`` / ``column_keys`` /
``cell_keys`` (keys below), so the two cannot be played against each other. Once an
evening has a mark, encounters count only pairs who were both present on one evening, and
the basis becomes "attended".

Shared keys: ``registrations|total``, ``registrations|role=<role>``,
``outcome|<outcome>|<role>`` (outcome: placed, waitlisted, dropped_out, not_matched),
``outcome|<outcome>|_total``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product

from sqlalchemy.orm import Session

from vekl.attendance import service as attendance
from vekl.attendance.service import RoundAttendance
from vekl.errors import NotFound
from vekl.feedback import queries as feedback_queries
from vekl.feedback import service as feedback
from vekl.lottery import response as lottery_response
from vekl.lottery.response import Response
from vekl.monitoring import queries
from vekl.monitoring.schemas import TOTAL, Section, Table
from vekl.reference import AGE_BANDS, DISTRICTS, GENDERS
from vekl.store.models import DropoutCategory, Role, Round

ROLES = tuple(r.value for r in Role)
UNKNOWN = "unknown"
OUTCOMES = ("placed", "waitlisted", "dropped_out", "not_matched")
_OUTCOME_OF = {
    "placed": "placed",
    "waitlisted": "waitlisted",
    "withdrawn": "dropped_out",
    "confirmed": "not_matched",
}
DROPOUT_WAYS = ("by_participant", "by_organisers")
# Why people dropped out: the fixed list, in its order ("not_given" last).
DROPOUT_CATEGORIES = tuple(c.value for c in DropoutCategory)

# A waitlist reason is the solver's sentence (it may name people's ids); only its group is
# counted. First match wins; the patterns follow matching/explanations.
WAITLIST_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("by_lot", re.compile(r"^by lot\b")),
    ("not_analysed", re.compile(r"before the time limit")),
    ("no_series", re.compile(r"did not list any|no series in common")),
    ("step_free", re.compile(r"step-free")),
    ("companions", re.compile(r"companion|together|kept apart")),
    ("language", re.compile(r"language|speaks")),
    ("newcomer_share", re.compile(r"newcomer share|too few (citizens|newcomers)")),
    ("same_origin", re.compile(r"members from|people from")),
    ("capacity", re.compile(r"no room|cannot take|too few|fewer than|moderator|more than a")),
)
WAITLIST_REASONS = (*(name for name, _ in WAITLIST_GROUPS), "other")

_PREFIX = re.compile(r"^with .*? \(together\): ")


def waitlist_group(reason: str | None) -> str:
    """The group of a waitlist reason (``other`` where none fits or none is stored)."""
    if not reason:
        return "other"
    text = _PREFIX.sub("", reason)
    for name, pattern in WAITLIST_GROUPS:
        if pattern.search(text):
            return name
    return "other"


def _cross(
    name: str,
    rows: Sequence[str],
    columns: Sequence[str],
    pairs: Iterable[tuple[str, str]],
    **shared: object,
) -> Table:
    counted = Counter(pairs)
    return Table.model_validate(
        {
            "name": name,
            "rows": list(rows),
            "columns": list(columns),
            "counts": [[counted[(r, c)] for c in columns] for r in rows],
            **shared,
        }
    )


def _ordered(known: Sequence[str], seen: Iterable[str | None]) -> list[str]:
    present = {s or UNKNOWN for s in seen}
    extra = sorted(present - set(known) - {UNKNOWN})
    ordered = [k for k in known if k in present] + extra
    return ordered + ([UNKNOWN] if UNKNOWN in present else [])


ROLE_KEYS = [f"registrations|role={r}" for r in ROLES]
GRAND = "registrations|total"


def registrations_section(people: Sequence[queries.Registration]) -> Section:
    sources = _ordered(("web", "letter", "import"), (p.source for p in people))
    table = _cross(
        "by_source",
        sources,
        ROLES,
        ((p.source, p.role) for p in people),
        column_keys=ROLE_KEYS,
        total_key=GRAND,
    )
    return Section(name="registrations", tables=[table])


def outcome_section(people: Sequence[queries.Registration]) -> Section:
    outcome = {p.id: _OUTCOME_OF[p.status] for p in people}
    overview = _cross(
        "by_outcome",
        OUTCOMES,
        ROLES,
        ((outcome[p.id], p.role) for p in people),
        column_keys=ROLE_KEYS,
        total_key=GRAND,
        row_keys=[f"outcome|{o}|{TOTAL}" for o in OUTCOMES],
        cell_keys={f"{o}|{r}": f"outcome|{o}|{r}" for o, r in product(OUTCOMES, ROLES)},
    )
    waiting = [p for p in people if outcome[p.id] == "waitlisted"]
    reasons = _cross(
        "waitlist_reasons",
        WAITLIST_REASONS,
        ROLES,
        ((waitlist_group(p.waitlist_reason), p.role) for p in waiting),
        column_keys=[f"outcome|waitlisted|{r}" for r in ROLES],
        total_key=f"outcome|waitlisted|{TOTAL}",
    )
    dropped = [p for p in people if outcome[p.id] == "dropped_out"]
    dropouts = _cross(
        "dropout_reasons",
        DROPOUT_WAYS,
        ROLES,
        (("by_participant" if p.withdrawn_by_self else "by_organisers", p.role) for p in dropped),
        column_keys=[f"outcome|dropped_out|{r}" for r in ROLES],
        total_key=f"outcome|dropped_out|{TOTAL}",
    )
    # The same dropouts by why (the category, never the organisers' own words): its
    # columns are those of "dropout_reasons", so the two tables are one system of sums.
    categories = _cross(
        "dropout_categories",
        DROPOUT_CATEGORIES,
        ROLES,
        ((p.dropout_category, p.role) for p in dropped),
        column_keys=[f"outcome|dropped_out|{r}" for r in ROLES],
        total_key=f"outcome|dropped_out|{TOTAL}",
    )
    return Section(name="outcome", tables=[overview, reasons, dropouts, categories])


def complete_kept(found: Sequence[Section]) -> list[Section]:
    """The sections of aggregates kept before a table was added, with that table as the
    round would have had it: ``dropout_categories`` counts every dropout of such a round as
    "not_given" (no category was recorded then), so its columns still equal the dropouts'
    and the rounds add up."""
    done = []
    for section in found:
        names = {t.name for t in section.tables}
        ways = next((t for t in section.tables if t.name == "dropout_reasons"), None)
        if section.name != "outcome" or "dropout_categories" in names or ways is None:
            done.append(section)
            continue
        given = dict.fromkeys(DROPOUT_CATEGORIES, [0] * len(ways.columns))
        given[DropoutCategory.NOT_GIVEN.value] = [
            ways.column_sum(c) for c in range(len(ways.columns))
        ]
        categories = Table(
            name="dropout_categories",
            rows=list(given),
            columns=list(ways.columns),
            counts=[list(line) for line in given.values()],
            column_keys=ways.column_keys,
            total_key=ways.total_key,
        )
        done.append(section.model_copy(update={"tables": [*section.tables, categories]}))
    return done


COMPOSITION_COLUMNS = ("placed", "not_placed")
_PLACED_KEYS = [f"outcome|placed|{TOTAL}", "composition|not_placed"]


def composition_section(people: Sequence[queries.Registration]) -> Section:
    """Each dimension by placed / not placed: the row total is the pool, the first column
    the groups. Languages (people speak several) have row totals only."""

    def placed(p: queries.Registration) -> str:
        return "placed" if p.status == "placed" else "not_placed"

    dimensions: tuple[tuple[str, Sequence[str], Callable[[queries.Registration], str | None]], ...]
    dimensions = (
        ("gender", GENDERS, lambda p: p.gender),
        ("age_band", AGE_BANDS, lambda p: p.age_band),
        ("district", DISTRICTS, lambda p: p.district),
        ("origin", (), lambda p: p.origin),
    )
    tables = []
    for dimension, known, value in dimensions:
        rows = _ordered(known, (value(p) for p in people))
        tables.append(
            _cross(
                dimension,
                rows,
                COMPOSITION_COLUMNS,
                (((value(p) or UNKNOWN), placed(p)) for p in people),
                column_keys=_PLACED_KEYS,
                total_key=GRAND,
            )
        )
    languages = sorted({lang for p in people for lang in p.languages})
    tables.append(
        _cross(
            "languages",
            languages,
            COMPOSITION_COLUMNS,
            ((lang, placed(p)) for p in people for lang in p.languages),
            column_totals=False,
        )
    )
    return Section(name="composition", tables=tables)


def encounters_section(
    groups: Sequence[Sequence[tuple[int, str]]],
    together: Callable[[int, int], bool] | None = None,
) -> Section | None:
    """Citizen–newcomer pairs who sat in one group (``together``: and both came)."""
    if not groups:
        return None
    pairs = 0
    met: set[int] = set()
    for members in groups:
        for (a, role_a), (b, role_b) in product(members, members):
            if role_a != "citizen" or role_b != "newcomer":
                continue
            if together is not None and not together(a, b):
                continue
            pairs += 1
            met |= {a, b}
    roles = {pid: role for members in groups for pid, role in members}
    with_encounter = Counter(roles[pid] for pid in met)
    table = Table(
        name="encounters",
        rows=["pairs", *(f"{r}_with_encounter" for r in ROLES), "groups"],
        columns=["count"],
        counts=[[pairs], *([with_encounter[r]] for r in ROLES), [len(groups)]],
        row_totals=False,
        column_totals=False,
    )
    return Section(
        name="encounters", tables=[table], basis="seated" if together is None else "attended"
    )


def present_together(present: Mapping[int, set[int]]) -> Callable[[int, int], bool] | None:
    """Whether two people were both present on one evening (``present``: person -> the
    evenings they came to); None while nobody has a mark."""
    if not present:
        return None
    return lambda a, b: bool(present.get(a, set()) & present.get(b, set()))


# --- attendance ----------------------------------------------------------------------------


def evening_row(series: str, number: int) -> str:
    """An evening's row name: its series' key and its number in the series (``mon-1``)."""
    return f"{series}-{number}"


def attendance_section(
    figures: RoundAttendance, placed: Mapping[str, int] | None = None
) -> Section | None:
    """Who came, per evening and role, and who came to every evening of their series.

    ``placed``: the outcome's placed by role; where the members of the groups equal it
    (they do unless someone was placed outside the published groups), the completion
    table shares those counts, so suppression sees them as one. Absent while no evening
    has a mark.
    """
    marked = sum(c.present + c.absent for e in figures.evenings for c in e.by_role.values())
    if not marked:
        return None
    evenings = Table(
        name="evenings",
        rows=[evening_row(e.series, e.number) for e in figures.evenings],
        columns=list(ROLES),
        counts=[[e.by_role[r].present for r in ROLES] for e in figures.evenings],
    )
    members = [figures.members.get(r, 0) for r in ROLES]
    placed = placed or {}
    linked = {
        f"members|{r}": f"outcome|placed|{r}"
        for r, n in zip(ROLES, members, strict=True)
        if placed.get(r) == n
    }
    same = len(linked) == len(ROLES)
    completion = Table(
        name="completion",
        rows=["members", "completed"],
        columns=list(ROLES),
        counts=[members, [figures.completed.get(r, 0) for r in ROLES]],
        column_totals=False,
        cell_keys=linked,
        row_keys=[f"outcome|placed|{TOTAL}", "completion|completed|_total"] if same else None,
    )
    return Section(name="attendance", tables=[evenings, completion])


# --- feedback ------------------------------------------------------------------------------

RESPONDENTS = (*ROLES, "moderator")
SATISFACTION = ("1", "2", "3", "4", "5")
YES_NO = ("yes", "no")
FEEDBACK_QUESTIONS = ("met_someone_new", "would_recommend")
MUTUAL = ("mutual_pairs", "citizen_newcomer_pairs")


@dataclass(frozen=True)
class Answer:
    """What the report counts of one survey answer: who answered (a kind) and the figures."""

    respondent: str
    satisfaction: int | None
    met_someone_new: bool | None
    would_recommend: bool | None


def feedback_section(answers: Sequence[Answer], pairs: Mapping[str, int]) -> Section | None:
    """Satisfaction by respondent kind, two yes/no questions (participants' answers) and
    the mutual stay-in-touch pairs. Absent while nobody answered and no pair exists."""
    if not answers and not any(pairs.get(k, 0) for k in MUTUAL):
        return None
    satisfaction = _cross(
        "satisfaction",
        SATISFACTION,
        RESPONDENTS,
        ((str(a.satisfaction), a.respondent) for a in answers if a.satisfaction is not None),
    )
    people = [a for a in answers if a.respondent != "moderator"]

    def yes_no(value: bool | None) -> str | None:
        return None if value is None else YES_NO[0] if value else YES_NO[1]

    questions = _cross(
        "questions",
        FEEDBACK_QUESTIONS,
        YES_NO,
        (
            (question, answer)
            for a in people
            for question, answer in (
                ("met_someone_new", yes_no(a.met_someone_new)),
                ("would_recommend", yes_no(a.would_recommend)),
            )
            if answer is not None
        ),
        column_totals=False,
    )
    mutual = Table(
        name="stay_in_touch",
        rows=list(MUTUAL),
        columns=["count"],
        counts=[[int(pairs.get(k, 0))] for k in MUTUAL],
        row_totals=False,
        column_totals=False,
    )
    return Section(name="feedback", tables=[satisfaction, questions, mutual])


# --- lottery -------------------------------------------------------------------------------


def lottery_section(found: Response | None) -> Section | None:
    """Letters per stratum and wave; registrations with a letter's code per stratum.
    Absent without a lottery or before its first letter."""
    if found is None or not found.letters:
        return None
    strata = [s.stratum for s in found.strata]
    waves = sorted({w for s in found.strata for w in s.letters_by_wave} | set(found.waves))
    letters = Table(
        name="letters_by_wave",
        rows=strata,
        columns=[f"wave-{w}" for w in waves],
        counts=[[s.letters_by_wave.get(w, 0) for w in waves] for s in found.strata],
    )
    registered = Table(
        name="response",
        rows=strata,
        columns=["registered"],
        counts=[[s.registered] for s in found.strata],
        row_totals=False,
        # The one column's total is the grand total: one cell.
        column_keys=["response|_total|_total"],
    )
    return Section(name="lottery", tables=[letters, registered])


def build(session: Session, round: Round) -> list[Section]:
    """The round's sections in report order; a section without data is left out."""
    people = queries.registrations(session, round)
    sections = [registrations_section(people), outcome_section(people)]
    sections.append(composition_section(people))
    encounters = encounters_section(
        queries.seated_groups(session, round),
        present_together(queries.present_evenings(session, round)),
    )
    placed = Counter(p.role for p in people if p.status == "placed")
    others = (
        encounters,
        attendance_section(attendance.round_counts(session, round), placed),
        feedback_section(_answers(session, round), _pairs(session, round)),
        lottery_section(_response(session, round)),
    )
    sections.extend(s for s in others if s is not None)
    return sections


def _answers(session: Session, round: Round) -> list[Answer]:
    return [
        Answer(a.respondent, a.satisfaction, a.met_someone_new, a.would_recommend)
        for a in feedback_queries.answers(session, round)
    ]


def _pairs(session: Session, round: Round) -> dict[str, int]:
    figures = feedback.aggregates(session, round)
    return {k: int(figures.get(k, 0)) for k in MUTUAL}


def _response(session: Session, round: Round) -> Response | None:
    try:
        return lottery_response.response(session, round)
    except NotFound:
        return None
