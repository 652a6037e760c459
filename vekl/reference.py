"""The closed lists a registration is checked against: languages, countries, districts.

Language and country names come from Babel's CLDR data, so every list can be shown in
the visitor's own language without translating hundreds of names by hand. Which codes are
offered is decided by the solver's contract (``matching.codes``): a code the form offers is
one the solver accepts, and CLDR only supplies the names.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

from matching.codes import ISO_639_1, ISO_3166_1_ALPHA_2

# The statistical districts (Stadtteile) of Konstanz.
DISTRICTS: tuple[str, ...] = (
    "Altstadt",
    "Paradies",
    "Petershausen-West",
    "Petershausen-Ost",
    "Königsbau",
    "Allmannsdorf",
    "Staad",
    "Egg",
    "Litzelstetten",
    "Dingelsdorf",
    "Dettingen-Wallhausen",
    "Wollmatingen",
    "Fürstenberg",
    "Industriegebiet",
)

AGE_BANDS: tuple[str, ...] = ("18-29", "30-44", "45-64", "65+")

# f, m, d (divers, the third entry of the German register); "no answer" is null.
GENDERS: tuple[str, ...] = ("f", "m", "d")

# Needs the matching acts on; anything else goes into free text for the organisers.
NEEDS: tuple[str, ...] = ("step_free",)


@cache
def language_codes() -> frozenset[str]:
    """The contract's ISO 639-1 codes that CLDR has a name for (not, say, withdrawn "bh")."""
    return ISO_639_1 & frozenset(map(str, Locale("en").languages))


@cache
def country_codes() -> frozenset[str]:
    """The contract's ISO 3166-1 alpha-2 codes (and XK) that CLDR has a name for.

    CLDR's territories also hold groupings ("EU") and places that are no countries of
    origin (Ascension "AC", the Canary Islands "IC"); the contract's list leaves them out.
    """
    return ISO_3166_1_ALPHA_2 & frozenset(map(str, Locale("en").territories))


@cache
def language_names(display_language: str) -> dict[str, str]:
    names = Locale.parse(display_language).languages
    return {code: names.get(code, code) for code in sorted(language_codes())}


@cache
def country_names(display_language: str) -> dict[str, str]:
    names = Locale.parse(display_language).territories
    return {code: names.get(code, code) for code in sorted(country_codes())}
