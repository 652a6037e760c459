"""``solve``: from a problem to a valid solution within the time limit, whatever happens.

The order of work:

1. Locked previous groups are checked first: they alone can make a problem infeasible.
2. The greedy constructor gives a valid grouping at once; it is the fallback from here on.
3. A rematch first repairs the series that the dropouts broke, one by one
   (:mod:`matching.construction.rematch`): in a fraction of a second, usually within a move
   or two of the fewest, and the start for what follows.
4. Placement and (in a rematch) what it changes are optimised exactly on neighbourhoods of
   one or two series (each a complete problem of its own), first every series with work to
   do, then around the people still waiting. For a city round the whole problem is then
   solved in one CP-SAT model, which proves (or bounds) the result; for larger pools a
   series-level relaxation bounds the placement. In a rematch the order is placement, then
   fewest series changes, fewest moves, fewest language changes (``Grouping.rank``).
5. Balance: exactly in CP-SAT for very small rounds, otherwise by local search that keeps the
   people placed, everyone who stays in their previous group where they are, every previous
   member on their evenings and every group's language.
6. The result is checked by the independent checker, and every waitlisted person gets a
   reason found by analysis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from fractions import Fraction

from matching.bounds.balance import imbalance_bound
from matching.bounds.pattern import pattern_bound, working_languages
from matching.bounds.placement import (
    PlacementBound,
    count_bound,
    placement_bound,
    relaxed_bound,
)
from matching.budget import BUDGET
from matching.checker import violations
from matching.construction import locked
from matching.construction.greedy import greedy, greedy_until, make_room, undo_moves
from matching.construction.plan import plan
from matching.construction.rematch import rematch_by_series
from matching.explanations.reasons import waitlist_reasons
from matching.explanations.rematch import rematch_changes
from matching.fallback import announce
from matching.grouping import Grouping
from matching.heap import collection_paused
from matching.improvement.lns import improve
from matching.improvement.lottery import draw_by_lot, exchange_by_lot
from matching.improvement.polish import polish
from matching.instance import Instance
from matching.model.cpsat import GroupingModel, imbalance_scale
from matching.model.neighbourhood import neighbourhood, solve_neighbourhood
from matching.model.search import run_stage
from matching.models import (
    Bound,
    FallbackCause,
    FallbackKind,
    Objective,
    Problem,
    Proven,
    Solution,
    WaitlistEntry,
)
from matching.progress import Progress, Reporter, StopSignal, stop_checker
from matching.rules import breaks_any
from matching.validation import InvalidProblem, problem_issues

logger = logging.getLogger(__name__)

# Above this many participant-slot variables the whole-problem model gets too slow to build
# and solve within city-round limits, and the series decomposition takes over.
FULL_MODEL_VARIABLES = 6000
# Up to this many people placed, balance is optimised (and proven) by CP-SAT.
EXACT_BALANCE_PEOPLE = 40


def solve(
    problem: Problem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    on_progress: Callable[[Progress], None] | None = None,
    stop: StopSignal | None = None,
) -> Solution:
    """The best grouping found within ``time_limit`` seconds (less when proven optimal).

    The time counts from this call: checking the problem and building the solver's view of
    it are part of it. Raises :class:`~matching.validation.InvalidProblem` (one issue per
    JSON path) when the problem refers to unknown ids, breaks code lists or has
    contradictory rules.
    """
    start = time.monotonic()
    issues = problem_issues(problem)
    if issues:
        raise InvalidProblem(issues)
    return _Run(problem, start, time_limit, workers, on_progress, stop).solve()


class _Run:
    def __init__(
        self,
        problem: Problem,
        start: float,
        time_limit: float,
        workers: int,
        on_progress: Callable[[Progress], None] | None,
        stop: StopSignal | None,
    ) -> None:
        self.start = start
        self.problem = problem
        building = time.monotonic()
        with collection_paused():
            self.instance = Instance(problem)
        # Seconds the build took: a measure of the pool and of how busy the machine is.
        self.built = time.monotonic() - building
        people = len(self.instance.people)
        # Time kept back for the final check, reasons and bounds: a tenth of the limit, and
        # for large pools what checking and writing out the solution takes.
        reserve = BUDGET.reserve(time_limit, people, self.built)
        self.end = self.start + max(0.0, time_limit)
        self.deadline = self.end - reserve
        # The waitlist reasons get part of the reserve; the check and the solution the rest.
        self.reasons_deadline = self.end - (1 - BUDGET.reasons_share_of_reserve) * reserve
        self.workers = workers
        self.stop = stop_checker(stop)
        self.reporter = Reporter(on_progress, self.start, people)
        self.proven = Proven()
        self.placed_bound: int | None = None
        # The bound of the relaxation that knows the group rules (city rounds).
        self.relaxed_bound: int | None = None
        self.exact_imbalance_bound: float | None = None
        # The language-aware bound and the grouping (its people and sizes) it holds for.
        self.language_bound: tuple[Grouping, float] | None = None
        self.best = Grouping()
        # Why the result is the first (greedy) grouping rather than a searched one, if it is.
        self.fallback: str | None = None
        self.fallback_cause: FallbackCause | None = None
        # Each grouping's deviation, by identity (it is costly for large pools).
        self._deviations: dict[int, tuple[Grouping, Fraction]] = {}
        # Seconds the greedy start took (see :meth:`affords_step`).
        self.pace = 0.0
        # Waiting components whom only the lot keeps waiting (found by the exact draw), and
        # the people the draw placed.
        self.by_lot: set[int] = set()
        self.drawn: frozenset[int] = frozenset()
        # In a rematch: a grouping that places more than the one the search continues from
        # but changes more (see :meth:`_start_rematch`).
        self.alternative: Grouping | None = None
        # Whether the whole problem fits one model (set once the search begins).
        self.whole_model = False

    def _fall_back(self, kind: FallbackKind, text: str, rules: list[int] | None = None) -> None:
        self.fallback = text
        self.fallback_cause = FallbackCause(kind=kind, rules=rules or [])

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def affords_step(self) -> bool:
        """Whether a step whose cost grows with the pool can still start (see
        :attr:`Budget.step_share`)."""
        return self.remaining() > BUDGET.step_share * self.pace

    # -- the run -----------------------------------------------------------------------------

    def solve(self) -> Solution:
        instance = self.instance
        faults = locked.static_faults(instance)
        if faults:
            return self._infeasible(faults)
        dealt = time.monotonic()
        hurry = self.remaining() < BUDGET.greedy_per_build * self.built
        with collection_paused():
            fallback, cut = greedy_until(instance, deadline=self.deadline, by_flow=not hurry)
        self.pace = time.monotonic() - dealt
        if cut:
            self._fall_back(
                "time_limit_first_grouping",
                "the time limit was reached while the first grouping was built; "
                "people in series not yet dealt wait",
            )
        if _locked_broken(instance, fallback):
            verdict = locked.decide(
                instance,
                time_limit=max(self.remaining() * BUDGET.locked, BUDGET.locked_min_seconds),
                stop=self.stop,
            )
            if verdict.grouping is None:
                return self._infeasible(verdict.explanation)
            fallback = greedy(instance, verdict.grouping)
            if _locked_broken(instance, fallback):
                return self._infeasible(["the locked groups could not be completed"])
        self.best = fallback
        self._report(fallback, phase="greedy")
        if not self.affords_step():
            if self.fallback is None:
                self._fall_back(
                    "time_limit_before_search", "the time limit was reached before the search began"
                )
            return self._finish(fallback)
        self._make_room("greedy")
        # Whether the whole problem is small enough for one CP-SAT model.
        self.whole_model = whole_model = self._full_model_variables() <= FULL_MODEL_VARIABLES
        if instance.has_previous and self.remaining() > 0:
            # Repairing the broken series one by one is fast and needs only a few moves more
            # than the fewest: for a city round it is the hint the whole model starts from
            # (which then proves the fewest moves in about half the time it takes from the
            # greedy grouping); for larger pools it is the rematch.
            self.reporter.enter("moves")
            rebuilt = rematch_by_series(
                instance,
                deadline=time.monotonic()
                + self.remaining()
                * (BUDGET.rematch_before_whole_model if whole_model else BUDGET.rematch),
                workers=self.workers,
                stop=self.stop,
            )
            if rebuilt is not None:
                # The repair takes in as few people as it can; the vacancies are filled here.
                deadline = time.monotonic() + self.remaining() * BUDGET.undo_moves
                self._start_rematch(undo_moves(instance, rebuilt, deadline=deadline))
        self._undo_moves()
        self._optimise()
        if self.alternative is not None:
            self._accept(self.alternative, "placement")
        self._draw_lots()
        self._optimise_balance()
        return self._finish(fallback)

    def _start_rematch(self, repaired: Grouping) -> None:
        """The search continues from the repaired previous groups when they change less than
        the greedy grouping, even if they place fewer people for now: the search seats people
        around them while keeping what it changes fewest, which it does far less well from
        a grouping that changes more. The greedy grouping is kept, and counts at the end if
        it still ranks higher."""
        instance = self.instance
        if repaired.changes(instance) > self.best.changes(instance) and (
            repaired.placement(instance) < self.best.placement(instance)
        ):
            self.alternative = self.best
            self.best = repaired
            self._report(repaired, phase="moves")
        else:
            self._accept(repaired, "moves")

    def _make_room(self, phase: str, rounds: int = 3) -> None:
        """Cheap seating of waiting people (see
        :func:`matching.construction.greedy.make_room`), repeated while it helps. Nobody who
        stays in their previous group is moved."""
        instance = self.instance
        for _ in range(rounds):
            if not self.affords_step():
                return
            movable = {
                i
                for d in self.best.groups
                if not d.locked
                for i in d.members
                if d.previous is None or instance.previous_group_of.get(i) != d.previous
            }
            deadline = time.monotonic() + self.remaining() * BUDGET.make_room
            if not self._accept(
                make_room(instance, self.best, deadline=deadline, movable=movable), phase
            ):
                return

    def _undo_moves(self) -> None:
        if self.instance.has_previous and self.affords_step():
            deadline = time.monotonic() + self.remaining() * BUDGET.undo_moves
            self._accept(undo_moves(self.instance, self.best, deadline=deadline), "moves")

    def _full_model_variables(self) -> int:
        instance = self.instance
        return sum(
            len(instance.components[c].members) * instance.series[s].capacity
            for c, series in enumerate(instance.component_series)
            for s in series
        )

    def _deviation(self, grouping: Grouping) -> Fraction:
        """``grouping.deviation``, remembered for the best grouping and the latest one (the
        groupings the run compares are never changed in place)."""
        known = self._deviations.get(id(grouping))
        if known is not None and known[0] is grouping:
            return known[1]
        value = grouping.deviation(self.instance)
        self._remember(grouping, value)
        return value

    def _remember(self, grouping: Grouping, deviation: Fraction) -> None:
        """Keeps the grouping's deviation (and the best grouping's) for :meth:`_deviation`."""
        best = self._deviations.get(id(self.best))
        self._deviations = {id(grouping): (grouping, deviation)}
        if best is not None and best[0] is self.best:
            self._deviations[id(self.best)] = best

    def _accept(self, candidate: Grouping, phase: str) -> bool:
        instance = self.instance
        new, old = candidate.rank(instance), self.best.rank(instance)
        better = new > old
        if new == old:
            # The lottery ranks right after the objectives of ``rank``, before balance.
            drawn, kept = candidate.lottery(instance), self.best.lottery(instance)
            better = drawn > kept or (
                drawn == kept and self._deviation(candidate) < self._deviation(self.best)
            )
        if better:
            self.best = candidate
            self._report(candidate, phase=phase)
            return True
        return False

    def _report(self, grouping: Grouping, *, phase: str) -> None:
        instance = self.instance
        if not self.reporter.listening:
            # Nobody to tell: the figures (the imbalance takes a tenth of a second or more
            # for a large pool) are not worked out.
            self.reporter.phase = phase
            return
        placed = len(grouping.placed())
        imbalance = float(self._deviation(grouping) / placed) if placed else 0.0
        self.reporter.phase = phase
        self.reporter.update(
            force=True,
            placed=placed,
            moves=grouping.moves(instance) if instance.has_previous else None,
            imbalance=imbalance,
            placed_bound=self.placed_bound,
        )

    def _on_solution(self, value: float, bound: float, placed: int) -> None:
        self.reporter.update(objective=value, bound=bound, placed=placed)

    # -- placement and moves -----------------------------------------------------------------

    def _improve_placement(self, budget: float, bound: PlacementBound) -> None:
        """The neighbourhood search; in a city round it ends as soon as placement is proven
        the most possible (moves do not count there, and balance gets the time)."""
        instance = self.instance
        until_proven = not instance.has_previous and not self.proven.placed

        def improved(grouping: Grouping) -> None:
            self.best = grouping
            self._report(grouping, phase="placement")
            self._prove_with(bound)

        self.best = improve(
            instance,
            self.best,
            deadline=time.monotonic() + budget,
            workers=self.workers,
            stop=lambda: self.stop() or (until_proven and self.proven.placed),
            on_improve=improved,
            # Neighbourhoods of every group: for city rounds whose whole model is small
            # enough to build at each step.
            communities=self.whole_model and not instance.has_previous,
        )

    def _optimise(self) -> None:
        """Improve series by series (fast) and, for a city round, solve the whole problem in
        one model, which proves (or bounds) what the flow bound on placement cannot. In a
        rematch whose placement the flow bound already proves, the whole model spends all
        its time on what the rematch changes: chains of moves across series are what
        neighbourhoods of a few series find slowest. A city round whose placement the flow
        bound does not prove first gets the bound that knows the group rules, then a second
        start from the plan of which series each component goes to."""
        instance = self.instance
        if not self.affords_step():
            return
        self.reporter.enter("placement")
        bound = placement_bound(instance)
        self.placed_bound = bound.placed
        self.reporter.update(placed_bound=self.placed_bound, force=True)
        self._prove_with(bound)
        if self.whole_model and instance.has_previous and self.proven.placed:
            self._solve_whole(bound, self.remaining() * BUDGET.whole_model_rematch)
            self._improve_placement(self.remaining() * BUDGET.improve, bound)
        else:
            city = self.whole_model and not instance.has_previous
            if city and not self.proven.placed:
                self._relax(bound)
                if not self.proven.placed:
                    self._plan()
                    self._prove_with(bound)
            share = BUDGET.improve_before_whole_model if city else BUDGET.improve
            if not (city and self.proven.placed):
                self._improve_placement(self.remaining() * share, bound)
            self._prove_with(bound)
            if self.whole_model and not self.proven.placed and self.relaxed_bound is None:
                self._relax(bound)
            if self.whole_model and not (self.proven.placed and self.proven.moves):
                share = BUDGET.whole_model_rematch if instance.has_previous else BUDGET.whole_model
                # Placement first: the whole model gets most of the time, and what it finds
                # is the start of another round of neighbourhoods; balance gets the rest.
                self._solve_whole(bound, self.remaining() * share)
                self._prove_with(bound)
                if not self.proven.placed:
                    self._improve_placement(
                        self.remaining() * BUDGET.improve_after_whole_model, bound
                    )
        self._prove_with(bound)

    def _relax(self, bound: PlacementBound) -> None:
        """The flow bound is not reached: the bound that knows the group rules may prove
        what was found, or tells how far it may be from the best."""
        self.relaxed_bound = relaxed_bound(
            self.instance,
            time_limit=BUDGET.relaxed_bound_seconds(self.remaining()),
            workers=self.workers,
            stop=self.stop,
        )
        if self.relaxed_bound is not None:
            self.placed_bound = min(self.placed_bound or bound.placed, self.relaxed_bound)
            self.reporter.update(placed_bound=self.placed_bound, force=True)
        self._prove_with(bound)

    def _plan(self) -> None:
        """A second start, from the plan of which series each component goes to
        (:mod:`matching.construction.plan`), taken when it ranks higher than the greedy
        start improved so far."""
        planned = plan(
            self.instance,
            deadline=time.monotonic() + self.remaining() * BUDGET.plan,
            workers=self.workers,
            stop=self.stop,
            relaxation_share=BUDGET.plan_relaxation,
        )
        if planned is not None:
            self._accept(planned, "placement")

    def _solve_whole(self, bound: PlacementBound, time_limit: float) -> None:
        instance = self.instance
        placeable = [c for c, series in enumerate(instance.component_series) if series]
        part = neighbourhood(instance, self.best, range(len(instance.series)), placeable)
        staged = solve_neighbourhood(
            instance,
            part,
            time_limit=time_limit,
            workers=self.workers,
            stop=self.stop,
            on_solution=self._on_solution,
            on_stage=self.reporter.enter,
            first_share=BUDGET.whole_model_first_stage_rematch
            if instance.has_previous
            else BUDGET.whole_model_first_stage,
            placement_known=self.proven.placed,
        )
        if staged is None:
            return
        self._accept(part.merge(staged.grouping), "placement")
        self._undo_moves()
        self._make_room("placement")
        placement, moves = staged.placement, staged.moves
        if placement is not None and placement.bound is not None:
            available = _people_per_level(instance, placeable)
            model_bound = count_bound(placement.bound, staged.model.level_weights, available)
            self.placed_bound = min(self.placed_bound or bound.placed, model_bound)
        self.proven.placed |= placement is not None and placement.status == "optimal"
        self.proven.moves |= not instance.has_previous or (
            self.proven.placed and moves is not None and moves.status == "optimal"
        )

    def _prove_with(self, bound: PlacementBound) -> None:
        """Placement reaching the flow bound is optimal; with it, a rematch that changes
        nothing (no move, no language change) is optimal too."""
        instance = self.instance
        placed = self.best.placed()
        score = sum(bound.level_weights[instance.people[i].level] for i in placed)
        self.proven.placed |= score >= bound.weighted
        # As many placed as the relaxation allows, with everyone placeable of every priority
        # above the lowest placed: no grouping places more of any priority.
        if self.relaxed_bound is not None and len(placed) >= self.relaxed_bound:
            placeable = _people_per_level(
                instance, [c for c, series in enumerate(instance.component_series) if series]
            )
            counts = [0] * len(placeable)
            for i in placed:
                counts[instance.people[i].level] += 1
            self.proven.placed |= counts[1:] == placeable[1:]
        self.proven.moves |= self.proven.placed and self.best.changes(instance) == (0, 0, 0)

    # -- the lottery -------------------------------------------------------------------------

    def _fixed(self) -> set[int]:
        """People who stay where they are: in locked groups, or back in their previous
        group."""
        instance = self.instance
        return {
            i
            for d in self.best.groups
            for i in d.members
            if d.locked
            or (d.previous is not None and instance.previous_group_of.get(i) == d.previous)
        }

    def _draw_lots(self) -> None:
        """The lottery for the last places (:mod:`matching.improvement.lottery`): direct
        exchanges for every pool, the exact draw for a city round without a previous
        grouping."""
        instance = self.instance
        if not self.affords_step():
            return
        self.reporter.enter("lottery")
        deadline = time.monotonic() + self.remaining() * BUDGET.lottery_exchange
        exchanged = exchange_by_lot(instance, self.best, deadline=deadline, fixed=self._fixed())
        self._accept(exchanged, "lottery")
        if (
            self.whole_model
            and not instance.has_previous
            and self.affords_step()
            and self.remaining() > BUDGET.lottery_min_seconds
        ):
            drawn = draw_by_lot(
                instance,
                self.best,
                deadline=time.monotonic() + self.remaining() * BUDGET.lottery,
                workers=self.workers,
                stop=self.stop,
            )
            self._accept(drawn.grouping, "lottery")
            self.proven.lottery = drawn.complete and drawn.grouping.placed() == self.best.placed()
            self.by_lot = drawn.by_lot
            self.drawn = frozenset(self.best.placed())

    # -- balance -----------------------------------------------------------------------------

    def _optimise_balance(self) -> None:
        instance = self.instance
        self._make_room("placement")
        if not self.affords_step():
            return
        self.reporter.enter("balance")
        placed = self.best.placed()
        if not placed:
            self.proven.imbalance = True
            return
        if self.whole_model and len(placed) <= EXACT_BALANCE_PEOPLE and self.proven.moves:
            self._exact_balance()
        if self.proven.imbalance:
            return
        fixed = self._fixed()
        polished, deviation = polish(
            instance,
            self.best,
            deadline=self.deadline,
            fixed=fixed,
            should_stop=self.stop,
            deviation=self._deviation(self.best),
            keep_series=set(instance.previous_group_of),
        )
        self._remember(polished, deviation)
        self._accept(polished, "balance")
        # Moving people around can open a place for someone waiting.
        self._make_room("balance", rounds=1)
        self._bound_balance()

    def _bound_balance(self) -> None:
        """Time the search has left (it stops once it has settled) goes to the bound that
        knows about languages (:mod:`matching.bounds.pattern`), for the grouping as it is now,
        so organisers see how far any grouping of these people could get."""
        left = self.remaining()
        if left < BUDGET.min_bound_seconds:
            return
        instance, grouping = self.instance, self.best
        languages = working_languages(instance, grouping.groups)
        self.reporter.enter("bound")
        bound = pattern_bound(
            instance,
            [d.members for d in grouping.groups],
            time_limit=left,
            languages=languages,
            workers=self.workers,
            stop=self.stop,
        )
        if bound is not None:
            self.language_bound = (grouping, bound)

    def _exact_balance(self) -> None:
        """CP-SAT on the whole problem with the people placed fixed, and nothing a rematch
        changes made worse (see ``GroupingModel.fix_to``): small rounds get a proven
        balance."""
        instance = self.instance
        placeable = [c for c, series in enumerate(instance.component_series) if series]
        part = neighbourhood(instance, self.best, range(len(instance.series)), placeable)
        model = GroupingModel(instance, part.sub)
        mix = self.best.pool(instance)
        model.fix_to(self.best.groups, placed=True, stayers=True)
        result = run_stage(
            model,
            model.imbalance(mix),
            maximize=False,
            time_limit=self.remaining() * BUDGET.exact_balance,
            workers=self.workers,
            hint=self.best,
            stop=self.stop,
        )
        if result.grouping is not None:
            self._accept(result.grouping, "balance")
        if result.status == "optimal" and result.bound is not None and mix.total:
            self.proven.imbalance = True
            scale = imbalance_scale(mix)
            self.exact_imbalance_bound = float(Fraction(round(result.bound), scale * mix.total))

    # -- the result --------------------------------------------------------------------------

    def _finish(self, fallback: Grouping) -> Solution:
        # Making room after balance may seat someone more: the draw then no longer holds.
        self.proven.lottery &= self.best.placed() == self.drawn
        self.reporter.enter("reasons")
        with collection_paused():
            return self._checked(fallback)

    def _checked(self, fallback: Grouping) -> Solution:
        """The solution of the best grouping, or of the fallback when the independent check
        finds that the best breaks a rule."""
        solution = self._solution(self.best)
        broken = violations(self.problem, solution)
        if broken:
            logger.error(
                "solver result breaks hard rules, using the greedy grouping: %s", broken[:5]
            )
            self.proven = Proven()
            rules = sorted({v.rule for v in broken})
            numbers = ", ".join(str(rule) for rule in rules)
            self._fall_back(
                "rule_broken",
                f"the model's grouping broke rule{'s' if len(rules) > 1 else ''} {numbers} "
                f"({broken[0].message}); the first grouping is used",
                rules,
            )
            solution = self._solution(fallback)
            broken = violations(self.problem, solution)
            if broken:
                raise RuntimeError(f"no valid grouping: {broken[:5]}")
        if solution.fallback_cause is not None and solution.fallback is not None:
            announce(solution.fallback_cause, solution.fallback)
        self.reporter.enter("done")
        return solution

    def _solution(self, grouping: Grouping) -> Solution:
        instance = self.instance
        reasons = waitlist_reasons(
            instance, grouping, deadline=self.reasons_deadline, by_lot=self.by_lot
        )
        mix = grouping.pool(instance)
        profiles = grouping.profiles(instance)
        imbalance = mix.imbalance(profiles)
        if self.proven.imbalance and self.exact_imbalance_bound is not None:
            bound = self.exact_imbalance_bound
        else:
            bound = imbalance_bound(mix, [len(d.members) for d in grouping.groups])
            if self.language_bound is not None and self.language_bound[0] is grouping:
                bound = max(bound, self.language_bound[1])
        placed = len(grouping.placed())
        all_proven = self.proven.placed and self.proven.moves and self.proven.imbalance
        return Solution(
            status="optimal" if all_proven else "feasible",
            groups=grouping.to_groups(instance),
            # Built without validation (both are strings): validating 50,000 entries one by
            # one takes a second.
            waitlist=[
                WaitlistEntry.model_construct(id=instance.people[i].id, reason=reasons[i])
                for i in sorted(reasons)
            ],
            objective=Objective(
                placed=placed,
                moves=grouping.moves(instance),
                imbalance=imbalance,
                series_changes=grouping.series_changes(instance),
                language_changes=grouping.language_changes(instance),
            ),
            bound=Bound(imbalance=min(bound, imbalance), placed=self.placed_bound),
            solve_seconds=round(time.monotonic() - self.start, 3),
            proven=self.proven,
            fallback=self.fallback,
            fallback_cause=self.fallback_cause,
            lottery_seed=instance.lottery_seed,
            rematch=rematch_changes(
                instance, grouping, proven=self.proven.placed and self.proven.moves
            )
            if instance.has_previous
            else None,
        )

    def _infeasible(self, explanation: list[str]) -> Solution:
        instance = self.instance
        reason = "no grouping can keep the locked groups: " + explanation[0]
        self.reporter.enter("done")
        return Solution(
            status="infeasible",
            groups=[],
            waitlist=[WaitlistEntry(id=p.id, reason=reason) for p in instance.people],
            objective=Objective(placed=0, moves=len(instance.previous_group_of), imbalance=0.0),
            bound=Bound(imbalance=0.0, placed=0),
            solve_seconds=round(time.monotonic() - self.start, 3),
            explanation=explanation,
            lottery_seed=instance.lottery_seed,
        )


def _locked_broken(instance: Instance, grouping: Grouping) -> bool:
    """Whether a locked previous group is missing from the grouping or breaks a rule."""
    present = {d.previous: d for d in grouping.groups if d.locked}
    for previous in instance.previous:
        if not previous.locked:
            continue
        draft = present.get(previous.index)
        if draft is None:
            return True
        if breaks_any(instance, draft.series, draft.language, draft.moderators, draft.members):
            return True
    return False


def _people_per_level(instance: Instance, components: list[int]) -> list[int]:
    counts = [0] * len(instance.level_counts)
    for c in components:
        for i in instance.components[c].members:
            counts[instance.people[i].level] += 1
    return counts
