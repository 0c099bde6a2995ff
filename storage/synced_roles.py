"""The Discord roles made by role sync, by what they stand for."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import SyncedRole


async def synced_roles(session: AsyncSession, community_id: int) -> list[SyncedRole]:
    statement = select(SyncedRole).where(col(SyncedRole.community_id) == community_id)
    return list((await session.execute(statement)).scalars())


async def remember_synced_role(
    session: AsyncSession, community_id: int, kind: str, key: str, role_id: int
) -> SyncedRole:
    statement = select(SyncedRole).where(
        col(SyncedRole.community_id) == community_id,
        col(SyncedRole.kind) == kind,
        col(SyncedRole.key) == key,
    )
    row = (await session.execute(statement)).scalars().first()
    if row is None:
        row = SyncedRole(community_id=community_id, kind=kind, key=key, role_id=role_id)
    else:
        row.role_id = role_id
    session.add(row)
    await session.flush()
    return row


async def forget_synced_role(session: AsyncSession, community_id: int, role_id: int) -> None:
    await session.execute(
        delete(SyncedRole).where(
            col(SyncedRole.community_id) == community_id, col(SyncedRole.role_id) == role_id
        )
    )
