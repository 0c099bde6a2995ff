"""The member register of one community as the ``members`` export reads it: everyone who was in
the server at some time in the period, with the organisation they belonged to at its end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.exports import BATCH_ROWS
from storage.models import Member, Organisation, OrganisationMembership


def open_at_end(started_at: Any, ended_at: Any, end: datetime | None) -> ColumnElement[bool]:
    """A history row (``started_at``, ``ended_at``) in force at the end of the period [.., end):
    started before ``end`` and not ended before it; with no ``end`` (up to now), still open.
    A row that ended exactly at ``end`` was still in force at the period's last moment."""
    if end is None:
        return col(ended_at).is_(None)
    return and_(col(started_at) < end, or_(col(ended_at).is_(None), col(ended_at) >= end))


def present_at_some_time(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """The member was in the server at some moment of [start, end): joined before its end (or
    when is not known) and not gone before its start."""
    conditions: list[ColumnElement[bool]] = []
    if end is not None:
        conditions.append(or_(col(Member.joined_at).is_(None), col(Member.joined_at) < end))
    if start is not None:
        conditions.append(or_(col(Member.left_at).is_(None), col(Member.left_at) >= start))
    return conditions


def organisation_at_end(end: datetime | None) -> Any:
    """The name of the organisation the member of the outer query belonged to at the end of the
    period (a correlated subquery: one query for the whole register). The latest start wins,
    should imported history ever overlap."""
    return (
        select(col(Organisation.name))
        .join(
            OrganisationMembership,
            col(OrganisationMembership.organisation_id) == col(Organisation.id),
        )
        .where(
            col(OrganisationMembership.member_id) == col(Member.id),
            open_at_end(OrganisationMembership.started_at, OrganisationMembership.ended_at, end),
        )
        .order_by(col(OrganisationMembership.started_at).desc(), col(OrganisationMembership.id))
        .limit(1)
        .scalar_subquery()
    )


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
    result = await session.stream(statement.execution_options(yield_per=batch_rows))
    async for batch in result.partitions(batch_rows):
        yield batch
