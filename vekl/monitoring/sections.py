"""The report's sections, each a few tables of counts.

Built here from the store: ``registrations`` (by source and role), ``outcome`` (placed,
waitlisted with the reasons grouped, dropped out by who recorded it, not yet matched),
``composition`` (groups against the pool by gender, age band, district, origin and
languages) and ``encounters`` (citizen–newcomer pairs in one group).

**Plugging in a section.** Attendance, feedback and the lottery are counted by their own
domain packages. Each adds a provider to :data:`PROVIDERS`: a function
``(session, round) -> Section | None`` that returns its tables of counts, or ``None`` when
the round has no such data (then the section is simply absent). Its tables take part in
the same suppression and are kept at the purge with the rest. A table that repeats a count
of another table (completion by role against placed by role) says so with ``row_keys`` /
``column_keys`` / ``cell_keys`` (keys below), so the two cannot be played against each
other. Attendance also refines encounters: it sets :data:`PRESENT_TOGETHER` to a function
that says which seated pairs both came, and the basis becomes "attended".

Shared keys: ``registrations|total``, ``registrations|role=<role>``,
``outcome|<outcome>|<role>`` (outcome: placed, waitlisted, dropped_out, not_matched),
``outcome|<outcome>|_total``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import product

from sqlalchemy.orm import Session

from vekl.monitoring import queries
from vekl.monitoring.schemas import TOTAL, Section, Table
from vekl.reference import AGE_BANDS, DISTRICTS, GENDERS
from vekl.store.models import Role, Round

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
    return Section(name="outcome", tables=[overview, reasons, dropouts])


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


PresentTogether = Callable[[Session, Round], Callable[[int, int], bool] | None]


def _nobody_recorded(session: Session, round: Round) -> Callable[[int, int], bool] | None:
    return None


PRESENT_TOGETHER: PresentTogether = _nobody_recorded
"""Set by attendance: for a round, a test whether two seated people both came (on one
evening), or None while the round has no attendance recorded."""


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


Provider = Callable[[Session, Round], Section | None]
PROVIDERS: list[Provider] = []
"""Sections of other domain packages (attendance, feedback, lottery), in report order."""


def build(session: Session, round: Round) -> list[Section]:
    people = queries.registrations(session, round)
    sections = [registrations_section(people), outcome_section(people)]
    sections.append(composition_section(people))
    encounters = encounters_section(
        queries.seated_groups(session, round), PRESENT_TOGETHER(session, round)
    )
    if encounters is not None:
        sections.append(encounters)
    for provider in PROVIDERS:
        extra = provider(session, round)
        if extra is not None:
            sections.append(extra)
    return sections
