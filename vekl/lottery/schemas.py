"""The lottery's typed input and results: a checked extract row, a plan, its allocation."""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vekl.errors import Invalid
from vekl.lottery import errors


class Dimension(enum.StrEnum):
    """What strata are made of; a stratum key joins the chosen ones in this order."""

    AGE = "age"
    GENDER = "gender"
    DISTRICT = "district"


DIMENSION_ORDER = (Dimension.AGE, Dimension.GENDER, Dimension.DISTRICT)
DEFAULT_AGE_BANDS = (18, 30, 45, 60, 75)
DEFAULT_RATE = 0.05
STRATUM_SEPARATOR = "|"
WHOLE_EXTRACT = "all"
"""The key of the one stratum there is when no dimension is chosen."""


@dataclass(frozen=True, slots=True)
class ExtractPerson:
    """One checked row of a register extract."""

    line: int
    family_name: str
    given_names: str
    birth_date: date
    gender: str  # m, w, d or x
    street: str
    house_number: str
    house_number_suffix: str | None
    postcode: str
    town: str
    district: str | None
    person_key: str
    household_key: str

    def row(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "family_name": self.family_name,
            "given_names": self.given_names,
            "birth_date": self.birth_date,
            "gender": self.gender,
            "street": self.street,
            "house_number": self.house_number,
            "house_number_suffix": self.house_number_suffix,
            "postcode": self.postcode,
            "town": self.town,
            "district": self.district,
            "person_key": self.person_key,
            "household_key": self.household_key,
        }


@dataclass
class CheckedExtract:
    sha256: str
    people: list[ExtractPerson]
    has_districts: bool


class PlanInput(BaseModel):
    """What the organisers choose: the strata, the citizen places, the response rates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    places: int = Field(ge=1, le=100_000)
    dimensions: tuple[Dimension, ...] = DIMENSION_ORDER
    age_bands: tuple[int, ...] = DEFAULT_AGE_BANDS
    default_rate: float = DEFAULT_RATE
    rates: dict[str, float] = Field(default_factory=dict)
    reference_date: date | None = None
    """Ages are counted on this day; the day of the import unless given."""

    @field_validator("dimensions")
    @classmethod
    def _in_order(cls, value: tuple[Dimension, ...]) -> tuple[Dimension, ...]:
        return tuple(d for d in DIMENSION_ORDER if d in value)

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(a >= b for a, b in itertools.pairwise(value)):
            raise Invalid(errors.AGE_BANDS_ORDER)
        if value[0] < 0 or value[-1] > 120:
            raise Invalid(errors.AGE_BANDS_ORDER)
        return value

    @field_validator("default_rate")
    @classmethod
    def _rate(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise Invalid(errors.RATE_RANGE)
        return value

    @field_validator("rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for rate in value.values():
            if not 0 < rate <= 1:
                raise Invalid(errors.RATE_RANGE)
        return value


@dataclass(frozen=True)
class StratumPlan:
    """One stratum of a plan: its people, its share of the places, its letters."""

    stratum: str
    population: int
    eligible: int
    rate: float
    places: float
    letters: int

    @property
    def expected(self) -> float:
        return self.letters * self.rate

    def as_dict(self) -> dict[str, Any]:
        return {
            "stratum": self.stratum,
            "population": self.population,
            "eligible": self.eligible,
            "rate": self.rate,
            "places": round(self.places, 4),
            "letters": self.letters,
            "expected": round(self.expected, 2),
        }


@dataclass
class Plan:
    """A plan as the preview shows it and the draw uses it."""

    places: int
    dimensions: tuple[Dimension, ...]
    age_bands: tuple[int, ...]
    reference_date: date
    default_rate: float
    rates: dict[str, float]
    strata: list[StratumPlan]
    too_young: int = 0
    excluded: int = 0
    extract_sha256: str = ""

    @property
    def letters(self) -> int:
        return sum(s.letters for s in self.strata)

    @property
    def expected(self) -> float:
        return sum(s.expected for s in self.strata)

    def as_dict(self) -> dict[str, Any]:
        return {
            "places": self.places,
            "dimensions": [d.value for d in self.dimensions],
            "age_bands": list(self.age_bands),
            "reference_date": self.reference_date.isoformat(),
            "default_rate": self.default_rate,
            "rates": dict(sorted(self.rates.items())),
            "extract_sha256": self.extract_sha256,
            "too_young": self.too_young,
            "excluded": self.excluded,
            "letters": self.letters,
            "expected": round(self.expected, 2),
            "strata": [s.as_dict() for s in self.strata],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            places=int(data["places"]),
            dimensions=tuple(Dimension(d) for d in data["dimensions"]),
            age_bands=tuple(int(a) for a in data["age_bands"]),
            reference_date=date.fromisoformat(data["reference_date"]),
            default_rate=float(data["default_rate"]),
            rates={k: float(v) for k, v in data["rates"].items()},
            strata=[
                StratumPlan(
                    stratum=s["stratum"],
                    population=int(s["population"]),
                    eligible=int(s["eligible"]),
                    rate=float(s["rate"]),
                    places=float(s["places"]),
                    letters=int(s["letters"]),
                )
                for s in data["strata"]
            ],
            too_young=int(data.get("too_young", 0)),
            excluded=int(data.get("excluded", 0)),
            extract_sha256=str(data.get("extract_sha256", "")),
        )


@dataclass
class Candidate:
    """A person the draw may pick: keys only, no name or address."""

    person_id: int
    person_key: str
    household_key: str
    stratum: str


@dataclass
class StratumStatus:
    stratum: str
    letters_by_wave: dict[int, int] = field(default_factory=dict)
    registered: int = 0

    @property
    def letters(self) -> int:
        return sum(self.letters_by_wave.values())


@dataclass
class Status:
    round: str
    extract_rows: int
    extract_sha256: str | None
    imported_at: str | None
    delete_by: str | None
    deleted_at: str | None
    deletion: str | None
    plan: Plan | None
    waves: list[dict[str, Any]]
    strata: list[StratumStatus]
