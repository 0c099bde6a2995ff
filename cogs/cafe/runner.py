"""The Discord side of running a café: table threads opened and closed, warnings, the harvest.

:class:`CafeRunner` moves a café on (start a round, end it, harvest) by calling the café
service for every state change and doing the Discord work in between. Every Discord step is
recorded as it is done, and each one is safe to repeat:

- a table thread is looked up by its name before one is created (a crash between creating it
  and recording its id must not make a second one);
- messages are sent with a nonce Discord enforces, so a resent one comes back as the first;
- flags on the table rows (opened, warned, closed) say what is left to do after a restart.

Discord's rate limits are honoured by discord.py (it waits on the bucket headers); a café of a
hundred tables takes a while, so a progress message is edited as the threads open. When
discord.py gives up (five 429s on one request) or Discord fails, the café's retry timer (a
schedule row, with the count of failed tries on the café row) runs :meth:`CafeRunner.resume`
later, backing off, until the work is done or no longer of use; the café channel is told once
that the bot keeps trying and once that it is done, restart or not.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord

from bot.cafe import text
from bot.cafe.harvest import HarvestItem, harvest_markdown, harvest_messages, tablecloth_messages
from bot.cafe.service import CafeService, RoundView, TableInRound
from bot.cafe.values import Cafe, CafeState, CafeTable
from bot.contributions.classifier import ThreadKind
from bot.errors import CopbotError, NotFound
from bot.permissions import THREAD_LIMIT_FIX, is_thread_limit
from bot.platforms.harvests import HarvestShare, share_harvest
from bot.platforms.values import ShareTarget
from bot.text import escape_markdown
from cogs._ui.embeds import Tone, make_embed
from cogs.cafe.views import SignupRefresher, post_signup, table_view, tablecloth_view

if TYPE_CHECKING:
    from bot.client import CopBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
PROGRESS_EVERY_SECONDS = 2.0  # how often the progress message is edited while threads open
# A round's thread stays open a day at most if never closed (Discord allows four durations).
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
# Discord failing for a while: the first retry comes soon (a spent bucket refills in seconds),
# later ones back off to once a minute, until the work is done or the round is over.
RETRY_FIRST_SECONDS = 2.0
RETRY_MOST_SECONDS = 60.0


@dataclass(frozen=True)
class TablesTold:
    """A message for every table: how many threads have it, how many wait for the retry."""

    sent: int
    waiting: int


def nonce(cafe_id: int, *parts: object) -> str:
    """A message's nonce (at most 25 characters): the same step sends the same nonce."""
    return f"c{cafe_id}" + "".join(str(part) for part in parts)[:20]


class CafeRunner:
    def __init__(self, bot: CopBot, service: CafeService) -> None:
        self.bot = bot
        self.service = service
        self.pacer = bot.request_pacer  # shared with the other background work of the process
        self.thread_ids: set[int] = set()  # every café thread: the log always records them
        self.signups = SignupRefresher(bot)
        self.facilitator_called: dict[int, float] = {}  # table row -> when (time.monotonic)

    def special_thread(self, thread_id: int) -> ThreadKind | None:
        return ThreadKind.CAFE if thread_id in self.thread_ids else None

    # --- moving on -------------------------------------------------------------------------

    async def start_round(
        self, cafe_id: int, round_number: int, *, recovering: bool = False
    ) -> None:
        """Seat round ``round_number`` and open its tables (or finish opening them, and after a
        restart finish their listing). Should Discord fail for a while, a retry is set and the
        café channel told (see :meth:`retrying`)."""
        async with self.service.running(cafe_id):
            await self.service.begin_round(cafe_id, round_number)
            view = await self.service.round_view(cafe_id)
            if (
                view is not None
                and view.round_number == round_number
                and view.cafe.state == CafeState.RUNNING
            ):
                await self._open_tables_or_retry(view, recovering=recovering)

    async def advance(self, cafe_id: int, from_round: int) -> None:
        """End round ``from_round``: close its tables, then seat the next or harvest.

        Tables still unopened when their round ends stay so: a thread opened to be closed at
        once helps nobody. Tables Discord would not close now are closed by the retry; the next
        round does not wait for them.
        """
        async with self.service.running(cafe_id):
            cafe = await self.service.get(cafe_id)
            if cafe is None or cafe.state != CafeState.RUNNING or cafe.current_round != from_round:
                return  # moved on already (a timer and a command, or a restart)
            view = await self.service.round_view(cafe_id)
            assert view is not None
            try:
                await self._close_tables(view)
            except Exception as error:
                if not is_transient(error):
                    raise
                await self._retry_later(cafe, f"closing the tables of round {from_round}", error)
            if from_round < cafe.rounds:
                try:
                    began = await self.service.begin_round(cafe_id, from_round + 1)
                except CopbotError as error:  # everyone left, say
                    await self._say(cafe, f"Round {from_round + 1} cannot start: {error.problem}")
                    began = False
                if began:
                    next_view = await self.service.round_view(cafe_id)
                    assert next_view is not None
                    await self._open_tables_or_retry(next_view)
                    return
            await self.service.to_harvest(cafe_id)
        await self.harvest(cafe_id)

    async def end_now(self, cafe: Cafe) -> None:
        """``/cafe next`` and the end of a round by ``/cafe end``: record, then move on."""
        if await self.service.end_round_now(cafe.id, cafe.current_round):
            await self.advance(cafe.id, cafe.current_round)

    async def finish_early(self, cafe: Cafe) -> None:
        """``/cafe end``: close the running round and go straight to the harvest."""
        async with self.service.running(cafe.id):
            current = await self.service.get(cafe.id)
            if current is None:
                return
            if current.state == CafeState.RUNNING:
                await self.service.end_round_now(cafe.id, current.current_round)
                view = await self.service.round_view(cafe.id)
                if view is not None:
                    try:
                        await self._close_tables(view)
                    except Exception as error:
                        if not is_transient(error):
                            raise
                        await self._retry_later(current, "closing the tables", error)
                await self.service.to_harvest(cafe.id)
        await self.harvest(cafe.id)

    async def warn(self, cafe_id: int) -> None:
        """A few minutes before the end: a reminder in every table thread (once)."""
        async with self.service.running(cafe_id):
            view = await self.service.round_view(cafe_id)
            if view is None or view.cafe.state != CafeState.RUNNING:
                return
            try:
                await self._warn_tables(view)
            except Exception as error:
                if not is_transient(error):
                    raise
                await self._retry_later(view.cafe, "warning the tables", error)

    async def _warn_tables(self, view: RoundView) -> None:
        minutes = view.cafe.warning_minutes
        for table in view.tables:
            if table.table.warned or table.table.thread_id is None:
                continue
            thread = await self._thread(table.table.thread_id)
            if thread is not None:
                await self.pacer.wait()
                await thread.send(
                    text.round_warning(minutes),
                    nonce=nonce(
                        view.cafe.id,
                        "r",
                        view.round_number,
                        "t",
                        table.table.table_number,
                        "w",
                    ),
                    allowed_mentions=NO_PINGS,
                )
            await self.service.record_table_warned(table.table.id)

    async def recover(self) -> None:
        """After a restart: finish what was half done and end rounds whose time has passed."""
        for cafe in await self.service.unfinished():
            if not self.bot.shard_slice.owns(cafe.community_id):
                continue  # another process's server
            try:
                await self.resume(cafe.id)
            except Exception:
                log.exception("café %s: recovery failed", cafe.id)

    # --- Discord failing for a while: retry until done -----------------------------------------

    async def resume(self, cafe_id: int) -> str:
        """Finish whatever Discord work of the café is left (start-up, and the retry timer):
        the tables of rounds that are over closed, the running round's tables opened and
        listed (its warnings sent when due, its notices posted), or the round ended when its
        time has passed, the harvest posted, the sign-up message posted, a cancelled café's
        tables closed. Returns what it did, for the log."""
        await self.bot.wait_until_ready()  # a timer may ring before the guilds are known
        cafe = await self.service.get(cafe_id)
        if cafe is None:
            await self.service.done_retrying(cafe_id)
            return "the café is gone"
        before = await self.service.retry_due(cafe_id)
        try:
            await self._finish_discord_work(cafe)
        except CopbotError as refused:
            # Discord allows no more threads (the channel was told): retrying cannot help, the
            # moderator's /cafe start opens the rest. Unless other work failed meanwhile, the
            # timer goes.
            if await self.service.retry_due(cafe_id) in (None, before):
                await self.service.done_retrying(cafe_id)
            return refused.problem
        after = await self.service.retry_due(cafe_id)
        if after is not None and after != before:
            return "Discord failed again: trying again later"
        # Done: nothing failed this time. Said before the retry is forgotten: should the bot
        # stop in between, the next start says it again, and Discord keeps one (the nonce).
        await self._say_all_done(cafe_id)
        await self.service.done_retrying(cafe_id)
        return "done"

    async def _finish_discord_work(self, cafe: Cafe) -> None:
        cafe_id = cafe.id
        if cafe.state == CafeState.CANCELLED:
            async with self.service.running(cafe_id):
                await self._close_cancelled_or_retry(cafe)
            return
        async with self.service.running(cafe_id):
            try:
                await self._close_rounds_over(cafe)
            except Exception as error:
                if not is_transient(error):
                    raise
                await self._retry_later(cafe, "closing the tables of rounds that are over", error)
        if cafe.state == CafeState.HARVEST:
            await self.harvest(cafe_id)
        elif cafe.state == CafeState.RUNNING:
            if cafe.round_ends_at is not None and cafe.round_ends_at <= self.service.clock():
                await self.advance(cafe_id, cafe.current_round)
            else:
                await self.start_round(cafe_id, cafe.current_round, recovering=True)
                await self._warn_if_due(cafe_id)
                async with self.service.running(cafe_id):
                    await self._send_notices_or_retry(cafe)
        elif cafe.state == CafeState.OPEN and cafe.signup_message_id is None:
            await self.post_signup_or_retry(cafe)

    async def retrying(self, cafe_id: int) -> bool:
        """Whether part of the café's Discord work waits for its retry timer."""
        return await self.service.retry_due(cafe_id) is not None

    async def _retry_later(self, cafe: Cafe, doing: str, error: BaseException) -> None:
        """Discord failed for now (its rate limit spent, an outage): try again later (backing
        off), and tell the café channel once that the bot keeps trying."""
        retry = await self.service.retry_later(
            cafe.id,
            first=timedelta(seconds=RETRY_FIRST_SECONDS),
            most=timedelta(seconds=RETRY_MOST_SECONDS),
        )
        log.warning(
            "café %s: Discord failed while %s (%s); trying again at %s (attempt %s)",
            cafe.id,
            doing,
            describe_failure(error),
            retry.due.isoformat(timespec="seconds"),
            retry.attempt,
        )
        view = await self.service.round_view(cafe.id)
        opening = view is not None and view.cafe.state == CafeState.RUNNING and view.unopened
        # What the channel is told about: a round's tables not open yet, or other work (0).
        about = view.round_number if view is not None and opening else 0
        if retry.spell is None or retry.told_round == about:
            return  # said already; the retry says when it is done
        if view is not None and opening:
            what = (
                f"{len(view.tables) - view.unopened} of {len(view.tables)} tables of round "
                f"{view.round_number} are open"
            )
        else:
            what = f"I was {doing}"
        # Recorded before it is said: should the bot stop in between, the "done" message still
        # comes (and is true); a repeat of this one is kept out by its nonce.
        await self.service.note_retry_told(cafe.id, about)
        try:
            await self._say(
                cafe,
                f"⚠️ Discord is not letting me through right now ({describe_failure(error)}): "
                f"{what}. I keep trying by myself and finish as soon as Discord lets me; "
                "nobody needs to do anything.",
                nonce=nonce(cafe.id, "k", retry.spell, "r", about),
            )
        except Exception as told_error:
            if not is_transient(told_error):
                raise
            await self.service.note_retry_told(cafe.id, retry.told_round)  # the next try says it
            log.warning("café %s: could not tell the channel either", cafe.id)

    async def _say_all_done(self, cafe_id: int) -> None:
        """The café channel was told the bot keeps trying: now it hears that it is done."""
        cafe = await self.service.get(cafe_id)
        spell = await self.service.retry_spell(cafe_id)
        if cafe is None or cafe.retry_told_round is None or spell is None:
            return
        if cafe.retry_told_round == 0:
            done = "✅ Discord lets me through again: what was waiting is done."
        else:
            view = await self.service.round_view(cafe_id)
            if view is None or view.cafe.state != CafeState.RUNNING or view.unopened:
                return
            if view.round_number != cafe.retry_told_round:
                return  # a new round has its own listing
            done = f"✅ All {len(view.tables)} tables of round {view.round_number} are open now."
        try:
            await self._say(cafe, done, nonce=nonce(cafe_id, "ok", spell))
        except Exception as error:
            if not is_transient(error):
                raise

    async def _open_tables_or_retry(self, view: RoundView, *, recovering: bool = False) -> None:
        try:
            await self._open_tables(view, recovering=recovering)
        except Exception as error:
            if not is_transient(error):
                raise
            await self._retry_later(
                view.cafe, f"opening the tables of round {view.round_number}", error
            )

    async def _close_rounds_over(self, cafe: Cafe) -> None:
        """Close the tables of rounds that are over which Discord did not let close on time."""
        running = cafe.state == CafeState.RUNNING
        last_over = cafe.current_round - 1 if running else cafe.current_round
        for number in range(1, last_over + 1):
            view = await self.service.round_view(cafe.id, number)
            if view is not None:
                await self._close_tables(view)

    async def _warn_if_due(self, cafe_id: int) -> None:
        cafe = await self.service.get(cafe_id)
        if cafe is None or cafe.state != CafeState.RUNNING or not cafe.warning_minutes:
            return
        if cafe.round_ends_at is None:
            return
        if cafe.round_ends_at - timedelta(minutes=cafe.warning_minutes) <= self.service.clock():
            await self.warn(cafe_id)

    async def post_signup_or_retry(self, cafe: Cafe) -> discord.Message | None:
        """Post a café's sign-up message; should Discord fail for now, retry later."""
        channel = await self._channel(cafe.channel_id)
        if channel is None:
            return None
        try:
            return await post_signup(self.bot, channel, cafe)
        except Exception as error:
            if not is_transient(error):
                raise
            await self._retry_later(cafe, "posting the sign-up message", error)
            return None

    # --- notices to the tables, cancelling -----------------------------------------------

    async def tell_tables(self, cafe_id: int, content: str) -> TablesTold:
        """Post ``content`` in every open table thread of the running round. Each one is
        recorded first: what Discord does not let through now, the retry sends (once)."""
        async with self.service.running(cafe_id):
            notices = await self.service.add_notices(cafe_id, content)
            cafe = await self.service.get(cafe_id)
            if cafe is None or not notices:
                return TablesTold(0, 0)
            await self._send_notices_or_retry(cafe)
            waiting = {notice.id for notice, _ in await self.service.unsent_notices(cafe_id)}
        left = sum(1 for notice_id in notices if notice_id in waiting)
        return TablesTold(len(notices) - left, left)

    async def _send_notices_or_retry(self, cafe: Cafe) -> None:
        try:
            await self._send_notices(cafe)
        except Exception as error:
            if not is_transient(error):
                raise
            await self._retry_later(cafe, "posting a message in the table threads", error)

    async def _send_notices(self, cafe: Cafe) -> None:
        current = await self.service.get(cafe.id)
        useless = []
        for notice, table in await self.service.unsent_notices(cafe.id):
            in_play = (
                current is not None
                and current.state == CafeState.RUNNING
                and table.round_number == current.current_round
                and not table.closed
            )
            thread = await self._thread(table.thread_id) if in_play and table.thread_id else None
            if thread is None:
                useless.append(notice.id)  # its round is over, or its thread is gone
                continue
            await self.pacer.wait()
            await thread.send(
                notice.content, nonce=nonce(cafe.id, "m", notice.id), allowed_mentions=NO_PINGS
            )
            await self.service.notice_sent(notice.id)
        await self.service.drop_notices(useless)

    async def cancel(self, cafe: Cafe, *, actor_id: int) -> Cafe:
        """``/cafe cancel``: record it, then close the tables still open (by the retry, should
        Discord not let the bot through now)."""
        async with self.service.running(cafe.id):
            cancelled = await self.service.cancel(cafe, actor_id=actor_id)
            await self._close_cancelled_or_retry(cancelled)
        await self.signups.refresh(cafe.id)
        return cancelled

    async def _close_cancelled_or_retry(self, cafe: Cafe) -> None:
        try:
            await self._close_cancelled(cafe)
        except Exception as error:
            if not is_transient(error):
                raise
            await self._retry_later(cafe, "closing the tables of the cancelled café", error)

    async def _close_cancelled(self, cafe: Cafe) -> None:
        view = await self.service.round_view(cafe.id)
        for table in view.tables if view else ():
            row = table.table
            if row.closed:
                continue
            thread = await self._thread(row.thread_id) if row.thread_id else None
            if thread is not None and not thread.archived:
                await self.pacer.wait()
                await thread.send(
                    "This café has been cancelled. Thank you for coming.",
                    nonce=nonce(cafe.id, "x", row.id),
                    allowed_mentions=NO_PINGS,
                )
                await self.pacer.wait()
                await thread.edit(locked=True, archived=True)
            await self.service.record_table_closed(row.id)

    # --- opening and closing tables --------------------------------------------------------

    async def _open_tables(self, view: RoundView, *, recovering: bool = False) -> None:
        """Open the round's tables not open yet and list them in the café channel.

        When Discord refuses more threads, the channel is told how many are open and
        CopbotError raised (``/cafe start`` opens the rest later). Other failures (its rate
        limit spent, an outage) are raised as they come: the caller sets a retry.
        """
        cafe = view.cafe
        channel = await self._channel(cafe.channel_id)
        if channel is None:
            log.warning("café %s: channel %s is gone", cafe.id, cafe.channel_id)
            return
        pending = [t for t in view.tables if not t.table.opened]
        if not pending and cafe.progress_message_id is not None:
            if recovering:  # the bot may have stopped between the last table and the listing
                await self._finish_listing(channel, view)
            return  # opened and listed already
        progress = await self._progress_message(
            channel, view, opened=len(view.tables) - len(pending)
        )
        last_edit = time.monotonic()
        tablecloths = await self.service.tablecloth_so_far(
            view, lambda user_id: self._display_name(channel.guild, user_id)
        )
        refused = False
        for done, table in enumerate(pending, start=len(view.tables) - len(pending) + 1):
            try:
                await self._open_table(
                    channel, view, table, tablecloths.get(table.table.table_number, [])
                )
            except discord.HTTPException as error:
                if not is_thread_limit(error):
                    raise
                refused = True  # the other tables would be refused too
                break
            if progress is not None and time.monotonic() - last_edit >= PROGRESS_EVERY_SECONDS:
                await progress.edit(content=self._progress_text(view, done))
                last_edit = time.monotonic()
        view = await self.service.round_view(cafe.id, view.round_number) or view
        if progress is not None:
            await progress.edit(content=None, embed=self._tables_embed(view))
        if refused:
            problem = (
                "Discord allows no more active threads in this server: "
                f"{len(view.tables) - view.unopened} of {len(view.tables)} tables of round "
                f"{view.round_number} are open."
            )
            fix = (
                f"{THREAD_LIMIT_FIX}, then `/cafe start` opens the rest; everyone keeps their seat."
            )

            await self._say(cafe, f"⚠️ {problem} A moderator can fix it: {fix}")
            raise CopbotError(problem, fix)

    async def _open_table(
        self,
        channel: discord.TextChannel,
        view: RoundView,
        table: TableInRound,
        tablecloth: list[HarvestItem],
    ) -> None:
        cafe, row = view.cafe, table.table
        thread = await self._thread(row.thread_id) if row.thread_id else None
        if thread is None:
            name = text.table_thread_name(view.round_number, row.table_number, view.question)
            thread = self._existing_thread(channel, name)
            if thread is None:
                await self.pacer.wait()
                thread = await channel.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread
                    if cafe.thread_type == "private"
                    else discord.ChannelType.public_thread,
                    invitable=False,
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )
            self.thread_ids.add(thread.id)
            await self.service.record_table_thread(row.id, thread.id)
        key = ("r", view.round_number, "t", row.table_number)
        if cafe.thread_type == "private":
            for user_id in table.user_ids:
                await self.pacer.wait()
                await thread.add_user(discord.Object(user_id))
        host_id = next(iter(table.host_ids), None)
        host_name = self._display_name(channel.guild, host_id) if host_id else None
        briefing = text.round_briefing(
            view.round_number,
            cafe.rounds,
            view.question,
            int((cafe.round_ends_at or self.service.clock()).timestamp()),
            host_name,
            view.round_number == 1,
        )
        seated = " ".join(f"<@{user_id}>" for user_id in table.user_ids)
        # Mentions add people to a public thread and tell them where to go; in a private one
        # they were added above and the names are only shown.
        mentions = (
            NO_PINGS
            if cafe.thread_type == "private"
            else discord.AllowedMentions(users=True, roles=False, everyone=False)
        )
        await self.pacer.wait()
        await thread.send(
            f"{briefing}\n\nAt this table: {seated}",
            nonce=nonce(cafe.id, *key, "b"),
            allowed_mentions=mentions,
            view=table_view(cafe.id, row.id),
        )
        for index, part in enumerate(
            tablecloth_messages(view.round_number, row.table_number, tablecloth)
        ):
            await thread.send(
                part, nonce=nonce(cafe.id, *key, "n", index), allowed_mentions=NO_PINGS
            )
        await self.service.record_table_opened(row.id)

    async def _close_tables(self, view: RoundView) -> None:
        cafe = view.cafe
        for table in view.tables:
            row = table.table
            if row.closed or row.thread_id is None:
                continue
            thread = await self._thread(row.thread_id)
            if thread is not None:
                if not thread.archived:
                    await self.pacer.wait()
                    await thread.send(
                        text.round_closed_text(bool(table.host_ids)),
                        nonce=nonce(cafe.id, "r", view.round_number, "t", row.table_number, "c"),
                        allowed_mentions=NO_PINGS,
                        view=tablecloth_view(cafe.id, row.id),
                    )
                await self.pacer.wait()
                await thread.edit(locked=True, archived=True)
            await self.service.record_table_closed(row.id)

    # --- the harvest -------------------------------------------------------------------------

    async def harvest(self, cafe_id: int) -> None:
        """Post the harvest and open the reflection thread (each once), then close the café."""
        async with self.service.running(cafe_id):
            cafe = await self.service.get(cafe_id)
            if cafe is None or cafe.state != CafeState.HARVEST:
                return
            channel = await self._channel(cafe.channel_id)
            if channel is None:
                await self.service.close(cafe_id)
                return
            await self.bot.contribution_writer.flush()  # participation reads the log
            try:
                reflection = await self._reflection_thread(channel, cafe)
                if not cafe.harvest_posted:
                    sent = await self.post_harvest(channel, cafe, reflection, first_time=True)
                    # Before the harvest counts as posted: a retry after a crash here shares
                    # it then (a second share of the same café is refused, never doubled).
                    await self.autoshare_harvest(cafe, sent)
                    await self.service.record_harvest_posted(cafe_id)
            except Exception as error:
                if not is_transient(error):
                    raise
                # Parts posted already come back by their nonces when the retry sends them.
                await self._retry_later(cafe, "posting the harvest", error)
                return
            closed = await self.service.close(cafe_id)
        await self.signups.refresh(cafe_id)
        if closed is not None:
            following = await self.service.next_of_series(closed)
            if following is not None:
                await self.post_signup_or_retry(following)

    async def post_harvest(
        self,
        channel: discord.abc.Messageable,
        cafe: Cafe,
        reflection: discord.Thread | None,
        *,
        first_time: bool,
    ) -> list[discord.Message]:
        """The harvest as messages (split within Discord's limits), the last with the Markdown
        file attached."""
        guild = self.bot.get_guild(cafe.community_id)
        harvest = await self.service.harvest(
            cafe,
            lambda user_id: self._display_name(guild, user_id),
            reflection_link=reflection.jump_url if reflection else None,
        )
        parts = harvest_messages(harvest)
        document = harvest_markdown(harvest).encode()
        sent = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            extra: dict[str, Any] = {}
            if last:
                extra["file"] = discord.File(
                    io.BytesIO(document), filename=harvest_filename(cafe.id, cafe.title)
                )
            if first_time:
                extra["nonce"] = nonce(cafe.id, "h", index)
            sent.append(await channel.send(part, allowed_mentions=NO_PINGS, **extra))
        return sent

    async def share_harvest(
        self,
        cafe: Cafe,
        sent: list[discord.Message],
        target: ShareTarget | None,
        *,
        shared_by: int | None,
    ) -> HarvestShare:
        """Share the harvest just posted (``sent``) with the linked platforms of the café's
        platform (``target`` None: only if the platform shares harvests on its own), and wake
        the delivery worker when a share was made."""
        where = self.bot.get_channel(cafe.channel_id)
        if isinstance(where, discord.Thread):
            where = where.parent
        category_id = getattr(where, "category_id", None)
        # The copy carries no names: the harvest is read without them.
        harvest = await self.service.harvest(cafe, lambda _user_id: None, reflection_link=None)
        last = sent[-1] if sent else None
        outcome = await share_harvest(
            self.bot.platforms,
            community_id=cafe.community_id,
            category_id=category_id,
            cafe_id=cafe.id,
            cafe_title=cafe.title,
            harvest=harvest,
            target=target,
            channel_id=sent[0].channel.id if sent else None,
            message_id=sent[0].id if sent else None,
            jump_url=sent[0].jump_url if sent else None,
            file_url=last.attachments[0].url if last and last.attachments else None,
            shared_by=shared_by,
        )
        if outcome.shared is not None:
            self.bot.deliveries.notify()
        return outcome

    async def autoshare_harvest(self, cafe: Cafe, sent: list[discord.Message]) -> None:
        """At the café's end: share the harvest if its platform says so. Never in the way of
        closing the café."""
        try:
            outcome = await self.share_harvest(cafe, sent, None, shared_by=None)
        except Exception:
            log.exception("café %s: sharing its harvest with linked platforms failed", cafe.id)
            return
        if outcome.shared is not None:
            log.info("café %s: harvest shared as share %s", cafe.id, outcome.shared.share.id)

    async def _reflection_thread(
        self, channel: discord.TextChannel, cafe: Cafe
    ) -> discord.Thread | None:
        if cafe.reflection_thread_id is not None:
            found = await self._thread(cafe.reflection_thread_id)
            if found is not None:
                return found
        name = text.reflection_thread_name(cafe.title)
        thread = self._existing_thread(channel, name)
        if thread is None:
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.public_thread,
                auto_archive_duration=10080,
            )
            await thread.send(
                "## Reflection\nWhat surprised you? What will you take back to your work? "
                "Which question should the community take up next?",
                nonce=nonce(cafe.id, "reflect"),
                allowed_mentions=NO_PINGS,
            )
        self.thread_ids.add(thread.id)
        await self.service.set_reflection_thread(cafe.id, thread.id)
        return thread

    # --- messages in the café channel -------------------------------------------------------

    async def _progress_message(
        self, channel: discord.TextChannel, view: RoundView, *, opened: int
    ) -> discord.Message | None:
        cafe = view.cafe
        if cafe.progress_message_id is not None and cafe.current_round == view.round_number:
            try:
                return await channel.fetch_message(cafe.progress_message_id)
            except discord.NotFound:
                pass
        message = await channel.send(
            self._progress_text(view, opened),
            nonce=nonce(cafe.id, "r", view.round_number, "p"),
            allowed_mentions=NO_PINGS,
        )
        await self.service.set_progress_message(cafe.id, message.id)
        return message

    async def _finish_listing(self, channel: discord.TextChannel, view: RoundView) -> None:
        """The round's listing shows its tables, not the progress of opening them."""
        progress_id = view.cafe.progress_message_id
        if progress_id is None or view.cafe.current_round != view.round_number:
            return
        try:
            message = await channel.fetch_message(progress_id)
            if not message.embeds:
                await message.edit(content=None, embed=self._tables_embed(view))
        except discord.NotFound:
            pass  # deleted by someone: the threads are there all the same

    def _progress_text(self, view: RoundView, opened: int) -> str:
        return (
            f"**{view.cafe.title}**: round {view.round_number} of {view.cafe.rounds} is starting. "
            f"Opening tables: {opened} of {len(view.tables)}…"
        )

    def _tables_embed(self, view: RoundView) -> discord.Embed:
        cafe = view.cafe
        lines = []
        guild = self.bot.get_guild(cafe.community_id)
        for table in view.tables:
            where = f"<#{table.table.thread_id}>" if table.table.thread_id else "(opening)"
            host = next(iter(table.host_ids), None)
            host_text = f" · host {self._display_name(guild, host)}" if host else ""
            lines.append(
                f"**Table {table.table.table_number}** {where} · "
                f"{text.plural(len(table.seats), 'seat')}{host_text}"
            )
        ends = int((cafe.round_ends_at or self.service.clock()).timestamp())
        description = text.quote(view.question) + f"\nEnds <t:{ends}:R>.\n\n" + "\n".join(lines)
        if len(description) > 4000:  # a hundred tables: the list gets its own messages' worth
            description = description[:3990].rsplit("\n", 1)[0] + "\n…"
        return make_embed(
            f"{cafe.title} · round {view.round_number} of {cafe.rounds}",
            description,
            tone=Tone.SUCCESS,
            footer="Your own table: /cafe status",
        )

    async def call_facilitator(self, cafe: Cafe, table: CafeTable, asked_by: str) -> None:
        """Tell whoever runs the café, in its channel, that a table asks for them."""
        channel = await self._channel(cafe.channel_id)
        if channel is None:
            raise NotFound("The café's channel is gone.", "Ask a moderator directly.")
        facilitator = f" <@{cafe.created_by}>" if cafe.created_by else ""
        await channel.send(
            f"🙋 **Table {table.table_number}** (round {table.round_number}) of **{cafe.title}** "
            f"asks for the facilitator: <#{table.thread_id}> ({escape_markdown(asked_by)} asked)."
            f"{facilitator}",
            allowed_mentions=discord.AllowedMentions(
                users=[discord.Object(cafe.created_by)] if cafe.created_by else False,
                roles=False,
                everyone=False,
            ),
        )

    async def _say(self, cafe: Cafe, content: str, *, nonce: str | None = None) -> None:
        channel = await self._channel(cafe.channel_id)
        if channel is None:
            return
        if nonce is None:  # none of ours: discord.py picks one at random
            await channel.send(content, allowed_mentions=NO_PINGS)
        else:
            await channel.send(content, nonce=nonce, allowed_mentions=NO_PINGS)

    # --- looking things up ---------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.TextChannel | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None
        return channel if isinstance(channel, discord.TextChannel) else None

    async def _thread(self, thread_id: int) -> discord.Thread | None:
        thread = self.bot.get_channel(thread_id)
        if isinstance(thread, discord.Thread):
            return thread
        try:
            fetched = await self.bot.fetch_channel(thread_id)
        except (discord.NotFound, discord.Forbidden):
            return None
        return fetched if isinstance(fetched, discord.Thread) else None

    def _existing_thread(self, channel: discord.TextChannel, name: str) -> discord.Thread | None:
        me = channel.guild.me.id
        for thread in channel.threads:
            if thread.name == name and thread.owner_id == me:
                return thread
        return None

    @staticmethod
    def _display_name(guild: discord.Guild | None, user_id: int | None) -> str | None:
        if guild is None or user_id is None:
            return None
        member = guild.get_member(user_id)
        return None if member is None else member.display_name


def is_transient(error: BaseException) -> bool:
    """Discord failed for now, not for good: its rate limit spent (discord.py gives up after
    five 429s), a server error, or the network. Worth trying again later."""
    if isinstance(error, discord.HTTPException):
        return error.status == 429 or error.status >= 500
    return isinstance(error, aiohttp.ClientError | TimeoutError | ConnectionError)


def describe_failure(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"{error.status} {error.response.reason}" if error.response else str(error.status)
    return type(error).__name__


def harvest_filename(cafe_id: int, title: str, longest: int = 40) -> str:
    """``harvest-3-funding-km.md``: the title's words, whole, within ``longest`` characters."""
    words = "".join(ch if ch.isalnum() else " " for ch in title.lower()).split()
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > longest:
            break
        slug = candidate
    return f"harvest-{cafe_id}-{slug or 'cafe'}.md"
