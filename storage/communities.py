"""Queries for a community (one Discord server) and its settings."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.exports.pseudonyms import new_community_key
from storage.models import Community
from storage.types import table_of, utc_now
from storage.upsert import insert_if_absent


async def ensure_community(session: AsyncSession, guild_id: int, name: str) -> Community:
    """The community for a server, created on first sight; its name follows the server's."""
    await insert_if_absent(
        session,
        table_of(Community),
        {"id": guild_id, "name": name[:100], "created_at": utc_now(), "updated_at": utc_now()},
        ["id"],
    )
    community = await session.get(Community, guild_id, populate_existing=True)
    assert community is not None
    if community.name != name[:100]:
        community.name = name[:100]
        community.updated_at = utc_now()
    return community


async def get_community(session: AsyncSession, guild_id: int) -> Community | None:
    return await session.get(Community, guild_id)


async def set_staff_roles(
    session: AsyncSession,
    community: Community,
    *,
    moderator_role_id: int | None,
    coordinator_role_id: int | None,
) -> Community:
    community.moderator_role_id = moderator_role_id
    community.coordinator_role_id = coordinator_role_id
    community.updated_at = utc_now()
    session.add(community)
    return community


async def set_timezone(session: AsyncSession, community: Community, timezone: str) -> Community:
    community.timezone = timezone
    community.updated_at = utc_now()
    session.add(community)
    return community


async def set_review_channel(
    session: AsyncSession, community: Community, channel_id: int | None
) -> Community:
    community.review_channel_id = channel_id
    community.updated_at = utc_now()
    session.add(community)
    return community


async def set_min_group(session: AsyncSession, community: Community, size: int) -> Community:
    community.min_group = size
    community.updated_at = utc_now()
    session.add(community)
    return community


async def set_rolesync(
    session: AsyncSession, community: Community, *, enabled: bool, organisations: bool
) -> Community:
    community.rolesync = enabled
    community.rolesync_organisations = enabled and organisations
    community.updated_at = utc_now()
    session.add(community)
    return community


async def export_key(session: AsyncSession, community_id: int) -> bytes:
    """The community's secret key for export pseudonyms, made on first use, never changed.

    The key is written only where none is stored yet, then read back: of two first uses at
    once, the second one's write waits for the first's row lock (PostgreSQL) or database lock
    (SQLite), then finds a key and changes nothing, so both read the same key. LookupError if
    the community has no row.
    """
    await session.execute(
        update(Community)
        .where(col(Community.id) == community_id, col(Community.export_key).is_(None))
        .values(export_key=new_community_key())
        # A Community this session holds learns the key too, only if this write stored it.
        .execution_options(synchronize_session="fetch")
    )
    key = (
        await session.execute(
            select(col(Community.export_key)).where(col(Community.id) == community_id)
        )
    ).scalar_one_or_none()
    if key is None:
        raise LookupError(f"no community with id {community_id}")
    return key
