"""What the registration form and the JSON API send, before it is checked.

Both shapes are loose on purpose (text and lists of text): checking is done once, by
vekl.validation.RegistrationInput, so a mistake gets the same message on the page and in
the API. The form also accepts languages typed by name in the visitor's language.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from notifications.i18n import SUPPORTED_LANGUAGES, collation_key
from vekl.reference import language_codes, language_names

# Offered as tick boxes; every other language is typed into a searchable list.
COMMON_LANGUAGES = ("de", "en", "ar", "uk", "ru", "tr", "fa", "ku", "fr", "es", "it", "pl")
OTHER_LANGUAGE_INPUTS = 3


class RegistrationForm(BaseModel):
    """The fields of the web form, as the browser sends them."""

    model_config = ConfigDict(extra="ignore")

    role: str = ""
    code: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    preferred_language: str = ""
    languages: list[str] = Field(default_factory=list)
    other_languages: list[str] = Field(default_factory=list)
    series: list[str] = Field(default_factory=list)
    gender: str = ""
    age_band: str = ""
    district: str = ""
    origin: str = ""
    needs: list[str] = Field(default_factory=list)
    needs_other: str = ""
    companion_email: str = ""
    partner_code: str = ""
    consent: str = ""
    website: str = Field(default="", description="Leave empty (a trap for bots).")


class RegistrationRequest(BaseModel):
    """A registration sent to the JSON API."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="citizen (invited by lot, needs the letter code) or newcomer")
    code: str | None = Field(default=None, description="The code from the letter (citizens).")
    first_name: str
    last_name: str
    email: str
    preferred_language: str = Field(default="de", description="Language for mails (ISO 639-1).")
    languages: list[str] = Field(description="ISO 639-1 codes of languages spoken.")
    series: list[str] = Field(description="Keys of the round's series the person can attend.")
    gender: str | None = Field(default=None, description="f, m, d or null")
    age_band: str | None = Field(default=None, description="18-29, 30-44, 45-64 or 65+")
    district: str | None = Field(default=None, description="A district of Konstanz.")
    origin: str | None = Field(default=None, description="Newcomers: ISO 3166-1 alpha-2 code.")
    needs: list[str] = Field(default_factory=list, description="step_free")
    needs_other: str | None = None
    companion_email: str | None = None
    partner_code: str | None = Field(default=None, description="A partner organisation's code.")
    consent: bool = Field(description="Consent to the privacy notice; must be true.")


@functools.cache
def _language_lookup() -> dict[str, str]:
    """Language names in every page language (and the codes themselves) to ISO codes."""
    lookup: dict[str, str] = {}
    for lang in (*SUPPORTED_LANGUAGES, *COMMON_LANGUAGES):
        try:
            names = language_names(lang)
        except (ValueError, LookupError):
            continue
        for code, name in names.items():
            lookup.setdefault(name.casefold(), code)
    for code in language_codes():
        lookup[code] = code
    return lookup


def language_code_for(typed: str) -> str:
    """The ISO code for a typed language name or code; unknown text is passed on as typed."""
    text = typed.strip()
    return _language_lookup().get(text.casefold(), text)


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


def form_to_input(form: RegistrationForm, page_lang: str) -> dict[str, Any]:
    """The form as the fields of RegistrationInput (validation happens there)."""
    typed = [language_code_for(v) for v in form.other_languages if v.strip()]
    return {
        "role": form.role.strip(),
        "first_name": form.first_name,
        "last_name": form.last_name,
        "email": form.email,
        "preferred_language": form.preferred_language.strip() or page_lang,
        "languages": [v.strip() for v in form.languages if v.strip()] + typed,
        "series": [v for v in form.series if v.strip()],
        "gender": _optional(form.gender),
        "age_band": _optional(form.age_band),
        "district": _optional(form.district),
        "origin": _optional(form.origin),
        "needs": [v for v in form.needs if v.strip()],
        "needs_other": _optional(form.needs_other),
        "companion_email": _optional(form.companion_email),
        "partner_code": _optional(form.partner_code),
        "consent": form.consent.strip().lower() in ("yes", "on", "true", "1"),
    }


class DetailsForm(BaseModel):
    """The fields of the personal page's form for correcting one's details."""

    model_config = ConfigDict(extra="ignore")

    first_name: str = ""
    last_name: str = ""
    preferred_language: str = ""
    languages: list[str] = Field(default_factory=list)
    other_languages: list[str] = Field(default_factory=list)
    needs: list[str] = Field(default_factory=list)
    needs_other: str = ""


def details_to_input(form: DetailsForm, page_lang: str) -> dict[str, Any]:
    """The form as the fields of RegistrationInput it may change (validation happens there)."""
    typed = [language_code_for(v) for v in form.other_languages if v.strip()]
    return {
        "first_name": form.first_name,
        "last_name": form.last_name,
        "preferred_language": form.preferred_language.strip() or page_lang,
        "languages": [v.strip() for v in form.languages if v.strip()] + typed,
        "needs": [v for v in form.needs if v.strip()],
        "needs_other": _optional(form.needs_other),
    }


def language_choices(lang: str, chosen: list[str], typed: list[str]) -> dict[str, Any]:
    """The tick boxes, the typed fields and the list of all languages, in ``lang``.

    Chosen languages that are not tick boxes are shown in the typed fields, by name.
    """
    names = language_names(lang)
    common = set(COMMON_LANGUAGES)
    other = [v for v in typed if v.strip()] or [names.get(c, c) for c in chosen if c not in common]
    other += [""] * max(0, OTHER_LANGUAGE_INPUTS - len(other))
    return {
        "common_languages": [(code, names.get(code, code)) for code in COMMON_LANGUAGES],
        "all_languages": sorted(
            ((code, name) for code, name in names.items() if code not in common),
            key=lambda item: collation_key(item[1]),
        ),
        "other_languages": other,
    }


def request_to_input(body: RegistrationRequest) -> dict[str, Any]:
    return body.model_dump(exclude={"code"})
