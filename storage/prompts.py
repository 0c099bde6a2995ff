"""Queries for the question bank, prompt schedules and prompt posts. Rows stay here: every
function returns the values of bot/prompts/values.py (and bot/scheduling/values.py)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.prompts import values
from bot.prompts.values import QuestionStatus
from bot.scheduling import values as scheduling
from bot.scheduling.values import FiringRecord, FiringStatus, MisfirePolicy
from storage.models import Firing, PromptPost, PromptSchedule, Question, Schedule
from storage.schedules import create_schedule, firing_record, schedule_value
from storage.types import row_id, table_of, utc_now, value_of
from storage.upsert import insert_if_absent

# --- rows to values ------------------------------------------------------------------------------


def _question(row: Question) -> values.Question:
    return value_of(values.Question, row, status=QuestionStatus(row.status))



def _prompt_schedule(row: PromptSchedule) -> values.PromptSchedule:
    return value_of(values.PromptSchedule, row)



def _post(row: PromptPost) -> values.PromptPost:
    return value_of(values.PromptPost, row)



# --- the question bank -----------------------------------------------------------------------


async def add_question(
    session: AsyncSession,
    *,
    community_id: int,
    text: str,
    text_key: str,
    theme: str,
    theme_key: str,
    status: QuestionStatus,
    author_id: int | None,
    show_author: bool = False,
    reviewed_by: int | None = None,
    reviewed_at: datetime | None = None,
) -> values.Question:
    row = Question(
        community_id=community_id,
        text=text,
        text_key=text_key,
        theme=theme,
        theme_key=theme_key,
        status=status,
        author_id=author_id,
        show_author=show_author,
        reviewed_by=reviewed_by,
        reviewed_at=reviewed_at,
    )
    session.add(row)
    await session.flush()
    return _question(row)


async def get_question(
    session: AsyncSession, community_id: int, question_id: int
) -> values.Question | None:
    """A question of this community (another community's id finds nothing)."""
    row = await session.get(Question, question_id, populate_existing=True)
    return _question(row) if row is not None and row.community_id == community_id else None


async def question_by_key(
    session: AsyncSession, community_id: int, text_key: str
) -> values.Question | None:
    statement = select(Question).where(
        col(Question.community_id) == community_id, col(Question.text_key) == text_key
    )
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _question(row)


async def questions_by_keys(
    session: AsyncSession, community_id: int, text_keys: Collection[str]
) -> dict[str, values.Question]:
    if not text_keys:
        return {}
    statement = select(Question).where(
        col(Question.community_id) == community_id, col(Question.text_key).in_(list(text_keys))
    )
    return {row.text_key: _question(row) for row in (await session.execute(statement)).scalars()}


async def _question_row(session: AsyncSession, question_id: int) -> Question:
    """The row of a question the caller has just found in this session, to change it."""
    row = await session.get(Question, question_id)
    if row is None:
        raise LookupError(f"question {question_id} is gone")
    return row


async def _changed(session: AsyncSession, row: Question) -> values.Question:
    row.updated_at = utc_now()
    await session.flush()
    return _question(row)


async def review_question(
    session: AsyncSession,
    question_id: int,
    *,
    approve: bool,
    reviewer_id: int,
    reason: str | None,
) -> values.Question:
    """Approve a question (into the rotation) or reject it, saying why (None: no reason)."""
    row = await _question_row(session, question_id)
    row.status = QuestionStatus.APPROVED if approve else QuestionStatus.REJECTED
    row.reviewed_by = reviewer_id
    row.reviewed_at = utc_now()
    row.reject_reason = None if approve else reason
    return await _changed(session, row)


async def set_review_message(
    session: AsyncSession, question_id: int, *, channel_id: int, message_id: int
) -> values.Question:
    """Where the question's Approve / Reject message is, to edit it once it is decided."""
    row = await _question_row(session, question_id)
    row.review_channel_id = channel_id
    row.review_message_id = message_id
    return await _changed(session, row)


async def edit_question_text(
    session: AsyncSession, question_id: int, *, text: str, text_key: str, back_to_review: bool
) -> values.Question:
    """New text; ``back_to_review``: pending again, its old review message no longer its own."""
    row = await _question_row(session, question_id)
    row.text = text
    row.text_key = text_key
    if back_to_review:
        row.status = QuestionStatus.PENDING
        row.review_message_id = None
    return await _changed(session, row)


async def retire_question(session: AsyncSession, question_id: int) -> values.Question:
    row = await _question_row(session, question_id)
    row.status = QuestionStatus.RETIRED
    return await _changed(session, row)


async def list_questions(
    session: AsyncSession,
    community_id: int,
    *,
    theme_key: str | None = None,
    status: QuestionStatus | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[values.Question], int]:
    """One page of questions (oldest first) and how many match in all."""
    where = [col(Question.community_id) == community_id]
    if theme_key is not None:
        where.append(col(Question.theme_key) == theme_key)
    if status is not None:
        where.append(col(Question.status) == status.value)
    total = (
        await session.execute(select(func.count()).select_from(Question).where(*where))
    ).scalar_one()
    statement = select(Question).where(*where).order_by(col(Question.id)).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    rows = (await session.execute(statement)).scalars()
    return [_question(row) for row in rows], int(total)


async def approved_question_ids(
    session: AsyncSession, community_id: int, theme_key: str
) -> list[int]:
    statement = select(col(Question.id)).where(
        col(Question.community_id) == community_id,
        col(Question.theme_key) == theme_key,
        col(Question.status) == QuestionStatus.APPROVED.value,
    )
    ids = (await session.execute(statement)).scalars()
    return [question_id for question_id in ids if question_id is not None]


async def themes(session: AsyncSession, community_id: int) -> list[tuple[str, str, int]]:
    """Every theme of the bank: (key, the spelling it was first given, approved questions)."""
    ours = col(Question.community_id) == community_id
    approved = func.sum(case((col(Question.status) == QuestionStatus.APPROVED.value, 1), else_=0))
    counts = select(col(Question.theme_key), approved).where(ours).group_by(col(Question.theme_key))
    # The oldest question's spelling: min(theme) would prefer "FUNDING" to "Funding".
    first_ids = (
        select(func.min(col(Question.id)).label("id"))
        .where(ours)
        .group_by(col(Question.theme_key))
        .subquery()
    )
    names = select(col(Question.theme_key), col(Question.theme)).join(
        first_ids, first_ids.c.id == col(Question.id)
    )
    shown = {key: name for key, name in (await session.execute(names)).all()}
    return sorted(
        (key, shown[key], int(count or 0)) for key, count in (await session.execute(counts)).all()
    )


async def forget_question_author(session: AsyncSession, community_id: int, user_id: int) -> None:
    """Questions stay in the bank; the person's name goes (DESIGN section 8)."""
    for column in ("author_id", "reviewed_by"):
        await session.execute(
            update(Question)
            .where(col(Question.community_id) == community_id, getattr(Question, column) == user_id)
            .values({column: None, **({"show_author": False} if column == "author_id" else {})})
        )
    await session.execute(
        update(PromptSchedule)
        .where(
            col(PromptSchedule.community_id) == community_id,
            col(PromptSchedule.created_by) == user_id,
        )
        .values(created_by=None)
    )
    await session.execute(
        update(PromptPost)
        .where(col(PromptPost.community_id) == community_id, col(PromptPost.posted_by) == user_id)
        .values(posted_by=None)
    )


async def questions_written_by(session: AsyncSession, community_id: int, user_id: int) -> int:
    """How many questions of the bank the person submitted or added (whatever their state)."""
    statement = (
        select(func.count())
        .select_from(Question)
        .where(col(Question.community_id) == community_id, col(Question.author_id) == user_id)
    )
    return int((await session.execute(statement)).scalar_one())


async def delete_questions_written_by(
    session: AsyncSession, community_id: int, user_id: int
) -> int:
    """Delete the person's questions, and the records of their posts (run before
    forget_question_author, which otherwise keeps them without a name). The posts go explicitly,
    not through ON DELETE CASCADE, which SQLite applies only with its foreign keys on."""
    theirs = select(col(Question.id)).where(
        col(Question.community_id) == community_id, col(Question.author_id) == user_id
    )
    await session.execute(delete(PromptPost).where(col(PromptPost.question_id).in_(theirs)))
    result = await session.execute(
        delete(Question).where(
            col(Question.community_id) == community_id, col(Question.author_id) == user_id
        )
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def has_question_traces(session: AsyncSession, community_id: int, user_id: int) -> bool:
    checks = (
        select(col(Question.id)).where(
            col(Question.community_id) == community_id,
            (col(Question.author_id) == user_id) | (col(Question.reviewed_by) == user_id),
        ),
        select(col(PromptSchedule.id)).where(
            col(PromptSchedule.community_id) == community_id,
            col(PromptSchedule.created_by) == user_id,
        ),
        select(col(PromptPost.id)).where(
            col(PromptPost.community_id) == community_id, col(PromptPost.posted_by) == user_id
        ),
    )
    for statement in checks:
        if (await session.execute(statement.limit(1))).first() is not None:
            return True
    return False


# --- schedules -----------------------------------------------------------------------------------


async def add_prompt_schedule(
    session: AsyncSession,
    *,
    community_id: int,
    schedule_id: int,
    channel_id: int,
    theme: str,
    theme_key: str,
    make_thread: bool = True,
    created_by: int | None = None,
) -> values.PromptSchedule:
    """What a schedule (made already: ``schedule_id``) posts, and where."""
    row = PromptSchedule(
        community_id=community_id,
        schedule_id=schedule_id,
        channel_id=channel_id,
        theme=theme,
        theme_key=theme_key,
        make_thread=make_thread,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return _prompt_schedule(row)


async def create_prompt_schedule(
    session: AsyncSession,
    *,
    kind: str,
    community_id: int,
    channel_id: int,
    theme: str,
    theme_key: str,
    make_thread: bool,
    when_text: str,
    timezone: str,
    misfire_policy: MisfirePolicy,
    grace_seconds: int,
    created_by: int,
    created_at: datetime,
) -> tuple[values.PromptSchedule, scheduling.Schedule]:
    """A prompt schedule with its ``schedule`` row of ``kind``, whose target it is."""
    schedule = await create_schedule(
        session,
        community_id=community_id,
        kind=kind,
        when_text=when_text,
        timezone=timezone,
        misfire_policy=misfire_policy,
        grace_seconds=grace_seconds,
        created_by=created_by,
        created_at=created_at,
    )
    prompt_schedule = await add_prompt_schedule(
        session,
        community_id=community_id,
        schedule_id=row_id(schedule),
        channel_id=channel_id,
        theme=theme,
        theme_key=theme_key,
        make_thread=make_thread,
        created_by=created_by,
    )
    schedule.target_id = prompt_schedule.id
    await session.flush()
    return prompt_schedule, schedule_value(schedule)


async def get_prompt_schedule(
    session: AsyncSession, community_id: int, prompt_schedule_id: int
) -> tuple[values.PromptSchedule, scheduling.Schedule] | None:
    statement = (
        select(PromptSchedule, Schedule)
        .join(Schedule, col(Schedule.id) == col(PromptSchedule.schedule_id))
        .where(
            col(PromptSchedule.id) == prompt_schedule_id,
            col(PromptSchedule.community_id) == community_id,
        )
        .execution_options(populate_existing=True)
    )
    found = (await session.execute(statement)).first()
    return None if found is None else (_prompt_schedule(found[0]), schedule_value(found[1]))


async def prompt_schedule_of(
    session: AsyncSession, schedule_id: int
) -> values.PromptSchedule | None:
    statement = select(PromptSchedule).where(col(PromptSchedule.schedule_id) == schedule_id)
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _prompt_schedule(row)


async def list_prompt_schedules(
    session: AsyncSession, community_id: int
) -> list[tuple[values.PromptSchedule, scheduling.Schedule]]:
    statement = (
        select(PromptSchedule, Schedule)
        .join(Schedule, col(Schedule.id) == col(PromptSchedule.schedule_id))
        .where(col(PromptSchedule.community_id) == community_id)
        .order_by(col(PromptSchedule.id))
    )
    return [
        (_prompt_schedule(prompt_schedule), schedule_value(schedule))
        for prompt_schedule, schedule in (await session.execute(statement)).all()
    ]


async def recent_skips(
    session: AsyncSession, schedule_ids: Collection[int], *, limit_each: int = 3
) -> dict[int, list[FiringRecord]]:
    """The latest skipped firings of each schedule, newest first."""
    if not schedule_ids:
        return {}
    statement = (
        select(Firing)
        .where(
            col(Firing.schedule_id).in_(list(schedule_ids)),
            col(Firing.status) == FiringStatus.SKIPPED.value,
        )
        .order_by(col(Firing.scheduled_for).desc())
    )
    found: dict[int, list[FiringRecord]] = {}
    for firing in (await session.execute(statement)).scalars():
        kept = found.setdefault(firing.schedule_id, [])
        if len(kept) < limit_each:
            kept.append(firing_record(firing))
    return found


async def delete_prompt_schedule(
    session: AsyncSession, prompt_schedule: values.PromptSchedule
) -> None:
    """The schedule goes with its firings; posts stay, no longer linked to it."""
    await session.execute(
        update(PromptPost)
        .where(col(PromptPost.prompt_schedule_id) == prompt_schedule.id)
        .values(prompt_schedule_id=None)
    )
    await session.execute(
        delete(PromptSchedule).where(col(PromptSchedule.id) == prompt_schedule.id)
    )
    await session.execute(
        delete(Firing).where(col(Firing.schedule_id) == prompt_schedule.schedule_id)
    )
    await session.execute(delete(Schedule).where(col(Schedule.id) == prompt_schedule.schedule_id))


# --- posts ---------------------------------------------------------------------------------------


async def add_post(
    session: AsyncSession,
    *,
    community_id: int,
    question_id: int,
    prompt_schedule_id: int | None,
    theme_key: str,
    channel_id: int,
    cycle: int = 1,
    make_thread: bool = True,
    scheduled_for: datetime | None = None,
    posted_by: int | None = None,
    posted_at: datetime | None = None,
    message_id: int | None = None,
    thread_id: int | None = None,
) -> values.PromptPost:
    row = PromptPost(
        community_id=community_id,
        question_id=question_id,
        prompt_schedule_id=prompt_schedule_id,
        theme_key=theme_key,
        cycle=cycle,
        channel_id=channel_id,
        make_thread=make_thread,
        scheduled_for=scheduled_for,
        posted_by=posted_by,
        posted_at=posted_at or utc_now(),
        message_id=message_id,
        thread_id=thread_id,
    )
    session.add(row)
    await session.flush()
    return _post(row)


async def begin_post(
    session: AsyncSession,
    *,
    community_id: int,
    question_id: int,
    prompt_schedule_id: int | None,
    theme_key: str,
    cycle: int,
    channel_id: int,
    make_thread: bool,
    scheduled_for: datetime | None,
    posted_by: int | None,
) -> values.PromptPost | None:
    """The row of a post about to be sent, without its message yet. A schedule's firing gets
    one row whoever asks (None: another process or the start-up recovery has begun it); a post
    by hand always does."""
    if prompt_schedule_id is None or scheduled_for is None:
        return await add_post(
            session,
            community_id=community_id,
            question_id=question_id,
            prompt_schedule_id=prompt_schedule_id,
            theme_key=theme_key,
            cycle=cycle,
            channel_id=channel_id,
            make_thread=make_thread,
            scheduled_for=scheduled_for,
            posted_by=posted_by,
        )
    inserted = await insert_if_absent(
        session,
        table_of(PromptPost),
        {
            "community_id": community_id,
            "question_id": question_id,
            "prompt_schedule_id": prompt_schedule_id,
            "theme_key": theme_key,
            "cycle": cycle,
            "channel_id": channel_id,
            "make_thread": make_thread,
            "scheduled_for": scheduled_for,
            "posted_by": posted_by,
            "posted_at": utc_now(),
        },
        ["prompt_schedule_id", "scheduled_for"],
    )
    if not inserted:
        return None
    return await post_for_firing(session, prompt_schedule_id, scheduled_for)


async def get_post(session: AsyncSession, post_id: int) -> values.PromptPost | None:
    row = await session.get(PromptPost, post_id, populate_existing=True)
    return None if row is None else _post(row)


async def post_for_firing(
    session: AsyncSession, prompt_schedule_id: int, scheduled_for: datetime
) -> values.PromptPost | None:
    statement = select(PromptPost).where(
        col(PromptPost.prompt_schedule_id) == prompt_schedule_id,
        col(PromptPost.scheduled_for) == scheduled_for,
    )
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _post(row)


async def post_of_message(session: AsyncSession, message_id: int) -> values.PromptPost | None:
    statement = select(PromptPost).where(col(PromptPost.message_id) == message_id)
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _post(row)


async def set_post_message(session: AsyncSession, post_id: int, message_id: int) -> None:
    await session.execute(
        update(PromptPost).where(col(PromptPost.id) == post_id).values(message_id=message_id)
    )


async def finish_post(session: AsyncSession, post_id: int, thread_id: int | None) -> None:
    await session.execute(
        update(PromptPost)
        .where(col(PromptPost.id) == post_id)
        .values(thread_id=thread_id, finished_at=utc_now())
    )


async def delete_post(session: AsyncSession, post_id: int) -> None:
    await session.execute(delete(PromptPost).where(col(PromptPost.id) == post_id))


async def unfinished_posts(session: AsyncSession) -> list[values.PromptPost]:
    """Posts begun and not finished (a process stopped half-way), oldest first."""
    statement = (
        select(PromptPost)
        .where(col(PromptPost.finished_at).is_(None))
        .order_by(col(PromptPost.id))
        .execution_options(populate_existing=True)
    )
    return [_post(row) for row in (await session.execute(statement)).scalars()]


async def current_cycle(
    session: AsyncSession, community_id: int, theme_key: str
) -> tuple[int, set[int]]:
    """The theme's current rotation cycle and the questions already posted in it."""
    newest = (
        await session.execute(
            select(func.max(col(PromptPost.cycle))).where(
                col(PromptPost.community_id) == community_id,
                col(PromptPost.theme_key) == theme_key,
            )
        )
    ).scalar_one()
    if newest is None:
        return 1, set()
    statement = select(col(PromptPost.question_id)).where(
        col(PromptPost.community_id) == community_id,
        col(PromptPost.theme_key) == theme_key,
        col(PromptPost.cycle) == newest,
    )
    return int(newest), set((await session.execute(statement)).scalars())


async def last_posted_by_theme(session: AsyncSession, community_id: int) -> dict[str, datetime]:
    statement = (
        select(col(PromptPost.theme_key), func.max(col(PromptPost.posted_at)))
        .where(col(PromptPost.community_id) == community_id)
        .group_by(col(PromptPost.theme_key))
    )
    return {key: when for key, when in (await session.execute(statement)).all()}


async def posts_of(session: AsyncSession, community_id: int) -> list[values.PromptPost]:
    statement = (
        select(PromptPost)
        .where(col(PromptPost.community_id) == community_id)
        .order_by(col(PromptPost.id))
    )
    return [_post(row) for row in (await session.execute(statement)).scalars()]


async def prompt_threads(session: AsyncSession) -> dict[int, int | None]:
    """Every prompt thread, with the author of its question (answers there are answers)."""
    statement = (
        select(col(PromptPost.thread_id), col(Question.author_id))
        .join(Question, col(Question.id) == col(PromptPost.question_id))
        .where(col(PromptPost.thread_id).is_not(None))
    )
    rows = (await session.execute(statement)).all()
    return {thread_id: author for thread_id, author in rows if thread_id is not None}
