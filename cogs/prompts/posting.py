"""Posting a question step by step, and finishing at start-up what a stopped process left.

:class:`PromptPoster` posts for ``/prompt post`` and for the scheduler (kind ``prompt.post``):
the post is begun in the database, the message sent with the post's nonce, its thread opened,
then the post finished (bot/prompts/schedules.py says why in that order). After a crash,
:meth:`PromptPoster.recover` finds what went out and finishes it, or posts late within the
misfire policy, or records the skip.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import discord

from bot.client import CopBot
from bot.errors import NotAllowed, new_error_id
from bot.permissions import THREAD_LIMIT_FIX, check_bot_can_post, is_thread_limit
from bot.prompts.schedules import PROMPT_POST, Choice, PromptService, UnfinishedPost, post_nonce
from bot.prompts.values import PromptPost, PromptSchedule, Question
from bot.scheduling.scheduler import Firing, tolerance
from bot.scheduling.values import FiringStatus
from bot.text import neutralise_mentions, shorten
from cogs._ui.embeds import make_embed
from cogs._ui.threads import thread_of
from cogs.prompts.views import member_name, send_to

log = logging.getLogger(__name__)

# Answers come over days: a week before the thread archives.
THREAD_ARCHIVE_MINUTES: Final[Literal[10080]] = 10080
NO_PINGS = discord.AllowedMentions.none()
ANSWER_IN_THREAD = "Answer in the thread below."
ANSWER_IN_CHANNEL = "Answer here in the channel: Discord refused a thread for this question."
# How many messages after a post was begun are read to find it after a crash: it is the bot's
# own message, sent right after, so it is among the first ones.
SEARCH_LIMIT = 100
NOT_SENT_IN_TIME = (
    "not posted: the bot stopped before posting it, and it is now too late by the misfire policy"
)


class PromptPoster:
    def __init__(self, bot: CopBot, service: PromptService) -> None:
        self.bot = bot
        self.service = service
        self.thread_authors: dict[int, int | None] = {}  # prompt thread -> question's author
        self._making: set[int] = set()  # posts this process is making (the recovery leaves them)

    async def post(
        self,
        channel: discord.TextChannel,
        choice: Choice,
        *,
        make_thread: bool,
        prompt_schedule: PromptSchedule | None,
        scheduled_for: datetime | None,
        posted_by: int | None,
    ) -> tuple[discord.Message, discord.Thread | None] | None:
        """Post a question step by step (bot/prompts/schedules.py says why). None: this
        firing's post was begun elsewhere (another process, or the start-up recovery)."""
        post = await self.service.begin_post(
            channel.guild.id,
            choice,
            channel_id=channel.id,
            make_thread=make_thread,
            prompt_schedule_id=prompt_schedule.id if prompt_schedule else None,
            scheduled_for=scheduled_for,
            posted_by=posted_by,
        )
        if post is None:
            return None
        self._making.add(post.id)
        try:
            message = await self._send(channel, post.id, choice.question, make_thread)
            thread = await self._finish(
                channel, post.id, choice.question, message, make_thread, posted_by
            )
        finally:
            self._making.discard(post.id)
        return message, thread

    def _question_embed(
        self, guild: discord.Guild, question: Question, *, answer_in: str | None
    ) -> discord.Embed:
        credit = member_name(guild, question.author_id) if question.show_author else None
        return make_embed(
            f"💬 {question.theme}",
            f"**{neutralise_mentions(question.text)}**" + (f"\n\n{answer_in}" if answer_in else ""),
            footer=(f"Suggested by {credit} · " if credit else "") + f"Question #{question.id}",
        )

    async def _send(
        self, channel: discord.TextChannel, post_id: int, question: Question, make_thread: bool
    ) -> discord.Message:
        """Step 2: the message, with the post's nonce; then its id in the record."""
        embed = self._question_embed(
            channel.guild, question, answer_in=ANSWER_IN_THREAD if make_thread else None
        )
        try:
            message = await channel.send(
                embed=embed, nonce=post_nonce(post_id), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:
            if error.status < 500:  # refused (or five 429s): nothing was sent
                await self.service.drop_post(post_id)
                raise
            found = await self._look_for_sent(channel, post_id, question, error)
            if found is None:
                raise
            message = found
        except Exception as error:  # the connection died: it may have gone out
            found = await self._look_for_sent(channel, post_id, question, error)
            if found is None:
                raise
            message = found
        await self.service.post_sent(post_id, message.id)
        return message

    async def _look_for_sent(
        self,
        channel: discord.TextChannel,
        post_id: int,
        question: Question,
        error: Exception,
    ) -> discord.Message | None:
        """After a send that failed without a clear refusal: the message if it went out after
        all. Not found, the post is dropped; if the channel cannot be read either, the post is
        left for the start-up recovery."""
        post = await self.service.get_post(post_id)
        if post is None:
            return None
        try:
            found = await self._find_sent(channel, post, question)
        except (discord.HTTPException, OSError, TimeoutError):
            log.warning("post %s: sending failed (%s); its channel cannot be read", post_id, error)
            return None
        if found is None:
            await self.service.drop_post(post_id)
        return found

    async def _find_sent(
        self, channel: discord.TextChannel, post: PromptPost, question: Question
    ) -> discord.Message | None:
        """The message of a post whose id was never recorded, if it went out: the bot's first
        message with that question after the post was begun that is no other post's. (Reading
        history does not show a message's nonce.)"""
        # A minute's margin for a clock that differs from Discord's.
        after = discord.Object(discord.utils.time_snowflake(post.posted_at - timedelta(minutes=1)))
        footer = f"Question #{question.id}"
        assert self.bot.user is not None
        async for message in channel.history(after=after, limit=SEARCH_LIMIT, oldest_first=True):
            if message.author.id != self.bot.user.id or not message.embeds:
                continue
            if not (message.embeds[0].footer.text or "").endswith(footer):
                continue
            if await self.service.is_recorded(message.id):
                continue
            return message
        return None

    async def _finish(
        self,
        channel: discord.TextChannel,
        post_id: int,
        question: Question,
        message: discord.Message,
        make_thread: bool,
        posted_by: int | None,
    ) -> discord.Thread | None:
        """Step 3: the thread for answers, then the post is finished. Raises ThreadRefused
        (after recording the post) when Discord refuses the thread."""
        thread, refused = None, None
        if make_thread:
            try:
                thread = await thread_of(
                    self.bot,
                    message,
                    name=shorten(question.text, 100),
                    archive_minutes=THREAD_ARCHIVE_MINUTES,
                )
                self.thread_authors[thread.id] = question.author_id
            except discord.HTTPException as error:
                refused = error  # the question is out: it is recorded all the same
        await self.service.finish_post(post_id, thread.id if thread else None)
        if refused is not None:
            try:  # the post promised a thread: say where to answer instead
                await message.edit(
                    embed=self._question_embed(channel.guild, question, answer_in=ANSWER_IN_CHANNEL)
                )
            except discord.HTTPException:
                log.info("could not edit post %s to say where to answer", message.id)
        await self._tell_submitter_posted(channel.guild, question, message, posted_by)
        if refused is not None:
            raise ThreadRefused(message, refused)
        return thread

    async def on_firing(self, firing: Firing) -> str | None:
        """A schedule's time has come: post its theme's next question, or pause and say why."""
        prompt_schedule = await self.service.prompt_schedule_of(firing.schedule.id)
        if prompt_schedule is None:
            return "no prompt schedule for this schedule"
        # An alarm due while the bot was down rings during start-up, before the gateway has
        # told the bot about any channel.
        await self.bot.wait_until_ready()
        async with self.service.posting(prompt_schedule.community_id, prompt_schedule.theme_key):
            return await self._post_on_time(firing, prompt_schedule)

    async def _post_on_time(self, firing: Firing, prompt_schedule: PromptSchedule) -> str:
        choice = await self.service.choose(prompt_schedule.community_id, prompt_schedule.theme_key)
        if choice is None:
            return await self._pause(
                prompt_schedule,
                f"the theme {prompt_schedule.theme} has no approved question",
                f"Approve or add questions in {prompt_schedule.theme}, then `/prompt resume "
                f"id:{prompt_schedule.id}`.",
            )
        channel = self.bot.get_channel(prompt_schedule.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return await self._pause(
                prompt_schedule,
                "its channel no longer exists",
                "Make a new schedule in another channel and remove this one.",
            )

        async def post_it() -> discord.Message | None:
            check_bot_can_post(channel, threads=prompt_schedule.make_thread)
            posted = await self.post(
                channel,
                choice,
                make_thread=prompt_schedule.make_thread,
                prompt_schedule=prompt_schedule,
                scheduled_for=firing.scheduled_for,
                posted_by=None,
            )
            return None if posted is None else posted[0]

        return await self._scheduled_outcome(
            firing, prompt_schedule, channel, choice.question, post_it()
        )

    async def _scheduled_outcome(
        self,
        firing: Firing,
        prompt_schedule: PromptSchedule,
        channel: discord.TextChannel,
        question: Question,
        posting: Coroutine[Any, Any, discord.Message | None],
    ) -> str:
        """Run a scheduled post and say how it went (the firing's note); the schedule pauses,
        and the moderators are told, when it cannot go on."""
        try:
            message = await posting
        except ThreadRefused as refused:
            return await self._pause_thread_refused(prompt_schedule, question, channel, refused)
        except (NotAllowed, discord.Forbidden, discord.NotFound):
            return await self._pause_cannot_post(prompt_schedule, f"#{channel.name}")
        if message is None:  # the post of this firing was begun by another process
            made = await self.service.post_for_firing(prompt_schedule.id, firing.scheduled_for)
            if made is None:
                return "posted by another process"
            sent = f", message {made.message_id}" if made.message_id else ""
            return f"posted question #{made.question_id} (by another process{sent})"
        late = (
            f", {int(firing.late_by.total_seconds() // 60)} min late"
            if firing.late_by.total_seconds() >= 60
            else ""
        )
        return f"posted question #{question.id} (message {message.id}{late})"

    async def _pause_thread_refused(
        self,
        prompt_schedule: PromptSchedule,
        question: Question,
        channel: discord.TextChannel,
        refused: ThreadRefused,
    ) -> str:
        return await self._pause(
            prompt_schedule,
            f"question #{question.id} is posted in #{channel.name} "
            f"({refused.message.jump_url}), but I could not open its thread for answers: "
            f"{refused.reason}",
            f"{refused.remedy} Then `/prompt resume id:{prompt_schedule.id}`.",
        )

    async def _pause_cannot_post(self, prompt_schedule: PromptSchedule, where: str) -> str:
        return await self._pause(
            prompt_schedule,
            f"I can no longer post in {where}",
            f"Give my role the permissions to post and open threads there, then "
            f"`/prompt resume id:{prompt_schedule.id}`.",
        )

    async def _tell_submitter_posted(
        self,
        guild: discord.Guild,
        question: Question,
        message: discord.Message,
        posted_by: int | None,
    ) -> None:
        """A member whose question goes out hears of it (not a moderator posting their own)."""
        if question.author_id is None or question.author_id in (posted_by, question.reviewed_by):
            return
        await send_to(
            self.bot,
            question.author_id,
            f"Your question for {guild.name} is posted: {message.jump_url}\n"
            f"> {neutralise_mentions(question.text)}",
            about=f"the post of question {question.id}",
        )

    # --- start-up recovery ----------------------------------------------------------------------

    async def recover(self) -> None:
        """Finish the posts and firings that a process which stopped left half done (the steps
        and the rules are in bot/prompts/schedules.py)."""
        for pending in await self.service.unfinished_posts():
            if pending.id in self._making:
                continue  # this process is making it right now
            if not self.bot.shard_slice.owns(pending.post.community_id):
                continue  # another process's server: it finishes its own
            try:
                await self._recover_post(pending)
            except Exception:
                log.exception("prompt post %s: recovery failed", pending.id)
        for firing in await self.bot.scheduler.stale_claims(PROMPT_POST):
            try:
                await self._recover_firing(firing)
            except Exception:
                log.exception("schedule %s: recovering a firing failed", firing.schedule.id)

    async def _recover_post(self, pending: UnfinishedPost) -> None:
        post, question, prompt_schedule = pending.post, pending.question, pending.prompt_schedule
        channel = self.bot.get_channel(post.channel_id)
        status, note = FiringStatus.DONE, ""
        try:
            if not isinstance(channel, discord.TextChannel):
                raise NotAllowed("The channel of the post no longer exists.")
            message = await self._message_of(channel, pending)
            if message is None:
                await self.service.drop_post(pending.id)
                status, note = FiringStatus.SKIPPED, NOT_SENT_IN_TIME
            else:
                await self._finish(
                    channel, pending.id, question, message, post.make_thread, post.posted_by
                )
                note = (
                    f"posted question #{question.id} (message {message.id}), finished at start-up"
                )
        except ThreadRefused as refused:  # the post is recorded, without a thread
            note = f"posted question #{question.id}; Discord refused its thread"
            if prompt_schedule is not None and isinstance(channel, discord.TextChannel):
                note = await self._pause_thread_refused(prompt_schedule, question, channel, refused)
        except (NotAllowed, discord.Forbidden, discord.NotFound) as error:
            await self.service.abandon_post(pending.id)
            if isinstance(error, discord.NotFound) and isinstance(channel, discord.TextChannel):
                note = f"question #{question.id} was posted, but its message is deleted"
            else:
                status, note = FiringStatus.FAILED, f"I can no longer post in <#{post.channel_id}>"
                if prompt_schedule is not None:
                    note = await self._pause_cannot_post(prompt_schedule, f"<#{post.channel_id}>")
        log.info("prompt post %s, after a restart: %s", pending.id, note)
        if pending.schedule is not None and post.scheduled_for is not None:
            await self.bot.scheduler.finish_claim(
                pending.schedule.id, post.scheduled_for, status=status, note=note
            )

    async def _message_of(
        self, channel: discord.TextChannel, pending: UnfinishedPost
    ) -> discord.Message | None:
        """The message of a post a process left unfinished: found, or sent now if it never went
        out and still may; None when it never went out and it is too late now."""
        post = pending.post
        if post.message_id is not None:
            return await channel.fetch_message(post.message_id)
        found = await self._find_sent(channel, post, pending.question)
        if found is not None:
            await self.service.post_sent(pending.id, found.id)
            return found
        if not pending.may_still_send(self.service.scheduler.clock()):
            return None
        check_bot_can_post(channel, threads=post.make_thread)
        return await self._send(channel, pending.id, pending.question, post.make_thread)

    async def _recover_firing(self, firing: Firing) -> None:
        """A firing still claimed by a process that stopped: finished if its post is, posted
        now if still in time and never begun, else recorded as skipped."""
        schedule = firing.schedule
        prompt_schedule = await self.service.prompt_schedule_of(schedule.id)
        post = None
        if prompt_schedule is not None:
            post = await self.service.post_for_firing(prompt_schedule.id, firing.scheduled_for)
        status = FiringStatus.DONE
        if post is not None:
            if post.finished_at is None:
                return  # still being made (by this process, or by another one still running)
            note = (
                f"posted question #{post.question_id} (message {post.message_id}), "
                "finished at start-up"
            )
        elif firing.late_by <= tolerance(schedule):
            try:
                note = await self.on_firing(firing) or ""
            except Exception:
                error_id = new_error_id()
                log.exception("schedule %s failed [error %s]", schedule.id, error_id)
                status, note = FiringStatus.FAILED, f"error {error_id}"
        else:
            status, note = FiringStatus.SKIPPED, NOT_SENT_IN_TIME
        await self.bot.scheduler.finish_claim(
            schedule.id, firing.scheduled_for, status=status, note=note
        )

    async def _pause(self, prompt_schedule: PromptSchedule, reason: str, fix: str) -> str:
        await self.service.pause_for(prompt_schedule.schedule_id, reason)
        await self._tell_moderators(
            prompt_schedule,
            f"⏸ Prompt schedule #{prompt_schedule.id} is paused: {reason}. {fix}",
        )
        return f"paused: {reason}"

    async def _tell_moderators(self, prompt_schedule: PromptSchedule, text: str) -> None:
        """In the review channel; without one, by direct message to whoever made the schedule.
        The reason also stays on the schedule, shown by ``/prompt schedules``."""
        guild = self.bot.get_guild(prompt_schedule.community_id)
        if guild is None:
            return
        community = await self.bot.communities.settings(guild.id, guild.name)
        channel = (
            guild.get_channel(community.review_channel_id)
            if community.review_channel_id is not None
            else None
        )
        try:
            if isinstance(channel, discord.TextChannel):
                await channel.send(text, allowed_mentions=NO_PINGS)
                return
            creator = (
                guild.get_member(prompt_schedule.created_by)
                if prompt_schedule.created_by is not None
                else None
            )
            if creator is not None:
                await creator.send(f"{guild.name}: {text}", allowed_mentions=NO_PINGS)
                return
        except discord.HTTPException:
            pass
        log.warning("could not tell the moderators of %s: %s", guild.id, text)


class ThreadRefused(NotAllowed):
    """A question went out but Discord refused its thread for answers."""

    def __init__(self, message: discord.Message, error: discord.HTTPException) -> None:
        self.message = message
        if is_thread_limit(error):
            self.reason = "the server has as many active threads as Discord allows"
            self.remedy = f"{THREAD_LIMIT_FIX}."
        elif isinstance(error, discord.Forbidden):
            self.reason = "I am not allowed to open threads there"
            self.remedy = "Give my role Create Public Threads in that channel."
        else:
            self.reason = f"Discord said: {error.text or error.status}"
            self.remedy = "Try again later."
        super().__init__(
            f"The question is posted ({message.jump_url}), but I could not open its thread for "
            f"answers: {self.reason}.",
            f"{self.remedy} Members can answer in the channel meanwhile.",
        )
