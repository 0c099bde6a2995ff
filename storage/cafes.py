"""Queries for World Café sessions: cafés, sign-ups, seats, table threads and the tablecloth."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Cafe,
    CafeNote,
    CafeNotice,
    CafeParticipant,
    CafeRole,
    CafeSeat,
    CafeState,
    CafeTable,
    Contribution,
    Member,
    NoteKind,
    Organisation,
    OrganisationMembership,
)
from storage.types import utc_now

ACTIVE_STATES = (CafeState.OPEN, CafeState.RUNNING, CafeState.HARVEST)


# --- cafés -------------------------------------------------------------------------------------


async def create_cafe(session: AsyncSession, **fields: Any) -> Cafe:
    cafe = Cafe(**fields)
    session.add(cafe)
    await session.flush()
    return cafe


async def get_cafe(session: AsyncSession, community_id: int, cafe_id: int) -> Cafe | None:
    """A café of this community (another community's id finds nothing)."""
    cafe = await session.get(Cafe, cafe_id, populate_existing=True)
    return cafe if cafe is not None and cafe.community_id == community_id else None


async def get_cafe_by_id(session: AsyncSession, cafe_id: int) -> Cafe | None:
    """For the scheduler and start-up, which act across communities."""
    return await session.get(Cafe, cafe_id, populate_existing=True)


async def lock_cafe(session: AsyncSession, cafe_id: int) -> Cafe | None:
    """Read a café for a state change, locking its row on PostgreSQL so that two processes (or
    a command racing a timer) cannot both move it on. SQLite serialises writers anyway."""
    statement = (
        select(Cafe).where(col(Cafe.id) == cafe_id).execution_options(populate_existing=True)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalars().first()


async def list_cafes(
    session: AsyncSession,
    community_id: int,
    *,
    states: Collection[CafeState] | None = None,
    limit: int = 25,
) -> list[Cafe]:
    statement = select(Cafe).where(col(Cafe.community_id) == community_id)
    if states is not None:
        statement = statement.where(col(Cafe.state).in_([s.value for s in states]))
    statement = statement.order_by(col(Cafe.id).desc()).limit(limit)
    return list((await session.execute(statement)).scalars())


async def cafes_in_states(session: AsyncSession, states: Collection[CafeState]) -> list[Cafe]:
    """Every community's cafés in these states (start-up recovery)."""
    statement = (
        select(Cafe).where(col(Cafe.state).in_([s.value for s in states])).order_by(col(Cafe.id))
    )
    return list((await session.execute(statement)).scalars())


async def update_cafe(session: AsyncSession, cafe: Cafe, **fields: Any) -> Cafe:
    for name, value in fields.items():
        setattr(cafe, name, value)
    cafe.updated_at = utc_now()
    session.add(cafe)
    await session.flush()
    return cafe


# --- sign-ups ----------------------------------------------------------------------------------


async def get_participant(
    session: AsyncSession, cafe_id: int, user_id: int
) -> CafeParticipant | None:
    statement = select(CafeParticipant).where(
        col(CafeParticipant.cafe_id) == cafe_id, col(CafeParticipant.user_id) == user_id
    )
    return (await session.execute(statement)).scalars().first()


async def save_participant(
    session: AsyncSession,
    cafe_id: int,
    user_id: int,
    *,
    role: CafeRole,
    host_table: int | None = None,
) -> CafeParticipant:
    """Sign someone up, or change their role; a person who had left is signed up again."""
    participant = await get_participant(session, cafe_id, user_id)
    if participant is None:
        participant = CafeParticipant(cafe_id=cafe_id, user_id=user_id)
    participant.role = role
    participant.host_table = host_table
    if participant.left_at is not None:
        participant.left_at = None
        participant.joined_at = utc_now()
    session.add(participant)
    await session.flush()
    return participant


async def mark_left(session: AsyncSession, participant: CafeParticipant) -> None:
    participant.left_at = utc_now()
    participant.host_table = None
    participant.role = CafeRole.TRAVELLER
    session.add(participant)
    await session.flush()


async def present_participants(session: AsyncSession, cafe_id: int) -> list[CafeParticipant]:
    statement = (
        select(CafeParticipant)
        .where(col(CafeParticipant.cafe_id) == cafe_id, col(CafeParticipant.left_at).is_(None))
        .order_by(col(CafeParticipant.id))
    )
    return list((await session.execute(statement)).scalars())


async def count_participants(session: AsyncSession, cafe_id: int) -> tuple[int, int]:
    """(people signed up, of whom hosts), for the sign-up message's live counts."""
    statement = (
        select(col(CafeParticipant.role), func.count())
        .where(col(CafeParticipant.cafe_id) == cafe_id, col(CafeParticipant.left_at).is_(None))
        .group_by(col(CafeParticipant.role))
    )
    counts = {role: n for role, n in (await session.execute(statement)).all()}
    hosts = counts.get(CafeRole.HOST.value, 0)
    return hosts + counts.get(CafeRole.TRAVELLER.value, 0), hosts


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
        session.add(
            CafeTable(cafe_id=cafe_id, round_number=round_number, table_number=table_number)
        )
        for user_id, is_host in people:
            session.add(
                CafeSeat(
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
    statement = select(CafeSeat).where(col(CafeSeat.cafe_id) == cafe_id)
    if round_number is not None:
        statement = statement.where(col(CafeSeat.round_number) == round_number)
    statement = statement.order_by(
        col(CafeSeat.round_number), col(CafeSeat.table_number), col(CafeSeat.id)
    )
    return list((await session.execute(statement)).scalars())


async def tables_of_earlier_cafes(
    session: AsyncSession, cafe: Cafe, *, last: int
) -> list[list[int]]:
    """Who sat together, table by table and round by round, at the ``last`` cafés of this
    café's recurring series held before it (ended ones; none for a café outside a series)."""
    assert cafe.id is not None
    root = cafe.series_id if cafe.series_id is not None else cafe.id
    earlier = (
        select(Cafe.id)
        .where(
            (col(Cafe.id) == root) | (col(Cafe.series_id) == root),
            col(Cafe.id) < cafe.id,
            col(Cafe.state) == CafeState.CLOSED.value,
        )
        .order_by(col(Cafe.id).desc())
        .limit(last)
    )
    statement = (
        select(CafeSeat)
        .where(col(CafeSeat.cafe_id).in_(earlier))
        .order_by(col(CafeSeat.cafe_id), col(CafeSeat.round_number), col(CafeSeat.table_number))
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
        delete(CafeSeat).where(
            col(CafeSeat.cafe_id) == cafe_id,
            col(CafeSeat.user_id) == user_id,
            col(CafeSeat.round_number) >= from_round,
        )
    )


async def tables_of(
    session: AsyncSession, cafe_id: int, round_number: int | None = None
) -> list[CafeTable]:
    statement = select(CafeTable).where(col(CafeTable.cafe_id) == cafe_id)
    if round_number is not None:
        statement = statement.where(col(CafeTable.round_number) == round_number)
    statement = statement.order_by(col(CafeTable.round_number), col(CafeTable.table_number))
    return list((await session.execute(statement)).scalars())


async def get_table(session: AsyncSession, cafe_id: int, table_id: int) -> CafeTable | None:
    table = await session.get(CafeTable, table_id, populate_existing=True)
    return table if table is not None and table.cafe_id == cafe_id else None


async def cafe_by_reflection_thread(session: AsyncSession, thread_id: int) -> Cafe | None:
    statement = select(Cafe).where(col(Cafe.reflection_thread_id) == thread_id)
    return (await session.execute(statement)).scalars().first()


async def table_by_thread(session: AsyncSession, thread_id: int) -> CafeTable | None:
    statement = select(CafeTable).where(col(CafeTable.thread_id) == thread_id)
    return (await session.execute(statement)).scalars().first()


async def update_table(session: AsyncSession, table_id: int, **fields: Any) -> None:
    await session.execute(update(CafeTable).where(col(CafeTable.id) == table_id).values(**fields))


# --- notices to the tables ------------------------------------------------------------------


async def add_notices(
    session: AsyncSession, cafe_id: int, table_ids: Iterable[int], content: str
) -> list[int]:
    notices = [
        CafeNotice(cafe_id=cafe_id, table_id=table_id, content=content) for table_id in table_ids
    ]
    session.add_all(notices)
    await session.flush()
    return [notice.id for notice in notices if notice.id is not None]


async def unsent_notices(session: AsyncSession, cafe_id: int) -> list[tuple[CafeNotice, CafeTable]]:
    """The café's notices not sent yet, oldest first, each with its table."""
    statement = (
        select(CafeNotice, CafeTable)
        .join(CafeTable, col(CafeTable.id) == col(CafeNotice.table_id))
        .where(col(CafeNotice.cafe_id) == cafe_id, col(CafeNotice.sent).is_(False))
        .order_by(col(CafeNotice.id))
    )
    return [(notice, table) for notice, table in (await session.execute(statement)).all()]


async def mark_notice_sent(session: AsyncSession, notice_id: int) -> None:
    await session.execute(
        update(CafeNotice).where(col(CafeNotice.id) == notice_id).values(sent=True)
    )


async def drop_notices(session: AsyncSession, notice_ids: Collection[int]) -> None:
    """Notices of no use any more (their table's round is over, its thread gone)."""
    if notice_ids:
        await session.execute(delete(CafeNotice).where(col(CafeNotice.id).in_(list(notice_ids))))


async def all_table_thread_ids(session: AsyncSession) -> list[int]:
    """Every café table thread and reflection thread (the log always records them)."""
    tables = select(col(CafeTable.thread_id)).where(col(CafeTable.thread_id).is_not(None))
    reflections = select(col(Cafe.reflection_thread_id)).where(
        col(Cafe.reflection_thread_id).is_not(None)
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


async def add_note(session: AsyncSession, **fields: Any) -> CafeNote:
    note = CafeNote(**fields)
    session.add(note)
    await session.flush()
    return note


async def insight_for_message(
    session: AsyncSession, cafe_id: int, message_id: int
) -> CafeNote | None:
    statement = select(CafeNote).where(
        col(CafeNote.cafe_id) == cafe_id,
        col(CafeNote.message_id) == message_id,
        col(CafeNote.kind) == NoteKind.INSIGHT.value,
    )
    return (await session.execute(statement)).scalars().first()


async def notes_of(
    session: AsyncSession, cafe_id: int, *, table_number: int | None = None
) -> list[CafeNote]:
    statement = select(CafeNote).where(col(CafeNote.cafe_id) == cafe_id)
    if table_number is not None:
        statement = statement.where(col(CafeNote.table_number) == table_number)
    statement = statement.order_by(
        col(CafeNote.round_number), col(CafeNote.table_number), col(CafeNote.id)
    )
    return list((await session.execute(statement)).scalars())


# --- privacy -----------------------------------------------------------------------------------


async def forget_participant(session: AsyncSession, community_id: int, user_id: int) -> None:
    """Forget a person's café traces: sign-ups and seats go; their tablecloth notes and
    insights (unless deleted first, see delete_texts_written_by) stay in the harvests without a
    name (DESIGN section 8)."""
    community_cafes = select(col(Cafe.id)).where(col(Cafe.community_id) == community_id)
    await session.execute(
        delete(CafeSeat).where(
            col(CafeSeat.cafe_id).in_(community_cafes), col(CafeSeat.user_id) == user_id
        )
    )
    await session.execute(
        delete(CafeParticipant).where(
            col(CafeParticipant.cafe_id).in_(community_cafes),
            col(CafeParticipant.user_id) == user_id,
        )
    )
    # Their own words lose their author and the link to their message on Discord, which would
    # name them there; notes they only added (others' words) lose who added them.
    await session.execute(
        update(CafeNote)
        .where(col(CafeNote.cafe_id).in_(community_cafes), col(CafeNote.author_id) == user_id)
        .values(author_id=None, message_id=None, jump_url=None)
    )
    await session.execute(
        update(CafeNote)
        .where(col(CafeNote.cafe_id).in_(community_cafes), col(CafeNote.added_by) == user_id)
        .values(added_by=None)
    )
    await session.execute(
        update(Cafe)
        .where(col(Cafe.community_id) == community_id, col(Cafe.created_by) == user_id)
        .values(created_by=None)
    )


async def texts_written_by(
    session: AsyncSession, community_id: int, user_id: int
) -> dict[NoteKind, int]:
    """How many tablecloth notes, and messages marked for the harvest, have the person as their
    author (whoever added them): the texts /privacy forget lets them keep, unnamed, or delete."""
    statement = (
        select(col(CafeNote.kind), func.count())
        .join(Cafe, col(Cafe.id) == col(CafeNote.cafe_id))
        .where(col(Cafe.community_id) == community_id, col(CafeNote.author_id) == user_id)
        .group_by(col(CafeNote.kind))
    )
    found = {NoteKind(kind): int(count) for kind, count in (await session.execute(statement)).all()}
    return {kind: found.get(kind, 0) for kind in NoteKind}


async def delete_texts_written_by(session: AsyncSession, community_id: int, user_id: int) -> int:
    """Delete the notes and harvest items the person wrote (run before forget_participant, which
    otherwise keeps them without a name). Notes they only added, written by others, stay."""
    community_cafes = select(col(Cafe.id)).where(col(Cafe.community_id) == community_id)
    result = await session.execute(
        delete(CafeNote).where(
            col(CafeNote.cafe_id).in_(community_cafes), col(CafeNote.author_id) == user_id
        )
    )
    return int(result.rowcount or 0)


async def has_cafe_traces(session: AsyncSession, community_id: int, user_id: int) -> bool:
    """Whether any café row of this community still names the person (what forget clears)."""
    community_cafes = select(col(Cafe.id)).where(col(Cafe.community_id) == community_id)
    checks = (
        select(col(CafeParticipant.id)).where(
            col(CafeParticipant.cafe_id).in_(community_cafes),
            col(CafeParticipant.user_id) == user_id,
        ),
        select(col(CafeSeat.id)).where(
            col(CafeSeat.cafe_id).in_(community_cafes), col(CafeSeat.user_id) == user_id
        ),
        select(col(CafeNote.id)).where(
            col(CafeNote.cafe_id).in_(community_cafes),
            (col(CafeNote.author_id) == user_id) | (col(CafeNote.added_by) == user_id),
        ),
        select(col(Cafe.id)).where(
            col(Cafe.community_id) == community_id, col(Cafe.created_by) == user_id
        ),
    )
    for statement in checks:
        if (await session.execute(statement.limit(1))).first() is not None:
            return True
    return False
