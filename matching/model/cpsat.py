"""The CP-SAT model of forming groups, one method per hard rule and per objective term.

The same model serves the whole problem (city rounds) and the neighbourhoods of the
large-neighbourhood search (a few groups at a time): a :class:`SubProblem` names the group
slots that may be used, the components (together-linked people) that may fill them and the
moderators still free; everything outside it stays as it is.

Variables (per slot ``g``): ``active[g]``; ``language[g][L]`` (one-hot when active);
``lead[g][m]`` for moderators; ``x[c][g]`` for each component that may join the slot. A
component is one variable, so ``together`` holds by construction.

A member who does not speak the group language needs a *bridge*: another member who speaks it
and shares a language with them. ``bridge[g][(L, l)]`` says "the group works in L and some
member speaks both L and l"; a member speaking l but not L may then join.

With ``diagnose`` every rule family is enforced only under an assumption literal, so that an
infeasible model names the rules (and locked groups) in conflict.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from matching.balance import ATTRIBUTES, PoolMix
from matching.grouping import Draft, Grouping, level_weights
from matching.instance import Instance
from matching.rules import Rule

# Rule families that ``diagnose`` can switch off, with what they stand for in explanations.
RULE_FAMILIES = {
    "min_size": Rule.SIZE,
    "max_size": Rule.SIZE,
    "share_low": Rule.NEWCOMER_SHARE,
    "share_high": Rule.NEWCOMER_SHARE,
    "language": Rule.LANGUAGE,
    "origin": Rule.ORIGIN,
    "apart": Rule.TOGETHER_APART,
}
# Balance deviations are scaled to integers: exactly when the pool is at most this large.
BALANCE_SCALE = 1000


def imbalance_scale(mix: PoolMix) -> int:
    """The integer a share is multiplied by in the model: the pool size when small enough,
    so that the model's deviations are exact; otherwise shares are rounded to 1/1000."""
    return mix.total if 0 < mix.total <= BALANCE_SCALE else BALANCE_SCALE


@dataclass(frozen=True)
class Slot:
    series: int
    # The previous group this slot continues (it keeps its id), if any.
    previous: int | None = None
    locked: bool = False


@dataclass
class SubProblem:
    slots: list[Slot]
    components: list[int]
    # Per series: the moderators free to lead a slot of that series.
    moderators: dict[int, frozenset[int]]
    # Per series: how many of its slots may be active.
    room: dict[int, int]
    # Components that stay in the group of one slot (component -> slot): the rest of a
    # neighbourhood that spans every series (see matching.model.neighbourhood.community).
    pinned: dict[int, int] = field(default_factory=dict)


class GroupingModel:
    def __init__(
        self,
        instance: Instance,
        sub: SubProblem,
        *,
        diagnose: bool = False,
    ) -> None:
        self.instance = instance
        self.sub = sub
        self.model = cp_model.CpModel()
        self.switches: dict[str, cp_model.IntVar] = {}
        self.keep_locked: dict[int, cp_model.IntVar] = {}
        if diagnose:
            for name in RULE_FAMILIES:
                self.switches[name] = self.model.new_bool_var(f"rule_{name}")
            for g, slot in enumerate(sub.slots):
                if slot.locked:
                    self.keep_locked[g] = self.model.new_bool_var(f"keep_{g}")

        # Each hard rule (matching.rules.Rule) is one method; tests/matching/test_model_rules.py
        # has a test pair for each.
        self._create_variables()
        self._rule_one_group_per_participant()  # Rule.ONE_GROUP
        self._rule_group_size()  # Rule.SIZE
        self._rule_newcomer_share()  # Rule.NEWCOMER_SHARE
        self._rule_series_room_and_moderator_once_per_series()  # Rule.SERIES
        self._rule_moderators_per_group()  # Rule.MODERATORS
        self._rule_working_language_and_bridges()  # Rule.LANGUAGE
        self._rule_origin_limit()  # Rule.ORIGIN
        # Rule.STEP_FREE, the members' half of Rule.SERIES and Rule.TOGETHER_APART's
        # "together" hold by construction: a component (together people) is one variable,
        # with variables only for slots of series all its members can attend and reach.
        self._rule_apart()  # Rule.TOGETHER_APART
        self._rule_locked_groups()  # Rule.LOCKED
        self._break_symmetry()

        self.placement = self._placement_term()
        self.placed_count = cp_model.LinearExpr.weighted_sum(
            [self.placed_var(c) for c in self.x],
            [len(instance.components[c].members) for c in self.x],
        )
        self.series_changes = self._series_changes_term()
        self.moves, self.moderator_changes = self._moves_terms()
        self.language_changes = self._language_changes_term()
        self.changes = self._changes_term()
        self.joiners = self._joiners_term()

    # -- variables ---------------------------------------------------------------------------

    def _create_variables(self) -> None:
        instance, sub, model = self.instance, self.sub, self.model
        self.active = [model.new_bool_var(f"active_{g}") for g in range(len(sub.slots))]
        self.language: list[dict[str, cp_model.IntVar]] = []
        self.lead: list[dict[int, cp_model.IntVar]] = []
        for g, slot in enumerate(sub.slots):
            languages = self._slot_languages(slot)
            self.language.append(
                {lang: model.new_bool_var(f"lang_{g}_{lang}") for lang in languages}
            )
            moderators = self._slot_moderators(slot, languages)
            self.lead.append({m: model.new_bool_var(f"lead_{g}_{m}") for m in moderators})
        self.x: dict[int, dict[int, cp_model.IntVar]] = {}
        forced = self._forced_components()
        for c in sub.components:
            if c in sub.pinned:
                # One variable, fixed by presolve: the component counts in every rule of its
                # group, and costs the search nothing.
                stays = model.new_bool_var(f"x_{c}_{sub.pinned[c]}")
                model.add(stays == 1)
                self.x[c] = {sub.pinned[c]: stays}
                continue
            allowed = set(instance.component_series[c])
            slots = {
                g: model.new_bool_var(f"x_{c}_{g}")
                for g, slot in enumerate(sub.slots)
                if slot.series in allowed or forced.get(c) == g
            }
            if slots:
                self.x[c] = slots
        self._placed: dict[int, cp_model.LinearExprT] = {}
        self.slot_components: list[list[int]] = [[] for _ in sub.slots]
        for c, slots in self.x.items():
            for g in slots:
                self.slot_components[g].append(c)
        # Definitions of auxiliary variables, so that hints can be complete (CP-SAT takes a
        # complete feasible hint as its first solution at once).
        self._bridge_defs: list[tuple[cp_model.IntVar, int, str, list[int]]] = []
        self._count_defs: list[
            tuple[cp_model.IntVar, cp_model.IntVar, int, dict[int, int], int, int]
        ] = []
        # Group sizes as variables keep every later constraint on them short.
        self.size = []
        for g in range(len(sub.slots)):
            people = sum(len(instance.components[c].members) for c in self.slot_components[g])
            size = model.new_int_var(0, people, f"size_{g}")
            model.add(size == self._members_in(g))
            self.size.append(size)

    def _slot_languages(self, slot: Slot) -> list[str]:
        if slot.locked and slot.previous is not None:
            return [self.instance.previous[slot.previous].language]
        return list(self.instance.series[slot.series].languages)

    def _slot_moderators(self, slot: Slot, languages: list[str]) -> list[int]:
        instance = self.instance
        if slot.locked and slot.previous is not None:
            return list(instance.previous[slot.previous].moderators)
        free = self.sub.moderators.get(slot.series, frozenset())
        return sorted(m for m in free if instance.moderators[m].languages & set(languages))

    def _forced_components(self) -> dict[int, int]:
        """Components that a locked slot keeps: component -> slot."""
        forced = {}
        for g, slot in enumerate(self.sub.slots):
            if slot.locked and slot.previous is not None:
                for i in self.instance.previous[slot.previous].members:
                    forced[self.instance.component_of[i]] = g
        return forced

    def placed_var(self, c: int) -> cp_model.LinearExprT:
        if c not in self._placed:
            self._placed[c] = sum(self.x[c].values())
        return self._placed[c]

    def _members_in(self, g: int, weight: dict[int, int] | None = None) -> cp_model.LinearExpr:
        """Sum over components that may join slot g of weight(c) * x[c][g] (default: size)."""
        components = self.slot_components[g]
        sizes = self.instance.components
        return cp_model.LinearExpr.weighted_sum(
            [self.x[c][g] for c in components],
            [weight.get(c, 0) if weight is not None else len(sizes[c].members) for c in components],
        )

    def _when(self, family: str, g: int | None = None) -> list[cp_model.IntVar]:
        """Enforcement literals of a rule family (none unless diagnosing)."""
        literals = [self.switches[family]] if family in self.switches else []
        return literals + self._keep(g)

    def _keep(self, g: int | None) -> list[cp_model.IntVar]:
        """The assumption that locked slot g is kept (none unless diagnosing)."""
        return [self.keep_locked[g]] if g is not None and g in self.keep_locked else []

    # -- hard rules --------------------------------------------------------------------------

    def _rule_one_group_per_participant(self) -> None:
        for slots in self.x.values():
            if len(slots) > 1:
                self.model.add_at_most_one(slots.values())

    def _rule_group_size(self) -> None:
        instance = self.instance
        for g, active in enumerate(self.active):
            size = self.size[g]
            self.model.add(size <= instance.max_size * active).only_enforce_if(
                self._when("max_size", g)
            )
            self.model.add(size >= instance.min_size * active).only_enforce_if(
                self._when("min_size", g)
            )
            for c in self._components_in(g):
                self.model.add_implication(self.x[c][g], active)

    def _components_in(self, g: int) -> list[int]:
        return self.slot_components[g]

    def _rule_newcomer_share(self) -> None:
        instance = self.instance
        low, high = instance.share_low, instance.share_high
        for g in range(len(self.active)):
            components = self._components_in(g)
            comps = instance.components
            if low > 0:
                # newcomers / size >= p/q  <=>  q * newcomers - p * size >= 0
                weights = {
                    c: low.denominator * comps[c].newcomers - low.numerator * len(comps[c].members)
                    for c in components
                }
                self.model.add(self._members_in(g, weights) >= 0).only_enforce_if(
                    self._when("share_low", g)
                )
            if high < 1:
                weights = {
                    c: high.numerator * len(comps[c].members)
                    - high.denominator * comps[c].newcomers
                    for c in components
                }
                self.model.add(self._members_in(g, weights) >= 0).only_enforce_if(
                    self._when("share_high", g)
                )

    def _rule_series_room_and_moderator_once_per_series(self) -> None:
        by_series: dict[int, list[int]] = defaultdict(list)
        for g, slot in enumerate(self.sub.slots):
            by_series[slot.series].append(g)
        for series, slots in by_series.items():
            room = self.sub.room.get(series, 0)
            if len(slots) > room:
                self.model.add(sum(self.active[g] for g in slots) <= room)
            leads: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for g in slots:
                for m, var in self.lead[g].items():
                    leads[m].append(var)
            for variables in leads.values():
                if len(variables) > 1:
                    self.model.add_at_most_one(variables)

    def _rule_moderators_per_group(self) -> None:
        per_group = self.instance.per_group
        for g, active in enumerate(self.active):
            self.model.add(sum(self.lead[g].values()) == per_group * active)

    def _rule_working_language_and_bridges(self) -> None:
        instance, model = self.instance, self.model
        people = instance.people
        for g, active in enumerate(self.active):
            languages = self.language[g]
            model.add(sum(languages.values()) == active)
            for m, lead in self.lead[g].items():
                spoken = [
                    var
                    for lang, var in languages.items()
                    if lang in instance.moderators[m].languages
                ]
                model.add(lead <= sum(spoken))
            speakers: dict[tuple[str, str], dict[int, cp_model.IntVar]] = defaultdict(dict)
            for c in self._components_in(g):
                for i in instance.components[c].members:
                    for lang in people[i].languages & languages.keys():
                        for other in people[i].languages:
                            if other != lang:
                                speakers[(lang, other)][c] = self.x[c][g]
            bridges: dict[tuple[str, str], cp_model.IntVar] = {}
            for c in self._components_in(g):
                for i in instance.components[c].members:
                    own = people[i].languages
                    clause = [languages[lang] for lang in own if lang in languages]
                    if len(clause) == len(languages):
                        continue
                    for lang in languages:
                        if lang in own:
                            continue
                        for other in own:
                            if (lang, other) not in speakers:
                                continue
                            if (lang, other) not in bridges:
                                bridge = model.new_bool_var(f"bridge_{g}_{lang}_{other}")
                                model.add_implication(bridge, languages[lang])
                                model.add_bool_or(speakers[(lang, other)].values()).only_enforce_if(
                                    bridge
                                )
                                bridges[(lang, other)] = bridge
                                self._bridge_defs.append(
                                    (bridge, g, lang, list(speakers[(lang, other)]))
                                )
                            clause.append(bridges[(lang, other)])
                    model.add_bool_or([*clause, ~self.x[c][g]]).only_enforce_if(
                        self._when("language", g)
                    )

    def _rule_origin_limit(self) -> None:
        instance = self.instance
        limit = instance.max_same_origin
        for g in range(len(self.active)):
            counts: dict[str, dict[int, int]] = defaultdict(dict)
            for c in self._components_in(g):
                for i in instance.components[c].members:
                    origin = instance.people[i].origin
                    if origin is not None:
                        counts[origin][c] = counts[origin].get(c, 0) + 1
            for weights in counts.values():
                if sum(weights.values()) > limit:
                    self.model.add(self._members_in(g, weights) <= limit).only_enforce_if(
                        self._when("origin", g)
                    )

    def _rule_apart(self) -> None:
        instance = self.instance
        for i, others in instance.apart.items():
            a = instance.component_of[i]
            if a not in self.x:
                continue
            for j in others:
                b = instance.component_of[j]
                if b <= a or b not in self.x:
                    continue
                for g in self.x[a].keys() & self.x[b].keys():
                    self.model.add_bool_or([~self.x[a][g], ~self.x[b][g]]).only_enforce_if(
                        self._when("apart", g)
                    )

    def _rule_locked_groups(self) -> None:
        """A locked slot is active and keeps its language, moderators and members."""
        forced = self._forced_components()
        for g, slot in enumerate(self.sub.slots):
            if not slot.locked:
                continue
            keep = self._keep(g)
            self.model.add(self.active[g] == 1).only_enforce_if(keep)
            for var in self.language[g].values():
                self.model.add(var == 1).only_enforce_if(keep)
            for var in self.lead[g].values():
                self.model.add(var == 1).only_enforce_if(keep)
            for c, slot_index in forced.items():
                if slot_index == g and c in self.x:
                    self.model.add(self.x[c][g] == 1).only_enforce_if(keep)

    def _break_symmetry(self) -> None:
        """New slots of one series are interchangeable: use them in order, larger first. A slot
        with pinned components is not: it is the group they stay in."""
        holding = set(self.sub.pinned.values())
        by_series: dict[int, list[int]] = defaultdict(list)
        for g, slot in enumerate(self.sub.slots):
            if slot.previous is None and g not in holding:
                by_series[slot.series].append(g)
        for slots in by_series.values():
            for a, b in itertools.pairwise(slots):
                self.model.add(self.active[a] >= self.active[b])
                self.model.add(self.size[a] >= self.size[b])

    # -- objective terms ---------------------------------------------------------------------

    def _placement_term(self) -> cp_model.LinearExpr:
        """Priority-weighted placement, strictly lexicographic by priority level: one person
        of a level outweighs everyone of the levels below in this model."""
        instance = self.instance
        counts = [0] * len(instance.level_counts)
        for c in self.x:
            for i in instance.components[c].members:
                counts[instance.people[i].level] += 1
        weights = self.level_weights = level_weights(counts)
        return cp_model.LinearExpr.weighted_sum(
            [self.placed_var(c) for c in self.x],
            [
                sum(weights[instance.people[i].level] for i in instance.components[c].members)
                for c in self.x
            ],
        )

    def _moves_terms(self) -> tuple[cp_model.LinearExpr, cp_model.LinearExpr]:
        """Previous members who do not stay in their slot, and previous moderators who do not
        lead it any more (both counted only for slots in this model; constants left out)."""
        instance = self.instance
        slot_of = {s.previous: g for g, s in enumerate(self.sub.slots) if s.previous is not None}
        stays = []
        kept_leads = []
        for c, slots in self.x.items():
            for i in instance.components[c].members:
                g = slot_of.get(instance.previous_group_of.get(i, -1))
                if g is not None and g in slots:
                    stays.append(slots[g])
        for previous, g in slot_of.items():
            for m in instance.previous[previous].moderators:
                if m in self.lead[g]:
                    kept_leads.append(self.lead[g][m])
        return -cp_model.LinearExpr.sum(stays), -cp_model.LinearExpr.sum(kept_leads)

    def _series_changes_term(self) -> cp_model.LinearExpr:
        """Previous members whose evenings change: minus those in a slot of their previous
        group's series (counted only for previous groups of this model's series; the
        constant is left out)."""
        instance = self.instance
        by_series: dict[int, list[int]] = defaultdict(list)
        for g, slot in enumerate(self.sub.slots):
            by_series[slot.series].append(g)
        kept = []
        for c, slots in self.x.items():
            for i in instance.components[c].members:
                previous = instance.previous_group_of.get(i)
                if previous is None:
                    continue
                kept += [
                    slots[g]
                    for g in by_series.get(instance.previous[previous].series, ())
                    if g in slots
                ]
        return -cp_model.LinearExpr.sum(kept)

    def _language_changes_term(self) -> cp_model.LinearExpr:
        """Active slots that continue a previous group in another working language."""
        changed: list[cp_model.LinearExprT] = []
        for g, slot in enumerate(self.sub.slots):
            if slot.previous is None:
                continue
            before = self.instance.previous[slot.previous].language
            kept = self.language[g].get(before)
            changed.append(self.active[g] - kept if kept is not None else self.active[g])
        return cp_model.LinearExpr.sum(changed)

    def _changes_term(self) -> cp_model.LinearExpr:
        """What a rematch changes, as one expression to minimise whose order is strictly
        lexicographic: series changes, then moves (so, with as many series changes, moves
        within a series), then language changes, then changes of moderators. Each term is
        weighted above every possible value of the terms after it."""
        instance = self.instance
        slots = [s for s in self.sub.slots if s.previous is not None]
        leads = sum(
            len(instance.previous[s.previous].moderators) for s in slots if s.previous is not None
        )
        previous_members = sum(
            1
            for c in self.x
            for i in instance.components[c].members
            if i in instance.previous_group_of
        )
        language_weight = leads + 1
        moves_weight = language_weight * (len(slots) + 1)
        series_weight = moves_weight * (previous_members + 1)
        return (
            self.series_changes * series_weight
            + self.moves * moves_weight
            + self.language_changes * language_weight
            + self.moderator_changes
        )

    def _joiners_term(self) -> cp_model.LinearExpr:
        """People placed who were not members of a previous group among these slots."""
        instance = self.instance
        mine = {s.previous for s in self.sub.slots if s.previous is not None}
        components = list(self.x)
        return cp_model.LinearExpr.weighted_sum(
            [self.placed_var(c) for c in components],
            [
                sum(
                    instance.previous_group_of.get(i) not in mine
                    for i in instance.components[c].members
                )
                for c in components
            ],
        )

    def imbalance(self, mix: PoolMix) -> cp_model.LinearExpr:
        """Sum over slots, attributes and categories of |scale*count - target*size|, where
        target/scale is the share of the category in ``mix`` (the placed pool). Call once:
        it adds variables."""
        instance, model = self.instance, self.model
        scale = imbalance_scale(mix)
        terms: list[cp_model.LinearExprT] = []
        for g in range(len(self.active)):
            components = self._components_in(g)
            if not components:
                continue
            size = self.size[g]
            for a in range(len(ATTRIBUTES)):
                shares = mix.shares[a]
                per_category: dict[str, dict[int, int]] = defaultdict(dict)
                for c in components:
                    for i in instance.components[c].members:
                        category = instance.people[i].categories[a]
                        per_category[category][c] = per_category[category].get(c, 0) + 1
                for category in sorted(set(shares) | set(per_category)):
                    target = round(shares.get(category, 0) * scale)
                    if category not in per_category:
                        terms.append(target * size)
                        continue
                    count = model.new_int_var(0, instance.max_size, "count")
                    weights = per_category[category]
                    model.add(count == self._members_in(g, weights))
                    deviation = model.new_int_var(0, scale * instance.max_size, "dev")
                    expression = scale * count - target * size
                    model.add_max_equality(deviation, [expression, -expression])
                    self._count_defs.append((count, deviation, g, weights, scale, target))
                    terms.append(deviation)
        return cp_model.LinearExpr.sum(terms)

    # -- incumbents --------------------------------------------------------------------------

    def slot_assignment(self, drafts: Sequence[Draft]) -> dict[int, Draft]:
        """Which slot each draft corresponds to: a draft with pinned members by their slot,
        previous groups by their previous index, new groups by series, largest first
        (matching the symmetry breaking)."""
        result: dict[int, Draft] = {}
        by_previous = {
            s.previous: g for g, s in enumerate(self.sub.slots) if s.previous is not None
        }
        pinned = self.sub.pinned
        holding = set(pinned.values())
        free: dict[int, list[int]] = defaultdict(list)
        for g, slot in enumerate(self.sub.slots):
            if slot.previous is None and g not in holding:
                free[slot.series].append(g)
        component_of = self.instance.component_of
        for draft in sorted(drafts, key=lambda d: -len(d.members)):
            held = next(
                (pinned[component_of[i]] for i in draft.members if component_of[i] in pinned),
                None,
            )
            if held is not None:
                result[held] = draft
            elif draft.previous is not None and draft.previous in by_previous:
                result[by_previous[draft.previous]] = draft
            elif draft.previous is None and free[draft.series]:
                result[free[draft.series].pop(0)] = draft
        return result

    def hint(self, drafts: Sequence[Draft]) -> None:
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        assigned = self.slot_assignment(drafts)
        member_slot: dict[int, int] = {}
        for g, draft in assigned.items():
            for i in draft.members:
                member_slot[self.instance.component_of[i]] = g
        for g, active in enumerate(self.active):
            chosen = assigned.get(g)
            self.model.add_hint(active, chosen is not None)
            for lang, var in self.language[g].items():
                self.model.add_hint(var, chosen is not None and chosen.language == lang)
            for m, var in self.lead[g].items():
                self.model.add_hint(var, chosen is not None and m in chosen.moderators)
        for c, slots in self.x.items():
            for g, var in slots.items():
                self.model.add_hint(var, member_slot.get(c) == g)
        components = self.instance.components
        sizes = [0] * len(self.active)
        for c, g in member_slot.items():
            if c in self.x and g in self.x[c]:
                sizes[g] += len(components[c].members)
        for g, size in enumerate(sizes):
            self.model.add_hint(self.size[g], size)
        for bridge, g, lang, speakers in self._bridge_defs:
            chosen = assigned.get(g)
            works_in = chosen is not None and chosen.language == lang
            self.model.add_hint(bridge, works_in and any(member_slot.get(c) == g for c in speakers))
        for count, deviation, g, weights, scale, target in self._count_defs:
            value = sum(w for c, w in weights.items() if member_slot.get(c) == g)
            self.model.add_hint(count, value)
            self.model.add_hint(deviation, abs(scale * value - target * sizes[g]))

    def fix_to(self, drafts: Sequence[Draft], *, placed: bool, stayers: bool) -> None:
        """Keep what earlier stages decided: with ``placed`` everyone placed in ``drafts``
        stays placed and everyone else waits; with ``stayers`` no rematch change gets worse:
        everyone who is still in their previous group stays in it, every previous member
        placed in their previous series stays in that series, and every group that kept its
        previous language keeps it."""
        instance = self.instance
        in_draft = {instance.component_of[i] for d in drafts for i in d.members}
        if placed:
            for c in self.x:
                self.model.add(self.placed_var(c) == int(c in in_draft))
        if stayers:
            slot_of = {
                s.previous: g for g, s in enumerate(self.sub.slots) if s.previous is not None
            }
            for d in drafts:
                if d.previous is None or d.previous not in slot_of:
                    continue
                g = slot_of[d.previous]
                for i in d.members:
                    c = instance.component_of[i]
                    if instance.previous_group_of.get(i) == d.previous and g in self.x.get(c, {}):
                        self.model.add(self.x[c][g] == 1)
                before = instance.previous[d.previous].language
                if d.language == before and before in self.language[g]:
                    self.model.add(self.language[g][before] == 1)
            for d in drafts:
                for i in d.members:
                    previous = instance.previous_group_of.get(i)
                    c = instance.component_of[i]
                    if previous is None or instance.previous[previous].series != d.series:
                        continue
                    same = [
                        var
                        for g, var in self.x.get(c, {}).items()
                        if self.sub.slots[g].series == d.series
                    ]
                    if same:
                        self.model.add(sum(same) == 1)

    def read(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> Grouping:
        drafts = []
        members: dict[int, list[int]] = defaultdict(list)
        for c, slots in self.x.items():
            for g, var in slots.items():
                if solver.boolean_value(var):
                    members[g].extend(self.instance.components[c].members)
        for g, slot in enumerate(self.sub.slots):
            if not solver.boolean_value(self.active[g]):
                continue
            language = next(
                lang for lang, var in self.language[g].items() if solver.boolean_value(var)
            )
            moderators = tuple(m for m, var in self.lead[g].items() if solver.boolean_value(var))
            drafts.append(
                Draft(
                    slot.series,
                    language,
                    moderators,
                    sorted(members[g]),
                    slot.previous,
                    slot.locked,
                )
            )
        return Grouping(drafts)
