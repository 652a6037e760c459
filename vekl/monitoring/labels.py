"""Message ids for the names in a report (sections, tables, rows, columns).

The published JSON and CSV use the stable names (``docs/monitoring-report.md``); pages and
the printed report show these texts, translated where they are shown. A name without a
label here (a district, a language or country code) is shown as it is or by its own
translation (language and country names); an evening (``mon-1``) and a wave (``wave-1``)
are shown in words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from notifications.i18n import country_name, gettext, language_name
from vekl.errors import N_

LABELS: dict[str, str] = {
    # sections
    "registrations": N_("Registrations"),
    "outcome": N_("Placed, waiting list and dropouts"),
    "composition": N_("Composition of the groups and the pool"),
    "encounters": N_("Citizen–newcomer encounters"),
    "attendance": N_("Attendance"),
    "feedback": N_("Feedback"),
    "lottery": N_("Letters and response"),
    # tables
    "by_source": N_("Registrations by way of registering"),
    "by_outcome": N_("Outcome by role"),
    "waitlist_reasons": N_("Reasons for the waiting list"),
    "dropout_reasons": N_("Dropouts by who recorded them"),
    "dropout_categories": N_("Dropouts by reason"),
    "gender": N_("Gender"),
    "age_band": N_("Age band"),
    "district": N_("District"),
    "origin": N_("Country of origin"),
    "languages": N_("Languages spoken"),
    "evenings": N_("Evenings: present by role"),
    "completion": N_("Members of the groups who came to every evening"),
    "satisfaction": N_("Satisfaction (1 = not at all, 5 = very) by who answered"),
    "questions": N_("Met someone new, would recommend"),
    "stay_in_touch": N_("Both want to stay in touch"),
    "response": N_("Letters and registrations with a letter's code by stratum"),
    "letters_by_wave": N_("Letters by stratum and wave"),
    # rows and columns
    "_total": N_("Total"),
    "citizen": N_("citizens"),
    "newcomer": N_("newcomers"),
    "web": N_("online form"),
    "letter": N_("letter code"),
    "import": N_("list import"),
    "placed": N_("in groups"),
    "not_placed": N_("not in groups"),
    "waitlisted": N_("waiting list"),
    "dropped_out": N_("dropped out"),
    "not_matched": N_("not matched yet"),
    "by_participant": N_("withdrew themselves"),
    "by_organisers": N_("recorded by the organisers"),
    # why people dropped out (DropoutCategory; "other" is below)
    "illness": N_("illness or health"),
    "time": N_("the evenings no longer fit"),
    "moved": N_("moved away"),
    "not_interested": N_("no longer interested"),
    "no_show": N_("did not come"),
    "not_given": N_("not given"),
    "by_lot": N_("lot decided"),
    "not_analysed": N_("not analysed in time"),
    "no_series": N_("no suitable evenings"),
    "step_free": N_("step-free access"),
    "companions": N_("companions or people kept apart"),
    "language": N_("language"),
    "newcomer_share": N_("newcomer share"),
    "same_origin": N_("too many from one country"),
    "capacity": N_("no room or no moderator"),
    "other": N_("other"),
    "unknown": N_("not given"),
    "f": N_("female"),
    "m": N_("male"),
    "d": N_("diverse"),
    "pairs": N_("pairs (a citizen and a newcomer in one group)"),
    "citizen_with_encounter": N_("citizens who met a newcomer"),
    "newcomer_with_encounter": N_("newcomers who met a citizen"),
    "groups": N_("groups"),
    "count": N_("number"),
    "seated": N_("sat in one group"),
    "attended": N_("sat in one group and both came"),
    "members": N_("members of the groups"),
    "completed": N_("came to every evening"),
    "moderator": N_("moderators"),
    "met_someone_new": N_("met someone new"),
    "would_recommend": N_("would recommend it"),
    "yes": N_("yes"),
    "no": N_("no"),
    "mutual_pairs": N_("pairs who both want to stay in touch"),
    "citizen_newcomer_pairs": N_("of them a citizen and a newcomer"),
    "letters": N_("letters"),
    "registered": N_("registered with a letter's code"),
}

WAVE = N_("wave %(number)s")
EVENING = N_("%(series)s, evening %(number)s")
_NUMBERED = re.compile(r"^(?P<name>.+)-(?P<number>[0-9]+)$")


def label(name: str) -> str:
    """The message id for ``name``, or ``name`` itself."""
    return LABELS.get(name, name)


def display_name(table: str, name: str, lang: str, series: Mapping[str, str] | None = None) -> str:
    """A row's or column's name for readers: labels translated into ``lang``, languages
    and countries by their names in ``lang``, an evening by its series' label (``series``:
    label by key), anything else (a district) as it is."""
    if name in LABELS:
        return gettext(lang, LABELS[name])
    numbered = _NUMBERED.match(name)
    if table == "letters_by_wave" and numbered and numbered["name"] == "wave":
        return gettext(lang, WAVE) % {"number": numbered["number"]}
    if table == "evenings" and numbered:
        return gettext(lang, EVENING) % {
            "series": (series or {}).get(numbered["name"], numbered["name"]),
            "number": numbered["number"],
        }
    if table == "languages":
        return language_name(name, lang)
    if table == "origin":
        return country_name(name, lang)
    return name
