"""/org: the community's organisations, their own membership of the CoP and who speaks for them.

Thin: options in, a call to bot/membership/organisations.py, a message out. ``/org import``
(CSV) belongs in this group too and is built separately.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.errors import BadInput
from bot.membership import organisations as service
from bot.membership.fields import COUNTRY_MAX, DESCRIPTION_MAX, NAME_MAX, WEBSITE_MAX
from bot.membership.values import Organisation
from bot.membership.vocabulary import CopStatus, Level, Stakeholder
from bot.permissions import Access, require
from cogs._ui.choices import organisation_names
from cogs._ui.csv_upload import import_attachment
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_autocomplete, guild_command
from cogs._ui.pagination import PageButton, PageWindow, page_buttons
from cogs.options import FreeText

PAGE_SIZE = 10
FIELD_MAX = 1024  # Discord's limit for an embed field's value

STAKEHOLDER_CHOICES = [app_commands.Choice(name=s.label, value=s.value) for s in Stakeholder]
LEVEL_CHOICES = [app_commands.Choice(name=lv.label, value=lv.value) for lv in Level]
ADMIT_CHOICES = [
    app_commands.Choice(name="Member (admitted)", value=CopStatus.MEMBER.value),
    app_commands.Choice(
        name="Applicant (applied, not yet admitted)", value=CopStatus.APPLICANT.value
    ),
]

NAME_HELP = "The organisation's name (case, accents and spacing do not matter)"
DISTINCT_HELP = "True if it is a different organisation from a similar name already here"
Name = app_commands.Transform[str, FreeText("name", NAME_MAX)]
Country = app_commands.Transform[str, FreeText("country", COUNTRY_MAX)]
Website = app_commands.Transform[str, FreeText("website", WEBSITE_MAX)]
Description = app_commands.Transform[str, FreeText("description", DESCRIPTION_MAX)]


def _date(moment: datetime) -> str:
    return discord.utils.format_dt(moment, "D")


def _within(items: list[str], *, limit: int = FIELD_MAX, separator: str = ", ") -> str:
    """As many items as fit in ``limit`` characters, then "and N more"."""
    shown: list[str] = []
    for index, item in enumerate(items):
        rest = len(items) - index - 1
        tail = f" and {rest} more" if rest else ""
        candidate = separator.join([*shown, item]) + tail
        if len(candidate) > limit:
            return separator.join(shown) + f" and {len(items) - index} more"
        shown.append(item)
    return separator.join(shown)


def _choice_value(choice: app_commands.Choice[str] | None) -> str | None:
    return None if choice is None else choice.value


def _organisation_fields(organisation: Organisation) -> list[tuple[str, str]]:
    return [
        ("Stakeholder group", Stakeholder(organisation.stakeholder).label),
        ("Level", Level(organisation.level).label),
        ("Country", organisation.country or "—"),
        ("Website", organisation.website or "—"),
    ]


# --- /org list and its page buttons -------------------------------------------------------------


def _filter_code(value: Stakeholder | Level | None) -> str:
    return "" if value is None else value.name.lower()


class OrganisationPageButton(
    PageButton,
    template=(
        r"copbot:org:list:(?P<page>\d{1,6}):(?P<stakeholder>[a-z_]*):(?P<level>[a-z_]*)"
        r":(?P<direction>prev|next)"
    ),
):
    """Previous / Next under ``/org list``: the page and the filters live in the custom_id."""

    @classmethod
    def leading_to(
        cls,
        page: int,
        direction: str,
        disabled: bool,
        *,
        stakeholder: Stakeholder | None,
        level: Level | None,
    ) -> OrganisationPageButton:
        custom_id = (
            f"copbot:org:list:{max(page, 0)}:{_filter_code(stakeholder)}:{_filter_code(level)}"
            f":{direction}"
        )
        return cls(custom_id, direction=direction, disabled=disabled)

    async def show_page(self, interaction: GuildInteraction, match: re.Match[str]) -> None:
        stakeholder = Stakeholder[match["stakeholder"].upper()] if match["stakeholder"] else None
        level = Level[match["level"].upper()] if match["level"] else None
        embed, view = await organisation_listing(
            interaction.client, interaction.guild_id, stakeholder, level, int(match["page"])
        )
        await interaction.response.edit_message(embed=embed, view=view)


async def organisation_listing(
    bot: CopBot,
    guild_id: int,
    stakeholder: Stakeholder | None,
    level: Level | None,
    page: int,
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of ``/org list`` and the buttons to the others."""

    async def fetch(offset: int) -> service.OrganisationPage:
        return await bot.organisations.list_organisations(
            guild_id, stakeholder=stakeholder, level=level, offset=offset, limit=PAGE_SIZE
        )

    requested = max(page, 1)
    listing = await fetch((requested - 1) * PAGE_SIZE)
    window = PageWindow.of(requested, size=PAGE_SIZE, total=listing.total)
    if window.number != requested:
        # The listing shrank since the button was drawn: show its last page instead.
        listing = await fetch(window.offset)
    filters = [f.label for f in (stakeholder, level) if f is not None]
    title = "Organisations" + (f" ({', '.join(filters)})" if filters else "")
    lines = [
        f"**{row.organisation.name}** — {Stakeholder(row.organisation.stakeholder).label}, "
        f"{Level(row.organisation.level).label} · "
        f"{row.status.label + ' of the CoP' if row.status else 'not a CoP member'} · "
        f"{row.member_count} {'person' if row.member_count == 1 else 'people'}"
        for row in listing.rows
    ]
    if not lines:
        description = (
            "No organisation matches these filters." if filters else "No organisations yet."
        ) + "\nModerators add them with `/org create`."
    else:
        description = "\n".join(lines)
    embed = make_embed(
        title,
        description,
        footer=f"{window.label} · {listing.total} organisation"
        f"{'' if listing.total == 1 else 's'} · details with /org show",
    )
    view = page_buttons(
        window,
        lambda target, direction, disabled: OrganisationPageButton.leading_to(
            target, direction, disabled, stakeholder=stakeholder, level=level
        ),
    )
    return embed, view


# --- the command group --------------------------------------------------------------------------


@app_commands.guild_only()
class Organisations(commands.GroupCog, group_name="org", group_description="Organisations"):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    # Page buttons on old /org list messages keep working after a restart (see CopBot).
    dynamic_items = (OrganisationPageButton,)

    @guild_command(name="import", description="Add or update organisations from a CSV file")
    @app_commands.describe(
        file="A CSV with the columns name, stakeholder, level and optionally country, website, "
        "description, cop_status, cop_since"
    )
    @require(Access.MODERATOR)
    async def import_csv(self, interaction: GuildInteraction, file: discord.Attachment) -> None:
        await import_attachment(
            interaction,
            file,
            self.bot.imports.import_organisations,
            title="Organisations imported",
            what="Organisations",
            footer="Every row was checked before anything was changed.",
        )

    def _profile_changed(self, interaction: GuildInteraction) -> None:
        self.bot.dispatch("member_profile_changed", interaction.guild, interaction.user.id)

    # create and edit ------------------------------------------------------------------------

    @guild_command(name="create", description="Add an organisation to the register")
    @app_commands.describe(
        name="Its name, e.g. IRC WASH",
        stakeholder="Its stakeholder group",
        level="The level it works at",
        country="Its country, e.g. Ghana",
        website="Its web address, e.g. ircwash.org",
        description="A few sentences about what it does",
        distinct=DISTINCT_HELP,
    )
    @app_commands.choices(stakeholder=STAKEHOLDER_CHOICES, level=LEVEL_CHOICES)
    @require(Access.MODERATOR)
    async def create(
        self,
        interaction: GuildInteraction,
        name: Name,
        stakeholder: app_commands.Choice[str],
        level: app_commands.Choice[str],
        country: Country | None = None,
        website: Website | None = None,
        description: Description | None = None,
        distinct: bool = False,
    ) -> None:
        organisation = await self.bot.organisations.create_organisation(
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            name=name,
            stakeholder=stakeholder.value,
            level=level.value,
            country=country,
            website=website,
            description=description,
            distinct=distinct,
        )
        embed = make_embed(
            f"Organisation created: {organisation.name}",
            organisation.description,
            fields=_organisation_fields(organisation),
            tone=Tone.SUCCESS,
            footer="Members join it with /org join; /org admit makes it a member of the CoP.",
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @guild_command(name="edit", description="Change an organisation's details")
    @app_commands.describe(
        name=NAME_HELP,
        new_name="A new name",
        stakeholder="A new stakeholder group",
        level="A new level",
        country=f"A new country; {service.CLEAR} to empty it",
        website=f"A new web address; {service.CLEAR} to empty it",
        description=f"A new description; {service.CLEAR} to empty it",
        distinct=DISTINCT_HELP,
    )
    @app_commands.choices(stakeholder=STAKEHOLDER_CHOICES, level=LEVEL_CHOICES)
    @guild_autocomplete(name=organisation_names)
    @require(Access.MODERATOR)
    async def edit(
        self,
        interaction: GuildInteraction,
        name: Name,
        new_name: app_commands.Transform[str, FreeText("new_name", NAME_MAX)] | None = None,
        stakeholder: app_commands.Choice[str] | None = None,
        level: app_commands.Choice[str] | None = None,
        country: Country | None = None,
        website: Website | None = None,
        description: Description | None = None,
        distinct: bool = False,
    ) -> None:
        edit = await self.bot.organisations.edit_organisation(
            interaction.guild.id,
            actor_id=interaction.user.id,
            name=name,
            new_name=new_name,
            stakeholder=_choice_value(stakeholder),
            level=_choice_value(level),
            country=country,
            website=website,
            description=description,
            distinct=distinct,
        )
        changed = [
            f"**{key.replace('_', ' ').capitalize()}**: {before or '—'} → {after or '—'}"
            for key, (before, after) in edit.changes.items()
            if key != "description"
        ]
        if "description" in edit.changes:
            changed.append("**Description** changed")
        embed = make_embed(
            f"Saved: {edit.organisation.name}", "\n".join(changed), tone=Tone.SUCCESS
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # show and list --------------------------------------------------------------------------

    @guild_command(name="show", description="Show an organisation")
    @app_commands.describe(name=NAME_HELP)
    @guild_autocomplete(name=organisation_names)
    @require(Access.MEMBER)
    async def show(self, interaction: GuildInteraction, name: Name) -> None:
        profile = await self.bot.organisations.organisation_profile(interaction.guild.id, name)
        organisation = profile.organisation
        people = profile.member_names
        embed = make_embed(
            organisation.name,
            organisation.description,
            fields=[
                *_organisation_fields(organisation),
                ("CoP membership", _cop_membership(profile)),
                ("Representatives", _representatives(profile.representatives)),
                (
                    f"Members ({len(people)})",
                    _within(people) if people else "Nobody has joined it yet (`/org join`).",
                ),
            ],
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @guild_command(name="list", description="List the community's organisations")
    @app_commands.describe(stakeholder="Only this stakeholder group", level="Only this level")
    @app_commands.choices(stakeholder=STAKEHOLDER_CHOICES, level=LEVEL_CHOICES)
    @require(Access.MEMBER)
    async def list_(
        self,
        interaction: GuildInteraction,
        stakeholder: app_commands.Choice[str] | None = None,
        level: app_commands.Choice[str] | None = None,
    ) -> None:
        embed, view = await organisation_listing(
            self.bot,
            interaction.guild.id,
            Stakeholder(stakeholder.value) if stakeholder else None,
            Level(level.value) if level else None,
            1,
        )
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    # people joining and leaving -------------------------------------------------------------

    @guild_command(name="join", description="Say which organisation you belong to")
    @app_commands.describe(name=NAME_HELP)
    @guild_autocomplete(name=organisation_names)
    @require(Access.MEMBER)
    async def join(self, interaction: GuildInteraction, name: Name) -> None:
        result = await self.bot.organisations.join(
            interaction.guild.id,
            interaction.guild.name,
            user_id=interaction.user.id,
            display_name=interaction.user.display_name,
            organisation_name=name,
        )
        joined = result.organisation.name
        if result.already:
            message = f"You already belong to **{joined}**; nothing changed."
        elif result.left is not None:
            message = f"You left **{result.left.name}** and joined **{joined}**."
        else:
            message = f"You joined **{joined}**."
        if not result.already:
            self._profile_changed(interaction)
        tone = Tone.INFO if result.already else Tone.SUCCESS
        await interaction.response.send_message(
            embed=make_embed("Organisation", message, tone=tone), ephemeral=True
        )

    @guild_command(name="leave", description="Leave the organisation you belong to")
    @require(Access.MEMBER)
    async def leave(self, interaction: GuildInteraction) -> None:
        left = await self.bot.organisations.leave(interaction.guild.id, user_id=interaction.user.id)
        self._profile_changed(interaction)
        embed = make_embed(
            "Organisation",
            f"You left **{left.name}**. You remain a member of the community on your own.",
            tone=Tone.SUCCESS,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # the organisation as a member of the CoP ------------------------------------------------

    @guild_command(name="admit", description="Make an organisation a member of the CoP")
    @app_commands.describe(
        name=NAME_HELP,
        status="Member (the default), or Applicant to record that it has applied",
    )
    @app_commands.choices(status=ADMIT_CHOICES)
    @guild_autocomplete(name=organisation_names)
    @require(Access.MODERATOR)
    async def admit(
        self,
        interaction: GuildInteraction,
        name: Name,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        wanted = CopStatus(status.value) if status else CopStatus.MEMBER
        await self._change_status(interaction, name, wanted)

    @guild_command(name="lapse", description="End an organisation's membership of the CoP")
    @app_commands.describe(name=NAME_HELP)
    @guild_autocomplete(name=organisation_names)
    @require(Access.MODERATOR)
    async def lapse(self, interaction: GuildInteraction, name: Name) -> None:
        await self._change_status(interaction, name, CopStatus.LAPSED)

    async def _change_status(
        self, interaction: GuildInteraction, name: str, wanted: CopStatus
    ) -> None:
        change = await self.bot.organisations.change_cop_status(
            interaction.guild.id,
            actor_id=interaction.user.id,
            name=name,
            status=wanted,
        )
        organisation = change.organisation.name
        since = _date(change.current.started_at)
        if not change.changed:
            text = {
                CopStatus.MEMBER: f"**{organisation}** is already a member of the CoP "
                f"(since {since}); nothing changed.",
                CopStatus.APPLICANT: f"**{organisation}** has already applied (since {since}); "
                "nothing changed.",
                CopStatus.LAPSED: f"**{organisation}**'s membership already lapsed (since "
                f"{since}); nothing changed.",
            }[wanted]
            await interaction.response.send_message(
                embed=make_embed("No change", text), ephemeral=True
            )
            return
        was = change.previous.status.value if change.previous else None
        text = {
            CopStatus.MEMBER: f"**{organisation}** is now a member of the CoP"
            + (f" (it was {was})." if was else "."),
            CopStatus.APPLICANT: f"**{organisation}** is recorded as an applicant to the CoP.",
            CopStatus.LAPSED: f"**{organisation}**'s membership of the CoP has lapsed.",
        }[wanted]
        embed = make_embed(
            "CoP membership saved",
            text,
            tone=Tone.SUCCESS,
            footer="The history of its status is kept; /org show lists it.",
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @guild_command(
        name="representative", description="Record who speaks for an organisation"
    )
    @app_commands.describe(
        name=NAME_HELP,
        member="The person who speaks for it",
        primary="True: the main contact (replaces the previous one)",
        remove="True: this person no longer speaks for it",
    )
    @guild_autocomplete(name=organisation_names)
    @require(Access.MODERATOR)
    async def representative(
        self,
        interaction: GuildInteraction,
        name: Name,
        member: discord.Member | discord.User,
        primary: bool | None = None,
        remove: bool = False,
    ) -> None:
        if not isinstance(member, discord.Member):
            raise BadInput(
                f"{member.mention} is not in this server.",
                "A representative must be a member of the community's server.",
            )
        if member.bot:
            raise BadInput(
                f"{member.mention} is a bot; a bot cannot speak for an organisation.",
                "Pick a person.",
            )
        change = await self.bot.organisations.change_representative(
            interaction.guild.id,
            interaction.guild.name,
            actor_id=interaction.user.id,
            name=name,
            user_id=member.id,
            display_name=member.display_name,
            primary=primary,
            remove=remove,
        )
        organisation = change.organisation.name
        who = member.mention
        lines = {
            "added": f"{who} now speaks for **{organisation}**"
            + (" as its primary representative." if primary else "."),
            "made primary": f"{who} is now the primary representative of **{organisation}**.",
            "unchanged": f"{who} already speaks for **{organisation}**; nothing changed.",
            "removed": f"{who} no longer speaks for **{organisation}**.",
        }
        text = [lines[change.action]]
        if change.replaced_primary is not None:
            text.append(
                f"<@{change.replaced_primary.user_id}> remains a representative, no longer "
                "the primary."
            )
        if change.belongs_elsewhere is not None:
            text.append(
                f"Note: {who} belongs to **{change.belongs_elsewhere.name}**, not to "
                f"**{organisation}**."
            )
        elif change.belongs_nowhere:
            text.append(
                f"Note: {who} has not joined **{organisation}**; they can with `/org join`."
            )
        tone = Tone.INFO if change.action == "unchanged" else Tone.SUCCESS
        embed = make_embed("Representatives", "\n".join(text), tone=tone)
        await interaction.response.send_message(embed=embed, ephemeral=True)


def _cop_membership(profile: service.OrganisationProfile) -> str:
    current = profile.status
    if current is None and not profile.history:
        return (
            "Not a member of the CoP; its people belong to the CoP on their own.\n"
            "Moderators admit it with `/org admit`."
        )
    lines = []
    if current is not None:
        lines.append(f"**{current.status.label}** since {_date(current.started_at)}")
    past = [period for period in profile.history if period.ended_at is not None]
    for period in reversed(past[-8:]):
        assert period.ended_at is not None
        lines.append(
            f"{period.status.label} from {_date(period.started_at)} to {_date(period.ended_at)}"
        )
    if current is not None and current.status == CopStatus.MEMBER:
        lines.append("Its people belong to the CoP through it, as well as on their own.")
    else:
        lines.append("Its people belong to the CoP on their own.")
    return "\n".join(lines)


def _representatives(representatives: Iterable[service.Representative]) -> str:
    shown = [
        f"<@{r.user_id}>{' (primary)' if r.primary else ''} since {_date(r.since)}"
        for r in representatives
    ]
    if not shown:
        return "None named yet (`/org representative`)."
    return _within(shown, separator="\n")


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Organisations(bot))
