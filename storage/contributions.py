"""Queries for the contribution log. Every write is idempotent: keyed on the message id (or the
message, user and emoji of a reaction), so replays and backfills never count twice."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, cast, delete, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Contribution, Organisation, Reaction, TrackedChannel
from storage.types import utc_now
from storage.upsert import full_records, insert_if_absent, insert_many_if_absent_sqlite


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert


# From this many rows on, PostgreSQL gets them by COPY: asyncpg encodes COPY records natively,
# where a multi-row INSERT costs Python work per value.
COPY_FROM_ROWS = 50


async def store_contributions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert contributions; a message already logged is left as it is."""
    if not rows:
        return
    if session.bind.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        await _copy_new_contributions(session, rows)
        return
    if session.bind.dialect.name == "sqlite":
        await insert_many_if_absent_sqlite(session, Contribution.__table__, rows, ["message_id"])
        return
    statement = _insert(session)(Contribution.__table__).on_conflict_do_nothing(
        index_elements=["message_id"]
    )
    await session.execute(statement, list(rows))


async def _copy_new_contributions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """COPY the rows into a temporary table, then insert those not logged yet: the same result
    as the INSERT ... ON CONFLICT DO NOTHING, in the session's own transaction."""
    names, records = full_records(Contribution.__table__, rows)
    # The first statement goes through SQLAlchemy, which opens the session's transaction; the
    # rest use the asyncpg connection underneath, inside that same transaction.
    await session.execute(
        text(
            "CREATE TEMPORARY TABLE IF NOT EXISTS contribution_incoming "
            "(LIKE contribution INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
    )
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    await driver.copy_records_to_table("contribution_incoming", records=records, columns=names)
    listed = ", ".join(names)
    await driver.execute(
        f"INSERT INTO contribution ({listed}) SELECT {listed} FROM contribution_incoming "
        "ON CONFLICT (message_id) DO NOTHING"
    )
    # Emptied at once, not only at commit: a later batch in this transaction must not bring back
    # a row deleted in between.
    await driver.execute("DELETE FROM contribution_incoming")


async def update_contribution(session: AsyncSession, message_id: int, **fields: Any) -> None:
    """An edit: new counts and kinds, and when it was edited."""
    await session.execute(
        update(Contribution).where(col(Contribution.message_id) == message_id).values(**fields)
    )


async def delete_contributions(session: AsyncSession, message_ids: Collection[int]) -> None:
    """Deleted messages leave the log, with the reactions to them."""
    if not message_ids:
        return
    ids = list(message_ids)
    await session.execute(delete(Reaction).where(col(Reaction.message_id).in_(ids)))
    await session.execute(delete(Contribution).where(col(Contribution.message_id).in_(ids)))


async def store_reactions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    statement = _insert(session)(Reaction.__table__).on_conflict_do_nothing(
        index_elements=["message_id", "user_id", "emoji"]
    )
    await session.execute(statement, list(rows))


async def delete_reaction(session: AsyncSession, message_id: int, user_id: int, emoji: str) -> None:
    await session.execute(
        delete(Reaction).where(
            col(Reaction.message_id) == message_id,
            col(Reaction.user_id) == user_id,
            col(Reaction.emoji) == emoji,
        )
    )


async def get_contribution(session: AsyncSession, message_id: int) -> Contribution | None:
    return await session.get(Contribution, message_id, populate_existing=True)


async def count_contributions(session: AsyncSession, community_id: int) -> int:
    statement = (
        select(func.count())
        .select_from(Contribution)
        .where(col(Contribution.community_id) == community_id)
    )
    return int((await session.execute(statement)).scalar_one())


async def contributions_by_kind(
    session: AsyncSession, community_id: int, author_id: int
) -> dict[str, int]:
    """How many of a person's contributions are of each kind (for /privacy show)."""
    kinds = ("is_reply", "is_answer", "is_question", "is_resource", "is_thread_start")
    columns = [func.count()] + [
        func.coalesce(func.sum(cast(getattr(Contribution, kind), Integer)), 0) for kind in kinds
    ]
    statement = select(*columns).where(
        col(Contribution.community_id) == community_id, col(Contribution.author_id) == author_id
    )
    row = (await session.execute(statement)).one()
    counts = {"messages": int(row[0])}
    for kind, value in zip(kinds, row[1:], strict=True):
        counts[kind.removeprefix("is_")] = int(value)
    reactions = (
        select(func.count())
        .select_from(Reaction)
        .where(col(Reaction.community_id) == community_id, col(Reaction.user_id) == author_id)
    )
    counts["reactions"] = int((await session.execute(reactions)).scalar_one())
    return counts


async def forget_contributions(session: AsyncSession, community_id: int, user_id: int) -> None:
    """Remove a person from the log: their rows go; where others' rows name them, the name goes."""
    await session.execute(
        delete(Reaction).where(
            col(Reaction.community_id) == community_id, col(Reaction.user_id) == user_id
        )
    )
    authored = select(col(Contribution.message_id)).where(
        col(Contribution.community_id) == community_id, col(Contribution.author_id) == user_id
    )
    await session.execute(delete(Reaction).where(col(Reaction.message_id).in_(authored)))
    await session.execute(
        delete(Contribution).where(
            col(Contribution.community_id) == community_id, col(Contribution.author_id) == user_id
        )
    )
    await session.execute(
        update(Contribution)
        .where(
            col(Contribution.community_id) == community_id,
            col(Contribution.reply_to_author_id) == user_id,
        )
        .values(reply_to_author_id=None)
    )
    await session.execute(
        update(Reaction)
        .where(
            col(Reaction.community_id) == community_id,
            col(Reaction.target_author_id) == user_id,
        )
        .values(target_author_id=None)
    )


# --- tracked channels --------------------------------------------------------------------------


async def tracked_channels(session: AsyncSession, community_id: int) -> list[TrackedChannel]:
    statement = (
        select(TrackedChannel)
        .where(col(TrackedChannel.community_id) == community_id)
        .order_by(col(TrackedChannel.added_at))
    )
    return list((await session.execute(statement)).scalars())


async def add_tracked_channel(
    session: AsyncSession,
    community_id: int,
    channel_id: int,
    *,
    is_category: bool,
    added_by: int | None,
) -> bool:
    """True if newly tracked; False if it already was."""
    return await insert_if_absent(
        session,
        TrackedChannel.__table__,
        {
            "community_id": community_id,
            "channel_id": channel_id,
            "is_category": is_category,
            "added_by": added_by,
            "added_at": utc_now(),
        },
        ["community_id", "channel_id"],
    )


async def remove_tracked_channel(session: AsyncSession, community_id: int, channel_id: int) -> bool:
    result = await session.execute(
        delete(TrackedChannel).where(
            col(TrackedChannel.community_id) == community_id,
            col(TrackedChannel.channel_id) == channel_id,
        )
    )
    return bool(result.rowcount)


# --- added for the listeners, gap repair and tracking ------------------------------------------


async def mark_thread_start(session: AsyncSession, message_id: int, author_id: int) -> None:
    """A member opened a thread from their own message: that message is a thread start."""
    await session.execute(
        update(Contribution)
        .where(col(Contribution.message_id) == message_id, col(Contribution.author_id) == author_id)
        .values(is_thread_start=True)
    )


async def newest_message_ids_by_channel(session: AsyncSession) -> dict[int, int]:
    """The newest logged message of every channel and thread, in one query (gap repair takes
    this snapshot before the gateway connects, so live messages cannot hide a gap)."""
    statement = select(
        col(Contribution.channel_id), func.max(col(Contribution.message_id))
    ).group_by(col(Contribution.channel_id))
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def tracked_channels_by_community(session: AsyncSession) -> dict[int, list[TrackedChannel]]:
    """Every community's tracked channels and categories (loaded once at start-up)."""
    found: dict[int, list[TrackedChannel]] = {}
    for row in (await session.execute(select(TrackedChannel))).scalars():
        found.setdefault(row.community_id, []).append(row)
    return found


async def unlink_replies_and_reactions_to(
    session: AsyncSession, community_id: int, user_id: int
) -> None:
    """Take a person out of what others did towards them (run before forget_contributions).

    Others' replies stay others' contributions, but no longer point at the person's message;
    reactions to the person's messages go with those messages, logged or not.
    """
    await session.execute(
        update(Contribution)
        .where(
            col(Contribution.community_id) == community_id,
            col(Contribution.reply_to_author_id) == user_id,
        )
        .values(reply_to_message_id=None)
    )
    await session.execute(
        delete(Reaction).where(
            col(Reaction.community_id) == community_id,
            col(Reaction.target_author_id) == user_id,
        )
    )


async def totals_by_organisation(
    session: AsyncSession, community_id: int
) -> list[tuple[str | None, dict[str, int]]]:
    """Contributions by the author's organisation at the time, with counts by kind; reactions
    by the reacting member's organisation. None stands for "no organisation"."""
    kinds = ("is_reply", "is_answer", "is_question", "is_resource", "is_thread_start")
    statement = (
        select(
            Organisation.name,
            func.count(),
            *[func.coalesce(func.sum(cast(getattr(Contribution, k), Integer)), 0) for k in kinds],
        )
        .select_from(Contribution)
        .outerjoin(Organisation, col(Organisation.id) == col(Contribution.organisation_id))
        .where(col(Contribution.community_id) == community_id)
        .group_by(Organisation.name)
    )
    totals: dict[str | None, dict[str, int]] = {}
    for name, messages, *by_kind in (await session.execute(statement)).all():
        counts = {"messages": int(messages), "reactions": 0}
        for kind, value in zip(kinds, by_kind, strict=True):
            counts[kind.removeprefix("is_")] = int(value)
        totals[name] = counts
    reactions = (
        select(Organisation.name, func.count())
        .select_from(Reaction)
        .outerjoin(Organisation, col(Organisation.id) == col(Reaction.organisation_id))
        .where(col(Reaction.community_id) == community_id)
        .group_by(Organisation.name)
    )
    for name, count in (await session.execute(reactions)).all():
        totals.setdefault(name, {"messages": 0, "reactions": 0})["reactions"] = int(count)
    return sorted(totals.items(), key=lambda item: (item[0] is None, item[0] or ""))


async def clear_reactions(session: AsyncSession, message_id: int, emoji: str | None = None) -> None:
    """Reactions removed in bulk from a message: every one, or every one with ``emoji``."""
    statement = delete(Reaction).where(col(Reaction.message_id) == message_id)
    if emoji is not None:
        statement = statement.where(col(Reaction.emoji) == emoji)
    await session.execute(statement)
