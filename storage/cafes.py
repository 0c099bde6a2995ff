"""Queries for World Café sessions: cafés, sign-ups, seats, table threads and the tablecloth.

Rows stay here: every query returns the café's values (bot/cafe/values.py), with ``int`` ids.
A café changes by named updates (``begin_round``, ``close_cafe``, ``set_signup_message`` ...),
each taking the café as read in the same session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.cafe.values import (
    Cafe,
    CafeNote,
    CafeNotice,
    CafeParticipant,
    CafeRole,
    CafeSeat,
    CafeState,
    CafeTable,
    NoteKind,
)
from storage.models import Cafe as CafeRow
from storage.models import CafeNote as NoteRow
from storage.models import CafeNotice as NoticeRow
from storage.models import CafeParticipant as ParticipantRow
from storage.models import CafeSeat as SeatRow
from storage.models import CafeTable as TableRow
from storage.models import Contribution, Member, Organisation, OrganisationMembership
from storage.types import row_id, utc_now, value_of

# --- rows to values ------------------------------------------------------------------------------


def _cafe(row: CafeRow) -> Cafe:
    return value_of(Cafe, row, questions=tuple(row.questions), state=CafeState(row.state))



def _participant(row: ParticipantRow) -> CafeParticipant:
    return value_of(CafeParticipant, row, role=CafeRole(row.role))



def _seat(row: SeatRow) -> CafeSeat:
    return value_of(CafeSeat, row)



def _table(row: TableRow) -> CafeTable:
    return value_of(CafeTable, row)



def _notice(row: NoticeRow) -> CafeNotice:
    return value_of(CafeNotice, row)



def _note(row: NoteRow) -> CafeNote:
    return value_of(CafeNote, row, kind=NoteKind(row.kind))



# --- cafés -------------------------------------------------------------------------------------


async def create_cafe(
    session: AsyncSession,
    *,
    community_id: int,
    title: str,
    questions: Sequence[str],
    rounds: int,
    round_minutes: int,
    channel_id: int,
    tables: int | None = None,
    tables_asked: int | None = None,
    thread_type: str = "public",
    starts_at: datetime | None = None,
    repeat_when: str | None = None,
    series_id: int | None = None,
    warning_minutes: int = 2,
    seed: int = 0,
    created_by: int | None = None,
) -> Cafe:
    row = CafeRow(
        community_id=community_id,
        title=title,
        questions=list(questions),
        rounds=rounds,
        round_minutes=round_minutes,
        channel_id=channel_id,
        tables=tables,
        tables_asked=tables_asked,
        thread_type=thread_type,
        starts_at=starts_at,
        repeat_when=repeat_when,
        series_id=series_id,
        warning_minutes=warning_minutes,
        seed=seed,
        created_by=created_by,
    )
    session.add(row)
    await session.flush()
    return _cafe(row)


async def get_cafe(session: AsyncSession, community_id: int, cafe_id: int) -> Cafe | None:
    """A café of this community (another community's id finds nothing)."""
    row = await session.get(CafeRow, cafe_id, populate_existing=True)
    return _cafe(row) if row is not None and row.community_id == community_id else None


async def get_cafe_by_id(session: AsyncSession, cafe_id: int) -> Cafe | None:
    """For the scheduler and start-up, which act across communities."""
    row = await session.get(CafeRow, cafe_id, populate_existing=True)
    return None if row is None else _cafe(row)


async def lock_cafe(session: AsyncSession, cafe_id: int) -> Cafe | None:
    """Read a café for a state change, locking its row on PostgreSQL so that two processes (or
    a command racing a timer) cannot both move it on. SQLite serialises writers anyway."""
    statement = (
        select(CafeRow).where(col(CafeRow.id) == cafe_id).execution_options(populate_existing=True)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _cafe(row)


async def list_cafes(
    session: AsyncSession,
    community_id: int,
    *,
    states: Collection[CafeState] | None = None,
    limit: int = 25,
) -> list[Cafe]:
    statement = select(CafeRow).where(col(CafeRow.community_id) == community_id)
    if states is not None:
        statement = statement.where(col(CafeRow.state).in_([s.value for s in states]))
    statement = statement.order_by(col(CafeRow.id).desc()).limit(limit)
    return [_cafe(row) for row in (await session.execute(statement)).scalars()]


async def cafes_in_states(session: AsyncSession, states: Collection[CafeState]) -> list[Cafe]:
    """Every community's cafés in these states (start-up recovery)."""
    statement = (
        select(CafeRow)
        .where(col(CafeRow.state).in_([s.value for s in states]))
        .order_by(col(CafeRow.id))
    )
    return [_cafe(row) for row in (await session.execute(statement)).scalars()]


# Named updates. Each takes the café as read (or locked) in this session, changes what its name
# says, stamps ``updated_at`` and returns the café as it is now.


async def _cafe_row(session: AsyncSession, cafe: Cafe) -> CafeRow:
    # Mostly read (or locked) in this session already: then the identity map has it, no query.
    row = await session.get(CafeRow, cafe.id)
    if row is None:
        raise LookupError(f"café {cafe.id} is gone")
    return row


async def _saved(session: AsyncSession, row: CafeRow) -> Cafe:
    row.updated_at = utc_now()
    session.add(row)
    await session.flush()
    return _cafe(row)


async def begin_round(
    session: AsyncSession,
    cafe: Cafe,
    *,
    round_number: int,
    tables: int,
    started_at: datetime,
    ends_at: datetime,
) -> Cafe:
    """The café runs round ``round_number`` at ``tables`` tables, from ``started_at`` until
    ``ends_at``; the round lists its tables in a new progress message."""
    row = await _cafe_row(session, cafe)
    row.state = CafeState.RUNNING
    row.tables = tables
    row.current_round = round_number
    row.round_started_at = started_at
    row.round_ends_at = ends_at
    row.progress_message_id = None
    return await _saved(session, row)


async def set_round_end(session: AsyncSession, cafe: Cafe, ends_at: datetime) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.round_ends_at = ends_at
    return await _saved(session, row)


async def move_to_harvest(session: AsyncSession, cafe: Cafe) -> Cafe:
    """The rounds are over: no round end any more."""
    row = await _cafe_row(session, cafe)
    row.state = CafeState.HARVEST
    row.round_ends_at = None
    return await _saved(session, row)


async def close_cafe(session: AsyncSession, cafe: Cafe, *, ended_at: datetime) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.state = CafeState.CLOSED
    row.ended_at = ended_at
    return await _saved(session, row)


async def cancel_cafe(session: AsyncSession, cafe: Cafe, *, ended_at: datetime) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.state = CafeState.CANCELLED
    row.ended_at = ended_at
    row.round_ends_at = None
    return await _saved(session, row)


async def set_signup_message(session: AsyncSession, cafe: Cafe, message_id: int | None) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.signup_message_id = message_id
    return await _saved(session, row)


async def set_progress_message(session: AsyncSession, cafe: Cafe, message_id: int) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.progress_message_id = message_id
    return await _saved(session, row)


async def set_reflection_thread(session: AsyncSession, cafe: Cafe, thread_id: int) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.reflection_thread_id = thread_id
    return await _saved(session, row)


async def mark_harvest_posted(session: AsyncSession, cafe: Cafe) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.harvest_posted = True
    return await _saved(session, row)


async def set_retry_attempts(session: AsyncSession, cafe: Cafe, attempts: int) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.retry_attempts = attempts
    return await _saved(session, row)


async def set_retry_told_round(session: AsyncSession, cafe: Cafe, round_number: int | None) -> Cafe:
    row = await _cafe_row(session, cafe)
    row.retry_told_round = round_number
    return await _saved(session, row)


async def clear_retry(session: AsyncSession, cafe: Cafe) -> Cafe:
    """The café's Discord work is done: no failed tries counted, nobody told of any."""
    row = await _cafe_row(session, cafe)
    row.retry_attempts = 0
    row.retry_told_round = None
    return await _saved(session, row)


# --- sign-ups ----------------------------------------------------------------------------------


async def _participant_row(
    session: AsyncSession, cafe_id: int, user_id: int
) -> ParticipantRow | None:
    statement = select(ParticipantRow).where(
        col(ParticipantRow.cafe_id) == cafe_id, col(ParticipantRow.user_id) == user_id
    )
    return (await session.execute(statement)).scalars().first()


async def get_participant(
    session: AsyncSession, cafe_id: int, user_id: int
) -> CafeParticipant | None:
    row = await _participant_row(session, cafe_id, user_id)
    return None if row is None else _participant(row)


async def save_participant(
    session: AsyncSession,
    cafe_id: int,
    user_id: int,
    *,
    role: CafeRole,
    host_table: int | None = None,
) -> CafeParticipant:
    """Sign someone up, or change their role; a person who had left is signed up again."""
    row = await _participant_row(session, cafe_id, user_id)
    if row is None:
        row = ParticipantRow(cafe_id=cafe_id, user_id=user_id)
    row.role = role
    row.host_table = host_table
    if row.left_at is not None:
        row.left_at = None
        row.joined_at = utc_now()
    session.add(row)
    await session.flush()
    return _participant(row)


async def mark_left(session: AsyncSession, participant: CafeParticipant) -> CafeParticipant:
    row = await session.get(ParticipantRow, participant.id)
    if row is None:
        raise LookupError(f"café sign-up {participant.id} is gone")
    row.left_at = utc_now()
    row.host_table = None
    row.role = CafeRole.TRAVELLER
    session.add(row)
    await session.flush()
    return _participant(row)


async def present_participants(session: AsyncSession, cafe_id: int) -> list[CafeParticipant]:
    statement = (
        select(ParticipantRow)
        .where(col(ParticipantRow.cafe_id) == cafe_id, col(ParticipantRow.left_at).is_(None))
        .order_by(col(ParticipantRow.id))
    )
    return [_participant(row) for row in (await session.execute(statement)).scalars()]


async def count_participants(session: AsyncSession, cafe_id: int) -> tuple[int, int]:
    """(people signed up, of whom hosts), for the sign-up message's live counts."""
    statement = (
        select(col(ParticipantRow.role), func.count())
        .where(col(ParticipantRow.cafe_id) == cafe_id, col(ParticipantRow.left_at).is_(None))
        .group_by(col(ParticipantRow.role))
    )
    counts = {CafeRole(role): int(n) for role, n in (await session.execute(statement)).all()}
    hosts = counts.get(CafeRole.HOST, 0)
    return hosts + counts.get(CafeRole.TRAVELLER, 0), hosts


# --- seats and tables --------------------------------------------------------------------------


async def seat_round(
    session: AsyncSession,
    cafe_id: int,
    round_number: int,
    tables: Iterable[tuple[int, Iterable[tuple[int, bool]]]],
) -> None:
    """Write one round's seating: per 1-based table number, (user id, is host) pairs, and one
    table row per table. Call once per round; the unique keys refuse a second seating."""
    for table_number, people in tables:
        session.add(TableRow(cafe_id=cafe_id, round_number=round_number, table_number=table_number))
        for user_id, is_host in people:
            session.add(
                SeatRow(
                    cafe_id=cafe_id,
                    round_number=round_number,
                    table_number=table_number,
                    user_id=user_id,
                    is_host=is_host,
                )
            )
    await session.flush()


async def seats_of(
    session: AsyncSession, cafe_id: int, round_number: int | None = None
) -> list[CafeSeat]:
    statement = select(SeatRow).where(col(SeatRow.cafe_id) == cafe_id)
    if round_number is not None:
        statement = statement.where(col(SeatRow.round_number) == round_number)
    statement = statement.order_by(
        col(SeatRow.round_number), col(SeatRow.table_number), col(SeatRow.id)
    )
    return [_seat(row) for row in (await session.execute(statement)).scalars()]


async def tables_of_earlier_cafes(
    session: AsyncSession, cafe: Cafe, *, last: int
) -> list[list[int]]:
    """Who sat together, table by table and round by round, at the ``last`` cafés of this
    café's recurring series held before it (ended ones; none for a café outside a series)."""
    root = cafe.series_id if cafe.series_id is not None else cafe.id
    earlier = (
        select(CafeRow.id)
        .where(
            (col(CafeRow.id) == root) | (col(CafeRow.series_id) == root),
            col(CafeRow.id) < cafe.id,
            col(CafeRow.state) == CafeState.CLOSED.value,
        )
        .order_by(col(CafeRow.id).desc())
        .limit(last)
    )
    statement = (
        select(SeatRow)
        .where(col(SeatRow.cafe_id).in_(earlier))
        .order_by(col(SeatRow.cafe_id), col(SeatRow.round_number), col(SeatRow.table_number))
    )
    tables: dict[tuple[int, int, int], list[int]] = {}
    for seat in (await session.execute(statement)).scalars():
        key = (seat.cafe_id, seat.round_number, seat.table_number)
        tables.setdefault(key, []).append(seat.user_id)
    return list(tables.values())


async def remove_future_seat(
    session: AsyncSession, cafe_id: int, user_id: int, from_round: int
) -> None:
    await session.execute(
        delete(SeatRow).where(
            col(SeatRow.cafe_id) == cafe_id,
            col(SeatRow.user_id) == user_id,
            col(SeatRow.round_number) >= from_round,
        )
    )


async def tables_of(
    session: AsyncSession, cafe_id: int, round_number: int | None = None
) -> list[CafeTable]:
    statement = select(TableRow).where(col(TableRow.cafe_id) == cafe_id)
    if round_number is not None:
        statement = statement.where(col(TableRow.round_number) == round_number)
    statement = statement.order_by(col(TableRow.round_number), col(TableRow.table_number))
    return [_table(row) for row in (await session.execute(statement)).scalars()]


async def get_table(session: AsyncSession, cafe_id: int, table_id: int) -> CafeTable | None:
    row = await session.get(TableRow, table_id, populate_existing=True)
    return _table(row) if row is not None and row.cafe_id == cafe_id else None


async def cafe_by_reflection_thread(session: AsyncSession, thread_id: int) -> Cafe | None:
    statement = select(CafeRow).where(col(CafeRow.reflection_thread_id) == thread_id)
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _cafe(row)


async def table_by_thread(session: AsyncSession, thread_id: int) -> CafeTable | None:
    statement = select(TableRow).where(col(TableRow.thread_id) == thread_id)
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _table(row)


async def set_table_thread(session: AsyncSession, table_id: int, thread_id: int | None) -> None:
    """The table's thread (None: it has none, as before it was opened)."""
    await session.execute(
        update(TableRow).where(col(TableRow.id) == table_id).values(thread_id=thread_id)
    )


async def set_table_flags(
    session: AsyncSession,
    table_id: int,
    *,
    opened: bool | None = None,
    warned: bool | None = None,
    closed: bool | None = None,
) -> None:
    """Record how far opening and closing the table got; a flag left None stays as it is."""
    flags = {
        name: value
        for name, value in (("opened", opened), ("warned", warned), ("closed", closed))
        if value is not None
    }
    if flags:
        await session.execute(update(TableRow).where(col(TableRow.id) == table_id).values(flags))


# --- notices to the tables ------------------------------------------------------------------


async def add_notices(
    session: AsyncSession, cafe_id: int, table_ids: Iterable[int], content: str
) -> list[int]:
    notices = [
        NoticeRow(cafe_id=cafe_id, table_id=table_id, content=content) for table_id in table_ids
    ]
    session.add_all(notices)
    await session.flush()
    return [row_id(notice) for notice in notices]


async def unsent_notices(session: AsyncSession, cafe_id: int) -> list[tuple[CafeNotice, CafeTable]]:
    """The café's notices not sent yet, oldest first, each with its table."""
    statement = (
        select(NoticeRow, TableRow)
        .join(TableRow, col(TableRow.id) == col(NoticeRow.table_id))
        .where(col(NoticeRow.cafe_id) == cafe_id, col(NoticeRow.sent).is_(False))
        .order_by(col(NoticeRow.id))
    )
    return [
        (_notice(notice), _table(table))
        for notice, table in (await session.execute(statement)).all()
    ]


async def mark_notice_sent(session: AsyncSession, notice_id: int) -> None:
    await session.execute(update(NoticeRow).where(col(NoticeRow.id) == notice_id).values(sent=True))


async def drop_notices(session: AsyncSession, notice_ids: Collection[int]) -> None:
    """Notices of no use any more (their table's round is over, its thread gone)."""
    if notice_ids:
        await session.execute(delete(NoticeRow).where(col(NoticeRow.id).in_(list(notice_ids))))


async def all_table_thread_ids(session: AsyncSession) -> list[int]:
    """Every café table thread and reflection thread (the log always records them)."""
    tables = select(col(TableRow.thread_id)).where(col(TableRow.thread_id).is_not(None))
    reflections = select(col(CafeRow.reflection_thread_id)).where(
        col(CafeRow.reflection_thread_id).is_not(None)
    )
    found = list((await session.execute(tables)).scalars())
    found += list((await session.execute(reflections)).scalars())
    return [thread_id for thread_id in found if thread_id is not None]


async def posters_by_thread(
    session: AsyncSession, thread_ids: Collection[int]
) -> dict[int, set[int]]:
    """Who posted in each thread, from the contribution log (participation per table)."""
    if not thread_ids:
        return {}
    statement = (
        select(col(Contribution.channel_id), col(Contribution.author_id))
        .where(col(Contribution.channel_id).in_(list(thread_ids)))
        .distinct()
    )
    posters: dict[int, set[int]] = defaultdict(set)
    for thread_id, author_id in (await session.execute(statement)).all():
        posters[thread_id].add(author_id)
    return dict(posters)


async def seating_facts(
    session: AsyncSession, community_id: int, user_ids: Collection[int]
) -> dict[int, tuple[str | None, str | None, str | None]]:
    """What the seating planner mixes, per user: (organisation, stakeholder group, level).

    A person's own stakeholder group and level win; else their organisation's. The
    organisation is given as its id, as text (the planner only compares them).
    """
    if not user_ids:
        return {}
    statement = (
        select(Member, Organisation)
        .outerjoin(
            OrganisationMembership,
            (col(OrganisationMembership.member_id) == col(Member.id))
            & col(OrganisationMembership.ended_at).is_(None),
        )
        .outerjoin(
            Organisation, col(Organisation.id) == col(OrganisationMembership.organisation_id)
        )
        .where(col(Member.community_id) == community_id, col(Member.user_id).in_(list(user_ids)))
    )
    facts: dict[int, tuple[str | None, str | None, str | None]] = {}
    for member, organisation in (await session.execute(statement)).all():
        facts[member.user_id] = (
            None if organisation is None else str(organisation.id),
            member.stakeholder or (organisation.stakeholder if organisation else None),
            member.level or (organisation.level if organisation else None),
        )
    return facts


async def display_names(
    session: AsyncSession, community_id: int, user_ids: Collection[int]
) -> dict[int, str]:
    if not user_ids:
        return {}
    statement = select(col(Member.user_id), col(Member.display_name)).where(
        col(Member.community_id) == community_id, col(Member.user_id).in_(list(user_ids))
    )
    return {user_id: name for user_id, name in (await session.execute(statement)).all()}


# --- the tablecloth and the harvest ------------------------------------------------------------


async def add_note(
    session: AsyncSession,
    *,
    cafe_id: int,
    round_number: int,
    table_number: int,
    text: str,
    kind: NoteKind = NoteKind.NOTE,
    author_id: int | None = None,
    added_by: int | None = None,
    message_id: int | None = None,
    jump_url: str | None = None,
) -> CafeNote:
    row = NoteRow(
        cafe_id=cafe_id,
        round_number=round_number,
        table_number=table_number,
        text=text,
        kind=kind,
        author_id=author_id,
        added_by=added_by,
        message_id=message_id,
        jump_url=jump_url,
    )
    session.add(row)
    await session.flush()
    return _note(row)


async def insight_for_message(
    session: AsyncSession, cafe_id: int, message_id: int
) -> CafeNote | None:
    statement = select(NoteRow).where(
        col(NoteRow.cafe_id) == cafe_id,
        col(NoteRow.message_id) == message_id,
        col(NoteRow.kind) == NoteKind.INSIGHT.value,
    )
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else _note(row)


async def notes_of(
    session: AsyncSession, cafe_id: int, *, table_number: int | None = None
) -> list[CafeNote]:
    statement = select(NoteRow).where(col(NoteRow.cafe_id) == cafe_id)
    if table_number is not None:
        statement = statement.where(col(NoteRow.table_number) == table_number)
    statement = statement.order_by(
        col(NoteRow.round_number), col(NoteRow.table_number), col(NoteRow.id)
    )
    return [_note(row) for row in (await session.execute(statement)).scalars()]


# --- privacy -----------------------------------------------------------------------------------


async def forget_participant(session: AsyncSession, community_id: int, user_id: int) -> None:
    """Forget a person's café traces: sign-ups and seats go; their tablecloth notes and
    insights (unless deleted first, see delete_texts_written_by) stay in the harvests without a
    name (DESIGN section 8)."""
    community_cafes = select(col(CafeRow.id)).where(col(CafeRow.community_id) == community_id)
    await session.execute(
        delete(SeatRow).where(
            col(SeatRow.cafe_id).in_(community_cafes), col(SeatRow.user_id) == user_id
        )
    )
    await session.execute(
        delete(ParticipantRow).where(
            col(ParticipantRow.cafe_id).in_(community_cafes),
            col(ParticipantRow.user_id) == user_id,
        )
    )
    # Their own words lose their author and the link to their message on Discord, which would
    # name them there; notes they only added (others' words) lose who added them.
    await session.execute(
        update(NoteRow)
        .where(col(NoteRow.cafe_id).in_(community_cafes), col(NoteRow.author_id) == user_id)
        .values(author_id=None, message_id=None, jump_url=None)
    )
    await session.execute(
        update(NoteRow)
        .where(col(NoteRow.cafe_id).in_(community_cafes), col(NoteRow.added_by) == user_id)
        .values(added_by=None)
    )
    await session.execute(
        update(CafeRow)
        .where(col(CafeRow.community_id) == community_id, col(CafeRow.created_by) == user_id)
        .values(created_by=None)
    )


async def texts_written_by(
    session: AsyncSession, community_id: int, user_id: int
) -> dict[NoteKind, int]:
    """How many tablecloth notes, and messages marked for the harvest, have the person as their
    author (whoever added them): the texts /privacy forget lets them keep, unnamed, or delete."""
    statement = (
        select(col(NoteRow.kind), func.count())
        .join(CafeRow, col(CafeRow.id) == col(NoteRow.cafe_id))
        .where(col(CafeRow.community_id) == community_id, col(NoteRow.author_id) == user_id)
        .group_by(col(NoteRow.kind))
    )
    found = {NoteKind(kind): int(count) for kind, count in (await session.execute(statement)).all()}
    return {kind: found.get(kind, 0) for kind in NoteKind}


async def delete_texts_written_by(session: AsyncSession, community_id: int, user_id: int) -> int:
    """Delete the notes and harvest items the person wrote (run before forget_participant, which
    otherwise keeps them without a name). Notes they only added, written by others, stay."""
    community_cafes = select(col(CafeRow.id)).where(col(CafeRow.community_id) == community_id)
    result = await session.execute(
        delete(NoteRow).where(
            col(NoteRow.cafe_id).in_(community_cafes), col(NoteRow.author_id) == user_id
        )
    )
    # A DML statement's result is a CursorResult (execute() is typed for any statement).
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def has_cafe_traces(session: AsyncSession, community_id: int, user_id: int) -> bool:
    """Whether any café row of this community still names the person (what forget clears)."""
    community_cafes = select(col(CafeRow.id)).where(col(CafeRow.community_id) == community_id)
    checks = (
        select(col(ParticipantRow.id)).where(
            col(ParticipantRow.cafe_id).in_(community_cafes),
            col(ParticipantRow.user_id) == user_id,
        ),
        select(col(SeatRow.id)).where(
            col(SeatRow.cafe_id).in_(community_cafes), col(SeatRow.user_id) == user_id
        ),
        select(col(NoteRow.id)).where(
            col(NoteRow.cafe_id).in_(community_cafes),
            (col(NoteRow.author_id) == user_id) | (col(NoteRow.added_by) == user_id),
        ),
        select(col(CafeRow.id)).where(
            col(CafeRow.community_id) == community_id, col(CafeRow.created_by) == user_id
        ),
    )
    for statement in checks:
        if (await session.execute(statement.limit(1))).first() is not None:
            return True
    return False
