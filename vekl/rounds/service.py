"""Rounds, their series and sessions.

A round can be described in a TOML file (see examples/) in the terms organisers use:
dates and a start and end time in the city's time zone. They are stored as aware UTC.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from matching import MAX_GROUP_SIZE
from vekl.audit import records as audit
from vekl.errors import N_, Conflict, FieldError, Invalid, InvalidInput, NotFound, field_errors
from vekl.lottery import response as lottery_response
from vekl.rounds.schemas import Deadline, EveningDay, SeriesKey, Translations
from vekl.store.models import Evening, Participant, RegistrationStatus, Round, RoundStatus, Series
from vekl.validation import LanguageCode, Text

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
# A round file's bounds, far above any real round (a handful of series, a few evenings
# each), so that creating a round from a file is a matter of a second at most.
MAX_SERIES = 50
MAX_EVENINGS = 30


class SeriesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SeriesKey
    label: Annotated[Text, Field(min_length=1, max_length=200)]
    label_translations: Translations = Field(default_factory=dict)
    venue_name: Annotated[Text, Field(min_length=1, max_length=200)]
    venue_name_translations: Translations = Field(default_factory=dict)
    venue_address: Annotated[Text, Field(min_length=1, max_length=300)]
    step_free: bool = False
    rooms: Annotated[int, Field(ge=1, le=1000)] = 1
    dates: list[EveningDay] = Field(default_factory=list, max_length=MAX_EVENINGS)
    start: time = time(18, 0)
    end: time = time(21, 15)

    @model_validator(mode="after")
    def _end_after_start(self) -> SeriesSpec:
        if self.end <= self.start:
            raise Invalid(N_("end must be after start"))
        seen: set[date] = set()
        for day in self.dates:
            if day in seen:
                raise Invalid(N_("the date %(day)s appears twice"), day=day.isoformat())
            seen.add(day)
        return self


class RoundSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    name_translations: Translations = Field(default_factory=dict)
    languages_offered: list[LanguageCode] = Field(default_factory=lambda: ["de", "en", "ar", "uk"])
    registration_deadline: Deadline | None = None
    retention_days: Annotated[int, Field(ge=0, le=3650)] = 90
    min_size: Annotated[int, Field(ge=2, le=MAX_GROUP_SIZE)] = 6
    max_size: Annotated[int, Field(ge=2, le=MAX_GROUP_SIZE)] = 10
    newcomer_share: tuple[float, float] = (0.4, 0.6)
    max_same_origin: Annotated[int, Field(ge=1)] = 2
    moderators_per_group: Annotated[int, Field(ge=0, le=5)] = 1
    working_languages: list[LanguageCode] = Field(default_factory=list)
    series: list[SeriesSpec] = Field(default_factory=list, max_length=MAX_SERIES)

    @model_validator(mode="after")
    def _consistent(self) -> RoundSpec:
        for problem in slug_problems(self.slug):
            raise Invalid(problem.message, at=problem.field)
        if self.max_size < self.min_size:
            raise Invalid(N_("max_size must be at least min_size"))
        low, high = self.newcomer_share
        if not 0 <= low <= high <= 1:
            raise Invalid(N_("newcomer_share must be two shares 0 <= low <= high <= 1"))
        keys = [s.key for s in self.series]
        if len(keys) != len(set(keys)):
            raise Invalid(N_("series keys must be unique within a round"))
        return self


SLUG_FORM = N_("use 3-64 lower-case letters, digits and hyphens")


def slug_problems(slug: str) -> list[FieldError]:
    """What is wrong with a round's short name (it appears in every link of the round)."""
    return [] if _SLUG.match(slug) else [FieldError("slug", SLUG_FORM)]


def _pydantic_errors(exc: ValidationError) -> InvalidInput:
    return InvalidInput(field_errors(exc, default_field="(file)"))


def parse_round_spec(data: dict[str, Any]) -> RoundSpec:
    try:
        return RoundSpec.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_errors(exc) from None


def parse_round_toml(text: str, source: str = "(file)") -> RoundSpec:
    """A round file's text as a checked spec; ``source`` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            [FieldError(source, N_("not valid TOML: %(detail)s"), params={"detail": str(exc)})]
        ) from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively.
        raise InvalidInput([FieldError(source, N_("not valid TOML: nested too deeply"))]) from None
    return parse_round_spec(data)


def load_round_file(path: Path) -> RoundSpec:
    return parse_round_toml(path.read_text(encoding="utf-8-sig"), str(path))


def select_round_id(slug: str) -> Select[Any]:
    return select(Round.id).where(Round.slug == slug)


def get_round(session: Session, slug: str) -> Round:
    found = session.scalar(select(Round).where(Round.slug == slug))
    if found is None:
        raise NotFound(N_("no round '%(round)s'"), round=slug)
    return found


def list_rounds(session: Session, status: RoundStatus | None = None) -> list[Round]:
    query = select(Round).order_by(Round.id)
    if status is not None:
        query = query.where(Round.status == status)
    return list(session.scalars(query))


def create_round(session: Session, spec: RoundSpec, zone: ZoneInfo, actor: str) -> Round:
    if session.scalar(select_round_id(spec.slug)) is not None:
        raise Conflict(N_("a round '%(round)s' exists already"), round=spec.slug)
    deadline = spec.registration_deadline
    if deadline is not None and deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=zone)
    round = Round(
        slug=spec.slug,
        name=spec.name,
        name_translations=dict(spec.name_translations),
        languages_offered=list(spec.languages_offered),
        registration_deadline=deadline,
        retention_days=spec.retention_days,
        min_size=spec.min_size,
        max_size=spec.max_size,
        newcomer_share_min=spec.newcomer_share[0],
        newcomer_share_max=spec.newcomer_share[1],
        max_same_origin=spec.max_same_origin,
        moderators_per_group=spec.moderators_per_group,
        working_languages=list(spec.working_languages),
    )
    session.add(round)
    session.flush()
    for series_spec in spec.series:
        add_series(session, round, series_spec, zone, actor)
    audit.record(session, actor, "round.create", round=round, subject=round.slug)
    return round


def add_series(
    session: Session, round: Round, spec: SeriesSpec, zone: ZoneInfo, actor: str
) -> Series:
    if any(s.key == spec.key for s in round.series):
        raise Conflict(
            N_("round '%(round)s' has a series '%(series)s' already"),
            round=round.slug,
            series=spec.key,
        )
    series = Series(
        key=spec.key,
        label=spec.label,
        label_translations=dict(spec.label_translations),
        venue_name=spec.venue_name,
        venue_name_translations=dict(spec.venue_name_translations),
        venue_address=spec.venue_address,
        step_free=spec.step_free,
        rooms=spec.rooms,
    )
    round.series.append(series)
    for day in spec.dates:
        _add_evening(series, day, spec.start, spec.end, zone)
    session.flush()
    audit.record(session, actor, "series.create", round=round, subject=spec.key)
    return series


def add_session(
    session: Session, series: Series, day: date, start: time, end: time, zone: ZoneInfo
) -> Evening:
    """Add one evening; local wall-clock times are resolved in ``zone`` for that date."""
    evening = _add_evening(series, day, start, end, zone)
    session.flush()
    return evening


def _add_evening(series: Series, day: date, start: time, end: time, zone: ZoneInfo) -> Evening:
    _refuse_a_second_evening_that_day(series, day, zone)
    evening = Evening(
        starts_at=local_time(day, start, zone, "start"), ends_at=local_time(day, end, zone, "end")
    )
    series.evenings.append(evening)
    return evening


def local_time(day: date, clock: time, zone: ZoneInfo, field: str) -> datetime:
    """``clock`` on ``day`` in ``zone``; a time the clocks skip (02:15 on the morning they go
    forward) is refused rather than silently moved an hour on."""
    moment = datetime.combine(day, clock, tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise InvalidInput(
            [
                FieldError(
                    field,
                    N_("%(time)s does not exist on %(day)s: the clocks go forward then"),
                    params={"time": clock.strftime("%H:%M"), "day": day.isoformat()},
                )
            ]
        )
    return moment


def _refuse_a_second_evening_that_day(
    series: Series, day: date, zone: ZoneInfo, *, moving: Evening | None = None
) -> None:
    for other in series.evenings:
        if other is not moving and other.starts_at.astimezone(zone).date() == day:
            raise InvalidInput(
                [
                    FieldError(
                        "day",
                        N_("the series has an evening on %(day)s already"),
                        params={"day": day.isoformat()},
                    )
                ]
            )


def series_by_key(round: Round) -> dict[str, Series]:
    return {s.key: s for s in round.series}


def set_status(session: Session, round: Round, status: RoundStatus, actor: str) -> None:
    previous = round.status
    round.status = status
    session.flush()
    if status in (RoundStatus.CLOSED, RoundStatus.FINISHED):
        # The letters' response is final enough to plan later rounds with (ADR 0019).
        lottery_response.keep_rates(session, round, now=datetime.now(UTC))
    audit.record(
        session,
        actor,
        "round.status",
        round=round,
        subject=round.slug,
        old=previous.value,
        new=status.value,
    )


def status_counts(session: Session, round: Round) -> dict[str, int]:
    rows = session.execute(
        select(Participant.status, func.count())
        .where(Participant.round_id == round.id)
        .group_by(Participant.status)
    ).all()
    counts = {status.value: 0 for status in RegistrationStatus}
    counts.update({status.value: n for status, n in rows})
    return counts


def load_round_tree(session: Session, slug: str) -> Round:
    """A round with its series, sessions and moderators loaded in a few queries."""
    found = session.scalar(
        select(Round)
        .where(Round.slug == slug)
        .options(
            selectinload(Round.series).selectinload(Series.evenings),
            selectinload(Round.moderators),
        )
    )
    if found is None:
        raise NotFound(N_("no round '%(round)s'"), round=slug)
    return found


def reschedule_evening(
    session: Session,
    evening: Evening,
    day: date,
    start: time,
    end: time,
    zone: ZoneInfo,
    actor: str,
) -> Evening:
    """Move one evening; the caller tells the people concerned (``notify.resync_round``)."""
    if end <= start:
        raise InvalidInput([FieldError("end", N_("must be after start"))])
    series = session.get_one(Series, evening.series_id)
    _refuse_a_second_evening_that_day(series, day, zone, moving=evening)
    evening.starts_at = local_time(day, start, zone, "start")
    evening.ends_at = local_time(day, end, zone, "end")
    session.flush()
    audit.record(
        session, actor, "session.reschedule", round=series.round, subject=f"session:{evening.id}"
    )
    return evening


def change_venue(
    session: Session, series: Series, *, name: str, address: str, step_free: bool, actor: str
) -> Series:
    """Move a series to another venue; the caller tells the people concerned.

    The translations of the old venue's name go with it: they name another place.
    """
    if name != series.venue_name:
        series.venue_name_translations = {}
    series.venue_name = name
    series.venue_address = address
    series.step_free = step_free
    session.flush()
    audit.record(session, actor, "series.venue", round=series.round, subject=series.key)
    return series
