"""The contribution log's listeners, gap repair at start-up, and /contributions backfill.

Receivers translate only, and once: a gateway event becomes plain facts
(bot/contributions/classifier.py decides the kinds) and then a typed operation for the batched
writer (bot/contributions/writer.py): a new message its ContributionRow, a reaction its
ReactionRow, an edit its ContributionEdit (bot/contributions/values.py). The writer adds the
attribution and writes; it never calls back here. The message text is read here to count
characters, words, links and mentions, and then dropped. Opted-out members are dropped before
anything is buffered.

The events that only hand an operation to the writer are received synchronously as they are
dispatched (CopBot.add_receiver), not by discord.py listeners: so the writer gets them in the
order the gateway delivered them, without a task per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import CopBot
from bot.contributions.classifier import (
    MessageFacts,
    ThreadKind,
    classify,
    count_text,
    is_loggable_reaction,
    looks_like_question,
)
from bot.contributions.service import (
    BACKFILL_LIMIT,
    GAP_REPAIR_LIMIT,
    Place,
    SpecialThread,
    parse_since,
)
from bot.contributions.values import ContributionEdit, ContributionRow, ReactionRow
from bot.contributions.writer import (
    ClearReactions,
    ContributionWriter,
    DeleteContributions,
    DeleteReaction,
    MarkThreadStart,
)
from bot.errors import BadInput
from bot.permissions import Access, require
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, guild_command
from cogs.options import FreeText

log = logging.getLogger(__name__)

MAX_SINCE = 40  # a date, e.g. 2026-01-31, with room for spaces around it
PROGRESS_EVERY = 2.0  # seconds between edits of the backfill progress message
HISTORY_PAGE = 100  # messages discord.py asks for in one request of channel.history
# Gap repair reads threads archived up to this long before the newest logged message of their
# server (processes' clocks and the writer's order are not exact).
ARCHIVED_MARGIN = timedelta(minutes=1)
ARCHIVED_PAGE = 100  # archived threads discord.py asks for in one request


def place_of(channel: Any) -> Place:
    """Where a message was posted, as ids (a thread: its parent and the parent's category)."""
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        return Place(
            channel.id,
            getattr(parent, "category_id", None) if parent is not None else None,
            channel.parent_id,
        )
    return Place(channel.id, getattr(channel, "category_id", None))


def facts_of(message: discord.Message, special: SpecialThread | None) -> MessageFacts:
    """A message as plain facts; the text is counted and goes no further. ``special``: what
    its thread is, if it is in a café table or prompt thread."""
    reply_to_message_id = reply_to_author_id = None
    reply_to_is_bot = reply_to_is_question = False
    kind, author = message.type, message.author
    if kind is discord.MessageType.reply and message.reference is not None:
        reply_to_message_id = message.reference.message_id
        resolved = message.reference.resolved
        if isinstance(resolved, discord.Message):
            reply_to_author_id = resolved.author.id
            reply_to_is_bot = resolved.author.bot
            reply_to_is_question = looks_like_question(resolved.content)
    thread_kind, thread_id, owner_id, prompt_author_id = ThreadKind.NONE, None, None, None
    channel = message.channel
    if isinstance(channel, discord.Thread):
        thread_id, owner_id = channel.id, channel.owner_id
        thread_kind = special.kind if special else ThreadKind.PLAIN
        prompt_author_id = special.prompt_author_id if special else None
    return MessageFacts(
        message_id=message.id,
        author_id=author.id,
        author_is_bot=author.bot,
        message_type=kind.value,
        is_webhook=message.webhook_id is not None,
        counts=count_text(message.content, len(message.attachments)),
        reply_to_message_id=reply_to_message_id,
        reply_to_author_id=reply_to_author_id,
        reply_to_author_is_bot=reply_to_is_bot,
        reply_to_is_question=reply_to_is_question,
        thread_kind=thread_kind,
        thread_id=thread_id,
        thread_owner_id=owner_id,
        prompt_author_id=prompt_author_id,
    )


@app_commands.guild_only()
class Contributions(
    commands.GroupCog, group_name="contributions", group_description="The contribution log"
):
    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.writer: ContributionWriter = bot.contribution_writer
        self.log = bot.contribution_log
        self.special_threads = bot.special_threads
        self.tracking = bot.tracking
        self._newest_at_start: dict[int, int] | None = None
        self._loaded_at = datetime.now(UTC)
        self._gap_repair: asyncio.Task[None] | None = None
        self._repair_again = False  # a shard connected afresh while gap repair ran
        # The newest message id received so far, and its value when a shard last connected
        # afresh (READY): what that session's live messages were not.
        self._newest_received = 0
        self._received_before_ready: int | None = None
        self.gap_repairs_done = 0  # finished gap-repair runs (tests wait on it)

    async def cog_load(self) -> None:
        await self.log.load_tracking()
        # Taken before the gateway connects: live messages logged after READY must not hide
        # what was missed while the bot was down.
        self._newest_at_start = await self.log.newest_logged()
        for event, receiver in self.receivers().items():
            self.bot.add_receiver(event, receiver)

    async def cog_unload(self) -> None:
        for event, receiver in self.receivers().items():
            self.bot.remove_receiver(event, receiver)
        if self._gap_repair is not None:
            self._gap_repair.cancel()
            # Only wait: a repair that failed (the database out of reach) was logged as it
            # ended (run_in_background), and must not fail the unload with its error again.
            await asyncio.wait([self._gap_repair])

    # --- deciding ---------------------------------------------------------------------------
    def _logs(self, guild_id: int, user_id: int, channel: Any) -> bool:
        return self._logs_at(guild_id, user_id, place_of(channel))

    def _logs_at(self, guild_id: int, user_id: int, place: Place) -> bool:
        return not self.bot.optouts.is_opted_out(guild_id, user_id) and self.tracking.is_tracked(
            guild_id, place
        )

    def _special_thread_of(self, message: discord.Message) -> SpecialThread | None:
        channel = message.channel
        return self.special_threads.of(channel.id) if isinstance(channel, discord.Thread) else None

    def _named(self, guild_id: int, user_id: int | None) -> int | None:
        """``user_id`` as others' rows may name it: not if that member opted out."""
        if user_id is not None and self.bot.optouts.is_opted_out(guild_id, user_id):
            return None
        return user_id

    def _contribution(self, message: discord.Message) -> ContributionRow | None:
        """The message as a row for the log, or None if it is not logged: outside a server, a
        bot's, an opted-out member's (the writer asks again just before writing), in a channel
        that is not tracked, or no contribution (a system message)."""
        guild, author = message.guild, message.author
        if guild is None or author.bot or self.bot.optouts.is_opted_out(guild.id, author.id):
            return None
        place = place_of(message.channel)
        special = self._special_thread_of(message)
        if not self.tracking.is_tracked(guild.id, place, special):
            return None
        result = classify(facts_of(message, special))
        if result is None:
            return None
        kinds, counts = result.kinds, result.counts
        self.writer.remember_community(guild.id, guild.name)
        return ContributionRow(
            message_id=message.id,
            community_id=guild.id,
            channel_id=place.channel_id,
            author_id=author.id,
            created_at=message.created_at,
            parent_channel_id=place.thread_parent_id,
            edited_at=message.edited_at,
            is_reply=kinds.is_reply,
            is_answer=kinds.is_answer,
            is_question=kinds.is_question,
            is_resource=kinds.is_resource,
            is_thread_start=kinds.is_thread_start,
            # An opted-out member is not named in others' rows either.
            reply_to_author_id=self._named(guild.id, result.reply_to_author_id),
            reply_to_message_id=result.reply_to_message_id,
            characters=counts.characters,
            words=counts.words,
            links=counts.links,
            attachments=counts.attachments,
            mentions=counts.mentions,
        )

    # --- receivers --------------------------------------------------------------------------
    def receivers(self) -> dict[str, Callable[..., None]]:
        """The gateway events the log receives, each with its receiver."""
        return {
            "message": self.on_message,
            "raw_message_edit": self.on_raw_message_edit,
            "raw_message_delete": self.on_raw_message_delete,
            "raw_bulk_message_delete": self.on_raw_bulk_message_delete,
            "raw_reaction_add": self.on_raw_reaction_add,
            "raw_reaction_remove": self.on_raw_reaction_remove,
            "raw_reaction_clear": self.on_raw_reaction_clear,
            "raw_reaction_clear_emoji": self.on_raw_reaction_clear_emoji,
            "thread_create": self.on_thread_create,
            "connect": self.on_connect,
        }

    def on_connect(self) -> None:
        """A new session (READY, not a RESUME): its live messages come after everything
        received so far; the earliest such moment since the last gap repair is kept."""
        if self._received_before_ready is None:
            self._received_before_ready = self._newest_received

    def on_message(self, message: discord.Message) -> None:
        self._newest_received = max(self._newest_received, message.id)
        row = self._contribution(message)
        if row is not None:
            self.writer.add(row)

    def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        # Described as a new message is (the same checks, the same kinds); edited_at stays None
        # for link previews, which also arrive as updates, unedited.
        described = self._contribution(payload.message)
        if described is not None:
            self.writer.add(ContributionEdit.of(described))

    def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            self.writer.add(DeleteContributions([payload.message_id]))

    def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is not None and payload.message_ids:
            self.writer.add(DeleteContributions(sorted(payload.message_ids)))

    def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        guild = self.bot.get_guild(payload.guild_id) if payload.guild_id else None
        if guild is None:
            return
        reactor = payload.member
        author_id = payload.message_author_id
        author = guild.get_member(author_id) if author_id is not None else None
        if not is_loggable_reaction(
            reactor_id=payload.user_id,
            reactor_is_bot=reactor is not None and reactor.bot,
            author_id=author_id,
            author_is_bot=author is not None and author.bot,
        ):
            return
        channel = guild.get_channel_or_thread(payload.channel_id)
        if channel is None or not self._logs(guild.id, payload.user_id, channel):
            return
        self.writer.remember_community(guild.id, guild.name)
        reaction = ReactionRow(
            community_id=guild.id,
            channel_id=payload.channel_id,
            message_id=payload.message_id,
            user_id=payload.user_id,
            target_author_id=self._named(guild.id, author_id),
            emoji=str(payload.emoji)[:100],
            created_at=datetime.now(UTC),
        )
        self.writer.add(reaction)

    def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is not None:
            self.writer.add(
                DeleteReaction(payload.message_id, payload.user_id, str(payload.emoji)[:100])
            )

    def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        """Every reaction was removed from a message (a moderator's "Remove All Reactions")."""
        if payload.guild_id is not None:
            self.writer.add(ClearReactions(payload.message_id))

    def on_raw_reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        """Every reaction with one emoji was removed from a message."""
        if payload.guild_id is not None:
            self.writer.add(ClearReactions(payload.message_id, str(payload.emoji)[:100]))

    def on_thread_create(self, thread: discord.Thread) -> None:
        """A member opened a thread from their own message: that message is a thread start."""
        owner_id = thread.owner_id
        if owner_id is None or (self.bot.user and owner_id == self.bot.user.id):
            return
        owner = thread.guild.get_member(owner_id)
        if (owner is not None and owner.bot) or not self._logs(thread.guild.id, owner_id, thread):
            return
        self.writer.add(MarkThreadStart(thread.id, owner_id))

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        # Fixed as early as possible (before on_ready, before gap repair runs): from this
        # message id on the server is logged, so a crash right after start-up loses nothing.
        await self._logging_since(guild)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self._start_gap_repair()

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        # One shard of several that identified afresh gets no new on_ready from discord.py
        # (only when every shard of the process did); at start-up on_ready follows.
        if self.bot.is_ready():
            self._start_gap_repair()

    def _start_gap_repair(self) -> None:
        if self._gap_repair is not None and not self._gap_repair.done():
            self._repair_again = True
            return
        self._gap_repair = self.bot.run_in_background(
            self._repair_gaps(), "contribution gap repair"
        )

    # --- gap repair ---------------------------------------------------------------------------
    async def _repair_gaps(self) -> None:
        """Read, for every tracked channel, active thread and thread archived lately (see
        :meth:`_archived_with_news`), what was posted after the newest logged message (at most
        GAP_REPAIR_LIMIT per channel): what the bot missed while down, or, after a later READY
        (a new session), while the old session was lost."""
        try:
            newest = self._newest_at_start
            self._newest_at_start = None
            received = self._received_before_ready
            self._received_before_ready = None
            if newest is None:
                if received is None:
                    return  # no session started afresh since the last run
                # A later READY: logged messages older than the new session's live ones
                # (those hide nothing); the process's start when none had come yet.
                before = received or discord.utils.time_snowflake(self._loaded_at)
                await self.writer.flush()
                newest = await self.log.newest_logged(before=before, patient=True)
            for guild in list(self.bot.guilds):
                since = await self._logging_since(guild, patient=True)
                logged = 0
                channels = self._readable_tracked(guild)
                archived = await self._archived_with_news(channels, newest, since)
                for channel in [*channels, *archived]:
                    after = newest.get(channel.id) or since
                    last = channel.last_message_id  # as Discord said at READY, or newer
                    if last is not None and last <= after:
                        continue  # nothing posted since: no request (thousands at scale)
                    try:
                        async for message in self._history(channel, after=discord.Object(after)):
                            logged += await self._log_history(message)
                    except (discord.HTTPException, OSError):
                        # One channel failing must not leave the others unrepaired.
                        log.warning("gap repair of #%s failed", channel, exc_info=True)
                if logged:
                    log.info("gap repair: %d missed messages logged in %s", logged, guild.name)
        finally:
            self.gap_repairs_done += 1
        if self._repair_again:
            self._repair_again = False
            await self._repair_gaps()

    async def _archived_with_news(
        self,
        channels: list[discord.TextChannel | discord.Thread],
        newest: dict[int, int],
        since: int,
    ) -> list[discord.Thread]:
        """Public threads archived since about the server's newest logged message that hold
        newer messages than their own newest logged one. Active threads leave them out, yet
        they may hold what a stopped process had not written yet (a café round it closed just
        before it died) or what was posted while it was down (a round its restart closed)."""
        newest_here = max((newest.get(channel.id, 0) for channel in channels), default=0)
        horizon = discord.utils.snowflake_time(newest_here or since) - ARCHIVED_MARGIN
        found: list[discord.Thread] = []
        pacer = self.bot.request_pacer  # as for the history: in turn with other background work
        for channel in channels:
            if not isinstance(channel, discord.TextChannel):
                continue
            try:
                await pacer.wait()
                read = 0
                async for thread in channel.archived_threads(limit=None):
                    if thread.archive_timestamp < horizon:
                        break  # the most recently archived come first
                    read += 1
                    if read % ARCHIVED_PAGE == 0:
                        await pacer.wait()
                    after = newest.get(thread.id) or since
                    newest_in_thread = thread.last_message_id
                    if (
                        newest_in_thread is not None
                        and newest_in_thread > after
                        and self.tracking.is_tracked(channel.guild.id, place_of(thread))
                    ):
                        found.append(thread)
            except (discord.HTTPException, OSError):
                log.warning("gap repair: archived threads of #%s unread", channel, exc_info=True)
        return found

    async def _logging_since(self, guild: discord.Guild, *, patient: bool = False) -> int:
        """The message id from which this server is logged: the first time the bot runs in it,
        the moment this process started (before it connected). ``patient``: waiting for a
        database out of reach (gap repair must not give up)."""
        return await self.log.logging_since(
            guild.id, guild.name, discord.utils.time_snowflake(self._loaded_at), patient=patient
        )

    def _readable_tracked(self, guild: discord.Guild) -> list[discord.TextChannel | discord.Thread]:
        me = guild.me
        found: list[discord.TextChannel | discord.Thread] = []
        candidates: list[discord.TextChannel | discord.Thread] = [
            *guild.text_channels,
            *guild.threads,
        ]
        for channel in candidates:
            permissions = channel.permissions_for(me)
            if not (permissions.read_messages and permissions.read_message_history):
                continue
            if self.tracking.is_tracked(guild.id, place_of(channel)):
                found.append(channel)
        return found

    async def _history(
        self,
        channel: discord.TextChannel | discord.Thread,
        *,
        after: discord.abc.Snowflake | None,
        limit: int = GAP_REPAIR_LIMIT,
    ) -> AsyncIterator[discord.Message]:
        # One request per page of history, each in its turn with the process's other
        # background work: a restart in many servers reads them all without a global 429.
        pacer = self.bot.request_pacer
        try:
            await pacer.wait()
            read = 0
            async for message in channel.history(limit=limit, after=after, oldest_first=True):
                read += 1
                if read % HISTORY_PAGE == 0:
                    await pacer.wait()
                yield message
        except discord.Forbidden:
            log.info("cannot read the history of #%s", channel)

    async def _log_history(self, message: discord.Message) -> int:
        row = self._contribution(message)
        if row is None:
            return 0
        await self.writer.put(row)
        return 1

    # --- /contributions backfill ------------------------------------------------------------------
    @guild_command(
        name="backfill", description="Log a channel's older messages (idempotent)"
    )
    @app_commands.describe(
        channel="The channel or thread whose history to read",
        since="Only messages from this day on (YYYY-MM-DD, community time zone); default: all",
    )
    @require(Access.MODERATOR)
    async def backfill(
        self,
        interaction: GuildInteraction,
        channel: discord.TextChannel | discord.Thread,
        since: app_commands.Transform[str, FreeText("since", MAX_SINCE)] | None = None,
    ) -> None:
        guild = interaction.guild
        community = await self.bot.communities.settings(guild.id, guild.name)
        start = parse_since(since, community.timezone) if since else None
        if not self.tracking.is_tracked(guild.id, place_of(channel)):
            raise BadInput(
                f"{channel.mention} is not tracked, so its messages are not logged.",
                "Add it with `/settings track add`, or pick a tracked channel "
                "(`/settings track list`).",
            )
        permissions = channel.permissions_for(guild.me)
        if not (permissions.read_messages and permissions.read_message_history):
            raise BadInput(
                f"I cannot read the history of {channel.mention}.",
                "Give me View Channel and Read Message History there, then try again.",
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        what = f"{channel.mention}" + (f" since {since.strip()}" if since else "")
        progress = await interaction.followup.send(
            embed=make_embed("Backfill started", f"Reading {what}…"), ephemeral=True, wait=True
        )
        read = logged = 0
        shown_at = time.monotonic()
        after = discord.Object(discord.utils.time_snowflake(start)) if start else None
        history = channel.history(limit=BACKFILL_LIMIT, after=after, oldest_first=after is not None)
        async for message in history:
            read += 1
            logged += await self._log_history(message)
            if time.monotonic() - shown_at > PROGRESS_EVERY:
                shown_at = time.monotonic()
                with contextlib.suppress(discord.HTTPException):
                    await progress.edit(
                        embed=make_embed(
                            "Backfill running",
                            f"Reading {what}: {read} messages read, {logged} logged so far…",
                        )
                    )
        await self.writer.flush()
        capped = read >= BACKFILL_LIMIT
        lines = [
            f"Read {read} messages in {what}; {logged} are members' contributions and are in "
            "the log (messages logged before are not counted twice).",
            "Bots, system messages and members who opted out are left out.",
        ]
        if capped:
            lines.append(
                f"I stop at {BACKFILL_LIMIT} messages per run"
                + (
                    ": run it again with a later `since` to go on."
                    if since
                    else " (the newest ones): run it with `since` to read older days."
                )
            )
        await progress.edit(embed=make_embed("Backfill done", "\n".join(lines), tone=Tone.SUCCESS))


async def setup(bot: CopBot) -> None:
    await bot.add_cog(Contributions(bot))
