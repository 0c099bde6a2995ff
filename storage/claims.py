"""Queries for claims across processes: interactions (one process handles each) and work
leases (one process at a time does a piece of work)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import InteractionClaim, WorkLease
from storage.types import table_of
from storage.upsert import insert_if_absent


async def claim_interaction(
    session: AsyncSession, interaction_id: int, *, claimed_by: str, now: datetime
) -> bool:
    """Take ``interaction_id``; True only for the one taker. Commit right after."""
    return await insert_if_absent(
        session,
        table_of(InteractionClaim),
        {"interaction_id": interaction_id, "claimed_by": claimed_by, "claimed_at": now},
        ["interaction_id"],
    )


async def forget_claims_before(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(InteractionClaim).where(col(InteractionClaim.claimed_at) < before))


async def take_lease(
    session: AsyncSession, key: str, *, holder: str, now: datetime, until: datetime
) -> bool:
    """Hold ``key`` until ``until`` if it is free, lapsed, or held by ``holder`` already (a
    renewal); True when ``holder`` holds it now. Commit right after."""
    values = {"key": key, "holder": holder, "until": until}
    if await insert_if_absent(session, table_of(WorkLease), values, ["key"]):
        return True
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(WorkLease)
            .where(
                col(WorkLease.key) == key,
                or_(col(WorkLease.holder) == holder, col(WorkLease.until) <= now),
            )
            .values(holder=holder, until=until)
        ),
    )
    return result.rowcount == 1


async def give_up_lease(session: AsyncSession, key: str, *, holder: str) -> None:
    await session.execute(
        delete(WorkLease).where(col(WorkLease.key) == key, col(WorkLease.holder) == holder)
    )
