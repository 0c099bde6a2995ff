"""The audit trail: who did what, with which command."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import AuditEvent


async def record_audit(
    session: AsyncSession,
    community_id: int,
    actor_id: int | None,
    action: str,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(community_id=community_id, actor_id=actor_id, action=action, detail=detail)
    session.add(event)
    return event


async def recent_audit(
    session: AsyncSession, community_id: int, *, limit: int = 50
) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.community_id == community_id)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())
