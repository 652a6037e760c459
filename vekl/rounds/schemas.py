"""What the organiser pages send to set a round up: its rules, a series, an evening.

The routes parse their forms into these models; the services in ``vekl.rounds.setup`` take
them already checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from matching import MAX_GROUP_SIZE
from vekl.errors import N_, FieldError, Invalid
from vekl.store.models import TRANSLATED_LANGUAGES
from vekl.validation import LanguageCode, Text

YEARS_AROUND_TODAY = 5
"""Evenings and deadlines lie at most this many years before or after today: a date far away
is a typing mistake, and one near the year 9999 would make the retention period overflow."""


def _earliest_and_latest(today: date) -> tuple[date, date]:
    # 29 February has no counterpart in most years; 28 February keeps the bound inside.
    day = min(today.day, 28) if today.month == 2 else today.day
    return (
        today.replace(year=today.year - YEARS_AROUND_TODAY, day=day),
        today.replace(year=today.year + YEARS_AROUND_TODAY, day=day),
    )


def near_today(day: date) -> date:
    """``day`` if it lies within :data:`YEARS_AROUND_TODAY` years of today."""
    earliest, latest = _earliest_and_latest(datetime.now(UTC).date())
    if not earliest <= day <= latest:
        raise Invalid(
            N_("must lie between %(earliest)s and %(latest)s"),
            earliest=earliest.isoformat(),
            latest=latest.isoformat(),
        )
    return day


def _deadline_near_today(moment: datetime) -> datetime:
    near_today(moment.date())
    return moment


EveningDay = Annotated[date, AfterValidator(near_today)]
Deadline = Annotated[datetime, AfterValidator(_deadline_near_today)]

TranslatedLanguage = Literal["en", "ar", "uk"]


def _given(values: dict[str, str]) -> dict[str, str]:
    return {lang: text for lang, text in values.items() if text}


Translations = Annotated[
    dict[TranslatedLanguage, Annotated[Text, Field(max_length=200)]], AfterValidator(_given)
]
"""A name's English, Arabic and Ukrainian versions (the German one is required apart);
empty ones are left out, so readers of that language read the German."""

OptionalName = Annotated[Text, Field(max_length=200)]


def translations(form: BaseModel, field: str) -> dict[str, str]:
    """The translations a form gives of ``field`` in its fields ``<field>_en``, ``_ar``, ``_uk``."""
    found: dict[str, str] = {}
    for lang in TRANSLATED_LANGUAGES:
        value = getattr(form, f"{field}_{lang}")
        if value:
            found[lang] = value
    return found


class RoundSettingsInput(BaseModel):
    """The round's rules as the settings form sends them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[Text, Field(min_length=1, max_length=200)]
    name_en: OptionalName = ""
    name_ar: OptionalName = ""
    name_uk: OptionalName = ""
    languages_offered: Annotated[list[LanguageCode], Field(min_length=1)]
    registration_deadline: Deadline | None = None
    retention_days: Annotated[int, Field(ge=0, le=3650)] = 90
    min_size: Annotated[int, Field(ge=2, le=MAX_GROUP_SIZE)] = 6
    max_size: Annotated[int, Field(ge=2, le=MAX_GROUP_SIZE)] = 10
    newcomer_share_min: Annotated[float, Field(ge=0, le=1)] = 0.4
    newcomer_share_max: Annotated[float, Field(ge=0, le=1)] = 0.6
    max_same_origin: Annotated[int, Field(ge=1, le=100)] = 2
    moderators_per_group: Annotated[int, Field(ge=0, le=5)] = 1
    working_languages: list[LanguageCode] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RoundSettingsInput:
        for problem in self.related_problems(self.model_dump()):
            raise Invalid(problem.message, at=problem.field)
        return self

    @classmethod
    def related_problems(cls, values: Mapping[str, Any]) -> list[FieldError]:
        """Limits in the wrong order, each named at its upper field; a limit that is not a
        number is left to its own check. The form asks this even when other fields are
        wrong, so it shows every problem at once."""
        found: list[FieldError] = []
        for low, high, message in _ORDERED_LIMITS:
            smallest = _number(values.get(low, cls.model_fields[low].default))
            largest = _number(values.get(high, cls.model_fields[high].default))
            if smallest is not None and largest is not None and largest < smallest:
                found.append(FieldError(high, message))
        return found


SIZES_IN_ORDER = N_("must be at least the smallest group size")
SHARES_IN_ORDER = N_("must be at least the lowest share of newcomers")
_ORDERED_LIMITS = (
    ("min_size", "max_size", SIZES_IN_ORDER),
    ("newcomer_share_min", "newcomer_share_max", SHARES_IN_ORDER),
)


def _number(value: object) -> float | None:
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


SeriesKey = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
"""A series' key in the round file and the solver's problem ("mon")."""


class SeriesInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: Annotated[Text, Field(min_length=1, max_length=200)]
    label_en: OptionalName = ""
    label_ar: OptionalName = ""
    label_uk: OptionalName = ""
    venue_name: Annotated[Text, Field(min_length=1, max_length=200)]
    venue_name_en: OptionalName = ""
    venue_name_ar: OptionalName = ""
    venue_name_uk: OptionalName = ""
    venue_address: Annotated[Text, Field(min_length=1, max_length=300)]
    step_free: bool = False
    rooms: Annotated[int, Field(ge=1, le=1000)] = 1

    def spec_data(self) -> dict[str, Any]:
        """The series as a round file describes it (``vekl.rounds.service.SeriesSpec``)."""
        return {
            "label": self.label,
            "label_translations": translations(self, "label"),
            "venue_name": self.venue_name,
            "venue_name_translations": translations(self, "venue_name"),
            "venue_address": self.venue_address,
            "step_free": self.step_free,
            "rooms": self.rooms,
        }


class EveningInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: EveningDay
    start: time
    end: time

    @model_validator(mode="after")
    def _end_after_start(self) -> EveningInput:
        for problem in self.related_problems(self.model_dump()):
            raise Invalid(problem.message, at=problem.field)
        return self

    @classmethod
    def related_problems(cls, values: Mapping[str, Any]) -> list[FieldError]:
        """An end before the start, named at the end (see :class:`RoundSettingsInput`)."""
        start, end = _time(values.get("start")), _time(values.get("end"))
        if start is not None and end is not None and end <= start:
            return [FieldError("end", N_("the evening must end after it starts"))]
        return []


def _time(value: object) -> time | None:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        return None


class NewSeriesInput(SeriesInput):
    """The form that adds a series: its fields and the key, checked together so that every
    problem shows at once."""

    key: SeriesKey

    @model_validator(mode="before")
    @classmethod
    def _key_in_lower_case(cls, values: Any) -> Any:
        if isinstance(values, Mapping) and isinstance(values.get("key"), str):
            return {**values, "key": values["key"].strip().lower()}
        return values
