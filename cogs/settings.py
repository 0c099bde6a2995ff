"""/settings: the community's roles, time zone and the other settings moderators choose."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import communities
from bot.client import CopBot
from bot.embeds import Tone, make_embed
from bot.errors import BadInput
from bot.permissions import Access, require


def _role_mention(role_id: int | None) -> str:
    return "not set (server administrators only)" if role_id is None else f"<@&{role_id}>"


def _check_staff_role(role: discord.Role | None, which: str) -> None:
    if role is None:
        return
    if role.is_default():
        raise BadInput(
            f"@everyone cannot be the {which} role: everyone would be a {which}.",
            f"Create a role for {which}s (Server Settings > Roles) and pick that one.",
        )
    if role.managed:
        raise BadInput(
            f"{role.mention} belongs to a bot or an integration and cannot be given to people.",
            f"Pick a role you can give to your {which}s.",
        )


@app_commands.guild_only()
class CommunitySettings(
    commands.GroupCog, group_name="settings", group_description="Community settings"
):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    @app_commands.command(name="roles", description="Choose the moderator and coordinator roles")
    @app_commands.describe(
        moderator="Members with this role plan cafés and keep the question bank",
        coordinator="Members with this role see insights and export logs",
    )
    @require(Access.MODERATOR)
    async def roles(
        self,
        interaction: discord.Interaction[CopBot],
        moderator: discord.Role | None = None,
        coordinator: discord.Role | None = None,
    ) -> None:
        assert interaction.guild is not None
        _check_staff_role(moderator, "moderator")
        _check_staff_role(coordinator, "coordinator")
        community = await communities.set_staff_roles(
            self.bot.db,
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            roles=communities.StaffRoles(
                moderator.id if moderator else None, coordinator.id if coordinator else None
            ),
            change_moderator=moderator is not None,
            change_coordinator=coordinator is not None,
        )
        embed = make_embed(
            "Roles saved",
            fields=[
                ("Moderators", _role_mention(community.moderator_role_id)),
                ("Coordinators", _role_mention(community.coordinator_role_id)),
            ],
            tone=Tone.SUCCESS,
            footer="Server administrators always count as both.",
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="show", description="Show this community's settings")
    @require(Access.MEMBER)
    async def show(self, interaction: discord.Interaction[CopBot]) -> None:
        assert interaction.guild is not None
        community = await communities.community_settings(
            self.bot.db, interaction.guild.id, interaction.guild.name
        )
        embed = make_embed(
            f"Settings of {community.name}",
            fields=[
                ("Moderators", _role_mention(community.moderator_role_id)),
                ("Coordinators", _role_mention(community.coordinator_role_id)),
                ("Time zone", community.timezone),
            ],
            footer="Moderators change these with /settings roles and /settings timezone.",
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="timezone", description="Set the community's time zone")
    @app_commands.describe(name="An IANA time zone, such as Europe/Amsterdam or Africa/Accra")
    @require(Access.MODERATOR)
    async def timezone(self, interaction: discord.Interaction[CopBot], name: str) -> None:
        assert interaction.guild is not None
        community = await communities.set_timezone(
            self.bot.db,
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            timezone=name,
        )
        embed = make_embed(
            "Time zone saved",
            f"Schedules and café times are now read in **{community.timezone}**.",
            tone=Tone.SUCCESS,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @timezone.autocomplete("name")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[CopBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=zone, value=zone)
            for zone in communities.suggest_timezones(current)
        ]


async def setup(bot: CopBot) -> None:
    await bot.add_cog(CommunitySettings(bot))
