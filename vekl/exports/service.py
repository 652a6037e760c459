"""What organisers take out of the system: rosters, sign-in sheets, the registrations as a
workbook, the whole round as JSON.

Rosters are for the city team (names, contact, needs); moderators get their own reduced
roster from their link. Everything here is built from the published grouping.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.spreadsheet import SpreadsheetWriter, workbook
from vekl.errors import N_, NotFound
from vekl.registration import service as registrations
from vekl.registration.csv_import import GERMAN_COLUMNS, REGISTRATION_COLUMNS
from vekl.rounds import service as rounds
from vekl.runs import service as matching_runs
from vekl.runs.placements import group_label, published_run, run_groups
from vekl.store.models import (
    Evening,
    Group,
    Participant,
    RegistrationStatus,
    Round,
    Series,
    WaitlistEntry,
)

ROSTER_COLUMNS = (
    "group",
    "group_name",
    "series",
    "first_name",
    "last_name",
    "email",
    "phone",
    "role",
    "languages",
    "needs",
    "needs_other",
)


@dataclass(frozen=True)
class RosterGroup:
    group: Group
    members: list[Participant]

    @property
    def label(self) -> str:
        """The group's name as its members and moderators know it."""
        return group_label(self.group)


def _published_groups(session: Session, round: Round) -> list[Group]:
    run = published_run(session, round)
    if run is None:
        raise NotFound(N_("round '%(round)s' has no published groups yet"), round=round.slug)
    return run_groups(session, run)


def published_groups(session: Session, round: Round) -> list[Group]:
    """The groups of the published grouping; none before a grouping is published."""
    run = published_run(session, round)
    return run_groups(session, run) if run is not None else []


def _roster(group: Group) -> RosterGroup:
    people = [
        m.participant
        for m in group.members
        if m.participant.status is not RegistrationStatus.WITHDRAWN
    ]
    people.sort(key=lambda p: (p.last_name.casefold(), p.first_name.casefold()))
    return RosterGroup(group, people)


def rosters(
    session: Session, slug: str, *, group_key: str | None = None, series_key: str | None = None
) -> list[RosterGroup]:
    """The published groups (one, those of a series, or all) with their current members."""
    round = rounds.get_round(session, slug)
    groups = _published_groups(session, round)
    if group_key is not None:
        groups = [g for g in groups if g.key == group_key]
    if series_key is not None:
        groups = [g for g in groups if g.series.key == series_key]
    if not groups:
        raise NotFound(N_("no such group in the published grouping"))
    return [_roster(g) for g in groups]


def roster_csv(groups: list[RosterGroup]) -> bytes:
    out = io.StringIO()
    writer = SpreadsheetWriter(out, delimiter=";")
    writer.writerow(ROSTER_COLUMNS)
    for roster in groups:
        for p in roster.members:
            writer.writerow(
                [
                    roster.group.key,
                    roster.label,
                    roster.group.series.key,
                    p.first_name,
                    p.last_name,
                    p.email,
                    p.phone or "",
                    p.role.value,
                    "|".join(p.languages),
                    "|".join(p.needs),
                    p.needs_other or "",
                ]
            )
    # With a byte-order mark, spreadsheet programs read the umlauts right.
    return out.getvalue().encode("utf-8-sig")


def roster_file(
    session: Session, slug: str, *, group_key: str | None = None, series_key: str | None = None
) -> bytes:
    return roster_csv(rosters(session, slug, group_key=group_key, series_key=series_key))


@dataclass(frozen=True)
class SignInSheet:
    round: Round
    evening: Evening
    series: Series
    groups: list[RosterGroup]


def sign_in_sheet(session: Session, slug: str, evening_id: int) -> SignInSheet:
    """One evening's sheets: a page per group of its series, to sign on arrival."""
    round = rounds.get_round(session, slug)
    evening = session.get(Evening, evening_id)
    if evening is None:
        raise NotFound(N_("no evening %(id)s"), id=evening_id)
    series = session.get_one(Series, evening.series_id)
    if series.round_id != round.id:
        raise NotFound(N_("no evening %(id)s in round '%(round)s'"), id=evening_id, round=slug)
    groups = [_roster(g) for g in _published_groups(session, round) if g.series_id == series.id]
    return SignInSheet(round, evening, series, groups)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# The registrations workbook: the import's columns under the same German names, so a sheet
# edited in Excel can be imported again, then what the import does not take.
REGISTRATION_SHEET_EXTRA = ("Status", "Quelle", "Angemeldet am", "Gruppe")


def _cell(participant: Participant, column: str) -> str | int | None:
    match column:
        case "role":
            return participant.role.value
        case "languages" | "needs":
            return "|".join(getattr(participant, column))
        case "series":
            return "|".join(s.key for s in participant.series)
        case "consent":
            return "ja"
        case "priority":
            return participant.priority
        case _:
            value = getattr(participant, column)
            return str(value) if value is not None else None


def registrations_workbook(session: Session, slug: str, zone: ZoneInfo) -> bytes:
    """Every registration of the round as an Excel sheet (times in ``zone``), with the group
    of the published grouping where there is one."""
    round = rounds.get_round(session, slug)
    columns = (*REGISTRATION_COLUMNS["required"], *REGISTRATION_COLUMNS["optional"])
    header = [GERMAN_COLUMNS[c][0] for c in columns] + list(REGISTRATION_SHEET_EXTRA)
    group_of = {
        member.participant_id: group_label(group)
        for group in published_groups(session, round)
        for member in group.members
    }
    rows = [
        [_cell(p, c) for c in columns]
        + [
            p.status.value,
            p.source,
            p.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            group_of.get(p.id),
        ]
        for p in registrations.list_registrations(session, round)
    ]
    return workbook(round.slug, header, rows)


def round_export(session: Session, slug: str) -> dict[str, Any]:
    """The whole round as data: rules, series, evenings, people, groups and waiting list."""
    round = rounds.load_round_tree(session, slug)
    people = registrations.list_registrations(session, round)
    run = published_run(session, round)
    groups = _published_groups(session, round) if run is not None else []
    waitlist = (
        list(session.scalars(select(WaitlistEntry).where(WaitlistEntry.run_id == run.id)))
        if run is not None
        else []
    )
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "round": {
            "slug": round.slug,
            "name": round.name,
            "name_translations": dict(round.name_translations),
            "status": round.status.value,
            "languages_offered": list(round.languages_offered),
            "registration_deadline": _iso(round.registration_deadline),
            "retention_days": round.retention_days,
            "purged_at": _iso(round.purged_at),
            "rules": {
                "min_size": round.min_size,
                "max_size": round.max_size,
                "newcomer_share": [round.newcomer_share_min, round.newcomer_share_max],
                "max_same_origin": round.max_same_origin,
                "moderators_per_group": round.moderators_per_group,
                "working_languages": list(round.working_languages),
            },
        },
        "series": [
            {
                "key": s.key,
                "label": s.label,
                "label_translations": dict(s.label_translations),
                "venue_name": s.venue_name,
                "venue_name_translations": dict(s.venue_name_translations),
                "venue_address": s.venue_address,
                "step_free": s.step_free,
                "rooms": s.rooms,
                "evenings": [
                    {"id": e.id, "starts_at": _iso(e.starts_at), "ends_at": _iso(e.ends_at)}
                    for e in s.evenings
                ],
            }
            for s in round.series
        ],
        "moderators": [
            {
                "id": m.id,
                "name": m.name,
                "email": m.email,
                "preferred_language": m.preferred_language,
                "languages": list(m.languages),
                "series": [s.key for s in m.series],
            }
            for m in round.moderators
        ],
        "registrations": [
            {
                "id": p.id,
                "role": p.role.value,
                "status": p.status.value,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "email": p.email,
                "phone": p.phone,
                "preferred_language": p.preferred_language,
                "languages": list(p.languages),
                "series": [s.key for s in p.series],
                "gender": p.gender,
                "age_band": p.age_band,
                "district": p.district,
                "origin": p.origin,
                "needs": list(p.needs),
                "needs_other": p.needs_other,
                "companion_email": p.companion_email,
                "priority": p.priority,
                "source": p.source,
                "registered_at": _iso(p.created_at),
                "withdrawn_at": _iso(p.withdrawn_at),
                "withdrawn_reason": p.withdrawn_reason,
                # Why, from the fixed list; null where not withdrawn or recorded before it.
                "dropout_category": p.dropout_category.value if p.dropout_category else None,
            }
            for p in people
        ],
        "published_run": run.id if run is not None else None,
        "groups": [
            {
                "key": g.key,
                "series": g.series.key,
                "language": g.language,
                "moderators": [m.id for m in g.moderators],
                "members": [m.participant_id for m in g.members],
            }
            for g in groups
        ],
        "waiting_list": [{"registration": w.participant_id, "reason": w.reason} for w in waitlist],
        "runs": [
            {
                "id": r.id,
                "status": r.status.value,
                "previous_run": r.previous_run_id,
                "placed": r.placed,
                "waitlisted": r.waitlisted,
                "imbalance": r.imbalance,
                "imbalance_floor": r.imbalance_floor,
                "created_at": _iso(r.created_at),
                "created_by": r.created_by,
                "published_at": _iso(r.published_at),
            }
            for r in matching_runs.list_runs(session, round)
        ],
    }
