"""/cafe: World Café sessions in threads. Thin: options in, the café service and the runner
(cogs/cafe/runner.py) do the work, a message out."""

from __future__ import annotations

import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.cafe import text
from bot.cafe.service import (
    CAFE_START,
    MAX_NOTE,
    MAX_TITLE,
    RESUME,
    ROUND_END,
    ROUND_WARNING,
    SERIES_START,
    describe_state,
    read_cafe_request,
)
from bot.cafe.values import Cafe, CafeState, CafeTable
from bot.client import CopBot
from bot.contributions.service import SpecialThread
from bot.errors import BadInput, CopbotError, NotAllowed
from bot.permissions import Access, check_access, require
from bot.platforms.values import ShareTarget
from bot.scheduling.scheduler import Firing
from bot.scheduling.when import MAX_TEXT_LENGTH as MAX_WHEN
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_autocomplete, guild_command
from cogs._ui.tree import send_ephemeral
from cogs.cafe.runner import CafeRunner, TablesTold
from cogs.cafe.views import (
    FacilitatorButton,
    SignupButton,
    TableclothButton,
    add_note,
    forget_runner,
    join,
    leave,
    register_runner,
)
from cogs.options import FreeText, RowNumber

log = logging.getLogger(__name__)

THREAD_TYPE_CHOICES = [
    app_commands.Choice(name="Public threads (anyone can read along)", value="public"),
    app_commands.Choice(name="Private threads (only the table)", value="private"),
]
CAFE_HELP = "The café's number (see /cafe list); leave it out when only one café is on"
MAX_BROADCAST = 1800
MAX_QUESTIONS = 1000  # every round's questions in one option
CafeNumber = app_commands.Transform[int, RowNumber("café", "/cafe list")]
EMBED_DESCRIPTION_MAX = 4096
SHARE_CHOICES = [
    app_commands.Choice(name="up: to the parent platforms", value="up"),
    app_commands.Choice(name="down: to the child platforms", value="down"),
    app_commands.Choice(name="peers: to the peer platforms", value="peers"),
    app_commands.Choice(name="all: to every linked platform", value="all"),
]


async def cafe_numbers(
    interaction: GuildInteraction, current: str
) -> list[app_commands.Choice[int]]:
    typed = current.strip().lower()
    choices = []
    for cafe in await interaction.client.cafes.list_cafes(interaction.guild_id):
        label = f"#{cafe.id} {cafe.title} ({describe_state(cafe)})"[:100]
        if not typed or typed in label.lower():
            choices.append(app_commands.Choice(name=label, value=cafe.id))
    return choices[:25]


@app_commands.guild_only()
class CafeCog(commands.GroupCog, name="Cafe", group_name="cafe", group_description="World Café"):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.service = bot.cafes
        self.runner = CafeRunner(bot, self.service)
        # Built once and registered for this bot: the buttons (cogs/cafe/views.py) reach it there.
        register_runner(bot, self.runner)
        self._recovered = False
        self.harvest_menu = app_commands.ContextMenu(
            name="Add to harvest", callback=self.add_to_harvest
        )
        self.harvest_menu.guild_only = True

    dynamic_items = (SignupButton, TableclothButton, FacilitatorButton)

    async def cog_load(self) -> None:
        self.runner.thread_ids.update(await self.service.table_thread_ids())
        # Table threads are always logged, tracked channel or not (cogs/contributions.py).
        self.bot.special_threads.add_lookup(self._special_thread)
        self.bot.tree.add_command(self.harvest_menu)
        for kind, handler in (
            (ROUND_END, self._on_round_end),
            (ROUND_WARNING, self._on_round_warning),
            (CAFE_START, self._on_cafe_start),
            (SERIES_START, self._on_series_start),
            (RESUME, self._on_resume),
        ):
            self.bot.scheduler.handle(kind, handler)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.harvest_menu.name, type=self.harvest_menu.type)
        self.bot.special_threads.remove_lookup(self._special_thread)
        forget_runner(self.bot)

    def _special_thread(self, thread_id: int) -> SpecialThread | None:
        kind = self.runner.special_thread(thread_id)
        return None if kind is None else SpecialThread(kind)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        if self._recovered:
            return
        self._recovered = True
        self.bot.run_in_background(self.runner.recover(), "café recovery")

    # --- timers ---------------------------------------------------------------------------------

    async def _on_round_end(self, firing: Firing) -> str | None:
        cafe = await self.service.get(firing.target_id)
        if cafe is None or cafe.state != CafeState.RUNNING:
            return "the café is not running"
        if cafe.round_ends_at is None or cafe.round_ends_at > firing.scheduled_for:
            return "stale: the round was extended"
        await self.runner.advance(cafe.id, cafe.current_round)
        return f"round {cafe.current_round} ended"

    async def _on_round_warning(self, firing: Firing) -> str | None:
        await self.runner.warn(firing.target_id)
        return None

    async def _on_resume(self, firing: Firing) -> str | None:
        return await self.runner.resume(firing.target_id)

    async def _on_cafe_start(self, firing: Firing) -> str | None:
        cafe = await self.service.get(firing.target_id)
        if cafe is None or cafe.state != CafeState.OPEN:
            return "the café is not open for sign-up"
        return await self._start_from_timer(cafe)

    async def _on_series_start(self, firing: Firing) -> str | None:
        cafe = await self.service.open_cafe_of_series(firing.target_id)
        if cafe is None:
            return "no café of the series is open for sign-up"
        return await self._start_from_timer(cafe)

    async def _start_from_timer(self, cafe: Cafe) -> str:
        try:
            await self.runner.start_round(cafe.id, 1)
        except CopbotError as error:
            await self._tell_channel(cafe, f"**{cafe.title}** could not start: {error.problem}")
            return error.problem
        await self.runner.signups.refresh(cafe.id)
        if await self.runner.retrying(cafe.id):
            return "started; Discord failed part of the work, a retry is set"
        return "started"

    async def _tell_channel(self, cafe: Cafe, content: str) -> None:
        channel = self.bot.get_channel(cafe.channel_id)
        if isinstance(channel, discord.TextChannel):
            await channel.send(content, allowed_mentions=discord.AllowedMentions.none())

    # --- creating and signing up ------------------------------------------------------------------

    @guild_command(name="create", description="Plan a World Café and open it for sign-up")
    @app_commands.describe(
        title="A short title",
        questions="One question for every round, or one per round separated by |",
        rounds="How many rounds (1-6; three is classic)",
        round_minutes="Minutes per round (1-180; 20-30 is usual)",
        tables="How many tables (default: about five seats per table, hosts included)",
        starts_at="When it starts, e.g. 2026-12-01 14:30 in the server's timezone "
        "(default: started by hand with /cafe start)",
        repeat="For a café that comes back, e.g. monthly first tue 14:00",
        thread_type="Public or private table threads (default public)",
        channel="Where the sign-up and the harvest go (default: here)",
        warning_minutes="How many minutes before a round ends the tables are warned "
        "(default 2; 0: no warning)",
    )
    @app_commands.choices(thread_type=THREAD_TYPE_CHOICES)
    @require(Access.MODERATOR)
    async def create(
        self,
        interaction: GuildInteraction,
        title: app_commands.Transform[str, FreeText("title", MAX_TITLE)],
        questions: app_commands.Transform[str, FreeText("questions", MAX_QUESTIONS)],
        rounds: int,
        round_minutes: int,
        tables: int | None = None,
        starts_at: app_commands.Transform[str, FreeText("starts_at", MAX_WHEN)] | None = None,
        repeat: app_commands.Transform[str, FreeText("repeat", MAX_WHEN)] | None = None,
        thread_type: app_commands.Choice[str] | None = None,
        channel: discord.TextChannel | None = None,
        warning_minutes: int | None = None,
    ) -> None:
        where = channel or interaction.channel
        if not isinstance(where, discord.TextChannel):
            raise BadInput(
                "A café needs a text channel for its sign-up and its table threads.",
                "Run the command in a text channel, or name one with `channel`.",
            )
        me = where.permissions_for(where.guild.me)
        private = thread_type is not None and thread_type.value == "private"
        can_open = me.create_private_threads if private else me.create_public_threads
        if not (me.send_messages and me.embed_links and can_open and me.manage_threads):
            kind = "private" if private else "public"
            raise NotAllowed(
                f"I can't run a café in {where.mention}: I need to send messages, embed links, "
                f"create {kind} threads and manage threads there.",
                "Give my role those permissions in that channel, or choose another channel.",
            )
        community = await self.bot.communities.settings(
            interaction.guild.id, interaction.guild.name
        )
        request = read_cafe_request(
            title=title,
            questions=questions,
            rounds=rounds,
            round_minutes=round_minutes,
            tables=tables,
            starts_at=starts_at,
            repeat=repeat,
            thread_type=thread_type.value if thread_type else None,
            timezone=community.timezone,
            now=self.service.clock(),
            warning_minutes=warning_minutes,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        cafe = await self.service.create(
            interaction.guild.id,
            interaction.guild.name,
            channel_id=where.id,
            actor_id=interaction.user.id,
            request=request,
        )
        message = await self.runner.post_signup_or_retry(cafe)
        where_to_sign = (
            message.jump_url
            if message is not None
            else f"Discord is not letting me post its sign-up message in {where.mention} right "
            "now; I keep trying by myself, and `/cafe join` works meanwhile."
        )
        await interaction.followup.send(
            f"Café #{cafe.id} **{cafe.title}** is open for sign-up: {where_to_sign}\n"
            "Hosts: `/cafe host` or the Host a table button. Preview the seating with "
            "`/cafe plan`; start with `/cafe start`"
            + (
                " (or it starts by itself at its time)."
                if cafe.starts_at or cafe.repeat_when
                else "."
            ),
            ephemeral=True,
        )

    @guild_command(name="join", description="Sign up for a café")
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MEMBER)
    async def join(self, interaction: GuildInteraction, cafe: CafeNumber | None = None) -> None:
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.OPEN, CafeState.RUNNING), doing="join"
        )
        # A burst of sign-ups queues on the café's row: the tree defers in time (cogs/_ui/answers).
        await send_ephemeral(interaction, await join(self.runner, found, interaction.user.id))

    @guild_command(name="leave", description="Leave a café you signed up for")
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MEMBER)
    async def leave(self, interaction: GuildInteraction, cafe: CafeNumber | None = None) -> None:
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.OPEN, CafeState.RUNNING), doing="leave"
        )
        await send_ephemeral(interaction, await leave(self.runner, found, interaction.user.id))

    @guild_command(name="host", description="Make a member the host of a table")
    @app_commands.describe(
        member="Who hosts: they stay at their table every round",
        table="Which table (default: the first without a host)",
        cafe=CAFE_HELP,
    )
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def host(
        self,
        interaction: GuildInteraction,
        member: discord.Member,
        table: int | None = None,
        cafe: CafeNumber | None = None,
    ) -> None:
        if member.bot:
            raise BadInput(f"{member.display_name} is a bot.", "Choose a person to host.")
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.OPEN,), doing="choose hosts for"
        )
        signup = await self.service.host(
            found, member.id, table=table, actor_id=interaction.user.id
        )
        self.runner.signups.request(found.id)
        again = " (No change: they already did.)" if signup.already else ""
        await send_ephemeral(
            interaction,
            f"{member.mention} hosts table {signup.participant.host_table} of "
            f"**{found.title}**.{again}",
        )

    # --- running rounds ---------------------------------------------------------------------------

    @guild_command(
        name="start",
        description="Start a café: seat round 1 and open the tables (or open those left)",
    )
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def start(self, interaction: GuildInteraction, cafe: CafeNumber | None = None) -> None:
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.OPEN, CafeState.RUNNING), doing="start"
        )
        if found.state == CafeState.RUNNING:
            await self._open_tables_left(interaction, found)
            return
        await self.service.check_can_seat(found)  # before deferring: the answer comes at once
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await self.runner.start_round(found.id, 1)
        finally:
            await self.runner.signups.refresh(found.id)
        waiting = await self._work_waiting(found.id)
        answer = (
            f"**{found.title}** has started: round 1 is under way.{waiting}"
            if waiting
            else f"**{found.title}** has started: round 1 is open. The tables are listed in "
            f"<#{found.channel_id}>."
        )
        await interaction.followup.send(answer, ephemeral=True)

    async def _work_waiting(self, cafe_id: int) -> str:
        """What of the café's Discord work waits on a retry, said for the moderator ("" if
        nothing does)."""
        if not await self.runner.retrying(cafe_id):
            return ""
        view = await self.service.round_view(cafe_id)
        keep_trying = (
            "I keep trying by myself and say so in the café channel; you don't need to do anything."
        )
        if view is not None and view.cafe.state == CafeState.RUNNING and view.unopened:
            return (
                f" Discord is not letting me open threads right now: "
                f"{len(view.tables) - view.unopened} of {len(view.tables)} tables of round "
                f"{view.round_number} are open, and the others open as soon as Discord lets "
                f"me. {keep_trying}"
            )
        return f" Discord is not letting me through now: part of the work waits. {keep_trying}"

    async def _open_tables_left(self, interaction: GuildInteraction, found: Cafe) -> None:
        """``/cafe start`` on a running café opens the tables a start could not open."""
        view = await self.service.round_view(found.id)
        if view is None or not view.unopened:
            raise BadInput(
                f"**{found.title}** is running: round {found.current_round} is open.",
                "`/cafe next` ends the round and seats the next one.",
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The late tables get the whole round, counted from now (their briefings say so), and
        # the tables open already get the same time more.
        restarted = await self.service.restart_round_clock(found.id, actor_id=interaction.user.id)
        again = ""
        if restarted is not None and restarted.round_ends_at is not None:
            ends = discord.utils.format_dt(restarted.round_ends_at, "R")
            # The tables open already hear it (the late ones read it in their briefing).
            await self.runner.tell_tables(
                found.id,
                f"⏳ The round starts again for everyone, so that the tables opening late get "
                f"the whole round: it ends {ends}.",
            )
            again = f" The round starts again for everyone: it ends {ends}."
        await self.runner.start_round(found.id, found.current_round)
        waiting = await self._work_waiting(found.id)
        answer = (
            f"Round {found.current_round} of **{found.title}** goes on.{waiting}{again}"
            if waiting
            else f"The other tables of round {found.current_round} of **{found.title}** are "
            f"open now. The tables are listed in <#{found.channel_id}>.{again}"
        )
        await interaction.followup.send(answer, ephemeral=True)

    @guild_command(name="next", description="End the round now and seat the next one")
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def next_round(
        self, interaction: GuildInteraction, cafe: CafeNumber | None = None
    ) -> None:
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.RUNNING,), doing="move on"
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.runner.end_now(found)
        after = await self.service.get(found.id)
        assert after is not None
        waiting = await self._work_waiting(found.id)
        if after.state == CafeState.RUNNING:
            answer = f"Round {after.current_round} of **{found.title}** has started.{waiting}"
        elif waiting:
            answer = f"That was the last round of **{found.title}**: its harvest is next.{waiting}"
        else:
            answer = f"That was the last round: the harvest of **{found.title}** is posted."
        await interaction.followup.send(answer, ephemeral=True)

    @guild_command(name="extend", description="Give the running round more time")
    @app_commands.describe(minutes="How many minutes more (1-120)", cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def extend(
        self,
        interaction: GuildInteraction,
        minutes: int,
        cafe: CafeNumber | None = None,
    ) -> None:
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.RUNNING,), doing="extend"
        )
        updated = await self.service.extend(found, minutes, actor_id=interaction.user.id)
        assert updated.round_ends_at is not None
        ends = discord.utils.format_dt(updated.round_ends_at, "R")
        # Answered first: telling a hundred tables takes longer than an answer may wait.
        await send_ephemeral(interaction, f"Round {updated.current_round} now ends {ends}.")
        told = await self.runner.tell_tables(
            found.id,
            f"⏳ This round has {text.format_minutes(minutes)} more: it now ends {ends}.",
        )
        if told.waiting:
            await interaction.followup.send(
                f"{_tables_told(told)} They are told as soon as Discord lets me; "
                "I keep trying by myself.",
                ephemeral=True,
            )

    @guild_command(name="broadcast", description="Post a message in every table thread")
    @app_commands.describe(message="What every table should read", cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def broadcast(
        self,
        interaction: GuildInteraction,
        message: app_commands.Transform[str, FreeText("message", MAX_BROADCAST)],
        cafe: CafeNumber | None = None,
    ) -> None:
        clean = message.strip()
        if not clean or len(clean) > MAX_BROADCAST:
            raise BadInput(
                f"A broadcast holds 1 to {MAX_BROADCAST} characters; yours has {len(clean)}.",
                "Shorten it, or post it in the café channel.",
            )
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.RUNNING,), doing="broadcast to"
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        told = await self.runner.tell_tables(
            found.id,
            f"📣 **From {interaction.user.display_name}:**\n{text.neutralise_mentions(clean)}",
        )
        answer = f"Posted in {text.plural(told.sent, 'table thread')}."
        if told.waiting:
            answer = (
                f"{_tables_told(told)} The others get it as soon as Discord lets me; I keep "
                "trying by myself, and it is posted once in each."
            )
        await interaction.followup.send(answer, ephemeral=True)

    @guild_command(name="end", description="End the café now and post the harvest")
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def end(self, interaction: GuildInteraction, cafe: CafeNumber | None = None) -> None:
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.RUNNING, CafeState.HARVEST), doing="end"
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.runner.finish_early(found)
        await self.runner.signups.refresh(found.id)
        await interaction.followup.send(
            f"**{found.title}** has ended; its harvest is in <#{found.channel_id}>.", ephemeral=True
        )

    @guild_command(name="cancel", description="Cancel a café (no harvest)")
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def cancel(self, interaction: GuildInteraction, cafe: CafeNumber | None = None) -> None:
        found = await self.service.find(
            interaction.guild_id, cafe, states=(CafeState.OPEN, CafeState.RUNNING), doing="cancel"
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancelled = await self.runner.cancel(found, actor_id=interaction.user.id)
        answer = f"**{cancelled.title}** is cancelled."
        if await self.runner.retrying(found.id):
            answer += (
                " Discord is not letting me through right now: the table threads still open are "
                "told and closed as soon as it does. I keep trying by myself."
            )
        await interaction.followup.send(answer, ephemeral=True)

    # --- the tablecloth and the harvest -----------------------------------------------------------

    @guild_command(name="note", description="Add a note to your table's tablecloth")
    @app_commands.describe(text="What the table should remember (up to 1000 characters)")
    @require(Access.MEMBER)
    async def note(
        self,
        interaction: GuildInteraction,
        text: app_commands.Transform[str, FreeText("text", MAX_NOTE)],
    ) -> None:
        channel = interaction.channel
        found = (
            await self.service.cafe_of_thread(channel.id)
            if isinstance(channel, discord.Thread)
            else None
        )
        if found is None:
            raise BadInput(
                "`/cafe note` works inside a café table thread.",
                "Go to your table's thread (`/cafe status` links it) and use it there.",
            )
        cafe, table = found
        await add_note(interaction, self.runner, cafe, table, text)

    async def add_to_harvest(
        self, interaction: discord.Interaction[CopBot], message: discord.Message
    ) -> None:
        await check_access(interaction, Access.MEMBER)
        channel = message.channel
        cafe: Cafe | None
        table: CafeTable | None = None
        found = await self.service.cafe_of_thread(channel.id)
        if found is not None:
            cafe, table = found
        else:
            cafe = await self.service.cafe_of_reflection(channel.id)
        if cafe is None or cafe.community_id != interaction.guild_id:
            raise BadInput(
                "Only messages of a café (its table threads and its reflection) go into a harvest.",
                "Use Add to harvest on a message in a table thread.",
            )
        if message.author.bot:
            raise BadInput("That is a message of the bot.", "Mark what a participant said.")
        if self.bot.optouts.is_opted_out(cafe.community_id, message.author.id):
            raise NotAllowed(
                "Its author asked not to be logged, so their words don't go into the harvest.",
                "Add the idea in your own words with `/cafe note`.",
            )
        _, added = await self.service.add_insight(
            cafe,
            table,
            message_id=message.id,
            author_id=message.author.id,
            text=message.content,
            jump_url=message.jump_url,
            marked_by=interaction.user.id,
        )
        await send_ephemeral(
            interaction,
            "Marked for the harvest of **" + cafe.title + "**."
            if added
            else "That message is in the harvest already.",
        )

    @guild_command(name="harvest", description="Post a café's harvest again, with a file")
    @app_commands.describe(
        cafe=CAFE_HELP,
        share="Also send it to linked learning platforms: up, down, peers or all (default: not)",
    )
    @app_commands.choices(share=SHARE_CHOICES)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def harvest(
        self,
        interaction: GuildInteraction,
        cafe: CafeNumber | None = None,
        share: app_commands.Choice[str] | None = None,
    ) -> None:
        found = await self.service.find(
            interaction.guild_id,
            cafe,
            states=(CafeState.RUNNING, CafeState.HARVEST, CafeState.CLOSED),
            doing="harvest",
        )
        if found.current_round == 0:
            raise BadInput(f"**{found.title}** has not started: there is nothing to harvest yet.")
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise BadInput("Run `/cafe harvest` in a text channel.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.contribution_writer.flush()
        reflection = (
            self.bot.get_channel(found.reflection_thread_id) if found.reflection_thread_id else None
        )
        sent = await self.runner.post_harvest(
            channel,
            found,
            reflection if isinstance(reflection, discord.Thread) else None,
            first_time=False,
        )
        answer = (
            f"The harvest of **{found.title}** is posted ({text.plural(len(sent), 'message')}), "
            "with the Markdown file."
        )
        if share is not None:
            outcome = await self.runner.share_harvest(
                found, sent, ShareTarget(share.value), shared_by=interaction.user.id
            )
            answer += "\n" + outcome.describe()
        await interaction.followup.send(answer, ephemeral=True)

    # --- looking ----------------------------------------------------------------------------------

    @guild_command(name="status", description="Where a café is, and where you sit")
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MEMBER)
    async def status(self, interaction: GuildInteraction, cafe: CafeNumber | None = None) -> None:
        found = await self.service.find(interaction.guild.id, cafe, doing="look at")
        participants, hosts = await self.service.counts(found.id)
        lines = [
            f"**State:** {describe_state(found)}",
            text.format_seat_summary(participants, hosts),
        ]
        view = await self.service.round_view(found.id)
        if found.state == CafeState.RUNNING and found.round_ends_at is not None:
            lines.append(f"**Round ends** {discord.utils.format_dt(found.round_ends_at, 'R')}")
        mine = view.table_of(interaction.user.id) if view else None
        if view is not None and found.state == CafeState.RUNNING:
            if mine is not None:
                where = f"<#{mine.table.thread_id}>" if mine.table.thread_id else "(opening)"
                role = "host" if interaction.user.id in mine.host_ids else "traveller"
                lines.append(f"**Your table:** table {mine.table.table_number} {where} ({role})")
            else:
                joined = await self.service.participant(found.id, interaction.user.id)
                lines.append(
                    "**Your table:** you get a seat from the next round."
                    if joined
                    else "**Your table:** you are not signed up (`/cafe join`)."
                )
        else:
            joined = await self.service.participant(found.id, interaction.user.id)
            lines.append(
                "You are signed up."
                + (" You host a table." if joined and joined.host_table else "")
                if joined
                else "You are not signed up (`/cafe join`)."
            )
        fields = []
        if view is not None and found.state == CafeState.RUNNING:
            seating = [
                f"**Table {t.table.table_number}**: "
                + ", ".join(
                    self._name(interaction.guild, uid, uid in t.host_ids) for uid in t.user_ids
                )
                for t in view.tables
            ]
            fields.append(("Who sits where", _fit("\n".join(seating), 1024)))
        embed = make_embed(
            f"Café #{found.id}: {found.title}", "\n".join(lines), fields=fields, tone=Tone.INFO
        )
        await send_ephemeral(interaction, embed=embed)

    @staticmethod
    def _name(guild: discord.Guild, user_id: int, is_host: bool) -> str:
        member = guild.get_member(user_id)
        name = discord.utils.escape_markdown(member.display_name) if member else "someone"
        return f"{name} (host)" if is_host else name

    @guild_command(name="list", description="The server's cafés")
    @require(Access.MEMBER)
    async def list_cafes(self, interaction: GuildInteraction) -> None:
        found = await self.service.list_cafes(interaction.guild_id)
        lines = []
        for cafe in found:
            participants, _ = await self.service.counts(cafe.id)
            title = discord.utils.escape_markdown(cafe.title)
            lines.append(
                f"**#{cafe.id} {title}**: {describe_state(cafe)}"
                f" · {text.plural(participants, 'participant')}"
            )
        description = "\n".join(lines) or "No cafés yet. Moderators plan one with `/cafe create`."
        await send_ephemeral(
            interaction, embed=make_embed("Cafés", _fit(description, EMBED_DESCRIPTION_MAX))
        )

    @guild_command(name="plan", description="Preview the seating, with its quality figures")
    @app_commands.describe(cafe=CAFE_HELP)
    @guild_autocomplete(cafe=cafe_numbers)
    @require(Access.MODERATOR)
    async def plan(self, interaction: GuildInteraction, cafe: CafeNumber | None = None) -> None:
        found = await self.service.find(
            interaction.guild.id, cafe, states=(CafeState.OPEN, CafeState.RUNNING), doing="plan"
        )
        await self.service.check_can_seat(found)  # before deferring: the answer comes at once
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await self.service.preview(found)
        quality = preview.quality
        figures = "\n".join(
            (f"Tables: {preview.tables}", *text.quality_lines(quality, markdown=True))
        )
        if quality.met_before_again is not None:
            figures += (
                f"\nPairs who sat together at the series' last cafés, together again: "
                f"**{quality.met_before_again}**"
            )
        lines = []
        for index, seated in enumerate(preview.seating.rounds, start=1):
            if index < preview.first_round:
                continue
            lines.append(f"Round {index}")
            for number, people in enumerate(seated, start=1):
                names = ", ".join(self._name(interaction.guild, uid, False) for uid in people)
                lines.append(f"  Table {number}: {names}")
        document = "\n".join(lines)
        await interaction.followup.send(
            embed=make_embed(
                f"Seating preview: {found.title}",
                figures + "\n\nNothing is saved: each round is seated when it starts, with the "
                "people signed up then.",
            ),
            file=discord.File(io.BytesIO(document.encode()), filename=f"seating-{found.id}.txt"),
            ephemeral=True,
        )


def _tables_told(told: TablesTold) -> str:
    total = told.sent + told.waiting
    return (
        f"Discord is not letting me through right now: {told.sent} of "
        f"{text.plural(total, 'table thread')} have the message."
    )


def _fit(value: str, limit: int) -> str:
    """Cut a listing at a line boundary to fit an embed, saying how much was left out."""
    if len(value) <= limit:
        return value
    kept = value[: limit - 40].rsplit("\n", 1)[0]
    left = value.count("\n") - kept.count("\n")
    return f"{kept}\n… and {left} more lines"
