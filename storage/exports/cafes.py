"""The World Cafés of one community over a period, for the ``cafes`` export: the cafés, their
rounds, who sat where (with how often each person posted in their table's thread) and the
tablecloth notes and harvest items.

A café belongs to the period in which it was set to start, or, without a start time, in which
it was created; its rounds, seats and notes come with it whenever they were written. People's
Discord ids are handed on as they are stored: the export's builders name them (or leave out
those who opted out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.exports import BATCH_ROWS, batches_of, stream_batches
from storage.models import Cafe, CafeNote, CafeParticipant, CafeSeat, CafeTable, Contribution

Batches = AsyncIterator[Sequence[Sequence[Any]]]

# The columns of a café's row, in the order the rows carry them (its sign-ups follow).
CAFE_COLUMNS = (
    Cafe.id,
    Cafe.title,
    Cafe.state,
    Cafe.series_id,
    Cafe.repeat_when,
    Cafe.rounds,
    Cafe.round_minutes,
    Cafe.tables,
    Cafe.channel_id,
    Cafe.starts_at,
    Cafe.ended_at,
    Cafe.created_at,
)

# The columns of a note's row, in the order the rows carry them.
NOTE_COLUMNS = (
    CafeNote.cafe_id,
    CafeNote.round_number,
    CafeNote.table_number,
    CafeNote.kind,
    CafeNote.author_id,
    CafeNote.text,
    CafeNote.created_at,
)


def cafes_of_period(
    community_id: int, start: datetime | None, end: datetime | None
) -> ColumnElement[bool]:
    """The cafés of ``community_id`` whose start (or, without one, creation) is in
    [start, end)."""
    moment = func.coalesce(col(Cafe.starts_at), col(Cafe.created_at))
    conditions: list[ColumnElement[bool]] = [col(Cafe.community_id) == community_id]
    if start is not None:
        conditions.append(moment >= start)
    if end is not None:
        conditions.append(moment < end)
    return and_(*conditions)


async def cafe_batches(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> Batches:
    """One row per café, by number: (id, title, state, series_id, repeat_when, rounds,
    round_minutes, tables, channel_id, starts_at, ended_at, created_at, sign-ups), the sign-ups
    a tuple of (user id, role) of the people signed up who have not left."""
    in_period = cafes_of_period(community_id, start, end)
    signups: dict[int, list[tuple[int, str]]] = defaultdict(list)
    signup_statement = (
        select(
            col(CafeParticipant.cafe_id), col(CafeParticipant.user_id), col(CafeParticipant.role)
        )
        .join(Cafe, col(Cafe.id) == col(CafeParticipant.cafe_id))
        .where(in_period, col(CafeParticipant.left_at).is_(None))
        .order_by(col(CafeParticipant.id))
    )
    for cafe_id, user_id, role in await session.execute(signup_statement):
        signups[cafe_id].append((user_id, role))
    cafe_statement = (
        select(*[col(column) for column in CAFE_COLUMNS]).where(in_period).order_by(col(Cafe.id))
    )
    cafes: Sequence[Sequence[Any]] = (await session.execute(cafe_statement)).all()
    rows = [(*cafe, tuple(signups.get(cafe[0], ()))) for cafe in cafes]
    async for batch in batches_of(rows):
        yield batch


async def round_batches(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> Batches:
    """One row per café, by number: (id, rounds, questions, tables, seats), ``tables`` a tuple
    of (round, how many tables it had) for the rounds seated so far and ``seats`` a tuple of
    (round, user id, is host)."""
    in_period = cafes_of_period(community_id, start, end)
    tables: dict[int, list[tuple[int, int]]] = defaultdict(list)
    table_statement = (
        select(col(CafeTable.cafe_id), col(CafeTable.round_number), func.count())
        .join(Cafe, col(Cafe.id) == col(CafeTable.cafe_id))
        .where(in_period)
        .group_by(col(CafeTable.cafe_id), col(CafeTable.round_number))
        .order_by(col(CafeTable.cafe_id), col(CafeTable.round_number))
    )
    for cafe_id, round_number, count in await session.execute(table_statement):
        tables[cafe_id].append((round_number, int(count)))
    seats: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    seat_statement = (
        select(
            col(CafeSeat.cafe_id),
            col(CafeSeat.round_number),
            col(CafeSeat.user_id),
            col(CafeSeat.is_host),
        )
        .join(Cafe, col(Cafe.id) == col(CafeSeat.cafe_id))
        .where(in_period)
        .order_by(col(CafeSeat.cafe_id), col(CafeSeat.round_number), col(CafeSeat.id))
    )
    for cafe_id, round_number, user_id, is_host in await session.execute(seat_statement):
        seats[cafe_id].append((round_number, user_id, bool(is_host)))
    cafe_statement = (
        select(col(Cafe.id), col(Cafe.rounds), col(Cafe.questions))
        .where(in_period)
        .order_by(col(Cafe.id))
    )
    cafes: Sequence[Sequence[Any]] = (await session.execute(cafe_statement)).all()
    rows = [
        (
            cafe_id,
            rounds,
            tuple(questions),
            tuple(tables.get(cafe_id, ())),
            tuple(seats.get(cafe_id, ())),
        )
        for cafe_id, rounds, questions in cafes
    ]
    async for batch in batches_of(rows):
        yield batch


async def seat_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> Batches:
    """One row per seat, by café, round and table: (cafe id, round, table, user id, is host,
    the table's thread id, how many contributions the person made in that thread)."""
    # The thread is matched within this community's log only: a thread id is unique anyway, but
    # the export must never read another community's rows.
    posted = and_(
        col(Contribution.community_id) == community_id,
        col(Contribution.channel_id) == col(CafeTable.thread_id),
        col(Contribution.author_id) == col(CafeSeat.user_id),
    )
    seat_columns = (
        col(CafeSeat.cafe_id),
        col(CafeSeat.round_number),
        col(CafeSeat.table_number),
        col(CafeSeat.user_id),
        col(CafeSeat.is_host),
        col(CafeTable.thread_id),
    )
    statement = (
        select(*[*seat_columns, func.count(col(Contribution.message_id))])
        .select_from(CafeSeat)
        .join(Cafe, col(Cafe.id) == col(CafeSeat.cafe_id))
        .outerjoin(
            CafeTable,
            and_(
                col(CafeTable.cafe_id) == col(CafeSeat.cafe_id),
                col(CafeTable.round_number) == col(CafeSeat.round_number),
                col(CafeTable.table_number) == col(CafeSeat.table_number),
            ),
        )
        .outerjoin(Contribution, posted)
        .where(cafes_of_period(community_id, start, end))
        # grouped by the seat's id too, which the rows are ordered by (PostgreSQL wants both)
        .group_by(col(CafeSeat.id), *seat_columns)
        .order_by(
            col(CafeSeat.cafe_id),
            col(CafeSeat.round_number),
            col(CafeSeat.table_number),
            col(CafeSeat.id),
        )
        .execution_options(yield_per=batch_rows)
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch


async def note_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> Batches:
    """One row per tablecloth note or harvest item, by café, round, table and time: (cafe id,
    round, table, kind, author id or None, text, created_at)."""
    statement = (
        select(*[col(column) for column in NOTE_COLUMNS])
        .join(Cafe, col(Cafe.id) == col(CafeNote.cafe_id))
        .where(cafes_of_period(community_id, start, end))
        .order_by(
            col(CafeNote.cafe_id),
            col(CafeNote.round_number),
            col(CafeNote.table_number),
            col(CafeNote.created_at),
            col(CafeNote.id),
        )
        .execution_options(yield_per=batch_rows)
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch
