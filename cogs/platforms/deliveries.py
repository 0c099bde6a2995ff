"""The Discord side of what crosses learning-alliance links: each shared copy posted into a
linked platform's inbox with a thread for responses, changed when its author is forgotten,
deleted with its original; responses in its thread recorded as flows back across the link.

The worker follows the steps of bot/platforms/deliveries.py (the contract): a copy is recorded
``SENDING`` before it is sent under its delivery's nonce, ``SENT`` with its message id, ``DONE``
with its thread. A process that stopped in between leaves the delivery claimed for a lease;
whoever claims it next finds the copy by its footer before sending again, and finds the thread
by the message's id, so every platform gets one copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Final, Literal

import aiohttp
import discord
from discord.ext import commands

from bot.client import CopBot
from bot.contributions.classifier import ThreadKind
from bot.contributions.service import SpecialThread
from bot.errors import new_error_id
from bot.permissions import THREAD_LIMIT_FIX, is_thread_limit
from bot.platforms.deliveries import delivery_nonce
from bot.platforms.values import (
    CopyChange,
    DeliveryJob,
    DeliveryState,
    Platform,
    ShareKind,
)
from bot.text import escape_markdown, neutralise_mentions, shorten
from cogs._ui.embeds import make_embed
from cogs._ui.threads import thread_of
from cogs.platforms.inbox import can_take_copies, inbox_of, tell_inbox

log = logging.getLogger(__name__)

PACE: Final = 0.2
"""Seconds between two copies (or changes to copies) this process makes. A copy is two Discord
calls (the message, its thread), so five copies a second is about ten requests a second: a fifth
of Discord's global limit of 50 a second, which leaves room for commands, the café and the
contribution log, and no inbox channel sees more than its five messages in five seconds even
when every copy goes to the same one. A share to 50 platforms takes about ten seconds."""
BATCH: Final = 10
"""Deliveries claimed at a time: done well within their lease (two minutes) at :data:`PACE`."""
LONGEST_SLEEP: Final = 30.0
"""The worker looks for due work at least this often (a retry's time, another process's lapsed
claim), even when nothing wakes it."""
SHORTEST_SLEEP: Final = 0.5
"""After a round with nothing to claim, the least the worker waits before looking again (unless
woken): whatever is due but unclaimable (a moment's clock skew) is no busy loop."""
SEARCH_LIMIT: Final = 100
"""Recent messages of an inbox read to find a copy whose send was interrupted: it is the bot's
own message, sent just after the delivery was recorded as sending."""
# Responses across a link come over days: a week before the thread archives.
THREAD_ARCHIVE_MINUTES: Final[Literal[10080]] = 10080
NO_PINGS: Final = discord.AllowedMentions.none()
INBOX_FIX: Final = (
    "A moderator can choose the inbox with `/platform inbox` (a channel where I can view, send "
    "messages, embed links and open public threads): the copies waiting are delivered then, "
    "nothing is lost."
)
NETWORK_ERRORS: Final = (OSError, TimeoutError, aiohttp.ClientError)


def copy_marker(share_id: int, delivery_id: int) -> str:
    """The end of a copy's footer: names the share, and the delivery so that two platforms with
    the same inbox each find their own copy."""
    return f"Share #{share_id} · copy {delivery_id}"


def thread_name(job: DeliveryJob) -> str:
    """A copy's thread: named after where it came from, never after its text."""
    return shorten(f"Responses · {job.origin.name}", 100)


def render_copy(job: DeliveryJob) -> discord.Embed:
    """A copy as the share is now: with its text, or without it once the author was forgotten
    or opted out (then its credit is "a participant")."""
    share, origin = job.share, job.origin
    level = origin.level.value
    if share.kind is ShareKind.MESSAGE or not share.title:
        title = f"Shared by {origin.name} ({level})"
    else:
        title = share.title
    title = shorten(title, 256)
    if share.text:
        description = neutralise_mentions(share.text)
    else:
        description = "*The text of this item is no longer shared.*"
    links = [url for url in share.attachment_urls if url]
    if links:
        description += "\n\n" + "\n".join(f"📎 {url}" for url in links)
    server = escape_markdown(job.origin_server) if job.origin_server else "another server"
    fields: list[tuple[str, str]] = [
        ("From", f"**{escape_markdown(origin.name)}** ({level}), in {server}"),
        ("By", escape_markdown(share.credit)),
    ]
    if share.jump_url:
        fields.append(("Original", f"[Jump to the original]({share.jump_url})"))
    fields.append(("Respond", "In this message's thread: your responses go back to them."))
    return make_embed(
        title,
        description[:4000],
        fields=fields,
        footer=f"From a linked platform · {copy_marker(share.id, job.delivery.id)}",
    )


class InboxRefused(Exception):
    """The target platform's inbox cannot take a copy: the platform waits for a moderator."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class PlatformDeliveries(commands.Cog):
    """The delivery worker and the listeners that keep copies in step with their originals."""

    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self.copy_threads: set[int] = set()
        self.pace = PACE
        self._worker: asyncio.Task[None] | None = None
        self.copies_made = 0  # copies this process sent (tests and logs)

    async def cog_load(self) -> None:
        self.copy_threads.update(await self.bot.deliveries.copy_threads())
        # Responses in copy threads are logged, as answers, in the receiving server's log.
        self.bot.special_threads.add_lookup(self._special_thread)
        self.bot.add_receiver("message", self._on_message)
        self._worker = asyncio.create_task(self._run(), name="platform deliveries")

    async def cog_unload(self) -> None:
        self.bot.special_threads.remove_lookup(self._special_thread)
        self.bot.remove_receiver("message", self._on_message)
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    def _special_thread(self, thread_id: int) -> SpecialThread | None:
        return SpecialThread(ThreadKind.SHARED) if thread_id in self.copy_threads else None

    # --- the worker ----------------------------------------------------------------------------

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        try:
            await self.unlink_servers_left()
        except Exception:
            log.warning("platform deliveries: could not check for servers left", exc_info=True)
        while not self.bot.is_closed():
            try:
                worked = await self.work_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The database out of reach, most likely: the next round tries again.
                log.warning("platform deliveries: a round failed (%s)", error, exc_info=True)
                worked = False
            if not worked:
                await self._sleep_until_due()

    async def work_due(self) -> bool:
        """Claim the deliveries due now into the servers this process serves, and work each,
        paced. False when there was nothing to claim."""
        deliveries = self.bot.deliveries
        # Cleared before claiming: a notify() while this round works makes another round.
        deliveries.work_waiting.clear()
        guild_ids = [guild.id for guild in self.bot.guilds]
        if not guild_ids:
            return False
        claimed = await deliveries.claim(BATCH, community_ids=guild_ids)
        for index, delivery_id in enumerate(claimed):
            if index:
                await asyncio.sleep(self.pace)
            await self._work_safely(delivery_id)
        if claimed:
            await asyncio.sleep(self.pace)
        return bool(claimed)

    async def _sleep_until_due(self) -> None:
        """Until something is shared or changed (``notify``), or the next delivery is due; never
        less than :data:`SHORTEST_SLEEP` after a round that found nothing to claim."""
        wait = LONGEST_SLEEP
        with contextlib.suppress(Exception):
            guild_ids = [guild.id for guild in self.bot.guilds]
            due = await self.bot.deliveries.next_due_at(guild_ids)
            if due is not None:
                wait = (due - self.bot.deliveries.clock()).total_seconds()
        wait = min(LONGEST_SLEEP, max(wait, SHORTEST_SLEEP))
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that comes
        # as the event is set (a notify() just before the bot stops), and the worker never ends.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self.bot.deliveries.work_waiting.wait()

    async def _work_safely(self, delivery_id: int) -> None:
        """One delivery; whatever it raises is logged and the delivery tried again later."""
        try:
            await self.work(delivery_id)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            error_id = new_error_id()
            log.exception("delivery %s failed [error %s]", delivery_id, error_id)
            with contextlib.suppress(Exception):
                job = await self.bot.deliveries.job(delivery_id)
                attempts = (job.delivery.attempts if job else 0) + 1
                await self.bot.deliveries.retry_later(
                    delivery_id, f"error {error_id}: {type(error).__name__}", attempts=attempts
                )

    async def work(self, delivery_id: int) -> None:
        """The next step of one delivery, as its state and change say."""
        job = await self.bot.deliveries.job(delivery_id)
        if job is None:
            return
        delivery = job.delivery
        if delivery.state is DeliveryState.DROPPED:
            return
        if delivery.change is CopyChange.DELETE:
            await self._delete_copy(job)
            return
        if delivery.state in (DeliveryState.PENDING, DeliveryState.SENDING):
            if job.share.deleted_at is not None:
                await self.bot.deliveries.drop(delivery_id, "the original was deleted first")
                return
            message = await self._post(job)
            if message is None:
                return
            await self._open_thread(job, message)
        elif delivery.state is DeliveryState.SENT:
            channel = self._channel(delivery.channel_id)
            if channel is None or delivery.message_id is None:
                # The inbox went with the copy in it: nothing to open a thread on.
                await self.bot.deliveries.done(delivery_id, None)
                return
            await self._open_thread(job, channel.get_partial_message(delivery.message_id))
        elif delivery.change is CopyChange.EDIT:
            await self._edit_copy(job)

    def _channel(self, channel_id: int | None) -> discord.TextChannel | None:
        channel = self.bot.get_channel(channel_id) if channel_id is not None else None
        return channel if isinstance(channel, discord.TextChannel) else None

    # --- posting a copy ------------------------------------------------------------------------

    async def _post(self, job: DeliveryJob) -> discord.Message | None:
        """Steps 2 and 3: the copy sent under its nonce (found first if a send was interrupted),
        its message id recorded. None: it did not go out now (it waits, or is retried)."""
        deliveries, delivery = self.bot.deliveries, job.delivery
        recorded = self._channel(delivery.channel_id)
        if delivery.state is DeliveryState.SENDING and recorded is not None:
            try:
                found = await self._find_copy(recorded, job)
            except discord.Forbidden as error:
                await self._inbox_refused(job, f"I cannot read the inbox <#{recorded.id}>", error)
                return None
            except (discord.HTTPException, *NETWORK_ERRORS) as error:
                await self._retry(job, error)
                return None
            if found is not None:
                await deliveries.sent(delivery.id, found.id)
                self.copy_threads.add(found.id)
                return found
        try:
            channel = recorded or self.inbox_of(job.target)
        except InboxRefused as refused:
            await self._inbox_refused(job, refused.reason)
            return None
        if not await deliveries.sending(delivery.id, channel.id):
            await deliveries.drop(
                delivery.id, "the link ended, or the original went, before it was sent"
            )
            return None
        try:
            message = await channel.send(
                embed=render_copy(job),
                nonce=delivery_nonce(delivery.id),
                allowed_mentions=NO_PINGS,
            )
        except (discord.Forbidden, discord.NotFound) as error:
            await self._inbox_refused(job, f"Discord refused the copy in <#{channel.id}>", error)
            return None
        except (discord.HTTPException, *NETWORK_ERRORS) as error:
            # It may have gone out (a 5xx after it was made): the next try reads the inbox first.
            await self._retry(job, error)
            return None
        await deliveries.sent(delivery.id, message.id)
        # Its thread will have its id: a response that comes before the thread is recorded
        # is placed all the same.
        self.copy_threads.add(message.id)
        self.copies_made += 1
        return message

    async def _find_copy(
        self, channel: discord.TextChannel, job: DeliveryJob
    ) -> discord.Message | None:
        """The copy of a delivery whose send was interrupted, if it went out: the bot's own
        message with the delivery's marker, among the inbox's messages since it was recorded.
        (Reading history does not show a message's nonce.)"""
        marker = copy_marker(job.share.id, job.delivery.id)
        # A minute's margin for a clock that differs from Discord's.
        since = job.delivery.created_at - timedelta(minutes=1)
        assert self.bot.user is not None
        async for message in channel.history(limit=SEARCH_LIMIT):
            if message.created_at < since:
                break
            if message.author.id != self.bot.user.id or not message.embeds:
                continue
            if (message.embeds[0].footer.text or "").endswith(marker):
                return message
        return None

    def inbox_of(self, platform: Platform) -> discord.TextChannel:
        """Where copies for ``platform`` go (cogs/platforms/inbox.py), or why they cannot."""
        guild = self.bot.get_guild(platform.community_id)
        if guild is None:
            raise InboxRefused("I am not in the platform's server")
        channel, default = inbox_of(guild, platform)
        if channel is None:
            if platform.inbox_channel_id is not None:
                raise InboxRefused("its inbox channel no longer exists")
            raise InboxRefused(
                "it has no inbox, and no channel of the platform lets me post and open threads"
            )
        if not default and not can_take_copies(channel):
            raise InboxRefused(f"I cannot post or open threads in its inbox {channel.mention}")
        return channel

    async def _open_thread(
        self, job: DeliveryJob, message: discord.Message | discord.PartialMessage
    ) -> None:
        """Step 4: the copy's thread for responses (found if a try before made it), recorded;
        the thread is a special one from then on."""
        deliveries, delivery = self.bot.deliveries, job.delivery
        try:
            thread = await thread_of(
                self.bot,
                message,
                name=thread_name(job),
                archive_minutes=THREAD_ARCHIVE_MINUTES,
            )
        except discord.NotFound:
            # The copy was removed in the receiving server before its thread opened.
            await deliveries.done(delivery.id, None)
            return
        except discord.HTTPException as error:
            if isinstance(error, discord.Forbidden) or is_thread_limit(error):
                reason = (
                    "the server has as many active threads as Discord allows"
                    if is_thread_limit(error)
                    else "I am not allowed to open threads in its inbox"
                )
                fix = (
                    f"{THREAD_LIMIT_FIX}; the thread opens by itself later."
                    if is_thread_limit(error)
                    else "Give my role Create Public Threads in the inbox; the thread opens "
                    "by itself later."
                )
                await self._tell_inbox_problem(
                    job.target, f"a copy is posted ({message.jump_url}) but {reason}", fix
                )
            await self._retry(job, error)
            return
        except NETWORK_ERRORS as error:
            await self._retry(job, error)
            return
        await deliveries.done(delivery.id, thread.id)
        self.copy_threads.add(thread.id)

    # --- changes to copies that are out --------------------------------------------------------

    async def _edit_copy(self, job: DeliveryJob) -> None:
        """The copy rendered again from the share as it is now (its author forgotten)."""
        delivery = job.delivery
        channel = self._channel(delivery.channel_id)
        if channel is not None and delivery.message_id is not None:
            try:
                await channel.get_partial_message(delivery.message_id).edit(
                    embed=render_copy(job), allowed_mentions=NO_PINGS
                )
            except discord.NotFound:
                pass  # removed in the receiving server: nothing left to edit
            except (discord.HTTPException, *NETWORK_ERRORS) as error:
                await self._retry(job, error)
                return
        await self.bot.deliveries.changed(delivery.id, CopyChange.EDIT)

    async def _delete_copy(self, job: DeliveryJob) -> None:
        """The original was deleted: its copy goes, with the thread the bot made for it. A copy
        whose send was interrupted is looked for first."""
        deliveries, delivery = self.bot.deliveries, job.delivery
        channel = self._channel(delivery.channel_id)
        message_id = delivery.message_id
        try:
            if delivery.state is DeliveryState.SENDING and channel is not None:
                found = await self._find_copy(channel, job)
                message_id = found.id if found is not None else None
            if delivery.thread_id is not None:
                await self._delete_thread(delivery.thread_id)
            if channel is not None and message_id is not None:
                with contextlib.suppress(discord.NotFound):
                    await channel.get_partial_message(message_id).delete()
        except (discord.HTTPException, *NETWORK_ERRORS) as error:
            if not isinstance(error, discord.Forbidden):
                await self._retry(job, error)
                return
            log.warning("delivery %s: not allowed to delete its copy (%s)", delivery.id, error)
        if delivery.state in (DeliveryState.PENDING, DeliveryState.SENDING):
            await deliveries.drop(delivery.id, "the original was deleted")
            return
        if delivery.state is DeliveryState.SENT:
            await deliveries.done(delivery.id, None)  # no thread is to be opened on it now
        await deliveries.changed(delivery.id, CopyChange.DELETE)

    async def _delete_thread(self, thread_id: int) -> None:
        self.copy_threads.discard(thread_id)
        thread = self.bot.get_channel(thread_id)
        try:
            if thread is None:
                thread = await self.bot.fetch_channel(thread_id)
            if isinstance(thread, discord.Thread):
                await thread.delete()
        except discord.NotFound:
            pass

    async def _retry(self, job: DeliveryJob, error: BaseException) -> None:
        attempts = job.delivery.attempts + 1
        log.info("delivery %s: tried again later (%s)", job.delivery.id, error)
        await self.bot.deliveries.retry_later(
            job.delivery.id, f"{type(error).__name__}: {error}", attempts=attempts
        )

    # --- a refused inbox -----------------------------------------------------------------------

    async def _inbox_refused(
        self, job: DeliveryJob, reason: str, error: BaseException | None = None
    ) -> None:
        """The inbox cannot take the copy: the platform's inbox pauses (its moderators are told
        once) and the copy waits for it in the database."""
        if error is not None:
            reason = f"{reason} ({getattr(error, 'text', '') or error})"
        if await self.bot.platforms.pause_inbox(job.target.id, reason):
            await self._tell_inbox_problem(job.target, reason, INBOX_FIX)
        await self.bot.deliveries.wait_for_inbox(job.delivery.id, reason)

    async def _tell_inbox_problem(self, platform: Platform, reason: str, fix: str) -> None:
        await self.tell_moderators(
            platform.community_id,
            f"⏸ Copies shared with **{escape_markdown(platform.name)}** by linked platforms "
            f"are waiting: {reason}. {fix}",
        )

    async def tell_moderators(self, guild_id: int, text: str) -> bool:
        """In the review channel; without one, the system channel or the first channel where I
        can post. False when no channel would take it (it is logged instead)."""
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return False
        settings = await self.bot.communities.settings(guild.id, guild.name)
        choices: list[object] = []
        if settings.review_channel_id is not None:
            choices.append(guild.get_channel(settings.review_channel_id))
        choices.append(guild.system_channel)
        in_order: list[discord.TextChannel] = sorted(
            guild.text_channels, key=lambda c: (c.position, c.id)
        )
        choices += in_order
        for channel in choices:
            if not isinstance(channel, discord.TextChannel):
                continue
            mine = channel.permissions_for(guild.me)
            if not (mine.view_channel and mine.send_messages):
                continue
            try:
                await channel.send(text, allowed_mentions=NO_PINGS)
                return True
            except discord.HTTPException:
                continue
        log.warning("could not tell the moderators of %s: %s", guild.id, text)
        return False

    # --- listeners -----------------------------------------------------------------------------

    def _on_message(self, message: discord.Message) -> None:
        """A receiver (it runs for every message, so it only looks at an id): a response in a
        copy's thread goes to be recorded."""
        if message.channel.id not in self.copy_threads:
            return
        if message.author.bot or message.webhook_id is not None or message.guild is None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        if self.bot.optouts.is_opted_out(message.guild.id, message.author.id):
            return
        self.bot.run_in_background(
            self._record_response(message.channel.id, message.id, message.created_at),
            f"response {message.id} across a link",
        )

    async def _record_response(self, thread_id: int, message_id: int, at: datetime) -> None:
        found = await self.bot.deliveries.of_thread(thread_id)
        if found is None:
            return
        delivery, link = found
        await self.bot.deliveries.record_response(delivery, link, message_id, at)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self._deleted(payload.guild_id, payload.channel_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self._deleted(payload.guild_id, payload.channel_id, sorted(payload.message_ids))

    async def _deleted(self, guild_id: int | None, channel_id: int, message_ids: list[int]) -> None:
        if guild_id is None:
            return
        if channel_id in self.copy_threads:
            for message_id in message_ids:
                await self.bot.deliveries.response_deleted(message_id)
            return
        to_delete = 0
        for message_id in message_ids:
            to_delete += await self.bot.platforms.original_deleted(guild_id, message_id)
        if to_delete:
            self.bot.deliveries.notify()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot is out of a server: its platforms' links end, and the other ends are told."""
        await self._left(guild.id, guild.name)

    async def _left(self, guild_id: int, server_name: str) -> None:
        ended = await self.bot.platforms.bot_left(guild_id)
        for unlinked in ended:
            other = unlinked.other.platform
            text = (
                f"🔗 **{escape_markdown(other.name)}** is no longer linked to "
                f"**{escape_markdown(unlinked.this.name)}** ({escape_markdown(server_name)}): "
                "I am no longer in that server. Nothing more is shared over the link; what "
                "was shared stays here."
            )
            if not await tell_inbox(self.bot, other, text):
                await self.tell_moderators(other.community_id, text)
        if ended:
            self.bot.deliveries.notify()

    async def unlink_servers_left(self) -> None:
        """At start-up: servers the bot was removed from while it was not running (no
        GUILD_DELETE came for them) are unlinked as if it had been there to see it. Only
        servers on this process's shards are judged: the others are another process's."""
        present = {guild.id for guild in self.bot.guilds}
        for community_id, name in await self.bot.platforms.linked_servers():
            if community_id not in present and self.bot.shard_slice.owns(community_id):
                log.info("not in server %s any more: unlinking its platforms", community_id)
                await self._left(community_id, name)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """An inbox channel was deleted: that platform's inbox pauses, its moderators are told."""
        for platform in await self.bot.platforms.of_server(channel.guild.id):
            if platform.inbox_channel_id != channel.id:
                continue
            reason = f"its inbox channel #{channel.name} was deleted"
            if await self.bot.platforms.pause_inbox(platform.id, reason):
                await self._tell_inbox_problem(platform, reason, INBOX_FIX)
