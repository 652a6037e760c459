"""Marks as forms send them: one field per person, ``person-<id>``, with their mark."""

from __future__ import annotations

from collections.abc import Iterable

from vekl.attendance import errors
from vekl.errors import FieldError, InvalidInput

FIELD_PREFIX = "person-"
VALUES: dict[str, bool | None] = {"present": True, "absent": False, "": None}


def field_name(participant_id: int) -> str:
    return f"{FIELD_PREFIX}{participant_id}"


def parse_marks(items: Iterable[tuple[str, object]], *, may_clear: bool) -> dict[int, bool | None]:
    """The marks of a posted form; other fields are ignored.

    ``present`` and ``absent`` set a mark; an empty value clears it where ``may_clear``
    (the organisers' form), and is left out otherwise. Anything else is refused, naming
    the field.
    """
    found: dict[int, bool | None] = {}
    problems = []
    for key, raw in items:
        number = key.removeprefix(FIELD_PREFIX)
        if not key.startswith(FIELD_PREFIX) or not number.isdigit():
            continue
        value = raw.strip() if isinstance(raw, str) else None
        if value is None or value not in VALUES:
            problems.append(FieldError(key, errors.UNKNOWN_MARK))
            continue
        mark = VALUES[value]
        if mark is None and not may_clear:
            continue
        found[int(number)] = mark
    if problems:
        raise InvalidInput(problems)
    return found
