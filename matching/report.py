"""The quality report organisers read before publishing a grouping.

Per group: size, newcomer share, working language and the bridges it relies on (who follows
through whom, in which shared language), and counts by gender, age band, district and
origin. Overall: placed, waitlisted, moves, the imbalance, its floor for these group sizes
(see :mod:`matching.balance`) and the solver's lower bound, so that one can see how close
the grouping is to what the pool allows. Works on any valid solution, from the solver or not.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from matching.balance import ATTRIBUTES, PoolMix, categories_of
from matching.models import (
    FallbackCause,
    LanguageChange,
    Participant,
    Problem,
    SeriesChange,
    Solution,
)


class Bridge(BaseModel):
    member: str
    # Members who speak the group language and share one with ``member``.
    via: list[str]
    shared: list[str]


class GroupReport(BaseModel):
    id: str
    series: str
    language: str
    moderators: list[str]
    size: int
    newcomer_share: float
    bridges: list[Bridge]
    # attribute -> category -> members; null values count as "(none)".
    counts: dict[str, dict[str, int]]
    deviation: float
    floor: float


class QualityReport(BaseModel):
    status: str
    placed: int
    waitlisted: int
    moves: int
    imbalance: float
    imbalance_floor: float
    # The solver's lower bound (solution.bound.imbalance).
    imbalance_bound: float
    pool: dict[str, dict[str, int]]
    groups: list[GroupReport]
    # Why the groups are the fallback (first, greedy) grouping rather than a searched one.
    fallback: str | None = None
    fallback_cause: FallbackCause | None = None
    # With a previous grouping: whose evenings change and which groups change their
    # language, with the reasons (as the solution gives them).
    series_changes: list[SeriesChange] = []
    language_changes: list[LanguageChange] = []

    def text(self) -> str:
        lines = [
            f"status {self.status}: {self.placed} placed, {self.waitlisted} waitlisted, "
            f"{self.moves} moved",
            f"imbalance {self.imbalance:.3f} (floor for these group sizes "
            f"{self.imbalance_floor:.3f}, solver bound {self.imbalance_bound:.3f})",
        ]
        if self.fallback is not None:
            lines.append(f"fallback: the first grouping, not a searched one: {self.fallback}")
        if self.series_changes or self.language_changes:
            lines.append(
                f"{len(self.series_changes)} whose evenings change, "
                f"{len(self.language_changes)} groups in another language"
            )
        for evenings in self.series_changes:
            target = evenings.to_group or "the waitlist"
            lines.append(
                f"  {evenings.participant}: {evenings.from_group} -> {target}: {evenings.reason}"
            )
        for language in self.language_changes:
            lines.append(
                f"  {language.group}: {language.from_language} -> {language.to_language}: "
                f"{language.reason}"
            )
        lines.append("")
        for group in self.groups:
            lines.append(
                f"{group.id} ({group.series}, {group.language}, "
                f"moderated by {', '.join(group.moderators) or 'nobody'}): {group.size} members, "
                f"{group.newcomer_share:.0%} newcomers, deviation {group.deviation:.2f} "
                f"(floor {group.floor:.2f})"
            )
            for attribute in ATTRIBUTES[1:]:
                counts = group.counts.get(attribute, {})
                shown = ", ".join(f"{c} {n}" for c, n in sorted(counts.items()))
                lines.append(f"  {attribute}: {shown}")
            for bridge in group.bridges:
                lines.append(
                    f"  {bridge.member} follows through {', '.join(bridge.via)} "
                    f"({', '.join(bridge.shared)})"
                )
        return "\n".join(lines)


def quality_report(problem: Problem, solution: Solution) -> QualityReport:
    people = {p.id: p for p in problem.participants}
    groups = [[people[i] for i in g.members if i in people] for g in solution.groups]
    profiles = [[categories_of(p) for p in members] for members in groups]
    mix = PoolMix(profiles)
    reports = [
        _group_report(group.id, group.series, group.language, group.moderators, members, mix)
        for group, members in zip(solution.groups, groups, strict=True)
    ]
    return QualityReport(
        status=solution.status,
        placed=mix.total,
        waitlisted=len(problem.participants) - mix.total,
        moves=_moves(problem, solution),
        imbalance=mix.imbalance(profiles),
        imbalance_floor=mix.imbalance_floor([len(g) for g in profiles]),
        imbalance_bound=solution.bound.imbalance,
        pool={name: dict(sorted(mix.counts[a].items())) for a, name in enumerate(ATTRIBUTES)},
        groups=reports,
        fallback=solution.fallback,
        fallback_cause=solution.fallback_cause,
        series_changes=list(solution.rematch.series_changes) if solution.rematch else [],
        language_changes=list(solution.rematch.language_changes) if solution.rematch else [],
    )


def _group_report(
    group_id: str,
    series: str,
    language: str,
    moderators: list[str],
    members: list[Participant],
    mix: PoolMix,
) -> GroupReport:
    profiles = [categories_of(p) for p in members]
    counts = {
        name: dict(sorted(Counter(profile[a] for profile in profiles).items()))
        for a, name in enumerate(ATTRIBUTES)
    }
    speakers = [p for p in members if language in p.languages]
    bridges = []
    for person in members:
        if language in person.languages:
            continue
        via = [s for s in speakers if set(s.languages) & set(person.languages)]
        shared = sorted({lang for s in via for lang in set(s.languages) & set(person.languages)})
        bridges.append(Bridge(member=person.id, via=[s.id for s in via], shared=shared))
    size = len(members)
    return GroupReport(
        id=group_id,
        series=series,
        language=language,
        moderators=moderators,
        size=size,
        newcomer_share=sum(p.role == "newcomer" for p in members) / size if size else 0.0,
        bridges=bridges,
        counts=counts,
        deviation=float(mix.deviation(profiles)),
        floor=float(mix.floor(size)),
    )


def _moves(problem: Problem, solution: Solution) -> int:
    if problem.previous is None:
        return 0
    listed = {p.id for p in problem.participants}
    now = {i: g.id for g in solution.groups for i in g.members}
    return sum(
        1
        for group in problem.previous.groups
        for i in group.members
        if i in listed and now.get(i) != group.id
    )
