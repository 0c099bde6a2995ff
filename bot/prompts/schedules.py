"""Prompt schedules and posts as a service: scheduling a theme in a channel, choosing the next
question of a theme, recording each post. No Discord here: cogs/prompts.py posts.

A prompt schedule is a row of its own (channel, theme, thread or not) beside a ``schedule`` row
of kind :data:`PROMPT_POST`, which the scheduler fires with its claims and misfire policy.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput, NotFound
from bot.prompts import bank
from bot.prompts.rotation import next_question
from bot.prompts.rules import clean_theme, theme_key
from bot.scheduling.scheduler import Scheduler
from bot.scheduling.when import WhenError, parse_when
from storage import audit, schedules
from storage import prompts as queries
from storage.communities import ensure_community
from storage.db import Database
from storage.models import (
    Firing,
    MisfirePolicy,
    PromptPost,
    PromptSchedule,
    Question,
    Schedule,
)
from storage.types import utc_now

PROMPT_POST = "prompt.post"
DEFAULT_GRACE = timedelta(hours=1)
PREVIEW_COUNT = 5
MISFIRE_CHOICES = {"late": MisfirePolicy.LATE, "skip": MisfirePolicy.SKIP}


@dataclass(frozen=True, slots=True)
class ScheduleView:
    prompt_schedule: PromptSchedule
    schedule: Schedule
    next_due: datetime | None
    skips: tuple[Firing, ...]

    @property
    def id(self) -> int:
        assert self.prompt_schedule.id is not None
        return self.prompt_schedule.id


@dataclass(frozen=True, slots=True)
class Choice:
    question: Question
    cycle: int


class PromptService:
    def __init__(self, db: Database, scheduler: Scheduler) -> None:
        self.db = db
        self.scheduler = scheduler
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
        policy = MISFIRE_CHOICES.get((misfire or "late").strip().lower())
        if policy is None:
            raise BadInput(f"`{misfire}` is not a misfire policy.", "Use `late` or `skip`.")
        known = {t.key: t for t in await bank.themes(self.db, community_id)}
        if key not in known:
            hint = ", ".join(f"`{t.name}`" for t in known.values()) or "none yet"
            raise NotFound(
                f"No question has the theme `{theme}`.",
                f"Themes in the bank: {hint}. Add questions with `/prompt add` first.",
            )
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            schedule = await schedules.create_schedule(
                session,
                community_id=community_id,
                kind=PROMPT_POST,
                when_text=when.text,
                timezone=when.timezone,
                misfire_policy=policy,
                grace_seconds=int(DEFAULT_GRACE.total_seconds()),
                created_by=actor_id,
            )
            schedule.created_at = now
            assert schedule.id is not None
            prompt_schedule = await queries.add_prompt_schedule(
                session,
                community_id=community_id,
                schedule_id=schedule.id,
                channel_id=channel_id,
                theme=known[key].name,
                theme_key=key,
                make_thread=make_thread,
                created_by=actor_id,
            )
            schedule.target_id = prompt_schedule.id
            session.add(schedule)
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
        return await self._view(community_id, prompt_schedule.id or 0), preview

    async def list_schedules(self, community_id: int) -> list[ScheduleView]:
        async with self.db.session() as session:
            rows = await queries.list_prompt_schedules(session, community_id)
            skips = await queries.recent_skips(session, [s.id for _, s in rows if s.id])
        return [
            ScheduleView(p, s, self._next_due(s), tuple(skips.get(s.id or 0, ()))) for p, s in rows
        ]

    async def _view(self, community_id: int, prompt_schedule_id: int) -> ScheduleView:
        async with self.db.session() as session:
            found = await queries.get_prompt_schedule(session, community_id, prompt_schedule_id)
            if found is None:
                raise NotFound(
                    f"There is no prompt schedule #{prompt_schedule_id} in this server.",
                    "`/prompt schedules` lists them with their numbers.",
                )
            skips = await queries.recent_skips(session, [found[1].id or 0])
        return ScheduleView(
            found[0], found[1], self._next_due(found[1]), tuple(skips.get(found[1].id or 0, ()))
        )

    def _next_due(self, schedule: Schedule) -> datetime | None:
        if schedule.paused or schedule.id is None:
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
                view.schedule.id or 0,
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
                view.schedule.id or 0, "not posted: the schedule was paused"
            )
        await self.scheduler.sync_schedule(view.schedule.id or 0)
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
        await self.scheduler.sync_schedule(view.schedule.id or 0)

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
        themes = [t for t in await bank.themes(self.db, community_id) if t.approved]
        if theme is not None:
            key = theme_key(theme)
            if not any(t.key == key for t in await bank.themes(self.db, community_id)):
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

    async def record_post(
        self,
        community_id: int,
        choice: Choice,
        *,
        channel_id: int,
        message_id: int,
        thread_id: int | None,
        prompt_schedule_id: int | None,
        scheduled_for: datetime | None,
        posted_by: int | None,
    ) -> PromptPost:
        async with self.db.transaction() as session:
            post = await queries.add_post(
                session,
                community_id=community_id,
                question_id=choice.question.id,
                prompt_schedule_id=prompt_schedule_id,
                theme_key=choice.question.theme_key,
                cycle=choice.cycle,
                channel_id=channel_id,
                message_id=message_id,
                thread_id=thread_id,
                scheduled_for=scheduled_for,
                posted_by=posted_by,
            )
            if posted_by is not None:
                await audit.record_audit(
                    session,
                    community_id,
                    posted_by,
                    "prompt.post",
                    question_id=choice.question.id,
                )
        return post

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
    assert question is not None
    return Choice(question, picked.cycle)
