"""The solver's view of a problem that every solving step shares: the :class:`Pool` (ids as
indices, together-components, who may attend which series) and what screening found in it
(who can never be placed, and why; the series each component might be placed in).
"""

from __future__ import annotations

from matching.explanations.screening import screen
from matching.models import Problem
from matching.pool import (
    Component,
    ModeratorInfo,
    Person,
    Pool,
    PreviousInfo,
    SeriesInfo,
)

__all__ = ["Component", "Instance", "ModeratorInfo", "Person", "Pool", "PreviousInfo", "SeriesInfo"]


class Instance(Pool):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        screening = screen(self)
        # Why each participant who can never be placed is not, and per component the series
        # it might be placed in (empty for blocked components).
        self.blocked = screening.blocked
        self.component_series = screening.series
