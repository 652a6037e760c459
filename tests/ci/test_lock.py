"""requirements.lock is in step with pyproject.toml; `make lock` brings it back when not."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
HINT = "requirements.lock is out of step with pyproject.toml: run `make lock`"


def declared() -> list[Requirement]:
    """What the project needs, with the extras the lock is made for (postgres, dev)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    lines = [*project["dependencies"], *extras["postgres"], *extras["dev"]]
    return [Requirement(line) for line in lines]


def locked() -> tuple[dict[NormalizedName, Version], set[NormalizedName]]:
    """Every pin in the lock, and the packages it says pyproject.toml asked for."""
    pins: dict[NormalizedName, Version] = {}
    direct: set[NormalizedName] = set()
    current: NormalizedName | None = None
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith(" "):
            if current is not None and "vekl (pyproject.toml)" in line:
                direct.add(current)
            continue
        name, separator, version = line.partition("==")
        assert separator, f"not an exact pin: {line!r}"
        current = canonicalize_name(name)
        pins[current] = Version(version.split(";")[0].strip())
    return pins, direct


def test_every_dependency_is_pinned_at_a_version_pyproject_allows() -> None:
    pins, _ = locked()
    missing = [str(r) for r in declared() if canonicalize_name(r.name) not in pins]
    outside = [
        f"{r} but {pins[name]} is locked"
        for r in declared()
        if (name := canonicalize_name(r.name)) in pins
        and not r.specifier.contains(pins[name], prereleases=True)
    ]
    assert missing == [], HINT
    assert outside == [], HINT


def test_the_lock_asks_for_nothing_pyproject_dropped() -> None:
    _, direct = locked()
    assert direct == {canonicalize_name(r.name) for r in declared()}, HINT
