"""/insights: the figures of sharing, silence and silos, for the member who asks (``me``), for
coordinators (everything else), and the charts that go with them.

Every answer is ephemeral: figures about people go to the people allowed to see them. The
command answers at once ("thinking"), the figures are computed off the event loop
(``bot.insights``), and the answer is edited in with the charts attached.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.errors import BadInput
from bot.insights import brokers, cafes, participation, questions, silos
from bot.insights.service import CommunityInsights
from bot.insights.text import measure_text, number_text
from bot.insights.values import Measure, Scope
from bot.membership.fields import NAME_MAX
from bot.permissions import Access, require
from cogs._ui.choices import organisation_names
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_autocomplete, guild_command
from cogs._ui.periods import SINCE_HELP, SPAN_CHOICES, UNTIL_HELP, Since, Until, chosen_period
from cogs.insights.digest import DigestCommands, DigestPoster
from cogs.options import FreeText

PERIOD_HELP = {
    "period": "The last 30 days (default), 90, 365, or everything",
    "since": SINCE_HELP,
    "until": UNTIL_HELP,
}
TOP_SHOWN = 8
ALLIANCE_TEXT_LIMIT = 4000
"""Characters of the alliance's lines in one embed description (Discord allows 4,096)."""
OrganisationName = app_commands.Transform[str, FreeText("name", NAME_MAX)]

# The community's headline figures, in the order they are shown.
HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("", participation.MEMBERS, "Members"),
    ("", participation.CONTRIBUTIONS, "Contributions"),
    ("", participation.SHARE_SILENT, "Silent"),
    ("", participation.GINI, "Inequality (Gini)"),
    ("", "top10_share", "Made by the top 10%"),
    ("", participation.ABSENCE_FACTOR, "Half made by"),
    ("", participation.ELEPHANT_FACTOR, "Organisations making half"),
    ("", "reciprocity", "Replies answered back"),
    ("", "horizontal_edges", "Replies within a level"),
    ("", "vertical_edges", "Replies across levels"),
    ("prompts", questions.RESPONSE_RATE, "Prompts answered in a week"),
    ("questions", questions.RESPONSE_RATE, "Questions answered in a week"),
)


@app_commands.guild_only()
class Insights(
    DigestCommands,
    commands.GroupCog,
    group_name="insights",
    group_description="Who shares, who not",
):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.digest_poster = DigestPoster(bot)

    async def cog_load(self) -> None:
        self.digest_poster.start()

    # --- for everyone ---------------------------------------------------------------------------

    @guild_command(name="me", description="Your own figures next to the community's")
    @app_commands.describe(**PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @require(Access.MEMBER)
    async def me(
        self,
        interaction: GuildInteraction,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        await interaction.response.defer(ephemeral=True, thinking=True)
        mine = await self.bot.insights.member(interaction.guild_id, interaction.user.id, chosen)
        ratio = "—" if mine.give_ratio is None else f"{mine.give_ratio:.2f}"
        median_ratio = "—" if mine.median_give_ratio is None else f"{mine.median_give_ratio:.2f}"
        lines = [
            f"**Given**: {mine.given:,} (the community's median: {_number(mine.median_given)})",
            f"**Received**: {mine.received:,} (median: {_number(mine.median_received)})",
            f"**Give ratio**: {ratio} (median: {median_ratio})",
        ]
        if mine.share_given_more is not None:
            lines.append(
                f"{mine.share_given_more:.0%} of the {mine.members:,} members gave more than you."
            )
        await interaction.edit_original_response(
            embed=make_embed(
                f"Your figures · {chosen.describe()}",
                "\n".join(lines),
                footer="Given: your messages, tablecloth notes and harvest items. Received: "
                "replies and reactions from others. Give ratio: given / (given + received). "
                "Only you see this.",
            )
        )

    @guild_command(name="community", description="The community's figures, with charts")
    @app_commands.describe(**PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @require(Access.MEMBER)
    async def community(
        self,
        interaction: GuildInteraction,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.insights.community(interaction.guild_id, chosen)
        fields = [
            (label, found.shown_text(Scope.COMMUNITY, group, metric))
            for group, metric, label in HEADLINES
        ]
        charts = await self.bot.insights.charts(found, ("lorenz", "activity"))
        await interaction.edit_original_response(
            embed=make_embed(
                f"{found.community.name} · {found.period_text}",
                "Given: messages, tablecloth notes and harvest items. Silent: members who gave "
                "nothing. Gini: 0 when everyone gives alike, near 1 when a few give all. "
                "Trends compare with the period of the same length before.",
                fields=fields,
                inline=True,
            ),
            attachments=_files(charts),
        )

    # --- for coordinators -----------------------------------------------------------------------

    @guild_command(name="member", description="A member's figures (only if they chose to be named)")
    @app_commands.describe(member="Who", **PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @require(Access.COORDINATOR)
    async def member(
        self,
        interaction: GuildInteraction,
        member: discord.Member,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        if not await self.bot.insights.named(interaction.guild_id, member.id):
            raise BadInput(
                f"{member.display_name} has not chosen to be named, so their figures go only "
                "to them.",
                "They can choose it with `/privacy visible choice:on`; the community's "
                "figures (`/insights community`) include everyone. Nothing was shown.",
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        theirs = await self.bot.insights.member(interaction.guild_id, member.id, chosen)
        ratio = "—" if theirs.give_ratio is None else f"{theirs.give_ratio:.2f}"
        await interaction.edit_original_response(
            embed=make_embed(
                f"{member.display_name} · {chosen.describe()}",
                f"**Given**: {theirs.given:,} (median {_number(theirs.median_given)})\n"
                f"**Received**: {theirs.received:,} (median {_number(theirs.median_received)})\n"
                f"**Give ratio**: {ratio}",
                footer=f"{member.display_name} chose to be named (/privacy visible).",
            )
        )

    @guild_command(name="org", description="An organisation's figures: sharing, silo, brokers")
    @app_commands.describe(name="The organisation", **PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @guild_autocomplete(name=organisation_names)
    @require(Access.COORDINATOR)
    async def org(
        self,
        interaction: GuildInteraction,
        name: OrganisationName,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        profile = await self.bot.organisations.organisation_profile(interaction.guild_id, name)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.insights.community(interaction.guild_id, chosen)
        group = profile.organisation.name
        size = found.value(Scope.ORGANISATION, group, participation.GIVEN)
        if size is not None and size.n < found.min_group:
            await interaction.edit_original_response(
                embed=make_embed(
                    f"{group} · {found.period_text}",
                    f"Fewer than {found.min_group} of its people are present: its figures "
                    "would tell about one or two people, so they are not shown.",
                    tone=Tone.WARNING,
                )
            )
            return
        fields = [
            (label, found.shown_text(Scope.ORGANISATION, group, metric))
            for metric, label in (
                (participation.GIVEN, "Given"),
                (participation.RECEIVED, "Received"),
                (participation.GIVE_RATIO, "Give ratio"),
                (participation.SHARE_SILENT, "Silent"),
                (silos.EI_INDEX, "E-I index"),
                (silos.EI_EXPECTED, "E-I expected by chance"),
                (silos.EI_P_VALUE, "p-value"),
            )
        ]
        verdict = found.figures.verdicts.get((Scope.ORGANISATION, group))
        if verdict is not None:
            fields.append(("Silo?", ("Yes: " if verdict.silo else "No: ") + verdict.reason))
        roles = [
            f"{role.value}: {measure_text(found.value(Scope.ORGANISATION, group, role.metric), 0)}"
            for role in brokers.Role
        ]
        fields.append(("Brokerage (Gould and Fernandez)", ", ".join(roles)))
        hoarding = found.value(Scope.ORGANISATION, group, "hoarding_periods")
        if hoarding is not None and hoarding.value is not None:
            fields.append(
                (
                    "Hoarding signal",
                    f"received but gave little (give ratio under 0.2) in the last "
                    f"{int(hoarding.value)} periods of this length",
                )
            )
        await interaction.edit_original_response(
            embed=make_embed(
                f"{group} · {found.period_text}",
                "E-I index: (replies across - replies within) / all replies of its people; "
                "-1 keeps to itself, +1 only talks outside.",
                fields=fields,
                inline=True,
            )
        )

    @guild_command(name="network", description="Organisations, silos, flows and brokers")
    @app_commands.describe(**PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @require(Access.COORDINATOR)
    async def network(
        self,
        interaction: GuildInteraction,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.insights.community(interaction.guild_id, chosen)
        silo_lines = [
            f"**{group}**: {verdict.reason}"
            for (scope, group), verdict in sorted(found.figures.verdicts.items())
            if verdict.silo and scope is Scope.ORGANISATION
        ]
        brokers_named = self._named_brokers(found)
        charts = await self.bot.insights.charts(
            found, ("network", "ei_organisation", "level_matrix")
        )
        await interaction.edit_original_response(
            embed=make_embed(
                f"The network · {found.period_text}",
                fields=[
                    ("Silos", "\n".join(silo_lines[:TOP_SHOWN]) or "None found."),
                    ("Brokers who chose to be named", brokers_named),
                    (
                        "Replies",
                        f"within a level: "
                        f"{found.shown_text(Scope.COMMUNITY, '', 'horizontal_edges')}, "
                        f"across levels: "
                        f"{found.shown_text(Scope.COMMUNITY, '', 'vertical_edges')}, "
                        "answered back: "
                        f"{found.shown_text(Scope.COMMUNITY, '', 'reciprocity')}",
                    ),
                ],
                footer="Organisations with fewer people than the smallest group shown are left "
                "out of the pictures. Nobody is named who did not choose it.",
            ),
            attachments=_files(charts),
        )

    @guild_command(name="alliance", description="What crossed the links between platforms")
    @app_commands.describe(**PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @require(Access.COORDINATOR)
    async def alliance(
        self,
        interaction: GuildInteraction,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.insights.alliance(interaction.guild_id, chosen)
        title = "The learning alliance"  # the period is the first line
        if not found.has_links:
            home = ", ".join(f"**{found.names[i]}**" for i in sorted(found.home_ids))
            await interaction.edit_original_response(
                embed=make_embed(
                    title,
                    f"{home} has no links to other platforms in this period, so nothing could "
                    "cross. A moderator links it with `/platform invite`: the other platform's "
                    "moderators join with the code (`/platform join`).",
                    tone=Tone.WARNING,
                )
            )
            return
        await interaction.edit_original_response(
            embed=make_embed(
                title,
                fitted_lines(found.lines, ALLIANCE_TEXT_LIMIT),
                footer="Items: copies of what was shared on purpose that reached a linked "
                "platform's inbox. Responses: messages in those copies' threads. Up: to a parent "
                "platform; down: to a child; horizontal: between peers.",
            ),
            attachments=[discord.File(io.BytesIO(found.chart), filename="alliance.png")],
        )

    @guild_command(name="cafe", description="A café's tables: silence, notes, who met whom")
    @app_commands.describe(cafe="The café's number (default: the latest)")
    @require(Access.COORDINATOR)
    async def cafe(
        self, interaction: GuildInteraction, cafe: app_commands.Range[int, 1] | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        measures, min_group, cafe_id = await self.bot.insights.cafe(interaction.guild_id, cafe)
        tables = [m for m in measures if m.metric == cafes.TABLE_SILENCE]
        notes = {m.group: m for m in measures if m.metric == cafes.TABLE_NOTES}
        lines = [
            f"{m.group.split(' · ', 1)[1]}: silent {measure_text(m, min_group)}, notes "
            f"{measure_text(notes.get(m.group), min_group)}"
            for m in tables
        ]
        summary = [
            f"{label}: {measure_text(m, min_group)}"
            for metric, label in (
                (cafes.CAFE_SILENCE, "Seats that stayed silent"),
                (cafes.MEAN_ORGANISATIONS_MET, "Organisations met per person"),
                (cafes.MEAN_STAKEHOLDERS_MET, "Stakeholder groups met per person"),
            )
            for m in measures
            if m.metric == metric and m.scope is Scope.COMMUNITY
        ]
        await interaction.edit_original_response(
            embed=make_embed(
                f"Café #{cafe_id}",
                "\n".join(summary) or "Nobody was seated.",
                fields=[("Tables, round by round", "\n".join(lines[:40]) or "—")],
                footer="Silent: seated people who posted nothing at their table.",
            )
        )

    @guild_command(name="prompts", description="How the questions are answered")
    @app_commands.describe(**PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @require(Access.COORDINATOR)
    async def prompts(
        self,
        interaction: GuildInteraction,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.insights.community(interaction.guild_id, chosen)
        fields = []
        for group, label in (("prompts", "Prompts posted"), ("questions", "Members' questions")):
            asked, rate, hours = (
                measure_text(found.value(Scope.COMMUNITY, group, metric), found.min_group)
                for metric in (
                    questions.QUESTIONS,
                    questions.RESPONSE_RATE,
                    questions.MEDIAN_HOURS_TO_FIRST_ANSWER,
                )
            )
            fields.append(
                (
                    label,
                    f"{asked} asked, {rate} answered within a week, first answer after {hours} "
                    "(median)",
                )
            )
        per_prompt = [
            f"{m.group}: {measure_text(m, 0)} answers by "
            f"{measure_text(found.value(Scope.PROMPT, m.group, questions.ANSWERERS), 0)} people"
            for m in found.of_scope(Scope.PROMPT, questions.ANSWERS)
        ]
        fields.append(("Each prompt", "\n".join(per_prompt[-15:]) or "None posted."))
        await interaction.edit_original_response(
            embed=make_embed(f"Questions · {found.period_text}", fields=fields)
        )

    @guild_command(name="report", description="One HTML page of every figure, to print")
    @app_commands.describe(**PERIOD_HELP)
    @app_commands.choices(period=SPAN_CHOICES)
    @require(Access.COORDINATOR)
    async def report(
        self,
        interaction: GuildInteraction,
        period: str | None = None,
        since: Since | None = None,
        until: Until | None = None,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        await interaction.response.defer(ephemeral=True, thinking=True)
        page = await self.bot.insights.report(
            interaction.guild_id, chosen, made_by=interaction.user.display_name
        )
        name = f"insights-{chosen.since or 'start'}-{chosen.until or 'now'}.html"
        await interaction.edit_original_response(
            embed=make_embed(
                f"Insights report · {chosen.describe()}",
                "One page with every figure, each with a sentence on what it means and how it "
                "was computed. Open it in a browser; print it to PDF for the steering group.",
                tone=Tone.SUCCESS,
            ),
            attachments=[discord.File(io.BytesIO(page.encode()), filename=name)],
        )

    # --- helpers ----------------------------------------------------------------------------------

    def _named_brokers(self, found: CommunityInsights) -> str:
        ranked: Sequence[Measure] = sorted(
            (m for m in found.of_scope(Scope.MEMBER, brokers.BETWEENNESS) if m.value),
            key=lambda m: m.value or 0.0,
            reverse=True,
        )
        names = found.named_members()
        top = ranked[:TOP_SHOWN]
        shown = [
            f"{names[m.group]} ({number_text(m.metric, m.value or 0.0)})"
            for m in top
            if m.group in names
        ]
        hidden = len(top) - len(shown)
        if hidden:
            shown.append(f"and {hidden} of the top {len(top)} who did not choose to be named")
        return "\n".join(shown) or "Nobody lies between others yet."


def fitted_lines(lines: Sequence[str], limit: int) -> str:
    """As many whole lines as fit in ``limit`` characters, then "… and N more" for the rest."""
    if len("\n".join(lines)) <= limit:
        return "\n".join(lines)
    kept: list[str] = []
    for index, line in enumerate(lines):
        after = len(lines) - index - 1
        if len("\n".join([*kept, line, f"… and {after:,} more"])) > limit:
            return "\n".join([*kept, f"… and {after + 1:,} more"])
        kept.append(line)
    return "\n".join(kept)  # not reached: the whole did not fit


def _files(charts: dict[str, bytes]) -> list[discord.File]:
    return [discord.File(io.BytesIO(png), filename=f"{key}.png") for key, png in charts.items()]


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}".removesuffix(".0")
