"""The audit trail: who did what, with which command."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import CursorResult, String, delete, or_
from sqlalchemy import cast as sql_cast
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


async def audit_with_prefix(
    session: AsyncSession, community_id: int, prefix: str, *, limit: int = 50
) -> list[AuditEvent]:
    """A community's audit events whose action starts with ``prefix``, newest first."""
    statement = (
        select(AuditEvent)
        .where(
            AuditEvent.community_id == community_id,
            col(AuditEvent.action).startswith(prefix, autoescape=True),
        )
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


# --- privacy: taking a forgotten person out of the trail ----------------------------------------

FORGOTTEN_ACTOR = "a forgotten member"


def _without_user(value: Any, user_id: int) -> Any:
    """``value`` with every mention of ``user_id`` (as a number or as text) replaced by None."""
    if isinstance(value, dict):
        return {key: _without_user(item, user_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_user(item, user_id) for item in value]
    if value == user_id or value == str(user_id):
        return None
    if isinstance(value, str) and str(user_id) in value:
        return value.replace(str(user_id), "")  # e.g. a mention, <@id>, in a free-text field
    return value


async def forget_in_audit(
    session: AsyncSession, community_id: int, user_id: int, *, personal_actions: Collection[str]
) -> tuple[int, int]:
    """Remove a person from a community's audit trail.

    Events the person did about themself (``personal_actions``, e.g. setting their profile) are
    deleted; other events they did stay, with the actor replaced by a note; their user id is
    removed from every event's detail. Returns (deleted, anonymised).
    """
    deleted = await session.execute(
        delete(AuditEvent).where(
            col(AuditEvent.community_id) == community_id,
            col(AuditEvent.actor_id) == user_id,
            col(AuditEvent.action).in_(list(personal_actions)),
        )
    )
    # The cast finds candidates on both backends (JSON is text in SQLite, json in PostgreSQL);
    # the exact check and the rewriting happen below, in Python.
    statement = select(AuditEvent).where(
        col(AuditEvent.community_id) == community_id,
        or_(
            col(AuditEvent.actor_id) == user_id,
            sql_cast(col(AuditEvent.detail), String).contains(str(user_id)),
        ),
    )
    anonymised = 0
    for event in (await session.execute(statement)).scalars():
        detail = _without_user(event.detail, user_id)
        if event.actor_id == user_id:
            event.actor_id = None
            detail["actor"] = FORGOTTEN_ACTOR
        event.detail = detail
        session.add(event)
        anonymised += 1
    await session.flush()
    # execute() gives a DELETE a CursorResult, typed as a plain Result.
    return int(cast(CursorResult[Any], deleted).rowcount or 0), anonymised
