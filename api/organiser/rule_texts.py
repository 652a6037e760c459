"""What a refused hand edit says: each broken rule in the organiser's language, naming people.

The service (:mod:`vekl.runs.edits`) refuses an edit with :class:`~vekl.runs.edits.Breach`
data: the rule, what about it broke, the people by name, the group and series by their
labels. This table turns each into a sentence of the catalogs; a breach it has no sentence
for is named by its rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from api.organiser.i18n import tr
from matching.rules import Rule
from notifications.i18n import country_name, language_name
from vekl.errors import N_
from vekl.runs.edits import Breach

RULE_NAMES: dict[Rule, str] = {
    Rule.ONE_GROUP: N_("each person in at most one group"),
    Rule.SIZE: N_("group size"),
    Rule.NEWCOMER_SHARE: N_("share of newcomers"),
    Rule.SERIES: N_("the evenings people chose, and the moderators' availability"),
    Rule.MODERATORS: N_("moderators per group"),
    Rule.LANGUAGE: N_("a common language"),
    Rule.ORIGIN: N_("members from one country"),
    Rule.STEP_FREE: N_("step-free access"),
    Rule.TOGETHER_APART: N_("people who come together or must be kept apart"),
    Rule.LOCKED: N_("groups that have already met"),
    Rule.WAITLIST: N_("the waiting list"),
}

BREACH_TEXTS: dict[tuple[Rule, str], str] = {
    (Rule.ONE_GROUP, "two_groups"): N_("%(person)s would be in %(group)s and in %(other_group)s."),
    (Rule.SIZE, "size"): N_(
        "Group %(group)s would have %(size)s members; a group has %(min)s to %(max)s."
    ),
    (Rule.NEWCOMER_SHARE, "newcomer_share"): N_(
        "In group %(group)s, %(newcomers)s of %(members)s members would be newcomers; their "
        "share must lie between %(low)s and %(high)s percent."
    ),
    (Rule.SERIES, "series_not_listed"): N_(
        "%(person)s did not choose “%(series)s” and cannot join group %(group)s."
    ),
    (Rule.LANGUAGE, "cannot_follow"): N_(
        "%(person)s does not speak %(language)s, the language of group %(group)s, and shares "
        "no language with a member who does."
    ),
    (Rule.ORIGIN, "origin"): N_(
        "Group %(group)s would have %(count)s members from %(origin)s; at most %(max)s are allowed."
    ),
    (Rule.STEP_FREE, "step_free"): N_(
        "%(person)s needs step-free access, which the venue of “%(series)s” does not have."
    ),
    (Rule.TOGETHER_APART, "together"): N_(
        "%(person)s and %(other)s come together and must be in the same group."
    ),
    (Rule.TOGETHER_APART, "apart"): N_(
        "%(person)s and %(other)s must not be in the same group (%(group)s)."
    ),
    (Rule.LOCKED, "left_locked"): N_(
        "%(person)s cannot leave group %(group)s: the group has already met."
    ),
}
BY_RULE = N_("The change breaks rule %(number)s (%(rule)s).")


def breach_text(lang: str, breach: Breach) -> str:
    """One breach as a sentence in ``lang``."""
    by_rule = tr(lang, BY_RULE, number=int(breach.rule), rule=tr(lang, RULE_NAMES[breach.rule]))
    message = BREACH_TEXTS.get((breach.rule, breach.kind))
    if message is None:
        return by_rule
    values: dict[str, object] = {
        "person": breach.person or "?",
        "other": breach.other or "?",
        "group": breach.group or "?",
        **breach.values,
    }
    if isinstance(breach.values.get("language"), str):
        values["language"] = language_name(str(breach.values["language"]), lang)
    if isinstance(breach.values.get("origin"), str):
        values["origin"] = country_name(str(breach.values["origin"]), lang)
    try:
        return tr(lang, message, **values)
    except KeyError:  # a breach without the values its sentence needs: name its rule
        return by_rule


def breach_texts(lang: str, breaches: Sequence[Breach]) -> list[str]:
    texts = [breach_text(lang, breach) for breach in breaches]
    return list(dict.fromkeys(texts))
