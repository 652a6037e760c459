"""The public JSON contract (docs: docs/matching-problem.md) as pydantic models.

The shapes here are the contract; checks that need more than one field at a time (unknown ids,
duplicates, language codes, ...) live in :mod:`matching.validation` so that every problem in an
input is reported at once, each with its JSON path.

Fields beyond the contract, all optional on input:

- ``rules.newcomer_share`` defaults to ``[0, 1]``, ``rules.max_same_origin`` to no limit,
  ``rules.moderators_per_group`` to 1;
- ``series[].step_free`` defaults to false, ``previous.groups[].locked`` to false;
- participants' ``gender``, ``age_band``, ``district``, ``origin`` default to null, their
  ``needs``, ``together`` and ``apart`` to empty lists, ``priority`` to 0;
- ``lottery_seed`` (the seed of the lottery for the last places, :mod:`matching.lottery`)
  is drawn when absent.

Extra fields on output: ``bound.placed`` (an upper bound on how many can be placed),
``objective.series_changes`` and ``objective.language_changes``, ``rematch`` (with
``previous``: every series change and language change, with its reason), ``proven``
(which objectives were proven optimal, each given what the objectives ranked before it
reached),
``explanation`` (why an ``infeasible`` problem is infeasible) and ``fallback`` (why the groups
are the first, greedy grouping rather than a searched one: the time limit ran out while it
was built or before the search began, or the searched grouping broke a rule) with
``fallback_cause`` (the same as a kind and the broken rules' numbers), and
``lottery_seed`` (the seed the lottery was drawn from).

Objective order (the contract's "What is optimised"). Without ``previous``: placement by
priority, then balance. With ``previous``: placement by priority; fewest series changes
(previous members moved to another series or to the waitlist); fewest moves (so, with as
many series changes, fewest moves within a series); fewest language changes; balance.
``proven.moves`` says the three rematch objectives are proven, given the placement.
``bound.imbalance`` is a lower bound on the imbalance of any grouping of the same people
into groups of the same sizes and series (exact when ``proven.imbalance``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The largest group the solver accepts (``rules.min_size`` and ``rules.max_size``): a dialogue
# group is a handful of people, and the models grow with the group size.
MAX_GROUP_SIZE = 100

Role = Literal["citizen", "newcomer"]
Need = Literal["step_free"]
Status = Literal["optimal", "feasible", "infeasible"]
# Why a solution's groups are the fallback grouping (see :class:`FallbackCause`).
FallbackKind = Literal["time_limit_first_grouping", "time_limit_before_search", "rule_broken"]


class _Model(BaseModel):
    # Unknown input fields are ignored: other tools may add their own (names, notes, ...).
    model_config = ConfigDict(extra="ignore")


class Rules(_Model):
    min_size: int
    max_size: int
    newcomer_share: tuple[float, float] = (0.0, 1.0)
    max_same_origin: int | None = None
    moderators_per_group: int = 1
    working_languages: list[str] | None = None


class Series(_Model):
    id: str
    max_groups: int
    step_free: bool = False


class Moderator(_Model):
    id: str
    languages: list[str]
    series: list[str]


class Participant(_Model):
    id: str
    role: Role
    languages: list[str]
    series: list[str]
    gender: str | None = None
    age_band: str | None = None
    district: str | None = None
    origin: str | None = None
    needs: list[Need] = Field(default_factory=list)
    together: list[str] = Field(default_factory=list)
    apart: list[str] = Field(default_factory=list)
    priority: int = 0


class Group(_Model):
    id: str
    series: str
    language: str
    moderators: list[str]
    members: list[str]


class PreviousGroup(Group):
    locked: bool = False


class Previous(_Model):
    groups: list[PreviousGroup]


class Problem(_Model):
    rules: Rules
    series: list[Series]
    moderators: list[Moderator]
    participants: list[Participant]
    previous: Previous | None = None
    # The seed of the lottery for the last places (matching.lottery); drawn when absent.
    lottery_seed: str | None = Field(default=None, min_length=1, max_length=200)


class WaitlistEntry(_Model):
    id: str
    reason: str


class Objective(_Model):
    placed: int
    moves: int
    imbalance: float
    # With ``previous``: previous members (still listed) whose evenings change (in a group of
    # another series, or waiting), and groups that keep their id in another language.
    series_changes: int = 0
    language_changes: int = 0


class Bound(_Model):
    imbalance: float
    # Upper bound on the number of participants any valid grouping places (None when unknown).
    placed: int | None = None


class Proven(_Model):
    """Which objectives are proven optimal, in the lexicographic order they are optimised."""

    placed: bool = False
    moves: bool = False
    imbalance: bool = False
    # Whether the people placed are exactly the lottery's choice (matching.lottery) among
    # groupings that place as many of each priority; not part of ``status``.
    lottery: bool = False


class FallbackCause(_Model):
    """Why the groups are the fallback grouping, for programs and translations:
    ``time_limit_first_grouping`` (the time ran out while it was built: people in series not
    yet dealt wait), ``time_limit_before_search`` (the time ran out before the search began)
    or ``rule_broken`` (the searched grouping broke the hard rules numbered in ``rules``)."""

    kind: FallbackKind
    rules: list[int] = Field(default_factory=list)


# Why a previous member's evenings change (see :class:`SeriesChange`).
SeriesChangeCause = Literal["cannot_attend", "no_room", "placement", "not_found"]
# Why a group's working language changes (see :class:`LanguageChange`).
LanguageChangeCause = Literal["members", "moderators", "not_allowed", "placement", "not_found"]


class Blocked(_Model):
    """A group the person could not join: the rules (contract numbers) joining would break."""

    group: str
    rules: list[int]


class SeriesChange(_Model):
    """A previous member whose evenings change: now in a group of another series, or waiting.

    ``cause``: ``cannot_attend`` (they, or someone they come with, can no longer attend the
    previous series), ``no_room`` (no group of that series could take them and keep the
    rules; ``blocked`` says which rules each would break), ``placement`` (keeping them there
    would place fewer people, proven), ``not_found`` (the search found no way to keep them
    there before the time limit)."""

    participant: str
    from_group: str
    from_series: str
    # None: the waitlist.
    to_group: str | None
    to_series: str | None
    cause: SeriesChangeCause
    # How many members of the previous group dropped out, and whether it continues.
    dropouts: int
    group_continues: bool
    blocked: list[Blocked] = Field(default_factory=list)
    reason: str


class LanguageChange(_Model):
    """A group that keeps its id in another working language.

    ``cause``: ``members`` (with the previous language, ``members`` could not follow: they
    neither speak it nor share a language with a member who does), ``moderators`` (no
    moderator free to lead it speaks the previous language), ``not_allowed`` (the previous
    language is no longer a working language), ``placement`` (keeping it would place fewer
    people or change more people's groups, proven), ``not_found`` (the search found no way to
    keep it before the time limit)."""

    group: str
    from_language: str
    to_language: str
    cause: LanguageChangeCause
    members: list[str] = Field(default_factory=list)
    reason: str


class RematchChanges(_Model):
    """With ``previous``: every series change and every language change, with the reason."""

    series_changes: list[SeriesChange] = Field(default_factory=list)
    language_changes: list[LanguageChange] = Field(default_factory=list)


class Solution(_Model):
    status: Status
    groups: list[Group]
    waitlist: list[WaitlistEntry]
    objective: Objective
    bound: Bound
    solve_seconds: float
    proven: Proven = Field(default_factory=Proven)
    explanation: list[str] = Field(default_factory=list)
    # Why the groups are the fallback (the first, greedy grouping, valid but not searched)
    # rather than the search's result, e.g. the time limit ran out; None when they are not.
    fallback: str | None = None
    # The same, for programs: its kind and, when a rule was broken, the rules' numbers.
    fallback_cause: FallbackCause | None = None
    # The seed the lottery for the last places was drawn from (the problem's, or drawn).
    lottery_seed: str | None = None
    # With ``previous``: the series and language changes, with their reasons.
    rematch: RematchChanges | None = None
