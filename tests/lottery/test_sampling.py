"""The draw's arithmetic: age bands, largest remainder, the seeded order, households."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from vekl.lottery import sampling
from vekl.lottery.schemas import Candidate, Dimension


def test_age_bands_and_strata() -> None:
    bands = (18, 30, 45, 60, 75)
    assert sampling.age_band(17, bands) is None
    assert sampling.age_band(18, bands) == "18-29"
    assert sampling.age_band(29, bands) == "18-29"
    assert sampling.age_band(30, bands) == "30-44"
    assert sampling.age_band(90, bands) == "75+"
    day = date(2026, 3, 5)
    assert sampling.age_on(date(1996, 3, 5), day) == 30
    assert sampling.age_on(date(1996, 3, 6), day) == 29
    key = sampling.stratum_of(
        date(1996, 3, 5),
        "w",
        "Paradies",
        dimensions=[Dimension.AGE, Dimension.GENDER, Dimension.DISTRICT],
        bands=bands,
        reference=day,
    )
    assert key == "30-44|w|Paradies"
    assert (
        sampling.stratum_of(date(1996, 3, 5), "w", None, dimensions=[], bands=bands, reference=day)
        == "all"
    )


@pytest.mark.parametrize("seed", range(20))
def test_largest_remainder_keeps_the_total_and_stays_within_one(seed: int) -> None:
    rng = random.Random(seed)
    population = {f"s{i}": rng.randrange(1, 5000) for i in range(rng.randrange(1, 40))}
    rates = {key: rng.choice([0.02, 0.05, 0.1, 0.3]) for key in population}
    places = rng.randrange(1, 300)
    rows = sampling.allocate(population, population, places, rates)
    people = sum(population.values())
    ideal = {key: places * count / people / rates[key] for key, count in population.items()}
    assert sum(r.letters for r in rows) == round(sum(ideal.values()) + 1e-9)
    assert all(abs(r.letters - ideal[r.stratum]) < 1 for r in rows)


def _candidates(count: int, households: int, strata: int) -> list[Candidate]:
    return [Candidate(i, f"{i:064x}", f"h{i % households}", f"s{i % strata}") for i in range(count)]


def test_the_draw_is_one_order_whatever_the_input_order() -> None:
    people = _candidates(2000, 900, 4)
    wanted = {"s0": 30, "s1": 20, "s2": 5, "s3": 1}
    first = sampling.select(people, wanted, "seed")
    again = sampling.select(list(reversed(people)), wanted, "seed")
    assert [c.person_key for c in first] == [c.person_key for c in again]
    assert Counter(c.stratum for c in first) == wanted
    assert len({c.household_key for c in first}) == len(first)
    other = sampling.select(people, wanted, "seed ")
    assert {c.person_key for c in other} != {c.person_key for c in first}


def test_within_a_stratum_the_first_in_the_seeded_order_are_drawn() -> None:
    people = _candidates(500, 500, 1)
    drawn = sampling.select(people, {"s0": 10}, "42")
    order = sorted(people, key=lambda c: sampling.score("42", c.person_key))
    assert [c.person_key for c in drawn] == [c.person_key for c in order[:10]]


def test_households_drawn_before_get_no_second_letter() -> None:
    people = _candidates(100, 50, 1)
    taken = {f"h{i}" for i in range(40)}
    drawn = sampling.select(people, {"s0": 10}, "x", households_taken=taken)
    assert len(drawn) == 10 and not {c.household_key for c in drawn} & taken


def test_a_tight_stratum_goes_first() -> None:
    # Stratum b has two people, each sharing a household with someone of stratum a; a's
    # letters would take those households first if a went first.
    people = [Candidate(i, f"{i:064x}", f"h{i % 6}", "a") for i in range(6)]
    people += [Candidate(10, f"{10:064x}", "h0", "b"), Candidate(11, f"{11:064x}", "h1", "b")]
    for seed in map(str, range(30)):
        drawn = sampling.select(people, {"a": 4, "b": 2}, seed)
        assert Counter(c.stratum for c in drawn) == {"a": 4, "b": 2}


def test_the_score_is_hmac_sha256_of_the_key_under_the_seed() -> None:
    import hashlib
    import hmac

    key = "ab" * 32
    assert (
        sampling.score("Würfel 3 6", key)
        == hmac.new("Würfel 3 6".encode(), key.encode(), hashlib.sha256).hexdigest()
    )
