"""Server joins and leaves kept in the register, and display names kept in step.

Listeners only: the register (bot/membership/profiles.py) decides what a join or a leave means;
this file reads Discord and carries the decisions out. A returning member gets their synced roles
back, and the start-up catch-up ends with a role sync (``bot.role_sync``,
cogs/members/role_sync.py), when it is on.
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import CopBot
from bot.membership.profiles import PresentPerson

log = logging.getLogger(__name__)


def present_person(member: discord.Member) -> PresentPerson:
    return PresentPerson(member.id, member.display_name, member.joined_at)


# --- the listeners ------------------------------------------------------------------------------


class Members(commands.Cog):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    async def catch_up(self, guild: discord.Guild) -> None:
        """Joins and leaves that happened while the bot was away, then roles."""
        listed_at = discord.utils.utcnow()
        people = [
            present_person(m)
            for m in guild.members
            if not m.bot and not self.bot.optouts.is_forgotten(guild.id, m.id)
        ]
        report = await self.bot.profiles.reconcile_presence(
            guild.id, guild.name, people, complete=guild.chunked, listed_at=listed_at
        )
        reconciled_at = discord.utils.utcnow()
        # Someone may have left while the register was being written: the snapshot is stale.
        # A join or leave event handled since then is newer than this conclusion, though (a
        # member who left and came straight back must not be marked as gone).
        still_here = {m.id for m in guild.members}
        for person in people:
            if person.user_id not in still_here:
                await self.bot.profiles.register_departure(
                    guild.id, person.user_id, unless_changed_after=reconciled_at
                )
        if not guild.chunked:
            log.warning(
                "guild %s: member list incomplete; nobody was marked as left this time", guild.id
            )
        if report.changed:
            log.info(
                "guild %s caught up: %d joined, %d returned, %d left, %d renamed",
                guild.id,
                len(report.arrived),
                len(report.returned),
                len(report.departed),
                report.renamed,
            )
        await self.bot.role_sync.sync_if_enabled(guild)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        # Dispatched after the member chunk at start-up, so guild.members is complete.
        await self.catch_up(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.catch_up(guild)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:  # bots are not members of a community
            return
        if self.bot.optouts.is_forgotten(member.guild.id, member.id):
            return  # they asked to be forgotten: the register does not take them back silently
        await self.bot.profiles.register_arrival(
            member.guild.id, member.guild.name, present_person(member)
        )
        # Discord drops a member's roles when they leave: a returning member gets theirs back.
        await self.bot.role_sync.sync_if_enabled(member.guild, [member.id])

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # The raw event: on_member_remove is skipped when the member was not in the cache.
        if payload.user.bot:
            return
        # A join handled after this event arrived (they came straight back) is newer news,
        # even if this departure reaches the database after it.
        await self.bot.profiles.register_departure(
            payload.guild_id, payload.user.id, unless_joined_after=discord.utils.utcnow()
        )

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if after.bot or before.display_name == after.display_name:
            return
        await self.bot.profiles.rename_member(after.guild.id, after.id, after.display_name)

    @commands.Cog.listener()
    async def on_user_update(self, before: discord.User, after: discord.User) -> None:
        # A new global name changes the display name in every server where no nickname is set.
        if after.bot or before.display_name == after.display_name:
            return
        for guild in after.mutual_guilds:
            member = guild.get_member(after.id)
            if member is not None:
                await self.bot.profiles.rename_member(guild.id, member.id, member.display_name)

    @commands.Cog.listener()
    async def on_member_profile_changed(self, guild: discord.Guild, user_id: int) -> None:
        await self.bot.role_sync.sync_if_enabled(guild, [user_id])
