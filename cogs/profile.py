"""/profile: what members say about themselves (organisation, stakeholder group, level, country,
expertise), set in one go or step by step, and shown to the community."""

from __future__ import annotations

from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.membership import profiles
from bot.membership.fields import COUNTRY_MAX, EXPERTISE_MAX_TAGS, EXPERTISE_TAG_MAX, NAME_MAX
from bot.membership.vocabulary import Level, Stakeholder
from bot.permissions import Access, require
from cogs._ui.choices import organisation_names
from cogs._ui.csv_upload import import_attachment
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_autocomplete, guild_command
from cogs.options import FreeText


def _sentence(text: str) -> str:
    """Capitalise the first letter only: names inside stay as they are written."""
    return text[:1].upper() + text[1:]


NOT_SET = "not set"
# Ten tags of at most 40 characters, with a comma and a space between them.
EXPERTISE_MAX = EXPERTISE_MAX_TAGS * (EXPERTISE_TAG_MAX + 2)
SET_HINT = (
    "Set it with `/profile set`: organisation, stakeholder group, level, country and expertise, "
    "all at once or one at a time."
)

STAKEHOLDER_CHOICES = [app_commands.Choice(name=s.label, value=s.value) for s in Stakeholder]
LEVEL_CHOICES = [app_commands.Choice(name=lv.label, value=lv.value) for lv in Level]


def _date(moment: datetime) -> str:
    return discord.utils.format_dt(moment, "D")


def _history(profile: profiles.Profile) -> str:
    lines = [
        f"{past.name}: {_date(past.started_at)} – {_date(past.ended_at)}"
        for past in profile.earlier_organisations[: profiles.HISTORY_SHOWN]
    ]
    hidden = len(profile.earlier_organisations) - profiles.HISTORY_SHOWN
    if hidden > 0:
        lines.append(f"… and {hidden} earlier")
    return "\n".join(lines)


def _fit(text: str, limit: int = 1024) -> str:
    """Discord refuses an embed field value over 1024 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def profile_fields(profile: profiles.Profile) -> list[tuple[str, str]]:
    organisation = (
        f"**{profile.organisation}**, since {_date(profile.organisation_since)}"
        if profile.organisation and profile.organisation_since
        else NOT_SET
    )
    shown = [("Organisation", organisation)]
    if profile.earlier_organisations:
        shown.append(("Earlier organisations", _fit(_history(profile))))
    shown += [
        ("Stakeholder group", profile.stakeholder.label if profile.stakeholder else NOT_SET),
        ("Level", profile.level.label if profile.level else NOT_SET),
        ("Country", profile.country or NOT_SET),
        ("Expertise", ", ".join(profile.expertise) or NOT_SET),
        ("Represents", _fit(", ".join(profile.represents)) or "no organisation"),
        ("Belongs to the CoP", _sentence(profile.belonging)),
    ]
    return shown


def profile_embed(
    profile: profiles.Profile,
    *,
    title: str | None = None,
    description: str | None = None,
    tone: Tone = Tone.INFO,
    own: bool,
) -> discord.Embed:
    unset = profile.unset_fields
    footer = None
    if own and unset:
        footer = "Still to set: " + ", ".join(unset) + ". Use /profile set."
    if not profile.present:
        description = ((description or "") + "\nThis person has left the server.").strip()
    return make_embed(
        title or f"Profile of {profile.display_name}",
        description,
        fields=profile_fields(profile),
        tone=tone,
        footer=footer,
    )


def no_profile_embed(name: str, *, own: bool, belonging: str | None) -> discord.Embed:
    if own:
        text = (
            "You have not set a profile yet; that is fine, you are a member all the same.\n"
            + SET_HINT
        )
    else:
        text = (
            f"{name} has not set a profile yet; they are a member all the same.\n"
            "They can set one with `/profile set`."
        )
    fields = [("Belongs to the CoP", _sentence(belonging))] if belonging else []
    return make_embed(f"No profile yet for {name}", text, fields=fields)


def _changes_text(update: profiles.ProfileUpdate) -> str:
    if not update.changed:
        return "Nothing changed: your profile already says that."
    text = "Changed: " + ", ".join(update.changed) + "."
    if update.left_organisation:
        text += (
            f"\nYour membership of **{update.left_organisation}** has ended; it stays in your "
            "history."
        )
    return text


@app_commands.guild_only()
class ProfileCog(commands.GroupCog, group_name="profile", group_description="Member profiles"):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    @guild_command(name="import", description="Set members' profiles from a CSV file")
    @app_commands.describe(
        file="A CSV with the columns user_id and optionally display_name, organisation, "
        "stakeholder, level, country, expertise"
    )
    @require(Access.MODERATOR)
    async def import_csv(self, interaction: GuildInteraction, file: discord.Attachment) -> None:
        guild = interaction.guild
        result = await import_attachment(
            interaction,
            file,
            self.bot.imports.import_members,
            title="Profiles imported",
            what="Members",
            footer="To place members in an organisation the register does not have yet, add it "
            "first with /org import or /org create.",
            # Only people in the server can be imported. Without the full member list (still
            # arriving) the register's record of who is present stands in.
            in_server={m.id for m in guild.members if not m.bot} if guild.chunked else None,
        )
        for user_id in result.profile_changed:
            self.bot.dispatch("member_profile_changed", interaction.guild, user_id)

    @guild_command(name="set", description="Set your profile, all at once or step by step")
    @app_commands.describe(
        organisation="The organisation you work for (one of this community's organisations)",
        stakeholder="Your stakeholder group",
        level="The level you work at",
        country="The country you work in",
        expertise=f"Your expertise: up to {EXPERTISE_MAX_TAGS} tags separated by commas",
    )
    @app_commands.choices(stakeholder=STAKEHOLDER_CHOICES, level=LEVEL_CHOICES)
    @guild_autocomplete(organisation=organisation_names)
    @require(Access.MEMBER)
    async def set_profile(
        self,
        interaction: GuildInteraction,
        organisation: app_commands.Transform[str, FreeText("organisation", NAME_MAX)] | None = None,
        stakeholder: str | None = None,
        level: str | None = None,
        country: app_commands.Transform[str, FreeText("country", COUNTRY_MAX)] | None = None,
        expertise: app_commands.Transform[str, FreeText("expertise", EXPERTISE_MAX)] | None = None,
    ) -> None:
        given = profiles.ProfileInput(organisation, stakeholder, level, country, expertise)
        if not given.given():
            await self._show_what_can_be_set(interaction)
            return
        update = await self.bot.profiles.set_profile(
            interaction.guild.id,
            interaction.guild.name,
            user_id=interaction.user.id,
            display_name=interaction.user.display_name,
            given=given,
        )
        if update.changed:
            self.bot.dispatch("member_profile_changed", interaction.guild, interaction.user.id)
        embed = profile_embed(
            update.profile,
            title="Profile saved" if update.changed else "Profile unchanged",
            description=_changes_text(update),
            tone=Tone.SUCCESS if update.changed else Tone.INFO,
            own=True,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def _show_what_can_be_set(self, interaction: GuildInteraction) -> None:
        profile = await self.bot.profiles.profile_of(interaction.guild.id, interaction.user.id)
        hint = (
            "Give at least one option to change your profile: `organisation`, `stakeholder`, "
            "`level`, `country` or `expertise`. Each call changes only the options you give."
        )
        if profile is None or not profile.is_set:
            embed = make_embed(
                "Your profile is empty",
                hint + "\nFor example: `/profile set stakeholder:Research level:National`.",
            )
        else:
            embed = profile_embed(profile, title="Your profile", description=hint, own=True)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @guild_command(name="show", description="Show a member's profile")
    @app_commands.describe(member="Whose profile to show (yours if left out)")
    @require(Access.MEMBER)
    async def show(
        self, interaction: GuildInteraction, member: discord.Member | None = None
    ) -> None:
        target = member or interaction.user
        own = target.id == interaction.user.id
        if target.bot:
            embed = make_embed(
                f"{target.display_name} is a bot",
                "Bots are not members of the community, so they have no profile.",
            )
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        profile = await self.bot.profiles.profile_of(interaction.guild.id, target.id)
        if profile is None or not profile.is_set:
            embed = no_profile_embed(
                target.display_name,
                own=own,
                belonging=profile.belonging if profile else "on their own",
            )
        else:
            embed = profile_embed(profile, own=own)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: CopBot) -> None:
    await bot.add_cog(ProfileCog(bot))
