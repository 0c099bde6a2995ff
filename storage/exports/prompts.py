"""The prompts export's queries: one community's question bank, its prompt posts with their
answers counted, and its prompt schedules, each with how often it was posted in the period."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Never

from sqlalchemy import ColumnElement, Select, and_, distinct, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.exports import BATCH_ROWS, stream_batches
from storage.models import Contribution, Member, PromptPost, PromptSchedule, Question, Schedule

# The columns of each reader's rows, in order:
# questions: id, theme, text, status, created_at, times posted in the period
# posts: id, question id, theme, cycle, channel id, thread id, prompt schedule id, scheduled_for,
#   posted_at, finished_at, posted_by, answers, distinct answerers, first answer's created_at
# schedules: id, theme, channel id, make_thread, when_text, timezone, paused, the schedule
#   row's created_at (set in the same transaction as the prompt schedule's),
#   posts in the period


def _posted_in(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """Conditions on a post's ``posted_at`` for [start, end)."""
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(col(PromptPost.posted_at) >= start)
    if end is not None:
        conditions.append(col(PromptPost.posted_at) < end)
    return conditions


async def question_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """Every question of the community's bank (whatever the period), oldest first, with how
    many times it was posted in [start, end)."""
    # The period is in the join, not the WHERE: a question not posted then still has its row.
    posts = and_(
        col(PromptPost.question_id) == col(Question.id),
        col(PromptPost.community_id) == community_id,
        *_posted_in(start, end),
    )
    statement = (
        select(
            col(Question.id),
            col(Question.theme),
            col(Question.text),
            col(Question.status),
            col(Question.created_at),
            func.count(col(PromptPost.id)),
        )
        .select_from(Question)
        .outerjoin(PromptPost, posts)
        .where(col(Question.community_id) == community_id)
        .group_by(
            col(Question.id),
            col(Question.theme),
            col(Question.text),
            col(Question.status),
            col(Question.created_at),
        )
        .order_by(col(Question.id))
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch


async def post_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """The community's prompt posts made in [start, end) (finished or not), oldest first, each
    with its answers: contributions in the post's thread or replying to its message, whenever
    they were posted, by people who have not opted out."""
    opted_out = select(col(Member.user_id)).where(
        col(Member.community_id) == community_id, col(Member.opted_out_at).is_not(None)
    )
    posts = (col(PromptPost.community_id) == community_id, *_posted_in(start, end))

    def answers_by(
        link: ColumnElement[bool], present: ColumnElement[bool]
    ) -> Select[Never, int, int, datetime]:
        return (
            select(
                col(PromptPost.id).label("post_id"),
                col(Contribution.message_id),
                col(Contribution.author_id),
                col(Contribution.created_at),
            )
            .select_from(PromptPost)
            .join(Contribution, and_(link, col(Contribution.community_id) == community_id))
            .where(*posts, present, col(Contribution.author_id).not_in(opted_out))
        )

    # Two lookups, each on its own index (the thread's messages by channel; replies to the
    # post's message), instead of one join on "in the thread OR replying": that OR made
    # SQLite scan the whole log once per post. UNION keeps a message that is both once.
    answers = union(
        answers_by(
            col(Contribution.channel_id) == col(PromptPost.thread_id),
            col(PromptPost.thread_id).is_not(None),
        ),
        answers_by(
            col(Contribution.reply_to_message_id) == col(PromptPost.message_id),
            col(PromptPost.message_id).is_not(None),
        ),
    ).subquery("answer")
    answers_the_post = answers.c.post_id == col(PromptPost.id)
    post_columns = (
        col(PromptPost.id),
        col(PromptPost.question_id),
        col(Question.theme),
        col(PromptPost.cycle),
        col(PromptPost.channel_id),
        col(PromptPost.thread_id),
        col(PromptPost.prompt_schedule_id),
        col(PromptPost.scheduled_for),
        col(PromptPost.posted_at),
        col(PromptPost.finished_at),
        col(PromptPost.posted_by),
    )
    statement = (
        select(
            *post_columns,
            func.count(answers.c.message_id),
            func.count(distinct(answers.c.author_id)),
            func.min(answers.c.created_at),
        )
        .select_from(PromptPost)
        .join(Question, col(Question.id) == col(PromptPost.question_id))
        .outerjoin(answers, answers_the_post)
        .where(col(PromptPost.community_id) == community_id, *_posted_in(start, end))
        .group_by(*post_columns)
        .order_by(col(PromptPost.posted_at), col(PromptPost.id))
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch


async def schedule_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """Every prompt schedule the community has now (whatever the period), oldest first, with
    its ``schedule`` row's when and how many posts it made in [start, end)."""
    posts = and_(
        col(PromptPost.prompt_schedule_id) == col(PromptSchedule.id), *_posted_in(start, end)
    )
    schedule_columns = (
        col(PromptSchedule.id),
        col(PromptSchedule.theme),
        col(PromptSchedule.channel_id),
        col(PromptSchedule.make_thread),
        col(Schedule.when_text),
        col(Schedule.timezone),
        col(Schedule.paused),
        col(Schedule.created_at),
    )
    statement = (
        select(*schedule_columns, func.count(col(PromptPost.id)))
        .select_from(PromptSchedule)
        .join(Schedule, col(Schedule.id) == col(PromptSchedule.schedule_id))
        .outerjoin(PromptPost, posts)
        .where(col(PromptSchedule.community_id) == community_id)
        .group_by(*schedule_columns)
        .order_by(col(PromptSchedule.id))
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch
