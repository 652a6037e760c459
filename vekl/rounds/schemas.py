"""What the organiser pages send to set a round up: its rules, a series, an evening.

The routes parse their forms into these models; the services in ``vekl.rounds.setup`` take
them already checked.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matching import MAX_GROUP_SIZE
from vekl.errors import N_, Invalid
from vekl.validation import LanguageCode, Text


class RoundSettingsInput(BaseModel):
    """The round's rules as the settings form sends them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[Text, Field(min_length=1, max_length=200)]
    languages_offered: Annotated[list[LanguageCode], Field(min_length=1)]
    registration_deadline: datetime | None = None
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
        if self.max_size < self.min_size:
            raise ValueError("max_size must be at least min_size")
        if self.newcomer_share_max < self.newcomer_share_min:
            raise ValueError("the highest newcomer share must be at least the lowest")
        return self


class SeriesInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: Annotated[Text, Field(min_length=1, max_length=200)]
    venue_name: Annotated[Text, Field(min_length=1, max_length=200)]
    venue_address: Annotated[Text, Field(min_length=1, max_length=300)]
    step_free: bool = False
    rooms: Annotated[int, Field(ge=1, le=1000)] = 1


class EveningInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    start: time
    end: time

    @model_validator(mode="after")
    def _end_after_start(self) -> EveningInput:
        if self.end <= self.start:
            raise Invalid(N_("the evening must end after it starts"))
        return self
