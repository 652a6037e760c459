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

Extra fields on output: ``bound.placed`` (an upper bound on how many can be placed; with a
previous grouping, among groupings with no more moves), ``proven`` (which objectives were
proven optimal, each given what the objectives ranked before it reached),
``explanation`` (why an ``infeasible`` problem is infeasible) and ``fallback`` (why the groups
are the first, greedy grouping rather than a searched one: the time limit ran out while it
was built or before the search began, or the searched grouping broke a rule) with
``fallback_cause`` (the same as a kind and the broken rules' numbers), and
``lottery_seed`` (the seed the lottery was drawn from).

Objective order. Without ``previous``: placement by priority, then balance. With
``previous``, the contract's "a member stays in their previous group unless the hard rules
force a move" is taken literally: fewest moves (moving to the waitlist counts) rank first,
so nobody is moved just to seat someone from the waitlist; then placement; then balance.
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
