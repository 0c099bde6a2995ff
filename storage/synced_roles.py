"""The Discord roles made by role sync, by what they stand for."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.membership.rolesync import RoleKey, RoleKind
from bot.membership.values import RememberedRole
from storage.models import SyncedRole


def _remembered(row: SyncedRole) -> RememberedRole:
    return RememberedRole(RoleKey(RoleKind(row.kind), row.key), row.role_id)


async def synced_roles(session: AsyncSession, community_id: int) -> list[RememberedRole]:
    statement = select(SyncedRole).where(col(SyncedRole.community_id) == community_id)
    return [_remembered(row) for row in (await session.execute(statement)).scalars()]


async def remember_synced_role(
    session: AsyncSession, community_id: int, key: RoleKey, role_id: int
) -> RememberedRole:
    statement = select(SyncedRole).where(
        col(SyncedRole.community_id) == community_id,
        col(SyncedRole.kind) == str(key.kind),
        col(SyncedRole.key) == key.key,
    )
    row = (await session.execute(statement)).scalars().first()
    if row is None:
        row = SyncedRole(
            community_id=community_id, kind=str(key.kind), key=key.key, role_id=role_id
        )
    else:
        row.role_id = role_id
    session.add(row)
    await session.flush()
    return _remembered(row)


async def forget_synced_role(session: AsyncSession, community_id: int, role_id: int) -> None:
    await session.execute(
        delete(SyncedRole).where(
            col(SyncedRole.community_id) == community_id, col(SyncedRole.role_id) == role_id
        )
    )
