"""A synthetic register extract of Konstanz: invented people at real street names.

Nobody in it exists. Given names and family names are common ones drawn at random and
combined at random, birth dates are drawn from a plausible age pyramid of adults, and the
addresses are Konstanz streets in the district they lie in, with invented house numbers.
People are made household by household (one to four adults at an address, mostly sharing
a family name), so the one-letter-per-household rule has something to do.

    .venv/bin/python examples/register_extract.py --rows 3000 \\
        --out examples/konstanz-mai/register-extract.csv
    .venv/bin/python examples/register_extract.py --rows 90000 --encoding cp1252 --out big.csv

The same ``--seed`` gives the same file.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

HEADER = [
    "Familienname",
    "Vornamen",
    "Geburtsdatum",
    "Geschlecht",
    "Straße",
    "Hausnummer",
    "Hausnummerzusatz",
    "PLZ",
    "Ort",
    "Stadtteil",
]

# District: (postcode, streets), roughly by size of the district's population.
DISTRICTS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "Altstadt": (
        "78462",
        (
            "Hussenstraße",
            "Rosgartenstraße",
            "Wessenbergstraße",
            "Münzgasse",
            "Zollernstraße",
            "Obermarkt",
            "Salmannsweilergasse",
            "Konzilstraße",
            "Bodanstraße",
            "Kanzleistraße",
            "Sigismundstraße",
            "Inselgasse",
        ),
        11,
    ),
    "Paradies": (
        "78462",
        (
            "Gottlieber Straße",
            "Schwedenschanze",
            "Kreuzlinger Straße",
            "Gartenstraße",
            "Schützenstraße",
            "Brauneggerstraße",
        ),
        7,
    ),
    "Petershausen-West": (
        "78467",
        (
            "Spanierstraße",
            "Theodor-Heuss-Straße",
            "Zähringerplatz",
            "Schottenstraße",
            "Hebelstraße",
            "Wollmatinger Straße",
        ),
        10,
    ),
    "Petershausen-Ost": (
        "78464",
        (
            "Jahnstraße",
            "Sonnenbühlstraße",
            "Riedstraße",
            "Lohnerhofstraße",
            "Allmannsdorfer Straße",
        ),
        8,
    ),
    "Königsbau": ("78464", ("Mainaustraße", "Seestraße", "Eichhornstraße"), 6),
    "Fürstenberg": ("78467", ("Fürstenbergstraße", "Schwaketenstraße", "Max-Stromeyer-Straße"), 9),
    "Wollmatingen": (
        "78467",
        (
            "Radolfzeller Straße",
            "Kindlebildstraße",
            "Hegaustraße",
            "Schwaketenstraße",
            "Dettinger Straße",
        ),
        12,
    ),
    "Industriegebiet": ("78467", ("Reichenaustraße", "Byk-Gulden-Straße"), 3),
    "Allmannsdorf": ("78464", ("Alpsteinweg", "Mainaustraße", "Jakobstraße"), 6),
    "Staad": ("78464", ("Hoheneggstraße", "Fischerstraße"), 3),
    "Egg": ("78464", ("Eggerhalde", "Mainaustraße"), 2),
    "Litzelstetten": ("78465", ("Martin-Schleyer-Straße", "Großherzog-Friedrich-Straße"), 4),
    "Dingelsdorf": ("78465", ("Hauptstraße", "Kirchweg"), 2),
    "Dettingen-Wallhausen": ("78465", ("Konradistraße", "Wallhauser Straße"), 4),
}

FEMALE = (
    "Anna",
    "Maria",
    "Sophie",
    "Laura",
    "Julia",
    "Katharina",
    "Lena",
    "Sarah",
    "Lea",
    "Hannah",
    "Christina",
    "Sabine",
    "Petra",
    "Ursula",
    "Monika",
    "Elif",
    "Ayşe",
    "Zeynep",
    "Olena",
    "Iryna",
    "Fatima",
    "Amira",
    "Giulia",
    "Ana",
    "Marta",
    "Jana",
    "Renate",
    "Gisela",
    "Ingrid",
    "Karin",
    "Claudia",
    "Nicole",
    "Stefanie",
    "Franziska",
    "Mia",
    "Emilia",
    "Clara",
    "Luise",
)
MALE = (
    "Lukas",
    "Jonas",
    "Felix",
    "Maximilian",
    "Paul",
    "Leon",
    "David",
    "Tobias",
    "Michael",
    "Thomas",
    "Andreas",
    "Stefan",
    "Peter",
    "Klaus",
    "Jürgen",
    "Wolfgang",
    "Mehmet",
    "Emre",
    "Ahmet",
    "Oleksandr",
    "Andrij",
    "Omar",
    "Yusuf",
    "Marco",
    "Luca",
    "Pedro",
    "Jan",
    "Tomasz",
    "Günter",
    "Dieter",
    "Hans",
    "Markus",
    "Matthias",
    "Florian",
    "Elias",
    "Noah",
    "Ben",
)
NEUTRAL = ("Kim", "Alex", "Robin", "Sascha", "Luca", "Charlie", "Sam")
FAMILY = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Bauer",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Hofmann",
    "Hartmann",
    "Krüger",
    "Lange",
    "Werner",
    "Keller",
    "Huber",
    "Maier",
    "Straub",
    "Fritz",
    "Bosch",
    "Haller",
    "Gäng",
    "Stadler",
    "Ritter",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Kovalenko",
    "Bondarenko",
    "Shevchenko",
    "Rossi",
    "Russo",
    "Ferreira",
    "Silva",
    "Nowak",
    "Kowalski",
    "Haddad",
    "Nasser",
    "Popescu",
)


CP1252_FALLBACK = str.maketrans({"Ş": "S", "ş": "s", "ı": "i", "İ": "I", "ğ": "g", "Ğ": "G"})


def _birth_date(rng: random.Random, today: date) -> date:
    # Ages 18 to 95, fewer of the oldest.
    age = min(95, 18 + int(rng.betavariate(1.6, 2.4) * 80))
    born = today.replace(year=today.year - age - 1) + timedelta(days=rng.randrange(1, 365))
    return born


def _given(rng: random.Random, gender: str) -> str:
    pool = {"w": FEMALE, "m": MALE}.get(gender, NEUTRAL + FEMALE[:5] + MALE[:5])
    first = rng.choice(pool)
    if rng.random() < 0.25:
        second = rng.choice(pool)
        if second != first:
            return f"{first} {second}"
    return first


def people(rows: int, seed: int = 2026, today: date | None = None) -> list[list[str]]:
    """``rows`` invented people, household by household."""
    rng = random.Random(seed)
    today = today or date(2026, 1, 1)
    districts = list(DISTRICTS)
    weights = [DISTRICTS[d][2] for d in districts]
    out: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    while len(out) < rows:
        district = rng.choices(districts, weights)[0]
        postcode, streets, _ = DISTRICTS[district]
        street = rng.choice(streets)
        # Several households at one address are flats in one house: one letter for them all.
        number = str(rng.randrange(1, 200))
        suffix = rng.choice("ab") if rng.random() < 0.08 else ""
        family = rng.choice(FAMILY)
        size = rng.choices((1, 2, 3, 4), (38, 42, 13, 7))[0]
        for _ in range(min(size, rows - len(out))):
            gender = rng.choices(("w", "m", "d", "x"), (505, 490, 2, 3))[0]
            name = family if rng.random() < 0.8 else rng.choice(FAMILY)
            born = _birth_date(rng, today)
            row = [
                name,
                _given(rng, gender),
                born.strftime("%d.%m.%Y"),
                gender,
                street,
                number,
                suffix,
                postcode,
                "Konstanz",
                district,
            ]
            key = tuple(row[:5] + row[5:7])
            if key in seen:
                continue
            seen.add(key)
            out.append(row)
    return out


def extract(
    rows: int, seed: int = 2026, encoding: str = "utf-8-sig", delimiter: str = ";"
) -> bytes:
    """The extract as a register office would send it: CSV bytes with German headers."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(people(rows, seed))
    text = buffer.getvalue()
    if encoding == "cp1252":
        # Windows-1252 has no Turkish Ş, ş, ı, ğ: offices send them as S, s, i, g.
        text = text.translate(CP1252_FALLBACK)
    return text.encode(encoding)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--encoding", default="utf-8-sig", choices=("utf-8-sig", "utf-8", "cp1252"))
    parser.add_argument("--delimiter", default=";", choices=(";", ","))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_bytes(extract(args.rows, args.seed, args.encoding, args.delimiter))
    print(f"wrote {args.rows} invented people to {args.out}")


if __name__ == "__main__":
    main()
