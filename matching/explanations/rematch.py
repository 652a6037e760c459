"""Why a rematch changes someone's evenings or a group's working language.

With a previous grouping the objectives rank placement first, then fewest series changes,
fewest moves and fewest language changes (:meth:`matching.grouping.Grouping.rank`). Each
series change and each language change of the result is explained here by what the rules
and the people involved force, found by trying the alternative on the result:

- a previous member's evenings change because they can no longer attend their previous
  series, or because no group of that series can take them and keep the rules (each such
  group with the rules it would break), or, when a group could, because keeping them there
  would place fewer people (when that is proven) or the search did not find how in time;
- a group's language changes because, with its members, the previous language would leave
  someone unable to follow, or no free moderator speaks it, or it is no longer a working
  language; otherwise as above.
"""

from __future__ import annotations

from matching.grouping import Draft, Grouping
from matching.instance import Instance
from matching.models import Blocked, LanguageChange, RematchChanges, SeriesChange
from matching.rules import MEMBERSHIP_RULES, Rule, group_faults, unbridged, working_language_ok

# How the rules joining a group would break read in a reason.
_BLOCKS = {
    Rule.SIZE: "full",
    Rule.NEWCOMER_SHARE: "newcomer share",
    Rule.LANGUAGE: "language",
    Rule.ORIGIN: "origin limit",
    Rule.TOGETHER_APART: "kept apart",
}


def rematch_changes(instance: Instance, grouping: Grouping, *, proven: bool) -> RematchChanges:
    """Every series change and language change of ``grouping`` against the previous groups,
    with its reason. ``proven``: the grouping's placement and rematch objectives are proven
    optimal (a change the rules do not force is then a trade for placement)."""
    ids = grouping.ids(instance)
    where = {i: k for k, d in enumerate(grouping.groups) for i in d.members}
    continuing = {d.previous for d in grouping.groups if d.previous is not None}
    series_changes = []
    for i, g in sorted(instance.previous_group_of.items()):
        previous = instance.previous[g]
        k = where.get(i)
        now = grouping.groups[k] if k is not None else None
        if now is not None and now.series == previous.series:
            continue
        series_changes.append(
            _series_change(instance, grouping, ids, i, now, k, continuing, proven=proven)
        )
    language_changes = [
        _language_change(instance, grouping, ids[k], d, proven=proven)
        for k, d in enumerate(grouping.groups)
        if d.previous is not None and d.language != instance.previous[d.previous].language
    ]
    return RematchChanges(series_changes=series_changes, language_changes=language_changes)


def _series_change(
    instance: Instance,
    grouping: Grouping,
    ids: list[str],
    i: int,
    now: Draft | None,
    k: int | None,
    continuing: set[int],
    *,
    proven: bool,
) -> SeriesChange:
    person = instance.people[i]
    previous = instance.previous[instance.previous_group_of[i]]
    home = instance.series[previous.series].id
    dropouts = len(previous.dropped)
    continues = previous.index in continuing
    fate = (
        f"group {previous.id} lost {dropouts} member{'s' if dropouts != 1 else ''}"
        if dropouts
        else f"group {previous.id} lost nobody"
    )
    fate += "" if continues else " and does not continue"
    c = instance.component_of[i]
    companions = [j for j in instance.components[c].members if j != i]
    blocked: list[Blocked] = []
    if previous.series not in instance.component_series[c]:
        cause = "cannot_attend"
        reason = (
            f"{person.id} can no longer attend {home}"
            + (" (nor can someone they come with)" if companions else "")
            + f"; {fate}"
        )
    else:
        joining = list(instance.components[c].members)
        fits: list[str] = []
        for other, d in zip(ids, grouping.groups, strict=True):
            if d.series != previous.series or i in d.members:
                continue
            rules = sorted(
                {
                    int(f.rule)
                    for f in group_faults(
                        instance,
                        d.series,
                        d.language,
                        d.moderators,
                        [*d.members, *joining],
                        MEMBERSHIP_RULES,
                    )
                }
            )
            if rules:
                blocked.append(Blocked(group=other, rules=rules))
            else:
                fits.append(other)
        if fits:
            cause = "placement" if proven else "not_found"
            reason = f"{fate}; {', '.join(fits)} on {home} could take {person.id}, but " + (
                "only with fewer people placed or more people's evenings changed"
                if proven
                else "the search found no grouping that does so before the time limit"
            )
        else:
            cause = "no_room"
            if blocked:
                detail = "; ".join(
                    f"{b.group}: {', '.join(_BLOCKS.get(Rule(r), str(r)) for r in b.rules)}"
                    for b in blocked
                )
                reason = (
                    f"{fate}; no group on {home} had room for {person.id} that keeps the rules "
                    f"({detail})"
                )
            else:
                reason = f"{fate}; no group meets on {home} any more"
    target = None if now is None or k is None else ids[k]
    return SeriesChange(
        participant=person.id,
        from_group=previous.id,
        from_series=home,
        to_group=target,
        to_series=None if now is None else instance.series[now.series].id,
        cause=cause,
        dropouts=dropouts,
        group_continues=continues,
        blocked=blocked,
        reason=reason,
    )


def _language_change(
    instance: Instance, grouping: Grouping, group_id: str, draft: Draft, *, proven: bool
) -> LanguageChange:
    assert draft.previous is not None
    before = instance.previous[draft.previous].language
    people = instance.people
    lost = unbridged(instance, before, draft.members)
    members: list[str] = []
    if not working_language_ok(instance, before):
        cause = "not_allowed"
        reason = f"{before} is no longer a working language"
    elif lost:
        cause = "members"
        members = [people[i].id for i in lost]
        reason = (
            f"with {before}, {', '.join(members)} could not follow: they neither speak it "
            f"nor share a language with a member who does"
        )
    elif not _moderators_for(instance, grouping, draft, before):
        cause = "moderators"
        reason = f"no moderator free on {instance.series[draft.series].id} speaks {before}"
    elif proven:
        cause = "placement"
        reason = f"keeping {before} would place fewer people or move more"
    else:
        cause = "not_found"
        reason = f"the search found no grouping that keeps {before} before the time limit"
    return LanguageChange(
        group=group_id,
        from_language=before,
        to_language=draft.language,
        cause=cause,
        members=members,
        reason=reason,
    )


def _moderators_for(instance: Instance, grouping: Grouping, draft: Draft, language: str) -> bool:
    """Whether enough moderators who speak ``language`` could lead the group: its own, and
    those of the series who lead no other group of it."""
    busy = {
        m
        for d in grouping.groups
        if d is not draft and d.series == draft.series
        for m in d.moderators
    }
    free = [
        m
        for m in instance.series[draft.series].moderators
        if m not in busy and language in instance.moderators[m].languages
    ]
    return len(free) >= instance.per_group
