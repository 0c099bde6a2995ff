"""Prompt schedules and posts as a service: scheduling a theme in a channel, choosing the next
question of a theme, recording each post. No Discord here: cogs/prompts/posting.py posts.

A prompt schedule is a row of its own (channel, theme, thread or not) beside a ``schedule`` row
of kind :data:`PROMPT_POST`, which the scheduler fires with its claims and misfire policy.

A post takes several steps, and the process may die between any two of them (a kill, a crash,
five 429s in a row). So that a post is never lost from the record nor made twice, each step is
written down before the next one starts:

1. :meth:`PromptService.begin_post` writes the ``prompt_post`` row first, without a message (the
   intent). From then on the rotation counts the question as posted. A schedule's firing gets
   at most one such row (unique on schedule and due time), whichever process asks.
2. The message is sent with the nonce :func:`post_nonce` (unique to the row) and
   ``enforce_nonce``: Discord returns the message already sent with that nonce, for a few
   minutes, instead of sending another. Then :meth:`PromptService.post_sent` records its id.
3. The thread for answers is opened (Discord opens one thread per message at most: a second
   try is refused, and the thread has the message's id), then :meth:`PromptService.finish_post`
   records it and marks the post finished; the firing is finished after that.

At start-up, ``cogs/prompts/posting.py`` finishes what a stopped process left: a row without a
message is looked for in the channel (the bot's message with that question after the row was
written; a message's nonce is not shown when reading history); found, it is recorded; not found, it
was never sent, and it is sent now (same nonce) if still within the schedule's misfire policy (by
hand: :data:`HAND_POST_GRACE`), else the row is removed and the firing recorded as skipped. A row
with a message but no thread gets its thread. Claimed firings without any row are posted now or
recorded as skipped, by the same policy. Every step being idempotent, a recovery that meets a
process still at work (an overlapping deploy) cannot make a second post either.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput, NotFound
from bot.prompts.bank import QuestionBank
from bot.prompts.rotation import next_question
from bot.prompts.rules import clean_theme, theme_key
from bot.prompts.values import PromptPost, PromptSchedule, Question
from bot.scheduling.scheduler import Scheduler, tolerance
from bot.scheduling.values import FiringRecord, MisfirePolicy, Schedule
from bot.scheduling.when import WhenError, describe_gap, parse_when
from storage import audit, schedules
from storage import prompts as queries
from storage.communities import ensure_community
from storage.db import Database
from storage.types import utc_now

PROMPT_POST = "prompt.post"
DEFAULT_GRACE = timedelta(hours=1)
# A post by hand that a stopped process never sent is sent at start-up only this soon after it
# was asked for (well within the few minutes Discord keeps a nonce); later, it is dropped.
HAND_POST_GRACE = timedelta(minutes=2)
PREVIEW_COUNT = 5
MIN_PROMPT_GAP = timedelta(hours=1)  # a schedule posts at most once an hour
MISFIRE_CHOICES = {"late": MisfirePolicy.LATE, "skip": MisfirePolicy.SKIP}


@dataclass(frozen=True, slots=True)
class ScheduleView:
    prompt_schedule: PromptSchedule
    schedule: Schedule
    next_due: datetime | None
    skips: tuple[FiringRecord, ...]

    @property
    def id(self) -> int:
        """The number moderators know the schedule by (the prompt schedule's)."""
        return self.prompt_schedule.id


@dataclass(frozen=True, slots=True)
class Choice:
    question: Question
    cycle: int


@dataclass(frozen=True, slots=True)
class UnfinishedPost:
    """A post a process began and did not finish, with what is needed to finish it."""

    post: PromptPost
    question: Question
    # Both None: posted by hand (or its schedule was removed since).
    prompt_schedule: PromptSchedule | None
    schedule: Schedule | None

    @property
    def id(self) -> int:
        return self.post.id

    def may_still_send(self, now: datetime) -> bool:
        """Whether a post that never went out may go out now, late."""
        if self.schedule is not None and self.post.scheduled_for is not None:
            return now - self.post.scheduled_for <= tolerance(self.schedule)
        return now - self.post.posted_at <= HAND_POST_GRACE


def post_nonce(post_id: int) -> str:
    """The nonce a post's message is sent with (Discord allows 25 characters)."""
    return f"copbot-prompt-{post_id}"


class PromptService:
    def __init__(self, db: Database, scheduler: Scheduler) -> None:
        self.db = db
        self.scheduler = scheduler
        # The bank's themes, read the bank's way (it holds nothing but the database).
        self._bank = QuestionBank(db)
        self._posting: dict[tuple[int, str], asyncio.Lock] = {}

    # --- schedules ------------------------------------------------------------------------------

    async def create_schedule(
        self,
        community_id: int,
        community_name: str,
        *,
        channel_id: int,
        when_text: str,
        theme: str,
        timezone: str,
        make_thread: bool,
        misfire: str | None,
        actor_id: int,
        now: datetime | None = None,
    ) -> tuple[ScheduleView, list[datetime]]:
        """A new schedule, and its next five dates (UTC) for the preview."""
        # The scheduler's clock, not the wall clock: "created at" is where catching up starts.
        now = now or self.scheduler.clock()
        _, key = clean_theme(theme)
        try:
            when = parse_when(when_text, timezone, now=now)
        except WhenError as error:
            raise BadInput(f"I can't read that schedule. {error}") from error
        if not when.is_recurring:
            raise BadInput(
                "That is a single date, not a schedule.",
                "For one question now, use `/prompt post`; a schedule repeats, e.g. "
                "`weekly mon 09:00`.",
            )
        gap = when.shortest_gap(now)
        if gap is not None and gap < MIN_PROMPT_GAP:
            raise BadInput(
                f"`{when.text}` would post questions {describe_gap(gap)} apart; a schedule "
                "posts at most once an hour (nobody answers a question a minute).",
                "Use an hourly or rarer rule, e.g. `daily 09:00`, `weekdays 09:00,15:00` or "
                "`0 9-17 * * 1-5`.",
            )
        policy = MISFIRE_CHOICES.get((misfire or "late").strip().lower())
        if policy is None:
            raise BadInput(f"`{misfire}` is not a misfire policy.", "Use `late` or `skip`.")
        known = {t.key: t for t in await self._bank.themes(community_id)}
        if key not in known:
            hint = ", ".join(f"`{t.name}`" for t in known.values()) or "none yet"
            raise NotFound(
                f"No question has the theme `{theme}`.",
                f"Themes in the bank: {hint}. Add questions with `/prompt add` first.",
            )
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            prompt_schedule, schedule = await queries.create_prompt_schedule(
                session,
                kind=PROMPT_POST,
                community_id=community_id,
                channel_id=channel_id,
                theme=known[key].name,
                theme_key=key,
                make_thread=make_thread,
                when_text=when.text,
                timezone=when.timezone,
                misfire_policy=policy,
                grace_seconds=int(DEFAULT_GRACE.total_seconds()),
                created_by=actor_id,
                created_at=now,
            )
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "prompt.schedule",
                prompt_schedule_id=prompt_schedule.id,
                when=when.text,
                theme=key,
            )
        await self.scheduler.sync_schedule(schedule.id)
        preview = when.upcoming(now, PREVIEW_COUNT)
        return await self._view(community_id, prompt_schedule.id), preview

    async def list_schedules(self, community_id: int) -> list[ScheduleView]:
        async with self.db.session() as session:
            rows = await queries.list_prompt_schedules(session, community_id)
            skips = await queries.recent_skips(session, [s.id for _, s in rows])
        return [ScheduleView(p, s, self._next_due(s), tuple(skips.get(s.id, ()))) for p, s in rows]

    async def _view(self, community_id: int, prompt_schedule_id: int) -> ScheduleView:
        async with self.db.session() as session:
            found = await queries.get_prompt_schedule(session, community_id, prompt_schedule_id)
            if found is None:
                raise NotFound(
                    f"There is no prompt schedule #{prompt_schedule_id} in this server.",
                    "`/prompt schedules` lists them with their numbers.",
                )
            prompt_schedule, schedule = found
            skips = await queries.recent_skips(session, [schedule.id])
        return ScheduleView(
            prompt_schedule, schedule, self._next_due(schedule), tuple(skips.get(schedule.id, ()))
        )

    def _next_due(self, schedule: Schedule) -> datetime | None:
        if schedule.paused:
            return None
        return self.scheduler.next_alarm(schedule.id)

    async def set_paused(
        self, community_id: int, prompt_schedule_id: int, *, paused: bool, actor_id: int
    ) -> ScheduleView:
        view = await self._view(community_id, prompt_schedule_id)
        if view.schedule.paused == paused:
            state = "paused" if paused else "running"
            raise BadInput(f"Schedule #{prompt_schedule_id} is {state} already.")
        async with self.db.transaction() as session:
            await schedules.set_schedule_paused(
                session,
                view.schedule.id,
                paused=paused,
                reason="paused by a moderator" if paused else None,
            )
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "prompt.pause" if paused else "prompt.resume",
                prompt_schedule_id=prompt_schedule_id,
            )
        if not paused:
            # Resuming must not post everything missed while paused: count from now.
            await self.scheduler.skip_missed(
                view.schedule.id, "not posted: the schedule was paused"
            )
        await self.scheduler.sync_schedule(view.schedule.id)
        return await self._view(community_id, prompt_schedule_id)

    async def unschedule(
        self, community_id: int, prompt_schedule_id: int, *, actor_id: int
    ) -> None:
        view = await self._view(community_id, prompt_schedule_id)
        async with self.db.transaction() as session:
            await queries.delete_prompt_schedule(session, view.prompt_schedule)
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "prompt.unschedule",
                prompt_schedule_id=prompt_schedule_id,
            )
        await self.scheduler.sync_schedule(view.schedule.id)

    async def pause_for(self, schedule_id: int, reason: str) -> None:
        """The bot pauses a schedule it cannot carry out, saying why."""
        async with self.db.transaction() as session:
            await schedules.set_schedule_paused(
                session, schedule_id, paused=True, reason=reason[:300]
            )
        await self.scheduler.sync_schedule(schedule_id)

    async def prompt_schedule_of(self, schedule_id: int) -> PromptSchedule | None:
        async with self.db.session() as session:
            return await queries.prompt_schedule_of(session, schedule_id)

    # --- choosing and recording -----------------------------------------------------------------

    def posting(self, community_id: int, theme: str) -> asyncio.Lock:
        """Held from choosing a theme's question until its post is recorded: a post by hand and
        a schedule firing at the same moment would otherwise both choose the same question."""
        return self._posting.setdefault((community_id, theme_key(theme)), asyncio.Lock())

    async def choose(self, community_id: int, theme: str) -> Choice | None:
        """The next question of a theme (None: it has no approved question)."""
        key = theme_key(theme)
        async with self.db.session() as session:
            return await _choose(session, community_id, key)

    async def theme_to_post(self, community_id: int, theme: str | None) -> str:
        """The theme ``/prompt post`` uses: the one named, else the one waiting longest."""
        every_theme = await self._bank.themes(community_id)
        themes = [t for t in every_theme if t.approved]
        if theme is not None:
            key = theme_key(theme)
            if not any(t.key == key for t in every_theme):
                raise NotFound(
                    f"No question has the theme `{theme}`.",
                    "Pick a theme offered as you type, or add questions with `/prompt add`.",
                )
            if not any(t.key == key for t in themes):
                raise BadInput(
                    f"The theme `{theme}` has no approved question to post.",
                    "Approve one (`/prompt list status:pending`) or add one with `/prompt add`.",
                )
            return key
        if not themes:
            raise NotFound(
                "The question bank has no approved question yet.",
                "Add one with `/prompt add`, or import a file with `/prompt import`.",
            )
        async with self.db.session() as session:
            last = await queries.last_posted_by_theme(session, community_id)
        never = datetime.min.replace(tzinfo=utc_now().tzinfo)
        return min(themes, key=lambda t: (last.get(t.key, never), t.key)).key

    async def begin_post(
        self,
        community_id: int,
        choice: Choice,
        *,
        channel_id: int,
        make_thread: bool,
        prompt_schedule_id: int | None,
        scheduled_for: datetime | None,
        posted_by: int | None,
    ) -> PromptPost | None:
        """Step 1: the post's row, before anything is sent (None: this firing's post is begun
        already, by another process or by the start-up recovery)."""
        async with self.db.transaction() as session:
            return await queries.begin_post(
                session,
                community_id=community_id,
                question_id=choice.question.id,
                prompt_schedule_id=prompt_schedule_id,
                theme_key=choice.question.theme_key,
                cycle=choice.cycle,
                channel_id=channel_id,
                make_thread=make_thread,
                scheduled_for=scheduled_for,
                posted_by=posted_by,
            )

    async def post_sent(self, post_id: int, message_id: int) -> None:
        """Step 2: the message is out."""
        async with self.db.transaction() as session:
            await queries.set_post_message(session, post_id, message_id)

    async def finish_post(self, post_id: int, thread_id: int | None) -> None:
        """Step 3: the thread (or none: not wanted, or refused) is recorded; the post is done."""
        async with self.db.transaction() as session:
            await queries.finish_post(session, post_id, thread_id)
            post = await queries.get_post(session, post_id)
            if post is not None and post.posted_by is not None:
                await audit.record_audit(
                    session,
                    post.community_id,
                    post.posted_by,
                    "prompt.post",
                    question_id=post.question_id,
                )

    async def drop_post(self, post_id: int) -> None:
        """A post that never went out, and will not: its question goes back in the rotation."""
        async with self.db.transaction() as session:
            await queries.delete_post(session, post_id)

    async def abandon_post(self, post_id: int) -> None:
        """A post that cannot be finished (its channel or message is gone): the record of a
        message that went out stays, without a thread; one that never went out goes."""
        async with self.db.transaction() as session:
            post = await queries.get_post(session, post_id)
            if post is None:
                return
            if post.message_id is None:
                await queries.delete_post(session, post_id)
            else:
                await queries.finish_post(session, post_id, None)

    async def get_post(self, post_id: int) -> PromptPost | None:
        async with self.db.session() as session:
            return await queries.get_post(session, post_id)

    async def is_recorded(self, message_id: int) -> bool:
        """Whether a message is some post's already (so it is not taken for another's)."""
        async with self.db.session() as session:
            return await queries.post_of_message(session, message_id) is not None

    async def post_for_firing(
        self, prompt_schedule_id: int, scheduled_for: datetime
    ) -> PromptPost | None:
        async with self.db.session() as session:
            return await queries.post_for_firing(session, prompt_schedule_id, scheduled_for)

    async def unfinished_posts(self) -> list[UnfinishedPost]:
        async with self.db.session() as session:
            found = []
            for post in await queries.unfinished_posts(session):
                question = await queries.get_question(session, post.community_id, post.question_id)
                if question is None:
                    continue  # removed with its community
                rows = None
                if post.prompt_schedule_id is not None:
                    rows = await queries.get_prompt_schedule(
                        session, post.community_id, post.prompt_schedule_id
                    )
                prompt_schedule, schedule = rows or (None, None)
                found.append(UnfinishedPost(post, question, prompt_schedule, schedule))
        return found

    async def prompt_threads(self) -> dict[int, int | None]:
        async with self.db.session() as session:
            return await queries.prompt_threads(session)


async def _choose(session: AsyncSession, community_id: int, key: str) -> Choice | None:
    approved = await queries.approved_question_ids(session, community_id, key)
    cycle, posted = await queries.current_cycle(session, community_id, key)
    picked = next_question(approved, posted, seed=f"{community_id}/{key}", cycle=cycle)
    if picked is None:
        return None
    question = await queries.get_question(session, community_id, picked.question_id)
    if question is None:  # the ids were read in this session a moment ago
        raise LookupError(f"question {picked.question_id} vanished while it was chosen")
    return Choice(question, picked.cycle)
