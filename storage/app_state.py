"""Small key/value facts kept between runs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AppState
from storage.types import utc_now


async def get_state(session: AsyncSession, key: str) -> str | None:
    row = await session.get(AppState, key)
    return None if row is None else row.value


async def set_state(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(AppState, key)
    if row is None:
        session.add(AppState(key=key, value=value))
    else:
        row.value = value
        row.updated_at = utc_now()
