"""The contribution log of one community over a period, oldest first, in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.exports import BATCH_ROWS, stream_batches
from storage.models import Contribution, Organisation

# The columns, in the order the rows carry them.
CONTRIBUTION_COLUMNS = (
    Contribution.message_id,
    Contribution.author_id,
    Organisation.name,
    Contribution.stakeholder,
    Contribution.level,
    Contribution.channel_id,
    Contribution.parent_channel_id,
    Contribution.created_at,
    Contribution.edited_at,
    Contribution.is_reply,
    Contribution.is_answer,
    Contribution.is_question,
    Contribution.is_resource,
    Contribution.is_thread_start,
    Contribution.reply_to_message_id,
    Contribution.reply_to_author_id,
    Contribution.characters,
    Contribution.words,
    Contribution.links,
    Contribution.attachments,
    Contribution.mentions,
)


def _in_period(
    community_id: int, start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    conditions = [col(Contribution.community_id) == community_id]
    if start is not None:
        conditions.append(col(Contribution.created_at) >= start)
    if end is not None:
        conditions.append(col(Contribution.created_at) < end)
    return conditions


async def count_contributions(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> int:
    """How many rows :func:`contribution_batches` gives (on the index of community and time)."""
    statement = select(func.count()).select_from(Contribution)
    return await session.scalar(statement.where(*_in_period(community_id, start, end))) or 0


async def contribution_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """The rows (:data:`CONTRIBUTION_COLUMNS`) of ``community_id`` posted in [start, end)."""
    statement = (
        select(*[col(column) for column in CONTRIBUTION_COLUMNS])
        .select_from(Contribution)
        .outerjoin(Organisation, col(Organisation.id) == col(Contribution.organisation_id))
        .where(and_(*_in_period(community_id, start, end)))
        .order_by(col(Contribution.created_at), col(Contribution.message_id))
        .execution_options(yield_per=batch_rows)
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch
