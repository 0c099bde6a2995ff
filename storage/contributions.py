"""Queries for the contribution log. Every write is idempotent: keyed on the message id (or the
message, user and emoji of a reaction), so replays and backfills never count twice.

The rows come typed (bot/contributions/values.py): a :class:`ContributionRow` or
:class:`ReactionRow` as the listeners described it, with the :class:`Attribution` the writer
found for it; here they become the table's columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from itertools import chain
from operator import attrgetter
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import BigInteger, CursorResult, Integer, bindparam, delete, func, text, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.contributions.values import (
    ATTRIBUTION_COLUMNS,
    NOBODY,
    Attribution,
    ContributionEdit,
    ContributionRow,
    ReactionRow,
    TrackedTarget,
)
from storage.models import AppState, Contribution, Organisation, Reaction, TrackedChannel
from storage.types import table_of, utc_now
from storage.upsert import insert_if_absent


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert


async def _driver_connection(session: AsyncSession) -> Any:
    """The driver's own connection (asyncpg's, aiosqlite's) under the session's transaction."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the database connection was closed under the session")
    return driver


# From this many rows on, PostgreSQL gets them by COPY: asyncpg encodes COPY records natively,
# where a multi-row INSERT costs Python work per value.
COPY_FROM_ROWS = 50
# SQLite gets this many rows per INSERT statement (23 columns: far below its limit of 32,766
# values per statement).
SQLITE_ROWS_PER_STATEMENT = 100

# A contribution's columns, in the order of its records: the row's fields, then the writer's.
_ROW_COLUMNS = tuple(field.name for field in fields(ContributionRow))
CONTRIBUTION_COLUMNS: tuple[str, ...] = (*_ROW_COLUMNS, *ATTRIBUTION_COLUMNS)
_row_values = attrgetter(*_ROW_COLUMNS)  # one call in C per row instead of one per field
_REACTION_COLUMNS = tuple(field.name for field in fields(ReactionRow))
_reaction_values = attrgetter(*_REACTION_COLUMNS)


def contribution_records(
    rows: Sequence[ContributionRow],
    attributions: Sequence[Attribution] | None,
    logged_at: datetime,
) -> list[tuple[Any, ...]]:
    """The rows as tuples over :data:`CONTRIBUTION_COLUMNS` (attributed to nobody when
    ``attributions`` is None)."""
    values = _row_values
    if attributions is None:
        return [(*values(row), *NOBODY, logged_at) for row in rows]
    return [
        (*values(row), *attribution, logged_at)
        for row, attribution in zip(rows, attributions, strict=True)
    ]


async def store_contributions(
    session: AsyncSession,
    rows: Sequence[ContributionRow],
    *,
    attributions: Sequence[Attribution] | None = None,
    logged_at: datetime | None = None,
) -> None:
    """Insert contributions; a message already logged is left as it is.

    ``attributions``: each row's, in order (None: nobody's, as for people not in the register);
    ``logged_at``: when the batch was logged (default: now).
    """
    if not rows:
        return
    records = contribution_records(rows, attributions, logged_at or utc_now())
    dialect = _dialect(session)
    if dialect == "postgresql" and len(records) >= COPY_FROM_ROWS:
        await _copy_new_contributions(session, records)
        return
    if dialect == "sqlite":
        await _insert_new_contributions_sqlite(session, records)
        return
    statement = _insert(session)(table_of(Contribution)).on_conflict_do_nothing(
        index_elements=["message_id"]
    )
    names = CONTRIBUTION_COLUMNS
    await session.execute(statement, [dict(zip(names, record, strict=True)) for record in records])


async def _copy_new_contributions(session: AsyncSession, records: list[tuple[Any, ...]]) -> None:
    """The records whose message is not logged yet, by COPY, in the session's own transaction:
    the same result as INSERT ... ON CONFLICT DO NOTHING in the records' order.

    Should another connection log one of these messages between the check and the COPY, the
    COPY fails on the key and the whole transaction with it; the writer then stores the batch
    one operation at a time, through INSERT ... ON CONFLICT DO NOTHING.
    """
    names = list(CONTRIBUTION_COLUMNS)
    key = names.index("message_id")
    # Through SQLAlchemy, which opens the session's transaction; the COPY then uses the asyncpg
    # connection underneath, inside that same transaction.
    logged = await session.execute(
        text("SELECT message_id FROM contribution WHERE message_id = ANY(:ids)").bindparams(
            bindparam("ids", type_=postgresql.ARRAY(BigInteger))
        ),
        {"ids": [record[key] for record in records]},
    )
    seen = set(logged.scalars())
    new = []
    for record in records:
        if record[key] not in seen:  # a replay later in the same batch is skipped too
            seen.add(record[key])
            new.append(record)
    if not new:
        return
    driver = await _driver_connection(session)
    await driver.copy_records_to_table("contribution", records=new, columns=names)


async def _insert_new_contributions_sqlite(
    session: AsyncSession, records: list[tuple[Any, ...]]
) -> None:
    """Many records into SQLite, each unless its message is logged already, in the session's
    transaction.

    Values are converted as everywhere else: by the column's SQLAlchemy type, then by sqlite3's
    adapter; but once per distinct value (a batch shares its logged_at, and booleans have two).
    A hundred rows go in each INSERT, run by sqlite3's executemany in C: one statement per row
    would hand the interpreter lock between the event loop and the database thread every row.
    """
    table = table_of(Contribution)
    names = CONTRIBUTION_COLUMNS
    width = len(names)
    values = list(chain.from_iterable(records))  # row after row, as the statements take them
    dialect = session.get_bind().dialect
    for index, name in enumerate(names):
        # dialect_impl: the type as SQLite stores it (text with microseconds). The bare type's
        # processor stops at a naive datetime, which sqlite3 writes without ".000000" when the
        # microseconds are zero, and such a text sorts before the same moment bound in a query.
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[index::width] = map(_Converted(process).__getitem__, values[index::width])
    size = SQLITE_ROWS_PER_STATEMENT
    row_values = "(" + ", ".join("?" * width) + ")"

    def statement(count: int) -> str:
        return (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
            f"{', '.join([row_values] * count)} ON CONFLICT (message_id) DO NOTHING"
        )

    full = (len(records) - len(records) % size) * width
    driver = await _driver_connection(session)
    if full:
        step = size * width
        await driver.executemany(
            statement(size), [values[start : start + step] for start in range(0, full, step)]
        )
    if full < len(values):
        await driver.execute(statement((len(values) - full) // width), values[full:])


class _Converted(dict[Any, Any]):
    """Values through a column's bind processor and sqlite3's adapters, each distinct one once."""

    def __init__(self, process: Callable[[Any], Any]) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        result = self.process(value)
        result = self[value] = sqlite3.adapt(result, sqlite3.PrepareProtocol, result)
        return result


async def update_contribution(session: AsyncSession, edit: ContributionEdit) -> None:
    """An edit: new counts and kinds, and when it was edited (if it says). A message that is
    not logged is left alone."""
    statement = (
        update(Contribution)
        .where(col(Contribution.message_id) == edit.message_id)
        .values(
            is_reply=edit.is_reply,
            is_answer=edit.is_answer,
            is_question=edit.is_question,
            is_resource=edit.is_resource,
            reply_to_author_id=edit.reply_to_author_id,
            reply_to_message_id=edit.reply_to_message_id,
            characters=edit.characters,
            words=edit.words,
            links=edit.links,
            attachments=edit.attachments,
            mentions=edit.mentions,
        )
    )
    if edit.edited_at is not None:
        statement = statement.values(edited_at=edit.edited_at)
    await session.execute(statement)


async def delete_contributions(session: AsyncSession, message_ids: Collection[int]) -> None:
    """Deleted messages leave the log, with the reactions to them."""
    if not message_ids:
        return
    ids = list(message_ids)
    await session.execute(delete(Reaction).where(col(Reaction.message_id).in_(ids)))
    await session.execute(delete(Contribution).where(col(Contribution.message_id).in_(ids)))


async def store_reactions(
    session: AsyncSession,
    rows: Sequence[ReactionRow],
    *,
    attributions: Sequence[Attribution] | None = None,
) -> None:
    """Insert reactions (each with the reacting member's attribution; None: nobody's); a
    reaction already logged is left as it is."""
    if not rows:
        return
    names = (*_REACTION_COLUMNS, *Attribution._fields)
    values = _reaction_values
    if attributions is None:
        attributions = [NOBODY] * len(rows)
    parameters = [
        dict(zip(names, (*values(row), *attribution), strict=True))
        for row, attribution in zip(rows, attributions, strict=True)
    ]
    statement = _insert(session)(table_of(Reaction)).on_conflict_do_nothing(
        index_elements=["message_id", "user_id", "emoji"]
    )
    await session.execute(statement, parameters)


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
        func.coalesce(func.sum(sql_cast(getattr(Contribution, kind), Integer)), 0) for kind in kinds
    ]
    statement = select(*columns).where(
        col(Contribution.community_id) == community_id, col(Contribution.author_id) == author_id
    )
    row = (await session.execute(statement)).one()
    counts = {"messages": int(row[0])}
    for index, kind in enumerate(kinds, start=1):
        counts[kind.removeprefix("is_")] = int(row[index])
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


def _tracked(row: TrackedChannel) -> TrackedTarget:
    return TrackedTarget(row.channel_id, row.is_category)


async def tracked_channels(session: AsyncSession, community_id: int) -> list[TrackedTarget]:
    """A community's tracked channels and categories, in the order they were added."""
    statement = (
        select(TrackedChannel)
        .where(col(TrackedChannel.community_id) == community_id)
        .order_by(col(TrackedChannel.added_at))
    )
    return [_tracked(row) for row in (await session.execute(statement)).scalars()]


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
        table_of(TrackedChannel),
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
    return bool(_affected_rows(result))


# --- added for the listeners, gap repair and tracking ------------------------------------------


async def mark_thread_start(session: AsyncSession, message_id: int, author_id: int) -> None:
    """A member opened a thread from their own message: that message is a thread start."""
    await session.execute(
        update(Contribution)
        .where(col(Contribution.message_id) == message_id, col(Contribution.author_id) == author_id)
        .values(is_thread_start=True)
    )


async def newest_message_ids_by_channel(
    session: AsyncSession, *, before: int | None = None
) -> dict[int, int]:
    """The newest logged message of every channel and thread (older than message id ``before``
    when given), in one query (gap repair takes this snapshot before the gateway connects, so
    live messages cannot hide a gap)."""
    statement = select(col(Contribution.channel_id), func.max(col(Contribution.message_id)))
    if before is not None:
        statement = statement.where(col(Contribution.message_id) < before)
    statement = statement.group_by(col(Contribution.channel_id))
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def tracked_channels_by_community(session: AsyncSession) -> dict[int, list[TrackedTarget]]:
    """Every community's tracked channels and categories (loaded once at start-up)."""
    found: dict[int, list[TrackedTarget]] = {}
    for row in (await session.execute(select(TrackedChannel))).scalars():
        found.setdefault(row.community_id, []).append(_tracked(row))
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
            *[
                func.coalesce(func.sum(sql_cast(getattr(Contribution, k), Integer)), 0)
                for k in kinds
            ],
        )
        .select_from(Contribution)
        .outerjoin(Organisation, col(Organisation.id) == col(Contribution.organisation_id))
        .where(col(Contribution.community_id) == community_id)
        .group_by(Organisation.name)
    )
    totals: dict[str | None, dict[str, int]] = {}
    for row in (await session.execute(statement)).all():
        name, messages = row[0], row[1]
        counts = {"messages": int(messages), "reactions": 0}
        for index, kind in enumerate(kinds, start=2):
            counts[kind.removeprefix("is_")] = int(row[index])
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


def _affected_rows(result: Any) -> int:
    """How many rows a DML statement changed (execute() gives a CursorResult for those, typed
    as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


# --- the register's version, for the writer's attribution cache -------------------------------

REGISTER_VERSION_PREFIX = "contributions.register_version"


def _register_version_key(community_id: int) -> str:
    return f"{REGISTER_VERSION_PREFIX}:{community_id}"


async def register_changed(session: AsyncSession, community_id: int) -> None:
    """Note, in the caller's transaction, that a community's register changed in a way that
    attributes contributions differently: an organisation membership started or ended, a
    member's stakeholder group or level, an organisation's stakeholder group or level.

    The contribution writer keeps the register in memory and reads it again when this version
    changes (in any process: a command-line import included). Every code path that makes such
    a change calls this before it commits.
    """
    values = {
        "key": _register_version_key(community_id),
        "value": uuid4().hex,  # unique, so two changes racing never leave the same version
        "updated_at": utc_now(),
    }
    statement = _insert(session)(table_of(AppState)).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
    await session.execute(statement)


async def register_versions(
    session: AsyncSession, community_ids: Iterable[int]
) -> dict[int, str | None]:
    """Each community's register version (None: never changed since versions were kept)."""
    by_key = {_register_version_key(community_id): community_id for community_id in community_ids}
    found: dict[int, str | None] = dict.fromkeys(by_key.values())
    statement = select(col(AppState.key), col(AppState.value)).where(
        col(AppState.key).in_(list(by_key))
    )
    for key, value in (await session.execute(statement)).all():
        found[by_key[key]] = value
    return found
