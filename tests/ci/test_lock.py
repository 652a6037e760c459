"""requirements.lock is in step with pyproject.toml and build-tools.in; `make lock` brings it
back when not. It also pins the packaging tools (pip, setuptools, wheel) at releases without
the known vulnerabilities, since `make install` puts them in place of the venv's seeded ones."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
BUILD_TOOLS = ROOT / "build-tools.in"
HINT = "requirements.lock is out of step with pyproject.toml: run `make lock`"
TOOLS_HINT = "requirements.lock lacks current packaging tools: see build-tools.in, run `make lock`"

# The oldest releases the lock may pin, whatever build-tools.in says: setuptools 78.1.1 fixes
# CVE-2025-47273 (and is past CVE-2022-40897 and CVE-2024-6345), pip 25.3 CVE-2025-8869.
FIXED = [Requirement("pip>=25.3"), Requirement("setuptools>=78.1.1"), Requirement("wheel>=0.38.1")]


def declared() -> list[Requirement]:
    """What the project needs, with the extras the lock is made for (postgres, dev)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    lines = [*project["dependencies"], *extras["postgres"], *extras["dev"]]
    return [Requirement(line) for line in lines]


def build_tools() -> list[Requirement]:
    """The packaging tools build-tools.in asks the lock for."""
    lines = BUILD_TOOLS.read_text(encoding="utf-8").splitlines()
    return [Requirement(text) for line in lines if (text := line.split("#")[0].strip())]


def locked(
    text: str | None = None,
) -> tuple[dict[NormalizedName, Version], set[NormalizedName]]:
    """Every pin in the lock, and the packages it says pyproject.toml asked for."""
    pins: dict[NormalizedName, Version] = {}
    direct: set[NormalizedName] = set()
    current: NormalizedName | None = None
    lock = LOCK.read_text(encoding="utf-8") if text is None else text
    for line in lock.splitlines():
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


def tool_problems(pins: dict[NormalizedName, Version]) -> list[str]:
    """Packaging tools the lock leaves out or pins below what build-tools.in or FIXED ask."""
    wanted: dict[NormalizedName, SpecifierSet] = {}
    for requirement in [*FIXED, *build_tools()]:
        name = canonicalize_name(requirement.name)
        wanted[name] = wanted.get(name, SpecifierSet()) & requirement.specifier
    problems = []
    for name, specifier in wanted.items():
        pinned = pins.get(name)
        if pinned is None:
            problems.append(f"{name} is not pinned")
        elif not specifier.contains(pinned, prereleases=True):
            problems.append(f"{name}=={pinned} is locked, {name}{specifier} needed")
    return problems


def test_the_packaging_tools_are_pinned_at_fixed_releases() -> None:
    pins, _ = locked()
    assert tool_problems(pins) == [], TOOLS_HINT


def test_a_lock_without_current_packaging_tools_is_refused() -> None:
    current = LOCK.read_text(encoding="utf-8").splitlines()
    without = "\n".join(line for line in current if not line.startswith(("pip==", "setuptools==")))
    assert tool_problems(locked(without)[0]) == ["pip is not pinned", "setuptools is not pinned"]
    seeded = tool_problems(locked(f"{without}\npip==23.2.1\nsetuptools==78.1.0\n")[0])
    assert [problem.split(" is locked")[0] for problem in seeded] == [
        "pip==23.2.1",
        "setuptools==78.1.0",
    ]
