"""Turns validation and service errors into messages in the reader's language.

The form and the JSON API both go through here, so the same mistake gets the same words
on both. Messages are gettext msgids marked with ``N_`` (found by the catalog check); the
services' own messages for the fields they check are listed in ``SERVICE_MESSAGES``, and only
those reach visitors. The organiser pages show every service message, translated with its
values by :func:`service_texts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import ErrorDetails

from api.pages import gettext
from vekl.attendance import errors as attendance
from vekl.errors import FIELD_WHERE, ROW_WHERE, FieldError, InvalidInput, ServiceError
from vekl.feedback import errors as feedback_errors
from vekl.registration import letter_codes, self_service
from vekl.registration import online as online_registration
from vekl.validation import NAME_WITH_LINK


def N_(message: str) -> str:
    """Marks a message for the catalogs; it is translated where it is shown."""
    return message


SERVICE_MESSAGES = frozenset(
    {
        letter_codes.CODE_REQUIRED,
        letter_codes.CODE_LENGTH,
        letter_codes.CODE_CONFUSABLE,
        letter_codes.CODE_CHARACTERS,
        letter_codes.CODE_TYPO,
        letter_codes.CODE_UNKNOWN,
        letter_codes.CODE_USED,
        online_registration.ROUND_CLOSED,
        online_registration.EMAIL_INVALID,
        self_service.SERIES_REQUIRED,
        self_service.CHANGES_CLOSED,
        self_service.ALREADY_WITHDRAWN,
        self_service.REJOIN_CLOSED,
        self_service.REJOIN_BY_ORGANISERS,
        self_service.DETAILS_FIXED,
        NAME_WITH_LINK,
        attendance.NOT_STARTED,
        attendance.TOO_LATE,
        attendance.NOT_IN_GROUP,
        feedback_errors.SURVEY_LINK_SPENT,
        feedback_errors.SURVEY_CLOSED,
        feedback_errors.SATISFACTION_REQUIRED,
        feedback_errors.YES_OR_NO,
        feedback_errors.COMMENT_TOO_LONG,
        feedback_errors.NOT_IN_GROUP,
        feedback_errors.CONTACTS_CLOSED,
        feedback_errors.NO_SUCH_NEWS_LINK,
    }
)

REQUIRED = {
    "role": N_("Please say whether you received a letter or moved to Konstanz from abroad."),
    "first_name": N_("Please enter your first name."),
    "last_name": N_("Please enter your last name."),
    "email": online_registration.EMAIL_INVALID,
    "languages": N_("Please name at least one language you can hold a conversation in."),
    "series": self_service.SERIES_REQUIRED,
    "consent": N_("Please agree to the privacy notice. Without it we cannot register you."),
}
FROM_LIST = N_("Please choose an entry from the list.")
UNKNOWN_LANGUAGE = N_("We do not know the language “%(value)s”. Please choose one from the list.")
UNKNOWN_COUNTRY = N_("Please choose a country from the list.")
UNKNOWN_SERIES = N_("Please choose only evenings of this round.")
TOO_LONG = N_("Please use at most %(max)s characters.")
TOO_MANY = N_("Please choose at most %(max)s entries.")
CONTROL = N_("Please remove line breaks and special characters.")
INVALID = N_("This value is not valid.")
UNKNOWN_FIELD = N_("This field is not known.")
TOO_MANY_GUESSES = N_(
    "Too many wrong attempts came from your connection. Please wait a quarter of an hour "
    "and try again."
)
TOO_MANY_REGISTRATIONS = N_(
    "Too many registrations came from your connection or for this email address. Please wait "
    "a quarter of an hour and try again."
)
NOT_FOUND = N_("This page does not exist, or the link is no longer valid.")


@dataclass(frozen=True)
class ErrorText:
    """One message about one field (``None``: about the whole request), already translated."""

    field: str | None
    message: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _validation_message(field: str, error: ErrorDetails) -> tuple[str, dict[str, Any]]:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return UNKNOWN_FIELD, {}
    if kind == "missing" or kind in ("string_too_short", "too_short"):
        return REQUIRED.get(field, INVALID), {}
    if kind == "string_too_long" or (kind == "too_long" and context.get("field_type") != "List"):
        return TOO_LONG, {"max": context.get("max_length", "")}
    if kind == "too_long":
        return TOO_MANY, {"max": context.get("max_length", "")}
    if kind == "value_error":
        detail = str(error.get("msg", ""))
        if "control characters" in detail:
            return CONTROL, {}
        if NAME_WITH_LINK in detail:
            return NAME_WITH_LINK, {}
        if field in ("email", "companion_email"):
            return online_registration.EMAIL_INVALID, {}
        if field in ("languages", "preferred_language"):
            return UNKNOWN_LANGUAGE, {"value": _text(error.get("input", ""))[:60]}
        if field == "origin":
            return UNKNOWN_COUNTRY, {}
        if field in REQUIRED:
            return REQUIRED[field], {}
        return FROM_LIST, {}
    if kind == "enum" or field == "role":
        return REQUIRED["role"], {}
    if field == "consent":
        return REQUIRED["consent"], {}
    return INVALID, {}


def from_validation(errors: Iterable[ErrorDetails], lang: str) -> list[ErrorText]:
    found: list[ErrorText] = []
    for error in errors:
        location = [part for part in error["loc"] if part != "body"]
        field = str(location[0]) if location else None
        message, params = _validation_message(field or "", error)
        problem = ErrorText(field, gettext(lang, message, **params))
        if problem not in found:
            found.append(problem)
    return found


def from_service(errors: Sequence[FieldError], lang: str) -> list[ErrorText]:
    found: list[ErrorText] = []
    for error in errors:
        if error.message in SERVICE_MESSAGES:
            message = error.message
        elif error.field == "series":
            message = UNKNOWN_SERIES
        else:
            message = INVALID
        problem = ErrorText(error.field, translate(lang, message, error.params))
        if problem not in found:
            found.append(problem)
    return found


def message(lang: str, msgid: str) -> str:
    """A service error's message in ``lang``; messages not meant for visitors become generic."""
    return gettext(lang, msgid if msgid in SERVICE_MESSAGES else INVALID)


def translate(lang: str, msgid: str, params: Mapping[str, object]) -> str:
    """A service message id in ``lang`` with its values put in."""
    return gettext(lang, msgid, **params) if msgid else ""


def field_text(lang: str, error: FieldError) -> str:
    """One field error in ``lang``, with its row and column for a file ("Zeile 3, Spalte …")."""
    where = ROW_WHERE if error.line else FIELD_WHERE
    text = translate(lang, error.message, error.params)
    return gettext(lang, where, line=error.line, field=error.field, message=text)


def service_texts(lang: str, problem: ServiceError | FieldError) -> list[str]:
    """Everything a service error says, in ``lang``: one text per field error, or one."""
    if isinstance(problem, FieldError):
        return [field_text(lang, problem)]
    if isinstance(problem, InvalidInput):
        return [field_text(lang, error) for error in problem.errors]
    return [translate(lang, problem.message, problem.params) or str(problem)]


NOT_ALLOWED = N_("This address cannot be used like this.")
UNEXPECTED = N_("Something went wrong on our side. Please try again in a few minutes.")
UNAVAILABLE = N_("This service is not available at the moment. Please try again in a few minutes.")
