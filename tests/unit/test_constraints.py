"""constraints.txt pins exactly the versions that were tested, and it must keep up with
pyproject.toml: every runtime and dev dependency pinned, each pin inside pyproject's range, every
line a plain `name==version` that pip accepts in a constraints file. CI installs with it
(`pip install -c constraints.txt -e '.[dev]'`), so a pin left behind after a bound changed would
make CI test versions that a plain install can no longer get."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
CONSTRAINTS = ROOT / "constraints.txt"
EXTRAS = ("dev",)


def declared_requirements(pyproject_text: str) -> list[Requirement]:
    """The runtime dependencies, then those of the extras CI installs."""
    project = tomllib.loads(pyproject_text)["project"]
    lines = list(project["dependencies"])
    for extra in EXTRAS:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    return [Requirement(line) for line in lines]


def read_pins(constraints_text: str) -> tuple[dict[NormalizedName, Version], list[str]]:
    """The pinned version of each package, and what is wrong with lines that are not a plain
    pin (pip refuses extras in a constraints file; a range would not say what was tested)."""
    pins: dict[NormalizedName, Version] = {}
    faults: list[str] = []
    for number, raw in enumerate(constraints_text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            faults.append(f"line {number}: {line!r} is not a requirement")
            continue
        specifiers = list(requirement.specifier)
        if requirement.extras or len(specifiers) != 1 or specifiers[0].operator != "==":
            faults.append(f"line {number}: {line!r} is not a plain name==version pin")
            continue
        name = canonicalize_name(requirement.name)
        if name in pins:
            faults.append(f"line {number}: {name} is pinned twice")
            continue
        pins[name] = Version(specifiers[0].version)
    return pins, faults


def problems(requirements: list[Requirement], constraints_text: str) -> list[str]:
    """Everything that keeps the constraints file from matching pyproject.toml."""
    pins, found = read_pins(constraints_text)
    for requirement in requirements:
        environment = {"extra": EXTRAS[0]}
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue  # not installed on this platform: nothing to pin here
        name = canonicalize_name(requirement.name)
        pinned = pins.get(name)
        if pinned is None:
            found.append(f"{requirement.name} is in pyproject.toml but not in constraints.txt")
        elif not requirement.specifier.contains(pinned, prereleases=True):
            found.append(
                f"{name}=={pinned} in constraints.txt is outside pyproject.toml's "
                f"{requirement.name}{requirement.specifier}"
            )
    return found


SAMPLE_PYPROJECT = """
[project]
name = "sample"
dependencies = ["SQLAlchemy[asyncio]>=2.0.30,<3", "discord.py>=2.7,<3"]
[project.optional-dependencies]
dev = ["pytest>=8,<10"]
docs = ["sphinx>=7"]
"""


def test_constraints_pin_every_dependency_inside_its_range() -> None:
    requirements = declared_requirements(PYPROJECT.read_text(encoding="utf-8"))
    assert problems(requirements, CONSTRAINTS.read_text(encoding="utf-8")) == []


def test_ci_installs_with_the_constraints() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-c constraints.txt -e '.[dev]'" in ci


def test_declared_requirements_are_the_runtime_and_dev_ones() -> None:
    names = [str(r) for r in declared_requirements(SAMPLE_PYPROJECT)]
    assert names == ["SQLAlchemy[asyncio]<3,>=2.0.30", "discord.py<3,>=2.7", "pytest<10,>=8"]


def test_matching_pins_under_other_spellings_pass() -> None:
    constraints = (
        "# comment\n"
        "sqlalchemy==2.1.9\n"
        "    # via copbot (pyproject.toml)\n"
        "discord-py==2.7.1\n"
        "Pytest==9.2.0  # via copbot\n"
    )
    assert problems(declared_requirements(SAMPLE_PYPROJECT), constraints) == []


def test_a_missing_runtime_or_dev_dependency_is_reported() -> None:
    constraints = "sqlalchemy==2.1.9\n"
    assert problems(declared_requirements(SAMPLE_PYPROJECT), constraints) == [
        "discord.py is in pyproject.toml but not in constraints.txt",
        "pytest is in pyproject.toml but not in constraints.txt",
    ]


def test_pins_outside_the_range_are_reported() -> None:
    constraints = "sqlalchemy==3.0.0\ndiscord-py==2.6.4\npytest==10.0.0rc1\n"
    assert problems(declared_requirements(SAMPLE_PYPROJECT), constraints) == [
        "sqlalchemy==3.0.0 in constraints.txt is outside pyproject.toml's SQLAlchemy<3,>=2.0.30",
        "discord-py==2.6.4 in constraints.txt is outside pyproject.toml's discord.py<3,>=2.7",
        "pytest==10.0.0rc1 in constraints.txt is outside pyproject.toml's pytest<10,>=8",
    ]


def test_lines_that_are_not_plain_pins_are_reported() -> None:
    constraints = (
        "sqlalchemy[asyncio]==2.1.9\n"
        "discord-py>=2.7\n"
        "pytest==9.2.0\n"
        "pytest==9.1.0\n"
        "not a requirement!\n"
    )
    assert problems(declared_requirements(SAMPLE_PYPROJECT), constraints) == [
        "line 1: 'sqlalchemy[asyncio]==2.1.9' is not a plain name==version pin",
        "line 2: 'discord-py>=2.7' is not a plain name==version pin",
        "line 4: pytest is pinned twice",
        "line 5: 'not a requirement!' is not a requirement",
        "SQLAlchemy is in pyproject.toml but not in constraints.txt",
        "discord.py is in pyproject.toml but not in constraints.txt",
    ]


def test_a_dependency_for_another_platform_needs_no_pin() -> None:
    requirements = [Requirement('pywin32>=306; sys_platform == "nonexistent"')]
    assert problems(requirements, "") == []
