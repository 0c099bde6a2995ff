"""Who an export may name, and how: display names of those who chose it, and who is absent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Member


@dataclass(frozen=True, slots=True)
class ExportPeople:
    visible_names: dict[int, str]
    """user id -> display name, for people who chose ``/privacy visible``."""
    absent: frozenset[int]
    """People who opted out of the log: they appear nowhere in an export."""


async def export_people(session: AsyncSession, community_id: int) -> ExportPeople:
    statement = select(
        col(Member.user_id),
        col(Member.display_name),
        col(Member.name_visible),
        col(Member.opted_out_at),
    ).where(col(Member.community_id) == community_id)
    visible: dict[int, str] = {}
    absent: set[int] = set()
    for user_id, display_name, name_visible, opted_out_at in await session.execute(statement):
        if opted_out_at is not None:
            absent.add(user_id)
        elif name_visible:
            visible[user_id] = display_name
    return ExportPeople(visible, frozenset(absent))
