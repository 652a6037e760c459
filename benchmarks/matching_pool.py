"""Seeded generator of realistic matching problems: a Konstanz-like mix of citizens and
newcomers, languages, origins, districts, venues and evenings.

    .venv/bin/python -m benchmarks.matching_pool 300 --seed 1 > problem.json

``tightness`` is the number of participants per place at full group size: above 1 some
people must wait, below 1 there is slack. ``working_languages`` scales the chance that a
newcomer speaks German or English: below 1 more newcomers speak neither, and their groups
need language bridges. The tight, bridge-heavy pool of the benchmark (room for about 90 %
at full group size, half of the newcomers speaking neither German nor English) is
``--tight``:

    .venv/bin/python -m benchmarks.matching_pool 300 --seed 1 --tight > tight.json

The shares below are plausible, not official statistics; what matters for the solver is
the shape (many small categories, language bridges, a few companions and hard cases).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from typing import Any

from matching.models import Previous, PreviousGroup, Problem, Solution

DISTRICTS = {
    "Altstadt": 9,
    "Paradies": 10,
    "Petershausen-West": 12,
    "Petershausen-Ost": 9,
    "Königsbau": 6,
    "Allmannsdorf": 6,
    "Staad": 3,
    "Egg": 3,
    "Litzelstetten": 4,
    "Dingelsdorf": 3,
    "Dettingen-Wallhausen": 5,
    "Wollmatingen": 14,
    "Fürstenberg": 8,
}
VENUES = ["rathaus", "bibliothek", "treffpunkt", "kulturzentrum", "gemeindehaus", "uni"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat"]
AGE_BANDS = {"18-29": 24, "30-44": 30, "45-59": 24, "60-74": 16, "75+": 6}
GENDERS = {"f": 48, "m": 48, "d": 2}

# origin: (weight, native languages, chance of German, chance of English)
NEWCOMER_ORIGINS: dict[str, tuple[int, tuple[str, ...], float, float]] = {
    "SY": (20, ("ar",), 0.45, 0.3),
    "UA": (20, ("uk", "ru"), 0.35, 0.45),
    "AF": (12, ("fa",), 0.35, 0.25),
    "TR": (8, ("tr",), 0.6, 0.3),
    "IR": (7, ("fa",), 0.35, 0.55),
    "IQ": (5, ("ar",), 0.4, 0.3),
    "ER": (3, ("ti",), 0.35, 0.3),
    "IT": (5, ("it",), 0.55, 0.45),
    "RO": (5, ("ro",), 0.5, 0.5),
    "IN": (5, ("hi",), 0.2, 0.95),
    "NG": (3, ("en",), 0.25, 1.0),
    "RU": (4, ("ru",), 0.4, 0.4),
    "ES": (3, ("es",), 0.4, 0.6),
}
# Citizens: most without a migration history (origin null), some naturalised.
CITIZEN_ORIGINS = {None: 80, "TR": 5, "IT": 4, "RO": 3, "PL": 3, "RU": 2, "HR": 2, "GR": 1}
CITIZEN_EXTRA_LANGUAGES = {"en": 0.65, "fr": 0.15, "es": 0.08, "it": 0.06}
NATIVE_BY_ORIGIN = {
    "TR": "tr",
    "IT": "it",
    "RO": "ro",
    "PL": "pl",
    "RU": "ru",
    "HR": "hr",
    "GR": "el",
}
MODERATOR_EXTRA_LANGUAGES = {"en": 0.85, "fr": 0.2, "ar": 0.08, "uk": 0.06, "tr": 0.06, "fa": 0.05}


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# The tight, bridge-heavy pool: room for about 90 % at full group size, and newcomers
# speaking German or English three quarters as often as in the default pool (half of them
# speak neither).
TIGHT = {"tightness": 1 / 0.9, "working_languages": 0.75}


def generate(
    n: int, *, seed: int = 0, tightness: float = 1.05, working_languages: float = 1.0
) -> Problem:
    rng = random.Random(seed)
    max_size = 10
    groups_needed = max(1, math.ceil(n / (tightness * max_size)))
    series: list[dict[str, Any]] = []
    capacity = 0
    while capacity < groups_needed:
        k = len(series)
        day = DAYS[k % len(DAYS)]
        venue = VENUES[(k // len(DAYS)) % len(VENUES)]
        round_ = k // (len(DAYS) * len(VENUES))
        max_groups = rng.randint(3, 8)
        series.append(
            {
                "id": f"{day}-{venue}" + (f"-{round_ + 1}" if round_ else ""),
                "max_groups": max_groups,
                "step_free": rng.random() < 0.7,
            }
        )
        capacity += max_groups
    series_ids = [s["id"] for s in series]

    moderators: list[dict[str, Any]] = []
    for s in series:
        # Enough moderators for each series, some of them also free on a second evening.
        for _ in range(s["max_groups"]):
            languages = ["de"] + [
                lang for lang, p in MODERATOR_EXTRA_LANGUAGES.items() if rng.random() < p
            ]
            extra = rng.sample(series_ids, k=min(len(series_ids), rng.choice([0, 0, 1])))
            moderators.append(
                {
                    "id": f"m{len(moderators) + 1}",
                    "languages": languages,
                    "series": list(dict.fromkeys([s["id"], *extra])),
                }
            )

    participants = [_participant(rng, k, series_ids, max_size, working_languages) for k in range(n)]
    _add_companions(rng, participants)
    return Problem.model_validate(
        {
            "rules": {
                "min_size": 6,
                "max_size": max_size,
                "newcomer_share": [0.4, 0.6],
                "max_same_origin": 2,
                "moderators_per_group": 1,
                "working_languages": ["de", "en"],
            },
            "series": series,
            "moderators": moderators,
            "participants": participants,
        }
    )


def _participant(
    rng: random.Random, k: int, series_ids: list[str], max_size: int, working: float = 1.0
) -> dict[str, Any]:
    newcomer = rng.random() < 0.5
    if newcomer:
        origin = _pick(rng, {o: w for o, (w, *_rest) in NEWCOMER_ORIGINS.items()})
        _, natives, german, english = NEWCOMER_ORIGINS[origin]
        languages = list(natives)
        if rng.random() < german * working:
            languages.append("de")
        if rng.random() < english * working and "en" not in languages:
            languages.append("en")
    else:
        origin = _pick(rng, CITIZEN_ORIGINS)
        extra = [lang for lang, p in CITIZEN_EXTRA_LANGUAGES.items() if rng.random() < p]
        languages = ["de", *extra]
        if origin is not None and rng.random() < 0.7:
            languages.append(NATIVE_BY_ORIGIN[origin])
    # Availability: one to three evenings, mostly near each other in the list.
    first = rng.randrange(len(series_ids))
    count = rng.choice([1, 2, 2, 3, 3])
    nearby = [series_ids[(first + d) % len(series_ids)] for d in range(6)]
    chosen = rng.sample(nearby, k=min(count, len(nearby)))
    return {
        "id": f"p{k + 1}",
        "role": "newcomer" if newcomer else "citizen",
        "languages": list(dict.fromkeys(languages)),
        "series": list(dict.fromkeys(chosen)),
        "gender": _pick(rng, GENDERS) if rng.random() > 0.02 else None,
        "age_band": _pick(rng, AGE_BANDS) if rng.random() > 0.03 else None,
        "district": _pick(rng, DISTRICTS) if rng.random() > 0.02 else None,
        "origin": origin,
        "needs": ["step_free"] if rng.random() < 0.05 else [],
        "together": [],
        "apart": [],
        "priority": 1 if rng.random() < 0.05 else 0,
    }


def _add_companions(rng: random.Random, participants: list[dict[str, Any]]) -> None:
    """A few pairs who come together (sharing their evenings), and a few to keep apart."""
    n = len(participants)
    if n < 4:
        return
    linked: set[int] = set()
    for _ in range(n // 40):
        a, b = rng.sample(range(n), 2)
        if a in linked or b in linked:
            continue
        linked |= {a, b}
        pa, pb = participants[a], participants[b]
        pb["series"] = list(pa["series"])
        pb["needs"] = list(pa["needs"])
        if "de" not in pb["languages"] and "de" in pa["languages"]:
            pb["languages"].append("de")
        pa["together"].append(pb["id"])
    for _ in range(n // 100):
        a, b = rng.sample(range(n), 2)
        if a in linked or b in linked:
            continue
        linked |= {a, b}
        participants[a]["apart"].append(participants[b]["id"])


def with_dropouts(problem: Problem, solution: Solution, *, fraction: float, seed: int) -> Problem:
    """The problem a rematch sees: the solution published as ``previous`` and a share of the
    placed participants gone."""
    rng = random.Random(seed)
    placed = [i for g in solution.groups for i in g.members]
    gone = set(rng.sample(placed, k=round(fraction * len(placed))))
    participants = [
        p.model_copy(
            update={
                "together": [o for o in p.together if o not in gone],
                "apart": [o for o in p.apart if o not in gone],
            }
        )
        for p in problem.participants
        if p.id not in gone
    ]
    previous = Previous(
        groups=[PreviousGroup(**g.model_dump(), locked=False) for g in solution.groups]
    )
    return problem.model_copy(update={"participants": participants, "previous": previous})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tightness", type=float, default=1.05)
    parser.add_argument("--working-languages", type=float, default=1.0)
    parser.add_argument(
        "--tight", action="store_true", help="the tight, bridge-heavy pool (overrides both)"
    )
    args = parser.parse_args(argv)
    if args.tight:
        problem = generate(args.n, seed=args.seed, **TIGHT)
    else:
        problem = generate(
            args.n,
            seed=args.seed,
            tightness=args.tightness,
            working_languages=args.working_languages,
        )
    sys.stdout.write(problem.model_dump_json(indent=1, exclude_none=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
