"""Small key/value facts kept between runs."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import AppState
from storage.types import table_of, utc_now
from storage.upsert import insert_if_absent


async def get_state(session: AsyncSession, key: str) -> str | None:
    row = await session.get(AppState, key, populate_existing=True)
    return None if row is None else row.value


async def set_state(session: AsyncSession, key: str, value: str) -> None:
    """Insert or overwrite; two processes setting the same key at once both succeed."""
    if not await _insert(session, key, value):
        await session.execute(
            update(AppState)
            .where(col(AppState.key) == key)
            .values(value=value, updated_at=utc_now())
        )


async def state_or_set(session: AsyncSession, key: str, value: str) -> str:
    """The value kept under ``key``; ``value`` is kept (and returned) if there is none yet.
    Atomic: two processes asking at once get the same answer, whichever inserted it."""
    await _insert(session, key, value)
    kept = await get_state(session, key)
    assert kept is not None
    return kept


async def _insert(session: AsyncSession, key: str, value: str) -> bool:
    return await insert_if_absent(
        session, table_of(AppState), {"key": key, "value": value, "updated_at": utc_now()}, ["key"]
    )
