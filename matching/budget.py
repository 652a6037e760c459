"""The solver's time budget, in one table.

Every phase of :func:`matching.solve` reads the same deadline; how much of the time left each
step may take, and how much is kept back for the end, is decided here and nowhere else.
Shares are of the time left when the step starts (``remaining``), unless said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    # -- the reserve kept back for the end (waitlist reasons, the solution, the final check) --
    # A share of the limit ...
    reserve_share: float = 0.1
    # ... or seconds per participant (2 s for 50,000 people: the reasons get 0.8 s, the
    # solution and the check take 0.5 s on a free core of the benchmark machine, about twice
    # that when it is busy) ...
    reserve_per_person: float = 4e-5
    # ... or this many times what building the instance took: the build and the end each walk
    # every participant a few times, and take about as long (0.75 s and 0.55 s for 50,000
    # people on a free core), so the end keeps close to the limit when the machine is busy.
    # More would give up too much: a build slowed by a burst of load would leave the greedy
    # start no time at all ...
    reserve_per_build: float = 1.0
    # ... whichever is most, but never more than the pool needs: this many seconds plus ...
    reserve_cap_base: float = 0.05
    # ... this many per participant.
    reserve_cap_per_person: float = 2e-4
    # Of the reserve, the waitlist reasons may use up to this share; the solution and the
    # final check keep the rest.
    reasons_share_of_reserve: float = 0.4

    # -- the greedy start ------------------------------------------------------------------
    # It takes about this many times as long as building the instance (2 s and 0.75 s for
    # 50,000 people on a free core). With less time left it deals without the capacity flow
    # that chooses each component's series, a third of its time.
    greedy_per_build: float = 3.0
    # Steps whose cost grows with the pool start only with this much time left, as a share of
    # what the greedy start took (which measures both the pool and how busy the machine is):
    # a round of making room or the placement bound costs about a third of it before it can
    # stop, so started with less time left they would overrun the deadline on large pools.
    step_share: float = 0.4

    # -- steps and their shares of the time left -------------------------------------------
    # Deciding whether the locked groups can be kept (at least ``locked_min_seconds``).
    locked: float = 0.3
    locked_min_seconds: float = 1.0
    # The series-by-series rematch repair: less when the whole model follows it.
    rematch: float = 0.4
    rematch_before_whole_model: float = 0.5
    # One round of making room, and putting moved people back in their previous group.
    make_room: float = 0.1
    undo_moves: float = 0.1
    # In a city round whose placement is not proven: the start from the plan of which
    # series each component goes to (about a second for 300 people on a free core, most of
    # it solving the series), and of that the integer relaxation's share (0.2 to 0.3 s).
    plan: float = 0.3
    plan_relaxation: float = 0.3
    # The neighbourhood search for placement (and moves).
    improve: float = 0.5
    # In a city round without a previous grouping it comes before the whole model and gets
    # most of the time: its steps demand a better placement, so they end as soon as they
    # find one or prove there is none, where the whole model rarely improves on what it
    # is given (on the tight benchmark pool, 3.3 s of it only found its way back to the
    # value of its hint, which CP-SAT's presolve had declared infeasible).
    improve_before_whole_model: float = 0.85
    # The whole model of a city round: in a rematch whose placement is proven it comes
    # first, otherwise after the neighbourhoods.
    whole_model_rematch: float = 0.9
    # Placement first: without a previous grouping the whole model gets most of the time
    # the neighbourhoods leave when placement is not proven yet, then neighbourhoods start
    # again from its grouping.
    whole_model: float = 0.75
    improve_after_whole_model: float = 0.5
    # The relaxation that bounds placement in city rounds when the flow bound is not reached
    # (a few tenths of a second for 300 people on a free core): this share of the time
    # left, but at least half a second (or half of what is left), so that a busy machine
    # still gets the bound.
    relaxed_bound: float = 0.1
    relaxed_bound_min_seconds: float = 0.5
    # Within the whole model, the placement stage's share when another follows (in a rematch,
    # the stage of what it changes; none follows otherwise).
    whole_model_first_stage_rematch: float = 0.5
    whole_model_first_stage: float = 0.5
    # The lottery for the last places: direct exchanges, then (city rounds) the exact draw.
    lottery_exchange: float = 0.05
    lottery: float = 0.3
    # Less time than this left is not worth building the model for the exact draw.
    lottery_min_seconds: float = 0.3
    # Exact balance for small rounds.
    exact_balance: float = 0.5
    # Less time than this left at the end is not worth starting the language-aware bound.
    min_bound_seconds: float = 0.5

    def relaxed_bound_seconds(self, remaining: float) -> float:
        """Seconds for the placement relaxation with ``remaining`` seconds left."""
        return max(
            self.relaxed_bound * remaining, min(self.relaxed_bound_min_seconds, remaining / 2)
        )

    def reserve(self, time_limit: float, people: int, built: float) -> float:
        """Seconds kept back at the end of a solve of ``people`` whose build took ``built``."""
        wanted = max(
            self.reserve_share * time_limit,
            people * self.reserve_per_person,
            self.reserve_per_build * built,
        )
        return min(wanted, self.reserve_cap_base + people * self.reserve_cap_per_person)


BUDGET = Budget()
