"""What role sync reads from and writes to the register (``bot.role_sync_register``): whether it
is on, the roles the bot made, and each member's facts. The plan is made by
``bot.membership.rolesync`` (pure) and carried out in Discord by ``cogs/members/role_sync.py``.
No Discord here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.membership.rolesync import MemberFacts, RoleKey, wanted_roles
from storage import audit, members, organisations, synced_roles
from storage.communities import ensure_community, get_community, set_rolesync
from storage.db import Database
from storage.models import Community


@dataclass(frozen=True)
class RoleSyncSetting:
    enabled: bool
    organisations: bool

    @classmethod
    def of(cls, community: Community | None) -> RoleSyncSetting:
        if community is None:
            return cls(False, False)
        return cls(community.rolesync, community.rolesync_organisations)


@dataclass(frozen=True)
class RoleSyncFacts:
    setting: RoleSyncSetting
    wanted: dict[RoleKey, str]
    synced: dict[RoleKey, int]  # what each remembered role stands for -> its Discord id
    members: dict[int, MemberFacts]  # by user id; people the register does not know are absent


class RoleSyncRegister:
    """Role sync's setting, the roles it made and the facts it plans from, per community."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def setting(self, community_id: int) -> RoleSyncSetting:
        async with self.db.session() as session:
            return RoleSyncSetting.of(await get_community(session, community_id))

    async def remembered_role_ids(self, community_id: int) -> list[int]:
        """The ids of the roles the bot made for role sync in this community."""
        async with self.db.session() as session:
            return [role.role_id for role in await synced_roles.synced_roles(session, community_id)]

    async def facts(
        self, community_id: int, user_ids: Collection[int] | None = None
    ) -> RoleSyncFacts:
        """Everything the planner needs from the database; ``user_ids`` None: every member."""
        async with self.db.session() as session:
            setting = RoleSyncSetting.of(await get_community(session, community_id))
            remembered = await synced_roles.synced_roles(session, community_id)
            synced = {role.key: role.role_id for role in remembered}
            if user_ids is None:
                people = await members.list_members(session, community_id)
            else:
                people = list(
                    (await members.members_by_user_id(session, community_id, user_ids)).values()
                )
            organisation_of = await members.current_organisation_ids(session, community_id)
            organisation_names: dict[int, str] | None = None
            if setting.organisations:
                registered, _ = await organisations.list_organisations(session, community_id)
                counts = await members.count_current_members(session, [o.id for o in registered])
                organisation_names = {o.id: o.name for o in registered if counts.get(o.id)}
        member_facts = {
            person.user_id: MemberFacts(
                person.user_id,
                person.stakeholder,
                person.level,
                organisation_of.get(person.id) if setting.organisations else None,
            )
            for person in people
        }
        return RoleSyncFacts(setting, wanted_roles(organisation_names), synced, member_facts)

    async def set_enabled(
        self,
        community_id: int,
        community_name: str,
        *,
        actor_id: int,
        enabled: bool,
        organisations: bool,
    ) -> tuple[RoleSyncSetting, RoleSyncSetting]:
        """Turn role sync on or off; returns the setting before and after."""
        async with self.db.transaction() as session:
            community = await ensure_community(session, community_id, community_name)
            before = RoleSyncSetting.of(community)
            await set_rolesync(session, community, enabled=enabled, organisations=organisations)
            after = RoleSyncSetting.of(community)
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "settings.rolesync",
                enabled=after.enabled,
                organisations=after.organisations,
                previous_enabled=before.enabled,
                previous_organisations=before.organisations,
            )
            return before, after

    async def remember(self, community_id: int, made: Sequence[tuple[RoleKey, int]]) -> None:
        """Remember roles the bot made, so that later syncs reuse them instead of making more."""
        if not made:
            return
        async with self.db.transaction() as session:
            for key, role_id in made:
                await synced_roles.remember_synced_role(session, community_id, key, role_id)
            await audit.record_audit(
                session,
                community_id,
                None,
                "rolesync.roles_created",
                roles={f"{key.kind}:{key.key}": role_id for key, role_id in made},
            )

    async def forget(self, community_id: int, role_ids: Sequence[int]) -> None:
        if not role_ids:
            return
        async with self.db.transaction() as session:
            for role_id in role_ids:
                await synced_roles.forget_synced_role(session, community_id, role_id)
            await audit.record_audit(
                session, community_id, None, "rolesync.roles_deleted", role_ids=list(role_ids)
            )
