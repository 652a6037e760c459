"""The lottery's messages: message ids the commands and pages translate (German first).

Every message names no person: a bad row is named by its line and column, a stratum by
its key (age band, gender, district).
"""

from __future__ import annotations

from vekl.errors import N_

# Reading the file.
NOT_TEXT = N_("neither UTF-8 nor Windows-1252 text; save the file as CSV")
EMPTY_FILE = N_("the file is empty")
NOBODY = N_("the extract holds nobody")
UNREADABLE = N_("cannot be read as CSV: a cell is longer than %(max)s characters")
UNKNOWN_COLUMN = N_("unknown column; the extract should hold only the columns the draw needs")
MISSING_COLUMN = N_("required column is missing")
TWICE = N_("column appears twice")
TOO_MANY_CELLS = N_("%(cells)s cells but the header has %(columns)s")

# Checking a row.
EMPTY = N_("must not be empty")
TOO_LONG = N_("must have at most %(max)s characters")
CONTROL_CHARACTERS = N_("contains characters that are not allowed here")
NOT_A_BIRTH_DATE = N_("must be a date as DD.MM.YYYY, like 24.12.1980")
IN_THE_FUTURE = N_("lies in the future")
TOO_OLD = N_("lies before 1900")
NOT_A_GENDER = N_("must be m, w, d or x (männlich, weiblich, divers, ohne Angabe)")
NOT_A_POSTCODE = N_("must be five digits")
SAME_PERSON = N_("the same person as line %(other)s")

# The state of the lottery.
NO_EXTRACT = N_("round '%(round)s' has no register extract; import one first")
EXTRACT_DELETED = N_(
    "the register extract of round '%(round)s' was deleted; nothing can be drawn from it"
)
ALREADY_DRAWN = N_(
    "letters of round '%(round)s' have been drawn from its extract; "
    "another extract or plan would change a draw that was made"
)
NO_PLAN = N_("round '%(round)s' has no plan yet; plan the draw first")
FIRST_WAVE_DRAWN = N_(
    "the first wave of round '%(round)s' has been drawn; name the strata and letters "
    "of another wave"
)
FIRST_WAVE_FOLLOWS_PLAN = N_("the first wave draws the planned letters; more can follow later")

# Planning and drawing.
NO_DISTRICTS = N_("the extract has no column Stadtteil, so there are no districts to stratify by")
UNKNOWN_STRATUM = N_("unknown stratum '%(stratum)s' (the extract has: %(known)s)")
EMPTY_STRATUM = N_("stratum '%(stratum)s' has nobody who can be drawn")
TOO_FEW_PEOPLE = N_(
    "stratum '%(stratum)s': %(letters)s letters but only %(available)s people can be drawn"
)
HOUSEHOLDS_TAKEN = N_(
    "stratum '%(stratum)s': only %(drawn)s of %(letters)s letters can go out with one letter "
    "per household"
)
SEED_REQUIRED = N_(
    "please type in the seed that was made in public (for example the numbers of a lottery draw)"
)
NO_LETTERS = N_("no letters to draw")
AGE_BANDS_ORDER = N_("must be ages in increasing order, like 18,30,45,60,75")
RATE_RANGE = N_("must be a response rate above 0 and at most 1, like 0.05")
NO_WAVE = N_("round '%(round)s' has no wave %(wave)s")
