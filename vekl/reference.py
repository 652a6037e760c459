"""The closed lists a registration is checked against: languages, countries, districts.

Language and country names come from Babel's CLDR data, so every list can be shown in
the visitor's own language without translating hundreds of names by hand.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

# Groupings CLDR lists among territories that are not countries of origin.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})

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
    """ISO 639-1 codes known to CLDR."""
    return frozenset(code for code in map(str, Locale("en").languages) if len(code) == 2)


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (and XK), without CLDR's groupings."""
    return frozenset(
        code
        for code in map(str, Locale("en").territories)
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


@cache
def language_names(display_language: str) -> dict[str, str]:
    names = Locale.parse(display_language).languages
    return {code: names.get(code, code) for code in sorted(language_codes())}


@cache
def country_names(display_language: str) -> dict[str, str]:
    names = Locale.parse(display_language).territories
    return {code: names.get(code, code) for code in sorted(country_codes())}
