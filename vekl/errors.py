"""Errors the services raise; the CLI and the routes turn them into messages and responses.

A service never writes a finished sentence for a person: it raises a message id (the English
text, with ``%(name)s`` placeholders) and the values to put in (field, row, what was typed).
The web side translates the id into the reader's language from the shared catalogs
(notifications/locale); the command line shows the English text, which is also ``str()``.
Message ids are marked with :func:`N_`, so the catalog check finds them and asks a German
translation of each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from pydantic import ValidationError


def N_(message: str) -> str:
    """Marks a message id for the catalogs; it is translated where it is shown."""
    return message


def english(message: str, params: Mapping[str, object]) -> str:
    """A message id with its values filled in: the English text."""
    return message % dict(params) if params else message


class ServiceError(Exception):
    """Something the caller asked for cannot be done; the message is safe to show.

    ``message`` is a message id marked with :func:`N_`, ``params`` the values for its
    placeholders; ``str()`` gives the English text.
    """

    def __init__(self, message: str = "", /, **params: object) -> None:
        super().__init__(english(message, params))
        self.message = message
        self.params: dict[str, object] = params


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


FIELD_WHERE = N_("%(field)s: %(message)s")
ROW_WHERE = N_("line %(line)s, column %(field)s: %(message)s")


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, optionally in one row of a file.

    ``message`` is a message id and ``params`` its values, as for :class:`ServiceError`.
    """

    field: str
    message: str
    line: int | None = None
    params: Mapping[str, object] = dataclass_field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """The message alone, in English."""
        return english(self.message, self.params)

    def __str__(self) -> str:
        where = ROW_WHERE if self.line else FIELD_WHERE
        return where % {"line": self.line, "field": self.field, "message": self.text}


@dataclass
class InvalidInput(ServiceError):
    errors: list[FieldError] = dataclass_field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(N_("The input is not valid."))
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class Invalid(ValueError):
    """A validator's complaint as a message id with values; pydantic keeps it as the cause.

    ``str()`` is the English text, so pydantic's own message stays readable. ``at`` names
    the field a check of the whole model is about (``max_size`` for "at least the smallest
    size"), so a form can show it next to that field.
    """

    def __init__(self, message: str, /, *, at: str | None = None, **params: object) -> None:
        super().__init__(english(message, params))
        self.message = message
        self.at = at
        self.params: dict[str, object] = params


REQUIRED = N_("is required")
NOT_EMPTY = N_("must not be empty")
TOO_SHORT = N_("must have at least %(min)s characters")
TOO_LONG = N_("must have at most %(max)s characters")
TOO_FEW = N_("needs at least %(min)s entries")
TOO_MANY = N_("can have at most %(max)s entries")
ONE_OF = N_("must be one of %(expected)s")
NOT_A_NUMBER = N_("must be a whole number")
AT_LEAST = N_("must be at least %(min)s")
AT_MOST = N_("must be at most %(max)s")
NOT_YES_OR_NO = N_("must be yes or no")
NOT_ALLOWED_CHARACTERS = N_("contains characters that are not allowed here")
NOT_A_DATE = N_("must be a date (YYYY-MM-DD)")
NOT_A_TIME = N_("must be a time (HH:MM)")
NOT_A_DATETIME = N_("must be a date and time (YYYY-MM-DD HH:MM)")
NOT_A_LIST = N_("must be a list")
UNKNOWN_FIELD = N_("is not a known field")
NOT_VALID_HERE = N_("is not valid here")
NOT_A_DECIMAL = N_("must be a number")

_BY_TYPE: dict[str, str] = {
    "missing": REQUIRED,
    "string_too_short": NOT_EMPTY,
    "string_too_long": TOO_LONG,
    "enum": ONE_OF,
    "literal_error": ONE_OF,
    "int_parsing": NOT_A_NUMBER,
    "int_type": NOT_A_NUMBER,
    "int_from_float": NOT_A_NUMBER,
    "greater_than_equal": AT_LEAST,
    "greater_than": AT_LEAST,
    "less_than_equal": AT_MOST,
    "less_than": AT_MOST,
    "bool_parsing": NOT_YES_OR_NO,
    "bool_type": NOT_YES_OR_NO,
    "string_pattern_mismatch": NOT_ALLOWED_CHARACTERS,
    "date_parsing": NOT_A_DATE,
    "date_from_datetime_parsing": NOT_A_DATE,
    "date_type": NOT_A_DATE,
    "time_parsing": NOT_A_TIME,
    "time_type": NOT_A_TIME,
    "datetime_parsing": NOT_A_DATETIME,
    "datetime_from_date_parsing": NOT_A_DATETIME,
    "datetime_type": NOT_A_DATETIME,
    "list_type": NOT_A_LIST,
    "extra_forbidden": UNKNOWN_FIELD,
    "float_parsing": NOT_A_DECIMAL,
    "float_type": NOT_A_DECIMAL,
    "decimal_parsing": NOT_A_DECIMAL,
    "finite_number": NOT_A_DECIMAL,
    "string_type": NOT_VALID_HERE,
    "string_unicode": NOT_VALID_HERE,
}


def _message(error: Any) -> tuple[str, dict[str, object]]:
    kind = str(error["type"])
    context = error.get("ctx") or {}
    cause = context.get("error")
    if isinstance(cause, Invalid):
        return cause.message, cause.params
    if error.get("input", "") is None and (kind.endswith("_type") or kind == "missing"):
        return REQUIRED, {}  # an empty cell or field
    if kind in ("too_short", "too_long"):
        # A length limit on text that is checked after a validator comes as "too_long" too.
        is_list = context.get("field_type") == "List"
        minimum = context.get("min_length", "")
        if kind == "too_short" and minimum == 1:
            return NOT_EMPTY, {}
        if kind == "too_short":
            return (TOO_FEW if is_list else TOO_SHORT), {"min": minimum}
        if not is_list:
            return TOO_LONG, {"max": context.get("max_length", "")}
        return TOO_MANY, {"max": context.get("max_length", "")}
    message = _BY_TYPE.get(kind)
    if message is None:
        # Pydantic's own words are English: the reader gets a plain "not valid" instead.
        return NOT_VALID_HERE, {}
    params: dict[str, object] = {
        "max": context.get("max_length", context.get("le", context.get("lt", ""))),
        "min": context.get("ge", context.get("gt", "")),
        "expected": context.get("expected", ""),
    }
    return message, {name: value for name, value in params.items() if f"%({name})" in message}


def field_errors(
    exc: ValidationError,
    *,
    line: int | None = None,
    default_field: str = "(row)",
    top_level: bool = False,
) -> list[FieldError]:
    """Pydantic's errors as message ids, one per field (and row, for a file).

    The field is the dotted path (``series.0.start``), or with ``top_level`` its first part,
    e.g. the column of a CSV file.
    """
    found: list[FieldError] = []
    for error in exc.errors():
        path = error["loc"][:1] if top_level else error["loc"]
        where = ".".join(str(part) for part in path) or default_field
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, Invalid) and cause.at:
            where = cause.at
        message, params = _message(error)
        found.append(FieldError(where, message, line, params))
    return found
