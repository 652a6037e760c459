"""The monitoring report's suppression on synthetic rounds of several sizes.

Registrations get a role, source, status, gender, age band, district, origin and languages
drawn from a seeded generator with skewed shares (many small categories, as in a city), are
seated in groups of eight, and the round's report is suppressed and audited as the service
does; then several such rounds across rounds, from nothing (each round's suppression
included) and once more (answered from the cache). Prints seconds and the cells withheld.

    .venv/bin/python -m benchmarks.monitoring_report        # --sizes 60 300 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from vekl.monitoring import queries, sections, service
from vekl.monitoring.schemas import Aggregates
from vekl.monitoring.suppression import Status, clear_cache, suppress
from vekl.reference import AGE_BANDS, DISTRICTS

ORIGINS = ["SY", "UA", "AF", "TR", "IR", "ER", "IT", "IN", "US", "RO", "PL", "IQ", "NG", "CN"]
LANGUAGES = ["de", "en", "ar", "uk", "fa", "tr", "ru", "fr", "es", "it", "ti", "hi"]


def synthetic(size: int, seed: int) -> Aggregates:
    rng = random.Random(seed)
    people = []
    for i in range(size):
        role = "citizen" if i % 2 else "newcomer"
        status = rng.choices(["placed", "waitlisted", "withdrawn", "confirmed"], [80, 12, 6, 2])[0]
        people.append(
            queries.Registration(
                id=i,
                role=role,
                source=rng.choices(["web", "letter", "import"], [60, 30, 10])[0],
                status=status,
                gender=rng.choices(["f", "m", "d", None], [48, 47, 1, 4])[0],
                age_band=rng.choice([*AGE_BANDS, None]),
                district=rng.choices([*DISTRICTS, None], [*range(len(DISTRICTS), 0, -1), 1])[0],
                origin=None if role == "citizen" else rng.choices(ORIGINS, range(14, 0, -1))[0],
                languages=tuple(sorted({"de", *rng.sample(LANGUAGES, 2)})),
                withdrawn_by_self=rng.random() < 0.5,
                waitlist_reason=rng.choice(["by lot: full", "no room for groups", None]),
            )
        )
    placed = [(p.id, p.role) for p in people if p.status == "placed"]
    groups = [placed[k : k + 8] for k in range(0, len(placed), 8)]
    found = [
        sections.registrations_section(people),
        sections.outcome_section(people),
        sections.composition_section(people),
    ]
    encounters = sections.encounters_section(groups)
    if encounters is not None:
        found.append(encounters)
    return Aggregates(
        round=f"r{seed}",
        round_name=f"Round {seed}",
        computed_at=datetime.now(UTC),
        sections=found,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 300, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"| registrations | cells | <5 | x | one round (s) | {args.rounds} rounds across (s)"
        " | again, cached (s) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        rounds = [synthetic(size, seed) for seed in range(args.rounds)]
        clear_cache()
        started = time.perf_counter()
        system = service.system_of(rounds[0].sections, "r|")
        status = suppress(system)
        one = time.perf_counter() - started
        clear_cache()
        started = time.perf_counter()
        service.across(rounds)
        many = time.perf_counter() - started
        started = time.perf_counter()
        service.across(rounds)
        again = time.perf_counter() - started
        primary = sum(s is Status.PRIMARY for s in status.values())
        secondary = sum(s is Status.SECONDARY for s in status.values())
        print(
            f"| {size} | {len(status)} | {primary} | {secondary} | {one:.1f} | {many:.1f}"
            f" | {again:.2f} |"
        )


if __name__ == "__main__":
    main()
