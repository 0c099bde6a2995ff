"""The member register of one community as the ``members`` export reads it: everyone who was in
the server at some time in the period, with the organisation they belonged to at its end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.exports import BATCH_ROWS, stream_batches
from storage.members import organisation_at_end, present_at_some_time
from storage.models import Member


async def member_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """Rows ``(user_id, organisation name or None, stakeholder, level, country, joined_at,
    left_at)`` of the people of ``community_id`` in the server at some time in [start, end),
    earliest joined first (unknown join times first), then in register order."""
    columns = [
        col(Member.user_id),
        organisation_at_end(end).label("organisation"),
        col(Member.stakeholder),
        col(Member.level),
        col(Member.country),
        col(Member.joined_at),
        col(Member.left_at),
    ]
    statement = (
        select(*columns)
        .where(col(Member.community_id) == community_id, *present_at_some_time(start, end))
        .order_by(col(Member.joined_at).asc().nulls_first(), col(Member.id))
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch
