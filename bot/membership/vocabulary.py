"""The fixed vocabularies of the member register."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


class Stakeholder(StrEnum):
    """Stakeholder groups, as learning alliances name them."""

    GOVERNMENT = "government"
    CIVIL_SOCIETY = "civil society"
    RESEARCH = "research"
    PRIVATE_SECTOR = "private sector"
    DONOR = "donor"
    UTILITY = "utility or service provider"
    COMMUNITY_BASED = "community-based organisation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value[0].upper() + self.value[1:]


class Level(StrEnum):
    """Institutional levels of a learning alliance's platforms."""

    INTERNATIONAL = "international"
    NATIONAL = "national"
    INTERMEDIATE = "intermediate"
    LOCAL = "local"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CopStatus(StrEnum):
    """An organisation's own membership of the CoP."""

    APPLICANT = "applicant"
    MEMBER = "member"
    LAPSED = "lapsed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


E = TypeVar("E", bound=StrEnum)


def parse_choice(enum: type[E], value: str) -> E | None:
    """The member of ``enum`` whose value matches ``value`` (case and spacing ignored)."""
    wanted = " ".join(value.replace("_", " ").split()).casefold()
    for member in enum:
        if member.value.casefold() == wanted or member.name.casefold() == wanted.replace(" ", "_"):
            return member
    return None
