"""/settings: the community's roles, time zone and the other settings moderators choose."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.communities import MIN_GROUP_CEILING, MIN_GROUP_FLOOR, StaffRoles, suggest_timezones
from bot.contributions.values import TrackedTarget
from bot.errors import BadInput
from bot.permissions import Access, check_bot_can_post, require
from bot.scheduling.when import MAX_TIMEZONE_NAME
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_command
from cogs.members.role_sync import RoleSyncOutcome
from cogs.options import FreeText


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

    @guild_command(name="roles", description="Choose the moderator and coordinator roles")
    @app_commands.describe(
        moderator="Members with this role plan cafés and keep the question bank",
        coordinator="Members with this role see insights and export logs",
    )
    @require(Access.MODERATOR)
    async def roles(
        self,
        interaction: GuildInteraction,
        moderator: discord.Role | None = None,
        coordinator: discord.Role | None = None,
    ) -> None:
        _check_staff_role(moderator, "moderator")
        _check_staff_role(coordinator, "coordinator")
        community = await self.bot.communities.set_staff_roles(
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            roles=StaffRoles(
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

    @guild_command(name="show", description="Show this community's settings")
    @require(Access.MEMBER)
    async def show(self, interaction: GuildInteraction) -> None:
        community = await self.bot.communities.settings(
            interaction.guild.id, interaction.guild.name
        )
        embed = make_embed(
            f"Settings of {community.name}",
            fields=[
                ("Moderators", _role_mention(community.moderator_role_id)),
                ("Coordinators", _role_mention(community.coordinator_role_id)),
                ("Time zone", community.timezone),
                (
                    "Review channel",
                    f"<#{community.review_channel_id}>"
                    if community.review_channel_id
                    else "none (submitted questions wait in /prompt list)",
                ),
                (
                    "Smallest group shown",
                    f"{community.min_group} people: figures about fewer read "
                    f"“fewer than {community.min_group}”",
                ),
            ],
            footer="Moderators change these with /settings roles, /settings timezone and "
            "/settings review-channel; coordinators with /settings privacy.",
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @guild_command(name="timezone", description="Set the community's time zone")
    @app_commands.describe(name="An IANA time zone, such as Europe/Amsterdam or Africa/Accra")
    @require(Access.MODERATOR)
    async def timezone(
        self,
        interaction: GuildInteraction,
        name: app_commands.Transform[str, FreeText("name", MAX_TIMEZONE_NAME)],
    ) -> None:
        community = await self.bot.communities.set_timezone(
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
        return [app_commands.Choice(name=zone, value=zone) for zone in suggest_timezones(current)]

    @guild_command(name="privacy", description="The smallest group insights and exports show")
    @app_commands.describe(
        min_group=f"Figures about fewer people read “fewer than N” (at least {MIN_GROUP_FLOOR})"
    )
    @require(Access.COORDINATOR)
    async def privacy(
        self,
        interaction: GuildInteraction,
        min_group: app_commands.Range[int, 1, MIN_GROUP_CEILING],
    ) -> None:
        community = await self.bot.communities.set_min_group(
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            size=min_group,
        )
        embed = make_embed(
            "Smallest group saved",
            f"Insights, digests, reports and exports now show a figure only when at least "
            f"**{community.min_group}** people are behind it; smaller groups read "
            f"“fewer than {community.min_group}”.",
            tone=Tone.SUCCESS,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @guild_command(name="review-channel", description="Where submitted questions wait for review")
    @app_commands.describe(
        channel="A channel moderators read; left out: submitted questions wait only in "
        "/prompt list status:pending"
    )
    @require(Access.MODERATOR)
    async def review_channel(
        self, interaction: GuildInteraction, channel: discord.TextChannel | None = None
    ) -> None:
        if channel is not None:
            check_bot_can_post(channel, or_else=", or choose another channel")
        await self.bot.communities.set_review_channel(
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            channel_id=channel.id if channel else None,
        )
        where = (
            f"Submitted questions now wait for review in {channel.mention}, with Approve and "
            "Reject buttons."
            if channel
            else "No review channel: submitted questions wait in `/prompt list status:pending`."
        )
        embed = make_embed("Review channel saved", where, tone=Tone.SUCCESS)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @guild_command(
        name="rolesync", description="Give members roles for their stakeholder group and level"
    )
    @app_commands.describe(
        mode="on: create roles and keep them in step with profiles; off: stop changing them",
        organisations="With mode on: also a role per organisation (left out: as before)",
    )
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="on", value="on"),
            app_commands.Choice(name="off", value="off"),
        ]
    )
    @require(Access.MODERATOR)
    async def rolesync(
        self,
        interaction: GuildInteraction,
        mode: str,
        organisations: bool | None = None,
    ) -> None:
        guild = interaction.guild
        if mode not in ("on", "off"):
            raise BadInput(f"`{mode[:20]}` is not a mode.", "Choose `on` or `off`.")
        # The bot's one syncer: one sync per server at a time, the listeners' included.
        role_sync = self.bot.role_sync
        if mode == "off":
            await self._rolesync_off(interaction)
            return
        # Checked before anything changes, in Discord or in the database.
        blocker = await role_sync.blocker(guild)
        if blocker is not None:
            raise blocker
        current = await self.bot.role_sync_register.setting(guild.id)
        with_organisations = (
            organisations
            if organisations is not None
            else current.enabled and current.organisations
        )
        # Creating roles and giving them to everyone can take longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.role_sync_register.set_enabled(
            guild.id,
            guild.name,
            actor_id=interaction.user.id,
            enabled=True,
            organisations=with_organisations,
        )
        outcome = await role_sync.sync(guild)
        await interaction.followup.send(
            embed=_rolesync_embed(outcome, with_organisations), ephemeral=True
        )

    async def _rolesync_off(self, interaction: GuildInteraction) -> None:
        before, _ = await self.bot.role_sync_register.set_enabled(
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            enabled=False,
            organisations=False,
        )
        kept = [
            role.mention
            for role_id in await self.bot.role_sync_register.remembered_role_ids(
                interaction.guild.id
            )
            if (role := interaction.guild.get_role(role_id)) is not None
        ]
        # The roles are kept, not deleted: moderators may have built channel permissions on
        # them, deleting is irreversible, and turning sync on again reuses the same roles.
        if kept:
            text = (
                f"I no longer change roles. The {len(kept)} roles I made stay, with the members "
                "who have them, but they will not follow profile changes from now on.\n"
                "I keep them because channel permissions may rely on them and a deleted role "
                "cannot be brought back. Turn sync on again to bring them up to date (I reuse "
                "the same roles), or delete them in Server Settings > Roles if you no longer "
                "want them."
            )
        else:
            text = "I no longer change roles. I had made no roles here."
        title = "Role sync is off" if before.enabled else "Role sync was already off"
        await interaction.response.send_message(
            embed=make_embed(title, text, tone=Tone.SUCCESS), ephemeral=True
        )

    # --- /settings track: which channels the contribution log covers ---------------------------
    track = app_commands.Group(
        name="track", description="Which channels and categories the contribution log covers"
    )

    @guild_command(
        name="add", description="Log members' contributions in a channel or category", group=track
    )
    @app_commands.describe(target="A text channel, or a category (all its channels)")
    @require(Access.MODERATOR)
    async def track_add(
        self,
        interaction: GuildInteraction,
        target: discord.TextChannel | discord.CategoryChannel,
    ) -> None:
        guild = interaction.guild
        if not isinstance(target, discord.TextChannel | discord.CategoryChannel):
            raise BadInput(
                f"{target.mention} is neither a text channel nor a category.",
                "Pick a text channel or a category; threads follow their channel.",
            )
        is_category = isinstance(target, discord.CategoryChannel)
        added, rows = await self.bot.contribution_log.track(
            guild.id,
            guild.name,
            actor_id=interaction.user.id,
            channel_id=target.id,
            is_category=is_category,
        )
        what = f"the category **{target.name}**" if is_category else target.mention
        if added:
            text = f"I now log contributions in {what}" + (
                " (every channel in it, and their threads)." if is_category else " and its threads."
            )
            if len(rows) == 1:
                text += (
                    "\nThis is the first entry: from now on only tracked channels are logged, "
                    "not every channel I can read."
                )
        else:
            text = f"{what[0].upper()}{what[1:]} was already tracked; nothing changed."
        await interaction.response.send_message(
            embed=make_embed(
                "Tracking saved" if added else "Already tracked",
                text,
                tone=Tone.SUCCESS,
                fields=[("Tracked now", _tracked_lines(rows))],
            ),
            ephemeral=True,
        )

    @guild_command(name="remove", description="Stop logging a channel or category", group=track)
    @app_commands.describe(target="A tracked text channel or category")
    @require(Access.MODERATOR)
    async def track_remove(
        self,
        interaction: GuildInteraction,
        target: discord.TextChannel | discord.CategoryChannel,
    ) -> None:
        label = (
            f"The category **{target.name}**"
            if isinstance(target, discord.CategoryChannel)
            else target.mention
        )
        rows = await self.bot.contribution_log.untrack(
            interaction.guild.id,
            actor_id=interaction.user.id,
            channel_id=target.id,
            label=label,
        )
        text = f"{label} is no longer logged. What was logged there stays in the log."
        if not rows:
            text += "\nNothing is tracked any more, so I log every channel I can read again."
        await interaction.response.send_message(
            embed=make_embed(
                "Tracking removed",
                text,
                tone=Tone.SUCCESS,
                fields=[("Tracked now", _tracked_lines(rows))],
            ),
            ephemeral=True,
        )

    @guild_command(
        name="list", description="Show which channels the contribution log covers", group=track
    )
    @require(Access.MEMBER)
    async def track_list(self, interaction: GuildInteraction) -> None:
        rows = await self.bot.contribution_log.tracked(interaction.guild.id)
        await interaction.response.send_message(
            embed=make_embed(
                "Channels logged",
                _tracked_lines(rows),
                footer="Café table and prompt threads are always logged. Only metadata is kept "
                "(see /privacy show). Moderators change this with /settings track add|remove.",
            ),
            ephemeral=True,
        )


def _tracked_lines(rows: list[TrackedTarget]) -> str:
    if not rows:
        return "Every channel the bot can read (nothing is tracked explicitly)."
    lines = [
        f"Category <#{row.channel_id}>" if row.is_category else f"<#{row.channel_id}>"
        for row in rows
    ]
    shown = lines[:30]
    if len(lines) > len(shown):
        shown.append(f"and {len(lines) - len(shown)} more")
    return "\n".join(shown)


def _rolesync_embed(outcome: RoleSyncOutcome, with_organisations: bool) -> discord.Embed:
    lines = [
        "Members get a role for their stakeholder group and level"
        + (" and their organisation" if with_organisations else "")
        + ", following their profiles (`/profile set`).",
        f"Roles created: {len(outcome.created)}; reused: {outcome.reused}; "
        f"renamed: {outcome.renamed}; removed: {outcome.deleted}.",
        f"Members whose roles changed: {outcome.members_changed}.",
    ]
    if outcome.not_created:
        lines.append(
            f"The server is full ({len(outcome.not_created)} roles not created, e.g. "
            f"{outcome.not_created[0]}): Discord allows 250 roles."
        )
    if outcome.failures:
        lines.append("Some changes failed:\n" + "\n".join(outcome.failures[:5]))
    return make_embed(
        "Role sync is on",
        "\n".join(lines),
        tone=Tone.WARNING if outcome.failures else Tone.SUCCESS,
        footer="Roles I did not make are never touched.",
    )


async def setup(bot: CopBot) -> None:
    await bot.add_cog(CommunitySettings(bot))
