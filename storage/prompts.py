"""Queries for the question bank, prompt schedules and prompt posts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Firing,
    FiringStatus,
    PromptPost,
    PromptSchedule,
    Question,
    QuestionStatus,
    Schedule,
)
from storage.types import utc_now
from storage.upsert import insert_if_absent

# --- the question bank -----------------------------------------------------------------------


async def add_question(session: AsyncSession, **fields: Any) -> Question:
    question = Question(**fields)
    session.add(question)
    await session.flush()
    return question


async def get_question(
    session: AsyncSession, community_id: int, question_id: int
) -> Question | None:
    """A question of this community (another community's id finds nothing)."""
    question = await session.get(Question, question_id, populate_existing=True)
    return question if question is not None and question.community_id == community_id else None


async def question_by_key(
    session: AsyncSession, community_id: int, text_key: str
) -> Question | None:
    statement = select(Question).where(
        col(Question.community_id) == community_id, col(Question.text_key) == text_key
    )
    return (await session.execute(statement)).scalars().first()


async def questions_by_keys(
    session: AsyncSession, community_id: int, text_keys: Collection[str]
) -> dict[str, Question]:
    if not text_keys:
        return {}
    statement = select(Question).where(
        col(Question.community_id) == community_id, col(Question.text_key).in_(list(text_keys))
    )
    return {q.text_key: q for q in (await session.execute(statement)).scalars()}


async def update_question(session: AsyncSession, question: Question, **fields: Any) -> Question:
    for name, value in fields.items():
        setattr(question, name, value)
    question.updated_at = utc_now()
    session.add(question)
    await session.flush()
    return question


async def list_questions(
    session: AsyncSession,
    community_id: int,
    *,
    theme_key: str | None = None,
    status: QuestionStatus | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[Question], int]:
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
    return list((await session.execute(statement)).scalars()), int(total)


async def approved_question_ids(
    session: AsyncSession, community_id: int, theme_key: str
) -> list[int]:
    statement = select(col(Question.id)).where(
        col(Question.community_id) == community_id,
        col(Question.theme_key) == theme_key,
        col(Question.status) == QuestionStatus.APPROVED.value,
    )
    return [qid for qid in (await session.execute(statement)).scalars() if qid is not None]


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
    return int(result.rowcount or 0)


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


async def add_prompt_schedule(session: AsyncSession, **fields: Any) -> PromptSchedule:
    prompt_schedule = PromptSchedule(**fields)
    session.add(prompt_schedule)
    await session.flush()
    return prompt_schedule


async def get_prompt_schedule(
    session: AsyncSession, community_id: int, prompt_schedule_id: int
) -> tuple[PromptSchedule, Schedule] | None:
    statement = (
        select(PromptSchedule, Schedule)
        .join(Schedule, col(Schedule.id) == col(PromptSchedule.schedule_id))
        .where(
            col(PromptSchedule.id) == prompt_schedule_id,
            col(PromptSchedule.community_id) == community_id,
        )
        .execution_options(populate_existing=True)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1])


async def prompt_schedule_of(session: AsyncSession, schedule_id: int) -> PromptSchedule | None:
    statement = select(PromptSchedule).where(col(PromptSchedule.schedule_id) == schedule_id)
    return (await session.execute(statement)).scalars().first()


async def list_prompt_schedules(
    session: AsyncSession, community_id: int
) -> list[tuple[PromptSchedule, Schedule]]:
    statement = (
        select(PromptSchedule, Schedule)
        .join(Schedule, col(Schedule.id) == col(PromptSchedule.schedule_id))
        .where(col(PromptSchedule.community_id) == community_id)
        .order_by(col(PromptSchedule.id))
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def recent_skips(
    session: AsyncSession, schedule_ids: Collection[int], *, limit_each: int = 3
) -> dict[int, list[Firing]]:
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
    found: dict[int, list[Firing]] = {}
    for firing in (await session.execute(statement)).scalars():
        kept = found.setdefault(firing.schedule_id, [])
        if len(kept) < limit_each:
            kept.append(firing)
    return found


async def delete_prompt_schedule(session: AsyncSession, prompt_schedule: PromptSchedule) -> None:
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


async def add_post(session: AsyncSession, **fields: Any) -> PromptPost:
    post = PromptPost(**fields)
    session.add(post)
    await session.flush()
    return post


async def begin_post(session: AsyncSession, **fields: Any) -> PromptPost | None:
    """The row of a post about to be sent. A schedule's firing gets one row whoever asks
    (None: another process or the start-up recovery has begun it); a post by hand always does."""
    if fields.get("prompt_schedule_id") is None or fields.get("scheduled_for") is None:
        return await add_post(session, **fields)
    values = {"posted_at": utc_now(), "cycle": 1, "make_thread": True, **fields}
    inserted = await insert_if_absent(
        session, PromptPost.__table__, values, ["prompt_schedule_id", "scheduled_for"]
    )
    if not inserted:
        return None
    return await post_for_firing(session, fields["prompt_schedule_id"], fields["scheduled_for"])


async def get_post(session: AsyncSession, post_id: int) -> PromptPost | None:
    return await session.get(PromptPost, post_id, populate_existing=True)


async def post_for_firing(
    session: AsyncSession, prompt_schedule_id: int, scheduled_for: datetime
) -> PromptPost | None:
    statement = select(PromptPost).where(
        col(PromptPost.prompt_schedule_id) == prompt_schedule_id,
        col(PromptPost.scheduled_for) == scheduled_for,
    )
    return (await session.execute(statement)).scalars().first()


async def post_of_message(session: AsyncSession, message_id: int) -> PromptPost | None:
    statement = select(PromptPost).where(col(PromptPost.message_id) == message_id)
    return (await session.execute(statement)).scalars().first()


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


async def unfinished_posts(session: AsyncSession) -> list[PromptPost]:
    """Posts begun and not finished (a process stopped half-way), oldest first."""
    statement = (
        select(PromptPost)
        .where(col(PromptPost.finished_at).is_(None))
        .order_by(col(PromptPost.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(statement)).scalars())


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


async def posts_of(session: AsyncSession, community_id: int) -> list[PromptPost]:
    statement = (
        select(PromptPost)
        .where(col(PromptPost.community_id) == community_id)
        .order_by(col(PromptPost.id))
    )
    return list((await session.execute(statement)).scalars())


async def prompt_threads(session: AsyncSession) -> dict[int, int | None]:
    """Every prompt thread, with the author of its question (answers there are answers)."""
    statement = (
        select(col(PromptPost.thread_id), col(Question.author_id))
        .join(Question, col(Question.id) == col(PromptPost.question_id))
        .where(col(PromptPost.thread_id).is_not(None))
    )
    return {thread_id: author for thread_id, author in (await session.execute(statement)).all()}
