"""Input models shared by the CSV import, the web form and the JSON API.

One definition of what a valid registration is means the three ways in give the same
errors for the same mistake. Error messages name the field; callers add the row.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from vekl.errors import N_, Invalid, InvalidInput, field_errors
from vekl.reference import AGE_BANDS, DISTRICTS, GENDERS, NEEDS, country_codes, language_codes
from vekl.store.models import Role

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Names go into the greeting of a mail sent from the city's address: no web addresses there.
# "http", "www." and a domain followed by a path ("phish.example/") count as one.
_LINK = re.compile(r"https?|www\.|://|[\w-]\.[^\W\d_]{2,}\S*/", re.IGNORECASE)
NAME_WITH_LINK = N_("Please enter your name without web addresses.")


def clean_text(value: str) -> str:
    """Trim, normalise to NFC and refuse control characters (they break mails and CSV)."""
    value = unicodedata.normalize("NFC", value.strip())
    if _CONTROL.search(value) or "\n" in value:
        raise Invalid(N_("must not contain control characters or line breaks"))
    return value


def normalise_email(value: str) -> str:
    value = clean_text(value)
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(N_("not a valid email address: '%(value)s'"), value=value) from exc
    return result.normalized.lower()


def language_code(value: str) -> str:
    code = value.strip().lower()
    if code not in language_codes():
        raise Invalid(N_("unknown language code '%(value)s'"), value=value)
    return code


def country_code(value: str) -> str:
    code = value.strip().upper()
    if code not in country_codes():
        raise Invalid(N_("unknown country code '%(value)s'"), value=value)
    return code


Text = Annotated[str, AfterValidator(clean_text)]
Email = Annotated[str, AfterValidator(normalise_email)]
LanguageCode = Annotated[str, AfterValidator(language_code)]
CountryCode = Annotated[str, AfterValidator(country_code)]


def invalid_input(exc: ValidationError) -> InvalidInput:
    """A form model's validation errors as the services report them: one per field, by its
    top-level name (a list's item is its list); a problem with the whole model is "(form)"."""
    return InvalidInput(field_errors(exc, default_field="(form)", top_level=True))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class RegistrationInput(BaseModel):
    """What a person tells us when registering, whichever way it reaches us."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Role
    first_name: Annotated[Text, Field(min_length=1, max_length=100)]
    last_name: Annotated[Text, Field(min_length=1, max_length=100)]
    email: Email
    phone: Annotated[Text, Field(max_length=40, pattern=r"^[0-9+()/ .-]*$")] | None = None
    preferred_language: LanguageCode = "de"
    languages: Annotated[list[LanguageCode], Field(min_length=1, max_length=12)]
    series: Annotated[list[Text], Field(min_length=1)]
    gender: str | None = None
    age_band: str | None = None
    district: str | None = None
    origin: CountryCode | None = None
    needs: list[str] = Field(default_factory=list)
    needs_other: Annotated[Text, Field(max_length=500)] | None = None
    companion_email: Email | None = None
    priority: Annotated[int, Field(ge=0, le=100)] = 0
    partner_code: Annotated[Text, Field(max_length=64)] | None = None
    consent: bool
    consent_given_at: datetime | None = None

    @field_validator("languages", "series", "needs")
    @classmethod
    def _dedupe(cls, value: list[str]) -> list[str]:
        return _unique(value)

    @field_validator("first_name", "last_name")
    @classmethod
    def _no_links(cls, value: str) -> str:
        if _LINK.search(value):
            raise Invalid(NAME_WITH_LINK)
        return value

    @field_validator("gender")
    @classmethod
    def _gender(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in GENDERS:
            raise Invalid(
                N_("unknown gender '%(value)s' (one of %(known)s, or empty)"),
                value=value,
                known=", ".join(GENDERS),
            )
        return value

    @field_validator("age_band")
    @classmethod
    def _age_band(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in AGE_BANDS:
            raise Invalid(
                N_("unknown age band '%(value)s' (one of %(known)s)"),
                value=value,
                known=", ".join(AGE_BANDS),
            )
        return value

    @field_validator("district")
    @classmethod
    def _district(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        for district in DISTRICTS:
            if district.casefold() == value.casefold():
                return district
        raise Invalid(N_("unknown district '%(value)s'"), value=value)

    @field_validator("needs")
    @classmethod
    def _needs(cls, value: list[str]) -> list[str]:
        for need in value:
            if need not in NEEDS:
                raise Invalid(
                    N_("unknown need '%(value)s' (known: %(known)s)"),
                    value=need,
                    known=", ".join(NEEDS),
                )
        return value

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: bool) -> bool:
        if not value:
            raise Invalid(N_("consent is required to register"))
        return value


class ModeratorInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[Text, Field(min_length=1, max_length=200)]
    email: Email
    preferred_language: LanguageCode = "de"
    languages: Annotated[list[LanguageCode], Field(min_length=1)]
    series: Annotated[list[Text], Field(min_length=1)]

    @field_validator("languages", "series")
    @classmethod
    def _dedupe(cls, value: list[str]) -> list[str]:
        return _unique(value)
