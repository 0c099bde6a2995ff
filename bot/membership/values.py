"""The register's records as plain values: what storage returns and services hand to cogs.

Frozen, with ``int`` ids: a value is a record as it was read, never a row that can change under
its reader or be written back by accident. Changes go through the named functions of
``storage/members.py`` and ``storage/organisations.py``. No Discord and no database here.

Stakeholder groups and levels are the stored vocabulary values (strings of
``bot.membership.vocabulary``), as the database holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.membership.rolesync import RoleKey
from bot.membership.vocabulary import CopStatus


@dataclass(frozen=True, slots=True)
class Member:
    """A person in a community: a Discord user in a server, present or gone."""

    id: int
    community_id: int
    user_id: int
    display_name: str
    stakeholder: str | None
    level: str | None
    country: str | None
    expertise: tuple[str, ...]
    joined_at: datetime | None  # in the server
    left_at: datetime | None  # None: present
    opted_out_at: datetime | None
    name_visible: bool  # chose to be named in exports (``/privacy visible``)
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    community_id: int
    name: str
    name_key: str  # the name folded for comparison (bot.membership.names.name_key)
    stakeholder: str
    level: str
    country: str | None
    website: str | None
    description: str | None
    created_by: int | None


@dataclass(frozen=True, slots=True)
class OrganisationMembership:
    """A person belongs to an organisation from ``started_at`` until ``ended_at``."""

    id: int
    member_id: int
    organisation_id: int
    started_at: datetime
    ended_at: datetime | None  # None: current


@dataclass(frozen=True, slots=True)
class CopStatusRecord:
    """One period of an organisation's own membership of the CoP."""

    id: int
    organisation_id: int
    status: CopStatus
    started_at: datetime
    ended_at: datetime | None  # None: the current status
    changed_by: int | None


@dataclass(frozen=True, slots=True)
class Representation:
    """A person speaks for an organisation from ``started_at`` until ``ended_at``."""

    id: int
    organisation_id: int
    member_id: int
    is_primary: bool
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class RememberedRole:
    """A Discord role the bot made for role sync, and what it stands for."""

    key: RoleKey
    role_id: int
