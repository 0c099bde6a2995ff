"""Role sync, planned: which Discord roles should exist, and which member should hold which.

Pure: plain values in (the groups that want a role, the roles the bot made earlier, what each
member's profile says, which role ids each member holds), a diff out. The cog reads the facts
from the database and from Discord, asks for a plan, and applies it with discord.py. Only roles
the bot made are ever named in a plan, so roles people made by hand are never touched.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.membership.vocabulary import Level, Stakeholder

ROLE_NAME_MAX = 100
# Discord refuses a 251st role in a server (error 30005); @everyone counts.
GUILD_ROLE_LIMIT = 250


class RoleKind(StrEnum):
    STAKEHOLDER = "stakeholder"
    LEVEL = "level"
    ORGANISATION = "organisation"


@dataclass(frozen=True, order=True)
class RoleKey:
    """What a synced role stands for: a stakeholder group, a level, or an organisation (by id)."""

    kind: RoleKind
    key: str


def stakeholder_key(stakeholder: Stakeholder | str) -> RoleKey:
    return RoleKey(RoleKind.STAKEHOLDER, str(stakeholder))


def level_key(level: Level | str) -> RoleKey:
    return RoleKey(RoleKind.LEVEL, str(level))


def organisation_key(organisation_id: int) -> RoleKey:
    return RoleKey(RoleKind.ORGANISATION, str(organisation_id))


def _role_name(prefix: str, label: str) -> str:
    return f"{prefix}: {label}"[:ROLE_NAME_MAX]


def wanted_roles(organisations: Mapping[int, str] | None = None) -> dict[RoleKey, str]:
    """The roles that should exist, with their names, in the order they are made.

    Every stakeholder group and every level has a role, so the set does not change as people
    edit their profiles. ``organisations`` (id -> name) are the organisations that get a role;
    None when organisation roles are not wanted. The caller passes the organisations that have
    current members: a role per empty organisation would only clutter the server.
    """
    wanted: dict[RoleKey, str] = {}
    for stakeholder in Stakeholder:
        wanted[stakeholder_key(stakeholder)] = _role_name("Stakeholder", stakeholder.label)
    for level in Level:
        wanted[level_key(level)] = _role_name("Level", level.label)
    for organisation_id, name in sorted(
        (organisations or {}).items(), key=lambda item: (item[1].casefold(), item[0])
    ):
        wanted[organisation_key(organisation_id)] = _role_name("Org", name)
    return wanted


@dataclass(frozen=True)
class MemberFacts:
    """What one member's profile says, as far as roles go."""

    user_id: int
    stakeholder: str | None = None
    level: str | None = None
    organisation_id: int | None = None

    def role_keys(self) -> frozenset[RoleKey]:
        keys: set[RoleKey] = set()
        if self.stakeholder:
            keys.add(stakeholder_key(self.stakeholder))
        if self.level:
            keys.add(level_key(self.level))
        if self.organisation_id is not None:
            keys.add(organisation_key(self.organisation_id))
        return frozenset(keys)


@dataclass(frozen=True)
class SyncedRoleFacts:
    """A role the bot made earlier, remembered in the database and still in the server."""

    key: RoleKey
    role_id: int
    name: str


@dataclass(frozen=True)
class RoleToCreate:
    key: RoleKey
    name: str


@dataclass(frozen=True)
class RolePlan:
    create: tuple[RoleToCreate, ...] = ()
    rename: tuple[tuple[int, str], ...] = ()  # (role id, new name)
    delete: tuple[int, ...] = ()  # roles the bot made that stand for nothing any more
    reuse: tuple[int, ...] = ()  # roles the bot made earlier and keeps
    not_created: tuple[RoleToCreate, ...] = ()  # no room left in the server
    grant: Mapping[int, frozenset[RoleKey]] = field(default_factory=dict)  # user -> keys
    revoke: Mapping[int, frozenset[int]] = field(default_factory=dict)  # user -> role ids

    @property
    def members_changed(self) -> frozenset[int]:
        return frozenset(self.grant) | frozenset(self.revoke)

    @property
    def is_empty(self) -> bool:
        return not (self.create or self.rename or self.delete or self.grant or self.revoke)


def plan_role_sync(
    *,
    wanted: Mapping[RoleKey, str],
    synced: Iterable[SyncedRoleFacts],
    members: Iterable[MemberFacts],
    held: Mapping[int, Collection[int]],
    room: int,
) -> RolePlan:
    """The changes that bring the server's synced roles in step with the profiles.

    ``synced``: the roles the bot made that still exist; ``held``: user id -> the ids of every
    role the member holds (roles not made by the bot are ignored); ``room``: how many more roles
    the server can take. Only ``members`` are planned for; others are left as they are.
    """
    synced_by_key: dict[RoleKey, SyncedRoleFacts] = {}
    for role in synced:
        synced_by_key.setdefault(role.key, role)
    ours = {role.role_id for role in synced_by_key.values()}

    delete = tuple(role.role_id for key, role in synced_by_key.items() if key not in wanted)
    reuse = tuple(role.role_id for key, role in synced_by_key.items() if key in wanted)
    rename = tuple(
        (role.role_id, wanted[key])
        for key, role in synced_by_key.items()
        if key in wanted and role.name != wanted[key]
    )
    missing = [RoleToCreate(key, name) for key, name in wanted.items() if key not in synced_by_key]
    # Deleting frees room before anything is created (the cog deletes first).
    free = max(room + len(delete), 0)
    create, not_created = tuple(missing[:free]), tuple(missing[free:])

    role_id_of = {key: role.role_id for key, role in synced_by_key.items() if key in wanted}
    creatable = {role.key for role in create}
    deleted = set(delete)
    grant: dict[int, frozenset[RoleKey]] = {}
    revoke: dict[int, frozenset[int]] = {}
    for facts in members:
        should = {key for key in facts.role_keys() if key in role_id_of or key in creatable}
        holding = (set(held.get(facts.user_id, ())) & ours) - deleted  # a deleted role goes anyway
        should_ids = {role_id_of[key] for key in should if key in role_id_of}
        to_grant = frozenset(
            key for key in should if key in creatable or role_id_of[key] not in holding
        )
        to_revoke = frozenset(holding - should_ids)
        if to_grant:
            grant[facts.user_id] = to_grant
        if to_revoke:
            revoke[facts.user_id] = to_revoke
    return RolePlan(
        create=create,
        rename=rename,
        delete=delete,
        reuse=reuse,
        not_created=not_created,
        grant=grant,
        revoke=revoke,
    )
