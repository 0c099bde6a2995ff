"""/export: coordinators' files of the participation log, and the list of exports made.

The command answers at once ("thinking", only for the coordinator), writes the file in a
temporary folder while the event loop keeps serving others (bot/exports/bridge.py), shows how
far it got on long exports, then attaches the file to its answer: as it is when it fits the
server's upload limit, zipped when only that fits, and otherwise with the exact command-line
command that makes the same file on the machine where the bot runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.exports.archive import zipped
from bot.exports.codebook import CODEBOOK_FILE
from bot.exports.progress import RowProgress, progress_text
from bot.exports.request import ExportKind, ExportRequest, FileFormat, NameMode
from bot.exports.service import ExportResult
from bot.periods import Period
from bot.permissions import Access, require
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_command
from cogs._ui.periods import (
    SINCE_HELP,
    SPAN_CHOICES,
    UNTIL_HELP,
    Since,
    Until,
    chosen_period,
    typed_period,
)

# Formats offered in Discord (Parquet is for the command line, where researchers script).
FORMAT_CHOICES = [
    app_commands.Choice(name="CSV (opens in any spreadsheet)", value=FileFormat.CSV.value),
    app_commands.Choice(name="Excel workbook (XLSX)", value=FileFormat.XLSX.value),
    app_commands.Choice(name="JSON lines (for scripts)", value=FileFormat.JSONL.value),
]
NAME_CHOICES = [
    app_commands.Choice(name="pseudonyms (default)", value=NameMode.PSEUDONYMOUS.value),
    app_commands.Choice(
        name="names of people who chose /privacy visible", value=NameMode.VISIBLE.value
    ),
]
OPTION_HELP = {
    "format": "The file's format (default CSV)",
    "since": SINCE_HELP,
    "until": UNTIL_HELP,
    "names": "How people are shown (default: pseudonyms)",
}
PROGRESS_EVERY = 2.0  # seconds between edits of the progress line
HISTORY_SHOWN = 15


@app_commands.guild_only()
class Exports(commands.GroupCog, group_name="export", group_description="Files for coordinators"):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot

    @guild_command(name="contributions", description="One row per logged contribution")
    @app_commands.describe(**OPTION_HELP)
    @app_commands.choices(format=FORMAT_CHOICES, names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def contributions(
        self,
        interaction: GuildInteraction,
        format: str = FileFormat.CSV.value,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        await self._export(
            interaction, ExportKind.CONTRIBUTIONS, format, typed_period(since, until), names
        )

    @guild_command(name="members", description="The register: people present and past")
    @app_commands.describe(**OPTION_HELP)
    @app_commands.choices(format=FORMAT_CHOICES, names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def members(
        self,
        interaction: GuildInteraction,
        format: str = FileFormat.CSV.value,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        await self._export(
            interaction, ExportKind.MEMBERS, format, typed_period(since, until), names
        )

    @guild_command(
        name="organisations", description="Organisations, their CoP status and representatives"
    )
    @app_commands.describe(**OPTION_HELP)
    @app_commands.choices(format=FORMAT_CHOICES, names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def organisations(
        self,
        interaction: GuildInteraction,
        format: str = FileFormat.CSV.value,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        await self._export(
            interaction, ExportKind.ORGANISATIONS, format, typed_period(since, until), names
        )

    @guild_command(name="cafes", description="Cafés: rounds, seats, tablecloth notes, harvests")
    @app_commands.describe(**OPTION_HELP)
    @app_commands.choices(format=FORMAT_CHOICES, names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def cafes(
        self,
        interaction: GuildInteraction,
        format: str = FileFormat.CSV.value,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        await self._export(interaction, ExportKind.CAFES, format, typed_period(since, until), names)

    @guild_command(name="prompts", description="Questions, their posts and the answers they got")
    @app_commands.describe(**OPTION_HELP)
    @app_commands.choices(format=FORMAT_CHOICES, names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def prompts(
        self,
        interaction: GuildInteraction,
        format: str = FileFormat.CSV.value,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        await self._export(
            interaction, ExportKind.PROMPTS, format, typed_period(since, until), names
        )

    @guild_command(
        name="network", description="Who replied to whom: edge lists and GraphML for Gephi or Kumu"
    )
    @app_commands.describe(**OPTION_HELP)
    @app_commands.choices(format=FORMAT_CHOICES, names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def network(
        self,
        interaction: GuildInteraction,
        format: str = FileFormat.CSV.value,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        await self._export(
            interaction, ExportKind.NETWORK, format, typed_period(since, until), names
        )

    @guild_command(name="all", description="Everything as CSV in one zip, with a codebook")
    @app_commands.describe(**{k: v for k, v in OPTION_HELP.items() if k != "format"})
    @app_commands.choices(names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def all(
        self,
        interaction: GuildInteraction,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        await self._export(
            interaction, ExportKind.ALL, FileFormat.CSV.value, typed_period(since, until), names
        )

    @guild_command(name="metrics", description="Every insight figure of a period, in long form")
    @app_commands.describe(
        period="The last 30 days (default), 90, 365, or everything", **OPTION_HELP
    )
    @app_commands.choices(period=SPAN_CHOICES, format=FORMAT_CHOICES, names=NAME_CHOICES)
    @require(Access.COORDINATOR)
    async def metrics(
        self,
        interaction: GuildInteraction,
        period: str | None = None,
        format: str = FileFormat.CSV.value,
        since: Since | None = None,
        until: Until | None = None,
        names: str = NameMode.PSEUDONYMOUS.value,
    ) -> None:
        chosen = await chosen_period(self.bot, interaction, period, since, until)
        await self._export(interaction, ExportKind.METRICS, format, chosen, names)

    async def _export(
        self,
        interaction: GuildInteraction,
        kind: ExportKind,
        format: str,
        period: Period,
        names: str,
    ) -> None:
        # The period is checked by the caller before anything is said or written.
        request = ExportRequest(
            interaction.guild_id, kind, FileFormat(format), period, NameMode(names)
        )
        exports = self.bot.exports
        file_name = exports.file_name(request)
        await interaction.response.defer(ephemeral=True, thinking=True)
        progress = _Progress(interaction, await exports.expected_rows(request))
        with tempfile.TemporaryDirectory(prefix="copbot-export-") as folder:
            path = Path(folder) / file_name
            result = await exports.write(
                request,
                path,
                actor_id=interaction.user.id,
                actor_name=interaction.user.display_name,
                on_rows=progress.rows.add,
            )
            await progress.stop()
            summary = _summary(request, result)
            upload = _fitting(path, interaction.guild.filesize_limit)
            if upload is None:
                await interaction.edit_original_response(
                    content=None,
                    embed=make_embed(
                        "The file is too large to attach here",
                        f"{summary}\nEven zipped it is over this server's upload limit "
                        f"({interaction.guild.filesize_limit / 1_000_000:g} MB). On the machine "
                        "where the bot runs, this makes the same file:\n"
                        f"`{request.command_line()}`",
                        tone=Tone.WARNING,
                    ),
                )
                return
            await interaction.edit_original_response(
                content=None,
                embed=make_embed("Your export", summary, tone=Tone.SUCCESS),
                attachments=[discord.File(upload, filename=upload.name)],
            )

    @guild_command(name="history", description="The exports made so far, newest first")
    @require(Access.COORDINATOR)
    async def history(self, interaction: GuildInteraction) -> None:
        made = await self.bot.exports.history(interaction.guild_id, limit=HISTORY_SHOWN)
        if not made:
            await interaction.response.send_message(
                embed=make_embed(
                    "No exports yet", "Make one with `/export contributions` or `/export all`."
                ),
                ephemeral=True,
            )
            return
        lines = []
        for record in made:
            who = _who(interaction.guild, record.actor_id)
            lines.append(
                f"{discord.utils.format_dt(record.made_at, 'f')}: **{record.kind}** by {who}, "
                f"{record.period}, {record.file_format.upper()}, {record.names}, "
                f"{record.rows:,} rows"
            )
        await interaction.response.send_message(
            embed=make_embed("Exports made", "\n".join(lines)), ephemeral=True
        )


class _Progress:
    """The row count shown in the deferred answer (:class:`RowProgress`): one edit at a time,
    and none after :meth:`stop` (the result replaces it)."""

    def __init__(self, interaction: GuildInteraction, total: int | None) -> None:
        self.interaction = interaction
        self.total = total
        self.rows = RowProgress(PROGRESS_EVERY, self._show_later)
        self._showing: asyncio.Task[None] | None = None
        self._stopped = False

    def _show_later(self, rows: int) -> None:
        if self._stopped or (self._showing is not None and not self._showing.done()):
            return
        self._showing = asyncio.create_task(self._show(rows))

    async def _show(self, rows: int) -> None:
        with contextlib.suppress(discord.HTTPException):  # progress only: the file still comes
            await self.interaction.edit_original_response(
                content=f"Exporting… {progress_text(rows, self.total)}"
            )

    async def stop(self) -> None:
        self._stopped = True
        if self._showing is not None:
            await self._showing


def _summary(request: ExportRequest, result: ExportResult) -> str:
    """What was exported: the rows, (for several files) which files, the period, the names."""
    if len(result.rows_by_file) == 1:
        what = f"{result.rows:,} {result.rows_are}"
    else:
        tables = [
            f"{name} ({rows:,})"
            for name, rows in result.rows_by_file.items()
            if name != CODEBOOK_FILE and not name.endswith(".graphml")
        ]
        what = f"{result.file_name}, {result.rows:,} rows in {len(tables)} tables: " + ", ".join(
            tables
        )
    names = (
        "people as pseudonyms."
        if request.names is NameMode.PSEUDONYMOUS
        else "names of people who chose to be named, pseudonyms for the rest."
    )
    period = request.period.describe()
    if len(result.rows_by_file) == 1:
        return f"{what}, {period}; {names}"
    return f"{what}.\nPeriod: {period}; {names}"


def _fitting(path: Path, limit: int) -> Path | None:
    """The file to attach: as it is if it fits, else zipped if that fits (a zip is not zipped
    again), else None."""
    if path.stat().st_size <= limit:
        return path
    if path.suffix == ".zip":
        return None
    smaller = zipped(path)
    return smaller if smaller.stat().st_size <= limit else None


def _who(guild: discord.Guild, actor_id: int | None) -> str:
    if actor_id is None:
        return "the command line"
    member = guild.get_member(actor_id)
    return member.display_name if member is not None else "a former member"


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Exports(bot))
