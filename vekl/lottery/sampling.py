"""The draw's arithmetic, free of the database: strata, allocation, the seeded order.

An observer re-runs a draw with these functions alone (``docs/adr/0017-reproducible-lottery.md``):

1. every person's stratum from the plan (:func:`stratum_of`);
2. letters per stratum (:func:`allocate`);
3. the order of the draw: HMAC-SHA256 keyed with the seed over each person's key
   (:func:`score`), smallest first;
4. stratum by stratum, tightest first (most letters per person who can be drawn), the
   first people in that order whose household has no letter yet (:func:`select`).

Within a stratum this is a simple random sample without replacement (the order is a
random permutation for anyone who does not know the seed in advance), and the result
depends only on the people's keys, not on the file's row order.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from vekl.lottery.schemas import (
    STRATUM_SEPARATOR,
    WHOLE_EXTRACT,
    Candidate,
    Dimension,
    StratumPlan,
)

ALGORITHM = (
    "vekl-lottery/1: strata tightest first, each by HMAC-SHA256(seed, person_key) ascending, "
    "one letter per household"
)


def normal_seed(seed: str) -> str:
    """The seed as typed, without the spaces around it."""
    return seed.strip()


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(age: int, bands: Sequence[int]) -> str | None:
    """``30-44`` for 31 with bands 18,30,45,...; ``75+`` for the last; ``None`` if too young."""
    if age < bands[0]:
        return None
    for low, high in itertools.pairwise(bands):
        if low <= age < high:
            return f"{low}-{high - 1}"
    return f"{bands[-1]}+"


def stratum_of(
    born: date,
    gender: str,
    district: str | None,
    *,
    dimensions: Sequence[Dimension],
    bands: Sequence[int],
    reference: date,
) -> str | None:
    """The stratum key (``30-44|w|Altstadt``), or ``None`` for someone below the first band."""
    parts: list[str] = []
    for dimension in dimensions:
        if dimension is Dimension.AGE:
            band = age_band(age_on(born, reference), bands)
            if band is None:
                return None
            parts.append(band)
        elif dimension is Dimension.GENDER:
            parts.append(gender)
        else:
            parts.append(district or "")
    return STRATUM_SEPARATOR.join(parts) if parts else WHOLE_EXTRACT


def largest_remainder(ideal: Mapping[str, float], total: int) -> dict[str, int]:
    """Whole numbers within 1 of ``ideal`` that add up to ``total`` exactly.

    Each gets the whole part of its ideal; the rest go one each to the largest fractional
    parts (ties by key, so the result is the same everywhere).
    """
    whole = {key: math.floor(value) for key, value in ideal.items()}
    left = total - sum(whole.values())
    by_remainder = sorted(ideal, key=lambda key: (-(ideal[key] - whole[key]), key))
    for key in by_remainder[: max(left, 0)]:
        whole[key] += 1
    return whole


def allocate(
    population: Mapping[str, int],
    eligible: Mapping[str, int],
    places: int,
    rates: Mapping[str, float],
) -> list[StratumPlan]:
    """Letters per stratum: places in proportion to the population, divided by the rate.

    The total is the sum of the unrounded letters, rounded half up; each stratum's letters
    are within one of its unrounded number (largest remainder).
    """
    people = sum(population.values())
    share = {key: places * count / people for key, count in population.items()}
    ideal = {key: share[key] / rates[key] for key in population}
    total = math.floor(sum(ideal.values()) + 0.5)
    letters = largest_remainder(ideal, total)
    return [
        StratumPlan(
            stratum=key,
            population=population[key],
            eligible=eligible.get(key, 0),
            rate=rates[key],
            places=share[key],
            letters=letters[key],
        )
        for key in sorted(population)
    ]


def score(seed: str, person_key: str) -> str:
    """A person's place in the draw: HMAC-SHA256 keyed with the seed (UTF-8) over the key."""
    return hmac.new(seed.encode("utf-8"), person_key.encode("ascii"), hashlib.sha256).hexdigest()


def select(
    candidates: Iterable[Candidate],
    wanted: Mapping[str, int],
    seed: str,
    *,
    households_taken: Iterable[str] = (),
) -> list[Candidate]:
    """Who gets a letter, stratum by stratum, each in the order of the draw.

    The strata take turns in order of how tight they are: letters per candidate, largest
    first (then by key), so a small stratum is not left short by households that larger
    ones took. Each takes its candidates by :func:`score` (then key), skipping anyone
    whose household has a letter already, in this draw or an earlier one
    (``households_taken``), until it has its letters or runs out.
    """
    needed = {key: count for key, count in wanted.items() if count > 0}
    members: dict[str, list[Candidate]] = {key: [] for key in needed}
    for candidate in candidates:
        if candidate.stratum in members:
            members[candidate.stratum].append(candidate)
    turns = sorted(needed, key=lambda key: (-needed[key] / max(len(members[key]), 1), key))
    taken = set(households_taken)
    drawn: list[Candidate] = []
    secret = seed.encode("utf-8")

    def place(candidate: Candidate) -> tuple[bytes, str]:
        # The digest's bytes sort as its hex text (:func:`score`) does.
        return hmac.digest(secret, candidate.person_key.encode("ascii"), "sha256"), (
            candidate.person_key
        )

    for key in turns:
        ordered = sorted(members[key], key=place)
        left = needed[key]
        for candidate in ordered:
            if left == 0:
                break
            if candidate.household_key in taken:
                continue
            drawn.append(candidate)
            taken.add(candidate.household_key)
            left -= 1
    return drawn


def selection_digest(person_keys: Iterable[str]) -> str:
    """SHA-256 of the drawn people's keys in the order drawn, one per line."""
    return hashlib.sha256("".join(f"{key}\n" for key in person_keys).encode("ascii")).hexdigest()


def keys_digest(person_keys: Iterable[str]) -> str:
    """SHA-256 of a set of keys, sorted, one per line (the excluded, the drawn before)."""
    return selection_digest(sorted(person_keys))
