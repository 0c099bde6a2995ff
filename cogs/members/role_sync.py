"""Role sync, applied: the planner (bot/membership/rolesync.py) decides which roles should change;
this module checks that the bot can carry it out and does, one sync per server at a time.

Built once by CopBot (``bot.role_sync``) and used by the register's listeners
(cogs/members/cog.py: a returning member gets their roles back, the start-up catch-up) and by
``/settings rolesync``. Not an extension: it has no listeners of its own. It knows the register
only through ``RoleSyncRegister``, not through the bot (bot/client.py imports this module).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

import discord

from bot.errors import NotAllowed
from bot.membership.rolesync import (
    GUILD_ROLE_LIMIT,
    MemberFacts,
    RoleKey,
    RolePlan,
    SyncedRoleFacts,
    plan_role_sync,
)
from bot.membership.rolesync_register import RoleSyncRegister

log = logging.getLogger(__name__)

AUDIT_REASON = "copbot role sync (/settings rolesync)"


@dataclass
class RoleSyncOutcome:
    created: list[str] = field(default_factory=list)
    reused: int = 0
    renamed: int = 0
    deleted: int = 0
    not_created: list[str] = field(default_factory=list)
    members_changed: int = 0
    failures: list[str] = field(default_factory=list)


def role_sync_blocker(guild: discord.Guild, synced_role_ids: Collection[int]) -> NotAllowed | None:
    """Why the bot cannot run role sync here, or None. Checked before anything is changed."""
    me = guild.me
    fix_place = "Server Settings > Roles"
    if not me.guild_permissions.manage_roles:
        return NotAllowed(
            "I do not have the **Manage Roles** permission, so I cannot create or give roles. "
            "Nothing was changed.",
            f"A server administrator can give my role **{me.top_role.name}** the Manage Roles "
            f"permission in {fix_place}, then run `/settings rolesync mode:on` again.",
        )
    if me.top_role.is_default():
        return NotAllowed(
            "I have no role of my own, so the roles I create would sit above me and I could not "
            "give them. Nothing was changed.",
            "Re-invite me with my invite link (it creates my role), then try again.",
        )
    above_me = [
        role.name
        for role_id in synced_role_ids
        if (role := guild.get_role(role_id)) is not None and not role.is_assignable()
    ]
    if above_me:
        names = ", ".join(f"**{name}**" for name in sorted(above_me)[:10])
        return NotAllowed(
            f"Roles I made sit at or above my own role **{me.top_role.name}**, so I cannot give "
            f"or take them: {names}. Nothing was changed.",
            f"In {fix_place}, drag my role **{me.top_role.name}** above them, then try again.",
        )
    return None


class RoleSyncer:
    """Brings a server's synced roles in step with the register. One sync per server at a time,
    so that two syncs cannot both create the same missing role."""

    def __init__(self, register: RoleSyncRegister) -> None:
        self.register = register
        self._locks: dict[int, asyncio.Lock] = {}

    async def blocker(self, guild: discord.Guild) -> NotAllowed | None:
        remembered = await self.register.remembered_role_ids(guild.id)
        return role_sync_blocker(guild, remembered)

    async def sync_if_enabled(
        self, guild: discord.Guild, user_ids: Collection[int] | None = None
    ) -> RoleSyncOutcome | None:
        """For listeners: sync when role sync is on and possible; otherwise only log why not."""
        setting = await self.register.setting(guild.id)
        if not setting.enabled:
            return None
        blocker = await self.blocker(guild)
        if blocker is not None:
            log.warning("role sync is on in guild %s but cannot run: %s", guild.id, blocker)
            return None
        return await self.sync(guild, user_ids)

    async def sync(
        self, guild: discord.Guild, user_ids: Collection[int] | None = None
    ) -> RoleSyncOutcome:
        """Sync the roles of ``user_ids`` (None: everyone in the server)."""
        lock = self._locks.setdefault(guild.id, asyncio.Lock())
        async with lock:
            facts = await self.register.facts(
                guild.id, None if user_ids is None else list(user_ids)
            )
            if user_ids is None:
                people = [m for m in guild.members if not m.bot]
            else:
                people = [
                    m for u in user_ids if (m := guild.get_member(u)) is not None and not m.bot
                ]
            synced = [
                SyncedRoleFacts(key, role.id, role.name)
                for key, role_id in facts.synced.items()
                if (role := guild.get_role(role_id)) is not None
            ]
            plan = plan_role_sync(
                wanted=facts.wanted,
                synced=synced,
                members=[facts.members.get(m.id, MemberFacts(m.id)) for m in people],
                held={m.id: [role.id for role in m.roles] for m in people},
                room=GUILD_ROLE_LIMIT - len(guild.roles),
            )
            return await self._apply(guild, plan, synced)

    async def _apply(
        self, guild: discord.Guild, plan: RolePlan, synced: list[SyncedRoleFacts]
    ) -> RoleSyncOutcome:
        outcome = RoleSyncOutcome(
            reused=len(plan.reuse), not_created=[spec.name for spec in plan.not_created]
        )
        role_of: dict[RoleKey, discord.Role] = {}
        for facts in synced:
            role = guild.get_role(facts.role_id)
            if role is not None:
                role_of[facts.key] = role
        try:
            deleted: list[int] = []
            for role_id in plan.delete:
                role = guild.get_role(role_id)
                if role is not None:
                    await role.delete(reason=AUDIT_REASON)
                deleted.append(role_id)
            outcome.deleted = len(deleted)
            await self.register.forget(guild.id, deleted)
            for role_id, name in plan.rename:
                role = guild.get_role(role_id)
                if role is not None:
                    await role.edit(name=name, reason=AUDIT_REASON)
                    outcome.renamed += 1
            for spec in plan.create:
                # Labels only: a synced role grants no permission.
                role = await guild.create_role(
                    name=spec.name,
                    permissions=discord.Permissions.none(),
                    hoist=False,
                    mentionable=False,
                    reason=AUDIT_REASON,
                )
                # Remembered at once: a role made but not remembered would be made again.
                await self.register.remember(guild.id, [(spec.key, role.id)])
                role_of[spec.key] = role
                outcome.created.append(spec.name)
        except discord.HTTPException as error:
            log.warning("role sync in guild %s stopped: %s", guild.id, error)
            outcome.failures.append(f"Discord refused to change a role ({error.text or error}).")
            return outcome
        for user_id in sorted(plan.members_changed):
            member = guild.get_member(user_id)
            if member is None:
                continue
            grant = [role_of[key] for key in plan.grant.get(user_id, ()) if key in role_of]
            revoke = [
                role
                for role_id in plan.revoke.get(user_id, ())
                if (role := guild.get_role(role_id))
            ]
            try:
                if grant:
                    await member.add_roles(*grant, reason=AUDIT_REASON)
                if revoke:
                    await member.remove_roles(*revoke, reason=AUDIT_REASON)
            except discord.HTTPException as error:
                log.warning("role sync could not update %s in %s: %s", user_id, guild.id, error)
                outcome.failures.append(f"<@{user_id}>: {error.text or error}")
                continue
            outcome.members_changed += 1
        return outcome
