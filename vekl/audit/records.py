"""The audit log: who changed what. Details must never hold personal data."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from vekl.store.models import (
    AuditEntry,
    Evening,
    Group,
    MatchingRun,
    Moderator,
    Organiser,
    OutboxMail,
    Participant,
    Round,
    Series,
)


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    round: Round | None = None,
    subject: str | None = None,
    **details: Any,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        round_id=round.id if round is not None else None,
        subject=subject,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session,
    actor: str,
    action: str,
    *,
    round: Round | None = None,
    subjects: list[str],
    **details: Any,
) -> None:
    """One entry per subject for the same action, in one statement (imports of thousands)."""
    if not subjects:
        return
    round_id = round.id if round is not None else None
    session.execute(
        insert(AuditEntry),
        [
            {
                "actor": actor,
                "action": action,
                "round_id": round_id,
                "subject": subject,
                "details": details,
            }
            for subject in subjects
        ],
    )


def entries(session: Session, round: Round | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if round is not None:
        query = query.where(AuditEntry.round_id == round.id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Subject:
    """What an entry is about, by name, as far as it still exists.

    ``kind`` is "participant", "moderator", "evening", "run", "organiser", "mail",
    "series", "round" or "other"; ``name`` is the person's or the thing's name (None once it
    is gone: deleted, or purged with the round's personal data); ``when`` is an evening's
    start; ``number`` a run's number within its round; ``key`` the stored subject, for what
    has no name.
    """

    kind: str
    key: str
    name: str | None = None
    when: datetime | None = None
    number: int | None = None


@dataclass(frozen=True)
class Described:
    entry: AuditEntry
    subject: Subject | None
    # The people a hand edit moved (run.pin, run.swap), by name; None for one who is gone.
    people: list[str | None]
    # The group a hand edit or a new name was about (its key, if the run is gone).
    group: Group | str | None
    # The series a person chose (registration.series), by label (by key, if gone).
    series: list[str]
    # The evening an attendance mark was about (None if it is gone, or for other entries).
    evening: Evening | None = None
    # A moderator who acted ("moderator:7"), by name (None once they are gone).
    actor_name: str | None = None


def _ids(entries: list[AuditEntry], kind: str) -> set[int]:
    found: set[int] = set()
    for entry in entries:
        prefix, _, number = (entry.subject or "").partition(":")
        if prefix == kind and number.isdigit():
            found.add(int(number))
    return found


def _detail_people(entry: AuditEntry) -> list[int]:
    """The people a hand edit of a draft moved (by id, as the log keeps them)."""
    details = entry.details or {}
    if entry.action == "run.pin":
        raw = [details.get("participant")]
    elif entry.action == "run.swap":
        raw = details.get("participants") or []
    else:
        return []
    return [value for value in raw if isinstance(value, int)]


def _detail_evening(entry: AuditEntry) -> int | None:
    """The evening an attendance mark was about (by id, as the log keeps it)."""
    value = (entry.details or {}).get("evening")
    return value if entry.action.startswith("attendance.") and isinstance(value, int) else None


def _actor_moderator(entry: AuditEntry) -> int | None:
    prefix, _, number = entry.actor.partition(":")
    return int(number) if prefix == "moderator" and number.isdigit() else None


def describe(session: Session, entries: list[AuditEntry]) -> list[Described]:
    """The entries with what they are about named: people, evenings, runs, series, rounds.

    The log itself keeps only keys ("participant:84"), so that removing a person's data
    removes their name from it too; the names are looked up as the log is read.
    """
    people_ids = _ids(entries, "participant") | {
        pid for entry in entries for pid in _detail_people(entry)
    }
    people = {
        p.id: p.full_name
        for p in session.scalars(select(Participant).where(Participant.id.in_(people_ids)))
    }
    acting_moderators = {_actor_moderator(entry) or 0 for entry in entries} - {0}
    marked_evenings = {_detail_evening(entry) or 0 for entry in entries} - {0}
    moderators = {
        m.id: m.name
        for m in session.scalars(
            select(Moderator).where(
                Moderator.id.in_(_ids(entries, "moderator") | acting_moderators)
            )
        )
    }
    evenings = {
        e.id: e
        for e in session.scalars(
            select(Evening)
            .where(Evening.id.in_(_ids(entries, "session") | marked_evenings))
            .options(selectinload(Evening.series))
        )
    }
    runs = {
        r.id: r
        for r in session.scalars(
            select(MatchingRun).where(MatchingRun.id.in_(_ids(entries, "run")))
        )
    }
    organisers = {
        o.id: o.email
        for o in session.scalars(
            select(Organiser).where(Organiser.id.in_(_ids(entries, "organiser")))
        )
    }
    mails = {
        m.id: m.recipient
        for m in session.scalars(select(OutboxMail).where(OutboxMail.id.in_(_ids(entries, "mail"))))
    }
    round_ids = {entry.round_id for entry in entries if entry.round_id is not None}
    round_names = {
        r.id: r.name for r in session.scalars(select(Round).where(Round.id.in_(round_ids)))
    }
    series = {
        (s.round_id, s.key): s.label
        for s in session.scalars(select(Series).where(Series.round_id.in_(round_ids)))
    }
    groups = {
        (g.run_id, g.key): g
        for g in session.scalars(
            select(Group).where(Group.run_id.in_(runs)).options(selectinload(Group.series))
        )
    }

    def subject(entry: AuditEntry) -> Subject | None:
        stored = entry.subject
        if not stored:
            return None
        kind, _, number = stored.partition(":")
        if number.isdigit():
            ident = int(number)
            if kind == "participant":
                return Subject("participant", stored, people.get(ident))
            if kind == "moderator":
                return Subject("moderator", stored, moderators.get(ident))
            if kind == "session":
                evening = evenings.get(ident)
                if evening is None:
                    return Subject("evening", stored)
                return Subject("evening", stored, evening.series.label, when=evening.starts_at)
            if kind == "run":
                run = runs.get(ident)
                return Subject("run", stored, number=run.number if run is not None else None)
            if kind == "organiser":
                return Subject("organiser", stored, organisers.get(ident))
            if kind == "mail":
                return Subject("mail", stored, mails.get(ident))
        if entry.action.startswith("series.") and entry.round_id is not None:
            return Subject("series", stored, series.get((entry.round_id, stored)))
        if entry.round_id is not None and entry.action.startswith(
            ("round.", "codes.", "registrations.", "moderator.links")
        ):
            return Subject("round", stored, round_names.get(entry.round_id))
        return Subject("other", stored, stored)

    def group(entry: AuditEntry) -> Group | str | None:
        key = (entry.details or {}).get("group")
        if not isinstance(key, str):
            return None
        number = (entry.subject or "").partition(":")[2]
        found = groups.get((int(number), key)) if number.isdigit() else None
        return found if found is not None else key

    return [
        Described(
            entry=entry,
            subject=subject(entry),
            people=[people.get(pid) for pid in _detail_people(entry)],
            group=group(entry),
            series=[
                series.get((entry.round_id or 0, key), key)
                for key in (entry.details or {}).get("series") or []
                if isinstance(key, str)
            ],
            evening=evenings.get(_detail_evening(entry) or 0),
            actor_name=moderators.get(_actor_moderator(entry) or 0),
        )
        for entry in entries
    ]
