"""Setting a round up from the organiser pages: rules, series, evenings, venues, status, codes.

Each function takes the round's short name and does one thing an organiser asked for. Once
a grouping is published, a changed evening or venue is also sent to the people concerned
(``notify.resync_round``), in the same transaction as the change.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from notifications.spreadsheet import SpreadsheetWriter
from vekl.access import links
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from vekl.mail import dispatch as mail_dispatch
from vekl.mail import planner as notify
from vekl.mail import preview as mail_preview
from vekl.mail.preview import PREVIEW_ACTOR
from vekl.moderators import moderation
from vekl.moderators import service as moderators
from vekl.registration import csv_import, import_jobs, letter_codes, online
from vekl.retention import service as retention
from vekl.rounds import service as rounds
from vekl.rounds.schemas import (
    EveningInput,
    NewSeriesInput,
    RoundSettingsInput,
    SeriesInput,
    translations,
)
from vekl.runs import service as matching_runs
from vekl.runs.placements import published_run
from vekl.settings import Settings
from vekl.store.models import (
    CsvImport,
    Evening,
    ImportKind,
    MatchingRun,
    Moderator,
    Round,
    RoundStatus,
    Series,
)
from vekl.validation import invalid_input


@dataclass(frozen=True)
class RoundOverview:
    round: Round
    counts: dict[str, int]
    moderators: list[Moderator]
    runs: list[MatchingRun]
    published: MatchingRun | None
    mail_counts: dict[str, int]
    last_evening: datetime | None
    purge_due_at: datetime | None
    statistics: dict[str, Any] | None
    registration_open: bool
    # What keeps an open round off the public pages: "deadline", "evenings".
    not_public_because: list[str]


def overview(session: Session, slug: str) -> RoundOverview:
    round = rounds.load_round_tree(session, slug)
    return RoundOverview(
        round=round,
        counts=rounds.status_counts(session, round),
        moderators=moderators.list_moderators(session, round),
        runs=matching_runs.list_runs(session, round),
        published=published_run(session, round),
        mail_counts=mail_dispatch.status_counts(session, round.id),
        last_evening=retention.last_evening(session, round),
        purge_due_at=retention.purge_due_at(session, round),
        statistics=retention.kept_statistics(session, round),
        registration_open=online.is_open(round, datetime.now(UTC)),
        not_public_because=[
            reason
            for reason, missing in (
                ("deadline", round.registration_deadline is None),
                ("evenings", not any(s.evenings for s in round.series)),
            )
            if missing
        ],
    )


def all_rounds(session: Session) -> list[Round]:
    return rounds.list_rounds(session)


def _spec_data(data: RoundSettingsInput) -> dict[str, Any]:
    return {
        "name": data.name,
        "name_translations": translations(data, "name"),
        "languages_offered": data.languages_offered,
        "registration_deadline": data.registration_deadline,
        "retention_days": data.retention_days,
        "min_size": data.min_size,
        "max_size": data.max_size,
        "newcomer_share": (data.newcomer_share_min, data.newcomer_share_max),
        "max_same_origin": data.max_same_origin,
        "moderators_per_group": data.moderators_per_group,
        "working_languages": data.working_languages,
    }


def create_round(
    session: Session, slug: str, data: RoundSettingsInput, settings: Settings, actor: str
) -> Round:
    spec = rounds.parse_round_spec({"slug": slug.strip().lower(), **_spec_data(data)})
    return rounds.create_round(session, spec, settings.zone, actor)


def create_round_from_file(session: Session, raw: bytes, settings: Settings, actor: str) -> Round:
    """The same TOML round file ``vekl round create`` reads, uploaded."""
    spec = rounds.parse_round_toml(csv_import.decode(raw))
    return rounds.create_round(session, spec, settings.zone, actor)


def update_round(
    session: Session, slug: str, data: RoundSettingsInput, settings: Settings, actor: str
) -> Round:
    round = rounds.get_round(session, slug)
    deadline = data.registration_deadline
    if deadline is not None and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=settings.zone)
    round.name = data.name
    round.name_translations = translations(data, "name")
    round.languages_offered = list(data.languages_offered)
    round.registration_deadline = deadline
    round.retention_days = data.retention_days
    round.min_size = data.min_size
    round.max_size = data.max_size
    round.newcomer_share_min = data.newcomer_share_min
    round.newcomer_share_max = data.newcomer_share_max
    round.max_same_origin = data.max_same_origin
    round.moderators_per_group = data.moderators_per_group
    round.working_languages = list(data.working_languages)
    session.flush()
    audit.record(session, actor, "round.update", round=round, subject=round.slug)
    return round


def set_status(session: Session, slug: str, status: str, actor: str) -> Round:
    """Open or close registration, or mark the round finished."""
    round = rounds.get_round(session, slug)
    try:
        wanted = RoundStatus(status)
    except ValueError:
        raise InvalidInput(
            [FieldError("status", N_("unknown status '%(value)s'"), params={"value": status})]
        ) from None
    if round.purged_at is not None:
        raise Conflict(N_("round '%(round)s' was purged"), round=slug)
    rounds.set_status(session, round, wanted, actor)
    return round


def _series(round: Round, key: str) -> Series:
    for series in round.series:
        if series.key == key:
            return series
    raise NotFound(N_("no series '%(series)s' in round '%(round)s'"), series=key, round=round.slug)


def _evening(round: Round, evening_id: int) -> Evening:
    for series in round.series:
        for evening in series.evenings:
            if evening.id == evening_id:
                return evening
    raise NotFound(N_("no evening %(id)s in round '%(round)s'"), id=evening_id, round=round.slug)


def _tell_people(session: Session, round: Round, settings: Settings) -> int:
    """After a change to evenings or venues of a published round: updates go out."""
    if published_run(session, round) is None:
        return 0
    return len(notify.resync_round(session, round, settings=settings))


def add_series(
    session: Session, slug: str, data: NewSeriesInput, settings: Settings, actor: str
) -> Series:
    round = rounds.load_round_tree(session, slug)
    try:
        spec = rounds.SeriesSpec.model_validate({"key": data.key, **data.spec_data()})
    except ValidationError as exc:
        raise invalid_input(exc) from None
    return rounds.add_series(session, round, spec, settings.zone, actor)


def edit_series(
    session: Session, slug: str, key: str, data: SeriesInput, settings: Settings, actor: str
) -> int:
    """Change a series' label, rooms or venue; returns how many update mails were queued.

    The translations of the label and the venue's name are words on pages and in mails to
    come; a new translation alone sends nobody an update.
    """
    round = rounds.load_round_tree(session, slug)
    series = _series(round, key)
    venue_names = translations(data, "venue_name")
    if data.venue_name != series.venue_name and venue_names == series.venue_name_translations:
        # A new venue with the old one's translations, left as they were in the form: they
        # name the old place, so readers of those languages get the new German name.
        venue_names = {}
    now = (series.label, series.label_translations, series.venue_name_translations, series.rooms)
    wanted = (data.label, translations(data, "label"), venue_names, data.rooms)
    if now != wanted:
        series.label, series.label_translations, series.venue_name_translations, series.rooms = (
            wanted
        )
        session.flush()
        audit.record(session, actor, "series.update", round=round, subject=series.key)
    venue = (data.venue_name, data.venue_address, data.step_free)
    if venue == (series.venue_name, series.venue_address, series.step_free):
        return 0
    rounds.change_venue(
        session,
        series,
        name=data.venue_name,
        address=data.venue_address,
        step_free=data.step_free,
        actor=actor,
    )
    # New translations given with the new venue's name.
    series.venue_name_translations = venue_names
    session.flush()
    return _tell_people(session, round, settings)


def add_evening(
    session: Session, slug: str, key: str, data: EveningInput, settings: Settings, actor: str
) -> int:
    round = rounds.load_round_tree(session, slug)
    series = _series(round, key)
    evening = rounds.add_session(session, series, data.day, data.start, data.end, settings.zone)
    audit.record(session, actor, "session.create", round=round, subject=f"session:{evening.id}")
    return _tell_people(session, round, settings)


def reschedule_evening(
    session: Session,
    slug: str,
    evening_id: int,
    data: EveningInput,
    settings: Settings,
    actor: str,
) -> int:
    """Move an evening; everyone whose calendar holds it gets an update."""
    round = rounds.load_round_tree(session, slug)
    evening = _evening(round, evening_id)
    rounds.reschedule_evening(
        session, evening, data.day, data.start, data.end, settings.zone, actor
    )
    return _tell_people(session, round, settings)


@dataclass(frozen=True)
class MovePreview:
    """What moving an evening would do: from when to when, and who would be told."""

    round: Round
    series: Series
    evening: Evening
    old: tuple[datetime, datetime]
    new: tuple[datetime, datetime]
    mails: list[mail_preview.PlannedMail]


def reschedule_preview(
    session: Session, slug: str, evening_id: int, data: EveningInput, settings: Settings
) -> MovePreview:
    """Move the evening in a savepoint, note the mails it would queue, and roll back.

    A move that is not allowed is refused here already, with the same message.
    """
    round = rounds.load_round_tree(session, slug)
    evening = _evening(round, evening_id)
    old = (evening.starts_at, evening.ends_at)
    savepoint = session.begin_nested()
    try:
        rounds.reschedule_evening(
            session, evening, data.day, data.start, data.end, settings.zone, PREVIEW_ACTOR
        )
        new = (evening.starts_at, evening.ends_at)
        queued = (
            notify.resync_round(session, round, settings=settings)
            if published_run(session, round) is not None
            else []
        )
        planned = mail_preview.note(queued)
    finally:
        savepoint.rollback()
    round = rounds.load_round_tree(session, slug)
    evening = _evening(round, evening_id)
    return MovePreview(
        round=round,
        series=session.get_one(Series, evening.series_id),
        evening=evening,
        old=old,
        new=new,
        mails=mail_preview.planned_mails(session, planned),
    )


def remove_evening(session: Session, slug: str, evening_id: int, actor: str) -> None:
    """Only before groups are published: afterwards people hold it in their calendars."""
    round = rounds.load_round_tree(session, slug)
    evening = _evening(round, evening_id)
    if published_run(session, round) is not None:
        raise Conflict(N_("evenings of a published round can be moved, not removed"))
    series = session.get_one(Series, evening.series_id)
    series.evenings.remove(evening)
    session.flush()
    audit.record(session, actor, "session.delete", round=round, subject=f"session:{evening_id}")


def import_file(
    session: Session, slug: str, kind: str, raw: bytes, actor: str, *, inline_rows: int
) -> csv_import.ImportResult | CsvImport:
    """Import an uploaded CSV file of registrations or moderators; every bad row is named.

    A file of at most ``inline_rows`` lines is imported here and now, in the caller's
    transaction. A larger one is kept and queued for the worker, which imports it in short
    transactions (``vekl.registration.import_jobs``); the queued import is returned.
    """
    round = rounds.get_round(session, slug)
    try:
        wanted = ImportKind(kind)
    except ValueError:
        raise NotFound(N_("no import of '%(kind)s'"), kind=kind) from None
    # Lines, not records: a quoted cell may span lines, which only ever overestimates.
    if raw.count(b"\n") <= inline_rows:
        return csv_import.import_file(session, round, wanted, raw, actor)
    return import_jobs.submit(session, round, wanted, raw, actor)


@dataclass(frozen=True)
class ImportPage:
    overview: RoundOverview
    imports: list[CsvImport]
    columns: dict[str, list[csv_import.Column]]
    """The columns of each kind of file (``registrations``, ``moderators``)."""


def import_page(session: Session, slug: str) -> ImportPage:
    """The import forms, with the round's latest imports by the worker and the columns."""
    found = overview(session, slug)
    columns = {kind.value: csv_import.columns(kind) for kind in ImportKind}
    return ImportPage(found, import_jobs.recent_imports(session, found.round), columns)


def import_template(kind: str) -> bytes:
    """An empty file of ``kind`` to fill in, with the German column names."""
    try:
        return csv_import.template(ImportKind(kind))
    except ValueError:
        raise NotFound(N_("no import of '%(kind)s'"), kind=kind) from None


@dataclass(frozen=True)
class ImportProgress:
    round: Round
    view: import_jobs.ImportView


def import_progress(session: Session, slug: str, import_id: int) -> ImportProgress:
    """One import by the worker: how far it got, and its outcome."""
    round = rounds.get_round(session, slug)
    return ImportProgress(round, import_jobs.get_import(session, round, import_id))


def letter_codes_csv(
    session: Session, slug: str, count: int, settings: Settings, actor: str
) -> bytes:
    """New codes with their personal addresses, as the mail-merge file of ``vekl codes``.

    The file is the only readable copy of the codes: it is handed out once, never stored.
    """
    if not 1 <= count <= 100_000:
        raise InvalidInput([FieldError("count", N_("between 1 and 100000 codes at a time"))])
    round = rounds.get_round(session, slug)
    codes = letter_codes.generate(session, round, count, secret=settings.secret_key, actor=actor)
    out = io.StringIO()
    writer = SpreadsheetWriter(out, delimiter=";")
    writer.writerow(["code", "url"])
    for code in codes:
        writer.writerow([code, links.letter_url(settings, code)])
    return out.getvalue().encode("utf-8-sig")


def moderator_links(
    session: Session, slug: str, settings: Settings, actor: str
) -> list[tuple[Moderator, str]]:
    """New personal links for every moderator; earlier links stop working."""
    round = rounds.get_round(session, slug)
    return moderation.issue_links(session, settings, round, actor=actor)
