"""Café queries on SQLite and PostgreSQL: community scoping, sign-ups, seats and tables with
their unique keys, the tablecloth, the planner's facts, forgetting, and the row lock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.cafe.values import ACTIVE_STATES, Cafe, CafeRole, CafeState, NoteKind
from storage import cafes, members, organisations
from storage.communities import ensure_community
from storage.db import Database
from storage.models import Cafe as CafeRow
from storage.models import CafeParticipant as ParticipantRow
from storage.models import Contribution
from tests.databases import migrated_database

GUILD = 222_333_444_555_666_777
OTHER_GUILD = 888_777_666_555_444_333
ANNA = 100_000_000_000_000_001
BEN = 100_000_000_000_000_002
CLARA = 100_000_000_000_000_003
DAAN = 100_000_000_000_000_004
EVA = 100_000_000_000_000_005
FENNA = 100_000_000_000_000_006
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


async def communities(session: AsyncSession) -> None:
    await ensure_community(session, GUILD, "Water CoP")
    await ensure_community(session, OTHER_GUILD, "Soil CoP")


async def new_cafe(
    session: AsyncSession,
    community_id: int = GUILD,
    *,
    state: CafeState = CafeState.OPEN,
    **fields: Any,
) -> Cafe:
    """A café of ``community_id``; an ended one if ``state`` says so."""
    values: dict[str, Any] = {
        "community_id": community_id,
        "title": "Funding KM",
        "questions": ["What works?", "What gets in the way?", "What next?"],
        "rounds": 3,
        "round_minutes": 20,
        "channel_id": 555,
    }
    values.update(fields)
    cafe = await cafes.create_cafe(session, **values)
    if state == CafeState.CLOSED:
        return await cafes.close_cafe(session, cafe, ended_at=T0)
    if state == CafeState.CANCELLED:
        return await cafes.cancel_cafe(session, cafe, ended_at=T0)
    assert state == CafeState.OPEN, state
    return cafe


async def start_round(session: AsyncSession, cafe: Cafe, round_number: int = 1) -> Cafe:
    return await cafes.begin_round(
        session,
        cafe,
        round_number=round_number,
        tables=2,
        started_at=T0,
        ends_at=T0 + timedelta(minutes=20),
    )


async def cafe_ids(db: Database, count: int = 1, community_id: int = GUILD) -> list[int]:
    """Communities and ``count`` committed cafés of ``community_id``."""
    async with db.session() as session:
        await communities(session)
        made = [await new_cafe(session, community_id) for _ in range(count)]
        await session.commit()
    ids = [cafe.id for cafe in made]
    assert None not in ids
    return [cafe_id for cafe_id in ids if cafe_id is not None]


# --- cafés ---------------------------------------------------------------------------------------


async def test_get_cafe_finds_nothing_under_another_community(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        mine = await cafes.get_cafe(session, GUILD, cafe_id)
        theirs = await cafes.get_cafe(session, OTHER_GUILD, cafe_id)
        by_id = await cafes.get_cafe_by_id(session, cafe_id)
        unknown = await cafes.get_cafe(session, GUILD, cafe_id + 1000)
    assert mine is not None and mine.title == "Funding KM"
    assert mine.questions == ("What works?", "What gets in the way?", "What next?")
    assert mine.state == CafeState.OPEN and mine.current_round == 0
    assert theirs is None
    assert by_id is not None and by_id.id == cafe_id  # the scheduler looks across communities
    assert unknown is None


async def test_begin_round_sets_the_round_and_updated_at(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    ends = T0 + timedelta(minutes=20)
    async with db.session() as session:
        await session.execute(
            update(CafeRow).where(col(CafeRow.id) == cafe_id).values(updated_at=T0)
        )
        cafe = await cafes.get_cafe(session, GUILD, cafe_id)
        assert cafe is not None and cafe.updated_at == T0
        await cafes.begin_round(
            session, cafe, round_number=1, tables=2, started_at=T0, ends_at=ends
        )
        await session.commit()
    async with db.session() as session:
        stored = await cafes.get_cafe(session, GUILD, cafe_id)
    assert stored is not None
    assert (stored.state, stored.current_round, stored.round_ends_at) == (
        CafeState.RUNNING,
        1,
        ends,
    )
    assert stored.updated_at > T0


async def test_list_cafes_is_scoped_newest_first_filtered_and_limited(db: Database) -> None:
    first, second, third = await cafe_ids(db, 3)
    [elsewhere] = await cafe_ids(db, 1, OTHER_GUILD)
    async with db.session() as session:
        cafe = await cafes.get_cafe(session, GUILD, second)
        assert cafe is not None
        await cafes.close_cafe(session, cafe, ended_at=T0)
        await session.commit()
        every = await cafes.list_cafes(session, GUILD)
        active = await cafes.list_cafes(session, GUILD, states=ACTIVE_STATES)
        closed = await cafes.list_cafes(session, GUILD, states=[CafeState.CLOSED])
        newest = await cafes.list_cafes(session, GUILD, limit=1)
    assert [c.id for c in every] == [third, second, first]
    assert elsewhere not in [c.id for c in every]
    assert [c.id for c in active] == [third, first]
    assert [c.id for c in closed] == [second]
    assert [c.id for c in newest] == [third]


async def test_cafes_in_states_looks_across_communities_in_id_order(db: Database) -> None:
    mine, idle = await cafe_ids(db, 2)
    [theirs] = await cafe_ids(db, 1, OTHER_GUILD)
    async with db.session() as session:
        harvesting = await cafes.get_cafe_by_id(session, theirs)
        running = await cafes.get_cafe_by_id(session, mine)
        assert harvesting is not None and running is not None
        await cafes.move_to_harvest(session, harvesting)
        await start_round(session, running)
        await session.commit()
        recovering = await cafes.cafes_in_states(session, (CafeState.RUNNING, CafeState.HARVEST))
        running_now = await cafes.cafes_in_states(session, [CafeState.RUNNING])
        none = await cafes.cafes_in_states(session, [CafeState.CANCELLED])
    assert [c.id for c in recovering] == sorted([mine, theirs])
    assert idle not in [c.id for c in recovering]
    assert [c.id for c in running_now] == [mine]
    assert none == []


async def test_earlier_cafes_of_a_series_give_their_tables_newest_ended_ones_only(
    db: Database,
) -> None:
    async with db.session() as session:
        await communities(session)
        root = await new_cafe(session, state=CafeState.CLOSED)
        assert root.id is not None
        second = await new_cafe(session, series_id=root.id, state=CafeState.CLOSED)
        cancelled = await new_cafe(session, series_id=root.id, state=CafeState.CANCELLED)
        third = await new_cafe(session, series_id=root.id, state=CafeState.CLOSED)
        current = await new_cafe(session, series_id=root.id)
        alone = await new_cafe(session)
        for cafe, who in ((root, ANNA), (second, BEN), (cancelled, CLARA), (third, DAAN)):
            assert cafe.id is not None
            await cafes.seat_round(session, cafe.id, 1, [(1, [(who, False), (EVA, False)])])
        await cafes.seat_round(session, third.id or 0, 2, [(1, [(DAAN, False), (FENNA, False)])])
        await session.commit()
        everything = await cafes.tables_of_earlier_cafes(session, current, last=5)
        latest_two = await cafes.tables_of_earlier_cafes(session, current, last=2)
        before_second = await cafes.tables_of_earlier_cafes(session, second, last=5)
        outside = await cafes.tables_of_earlier_cafes(session, alone, last=5)
    # Ended cafés of the series only (not the cancelled one), each table of each round.
    assert sorted(map(sorted, everything)) == sorted(
        map(sorted, [[ANNA, EVA], [BEN, EVA], [DAAN, EVA], [DAAN, FENNA]])
    )
    assert sorted(map(sorted, latest_two)) == sorted(
        map(sorted, [[BEN, EVA], [DAAN, EVA], [DAAN, FENNA]])
    )
    assert before_second == [[ANNA, EVA]]
    assert outside == []


async def test_lock_cafe_returns_the_row_as_stored_now(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as reader, db.session() as writer:
        held = await cafes.get_cafe(reader, GUILD, cafe_id)
        assert held is not None and held.state == CafeState.OPEN
        await reader.commit()  # the object stays in the reader's identity map, unexpired
        changed = await cafes.get_cafe(writer, GUILD, cafe_id)
        assert changed is not None
        await start_round(writer, changed, 2)
        await writer.commit()
        locked = await cafes.lock_cafe(reader, cafe_id)
        assert locked is not None  # read from the row, not from the reader's stale object
        assert (locked.state, locked.current_round) == (CafeState.RUNNING, 2)
        assert await cafes.lock_cafe(reader, cafe_id + 1000) is None
        await reader.commit()


@pytest.mark.postgres
async def test_lock_cafe_makes_a_second_transaction_wait_on_postgresql(tmp_path: Path) -> None:
    async with migrated_database("postgresql", tmp_path) as db:
        [cafe_id] = await cafe_ids(db)
        async with db.session() as first, db.session() as second, db.session() as onlooker:
            locked = await cafes.lock_cafe(first, cafe_id)
            assert locked is not None and locked.state == CafeState.OPEN
            waiting = asyncio.create_task(cafes.lock_cafe(second, cafe_id))
            done, _ = await asyncio.wait({waiting}, timeout=0.5)
            assert not done, "the second lock_cafe should wait for the first transaction"
            # A plain read is not blocked: the wait is the row lock, not the pool.
            read = await asyncio.wait_for(cafes.get_cafe(onlooker, GUILD, cafe_id), 10)
            assert read is not None and read.state == CafeState.OPEN
            await start_round(first, locked)
            await first.commit()
            seen = await asyncio.wait_for(waiting, 10)
            # It read the row after the first committed: it cannot move the café on twice.
            assert seen is not None
            assert (seen.state, seen.current_round) == (CafeState.RUNNING, 1)
            await second.commit()


# --- sign-ups ------------------------------------------------------------------------------------


async def test_save_participant_signs_up_changes_role_and_rejoins(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        joined = await cafes.save_participant(session, cafe_id, ANNA, role=CafeRole.TRAVELLER)
        assert joined.id is not None and joined.left_at is None
        assert (joined.role, joined.host_table) == (CafeRole.TRAVELLER, None)
        await session.execute(
            update(ParticipantRow).where(col(ParticipantRow.id) == joined.id).values(joined_at=T0)
        )
        await session.commit()

    async with db.session() as session:
        host = await cafes.save_participant(
            session, cafe_id, ANNA, role=CafeRole.HOST, host_table=2
        )
        await session.commit()
    assert host.id == joined.id  # the same sign-up, not a second one
    assert (host.role, host.host_table, host.joined_at) == (CafeRole.HOST, 2, T0)

    async with db.session() as session:
        participant = await cafes.get_participant(session, cafe_id, ANNA)
        assert participant is not None
        await cafes.mark_left(session, participant)
        await session.commit()
        gone = await cafes.get_participant(session, cafe_id, ANNA)
        assert gone is not None and gone.left_at is not None
        assert (gone.role, gone.host_table) == (CafeRole.TRAVELLER, None)
        assert await cafes.present_participants(session, cafe_id) == []
        assert await cafes.count_participants(session, cafe_id) == (0, 0)

    async with db.session() as session:
        back = await cafes.save_participant(session, cafe_id, ANNA, role=CafeRole.TRAVELLER)
        await session.commit()
    assert back.id == joined.id
    assert back.left_at is None and back.joined_at > T0  # joined again, now
    async with db.session() as session:
        present = await cafes.present_participants(session, cafe_id)
    assert [p.user_id for p in present] == [ANNA]


async def test_get_participant_is_per_cafe(db: Database) -> None:
    first, second = await cafe_ids(db, 2)
    async with db.session() as session:
        await cafes.save_participant(session, first, ANNA, role=CafeRole.HOST, host_table=1)
        await session.commit()
        assert await cafes.get_participant(session, first, ANNA) is not None
        assert await cafes.get_participant(session, second, ANNA) is None
        assert await cafes.get_participant(session, first, BEN) is None


async def test_count_participants_counts_present_people_and_hosts(db: Database) -> None:
    cafe_id, other_cafe = await cafe_ids(db, 2)
    async with db.session() as session:
        for user_id in (ANNA, BEN, CLARA):
            await cafes.save_participant(session, cafe_id, user_id, role=CafeRole.TRAVELLER)
        for table, user_id in enumerate((DAAN, EVA), start=1):
            await cafes.save_participant(
                session, cafe_id, user_id, role=CafeRole.HOST, host_table=table
            )
        leaver = await cafes.save_participant(session, cafe_id, FENNA, role=CafeRole.HOST)
        await cafes.mark_left(session, leaver)
        await cafes.save_participant(session, other_cafe, ANNA, role=CafeRole.HOST)
        await session.commit()
        assert await cafes.count_participants(session, cafe_id) == (5, 2)
        assert await cafes.count_participants(session, other_cafe) == (1, 1)
        assert await cafes.count_participants(session, cafe_id + 1000) == (0, 0)
        present = await cafes.present_participants(session, cafe_id)
    assert [p.user_id for p in present] == [ANNA, BEN, CLARA, DAAN, EVA]  # in sign-up order


# --- seats and tables ----------------------------------------------------------------------------


async def test_seat_round_writes_tables_and_seats(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        await cafes.seat_round(
            session, cafe_id, 1, [(1, [(ANNA, True), (BEN, False)]), (2, [(CLARA, False)])]
        )
        await session.commit()
        seats = await cafes.seats_of(session, cafe_id)
        tables = await cafes.tables_of(session, cafe_id)
    assert [(s.round_number, s.table_number, s.user_id, s.is_host) for s in seats] == [
        (1, 1, ANNA, True),
        (1, 1, BEN, False),
        (1, 2, CLARA, False),
    ]
    assert [(t.round_number, t.table_number, t.thread_id) for t in tables] == [
        (1, 1, None),
        (1, 2, None),
    ]
    assert not any(t.opened or t.warned or t.closed for t in tables)


@pytest.mark.parametrize(
    "second_seating",
    [
        pytest.param([(1, [(DAAN, False)])], id="the same round again"),
        pytest.param([(3, [(ANNA, False)])], id="a person seated twice in a round"),
    ],
)
async def test_the_unique_keys_refuse_a_second_seating_of_a_round(
    db: Database, second_seating: list[tuple[int, list[tuple[int, bool]]]]
) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        await cafes.seat_round(session, cafe_id, 1, [(1, [(ANNA, True)]), (2, [(BEN, False)])])
        await session.commit()
    async with db.session() as session:
        with pytest.raises(IntegrityError):
            await cafes.seat_round(session, cafe_id, 1, second_seating)
        await session.rollback()
    async with db.session() as session:
        seats = await cafes.seats_of(session, cafe_id)
        tables = await cafes.tables_of(session, cafe_id)
    assert [(s.table_number, s.user_id) for s in seats] == [(1, ANNA), (2, BEN)]
    assert [t.table_number for t in tables] == [1, 2]


async def test_one_person_at_two_tables_in_one_round_is_refused(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        with pytest.raises(IntegrityError):
            await cafes.seat_round(session, cafe_id, 1, [(1, [(ANNA, True)]), (2, [(ANNA, False)])])
        await session.rollback()


async def test_the_next_round_and_another_cafe_are_seated_freely(db: Database) -> None:
    cafe_id, other_cafe = await cafe_ids(db, 2)
    async with db.session() as session:
        await cafes.seat_round(session, cafe_id, 1, [(1, [(ANNA, True), (BEN, False)])])
        await cafes.seat_round(session, cafe_id, 2, [(1, [(ANNA, True), (BEN, False)])])
        await cafes.seat_round(session, other_cafe, 1, [(1, [(ANNA, True), (BEN, False)])])
        await session.commit()
        assert len(await cafes.seats_of(session, cafe_id)) == 4
        assert len(await cafes.seats_of(session, other_cafe)) == 2


async def test_seats_and_tables_come_in_round_then_table_order(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        # Written out of order: round 2 first, tables backwards.
        await cafes.seat_round(
            session,
            cafe_id,
            2,
            [(3, [(EVA, False), (ANNA, True)]), (1, [(CLARA, False)]), (2, [(BEN, True)])],
        )
        await cafes.seat_round(session, cafe_id, 1, [(2, [(DAAN, False)]), (1, [(FENNA, True)])])
        await session.commit()
        seats = await cafes.seats_of(session, cafe_id)
        round_two = await cafes.seats_of(session, cafe_id, 2)
        tables = await cafes.tables_of(session, cafe_id)
        round_one_tables = await cafes.tables_of(session, cafe_id, 1)
        nothing = await cafes.seats_of(session, cafe_id, 3)
    assert [(s.round_number, s.table_number, s.user_id) for s in seats] == [
        (1, 1, FENNA),
        (1, 2, DAAN),
        (2, 1, CLARA),
        (2, 2, BEN),
        (2, 3, EVA),  # within a table, in the order written (by id)
        (2, 3, ANNA),
    ]
    assert [s.user_id for s in round_two] == [CLARA, BEN, EVA, ANNA]
    assert [(t.round_number, t.table_number) for t in tables] == [
        (1, 1),
        (1, 2),
        (2, 1),
        (2, 2),
        (2, 3),
    ]
    assert [(t.round_number, t.table_number) for t in round_one_tables] == [(1, 1), (1, 2)]
    assert nothing == []


async def test_remove_future_seat_keeps_earlier_rounds_and_other_people(db: Database) -> None:
    cafe_id, other_cafe = await cafe_ids(db, 2)
    async with db.session() as session:
        for round_number in (1, 2, 3):
            await cafes.seat_round(
                session, cafe_id, round_number, [(1, [(ANNA, True), (BEN, False)])]
            )
        await cafes.seat_round(session, other_cafe, 3, [(1, [(BEN, False)])])
        await session.commit()
    async with db.session() as session:
        await cafes.remove_future_seat(session, cafe_id, BEN, 2)
        await session.commit()
        seats = await cafes.seats_of(session, cafe_id)
        elsewhere = await cafes.seats_of(session, other_cafe)
    assert [(s.round_number, s.user_id) for s in seats] == [
        (1, ANNA),
        (1, BEN),
        (2, ANNA),
        (3, ANNA),
    ]
    assert [(s.round_number, s.user_id) for s in elsewhere] == [(3, BEN)]


async def test_tables_are_found_by_thread_and_scoped_to_their_cafe(db: Database) -> None:
    cafe_id, other_cafe = await cafe_ids(db, 2)
    async with db.session() as session:
        await cafes.seat_round(session, cafe_id, 1, [(1, [(ANNA, True)]), (2, [(BEN, False)])])
        await session.commit()
        first, second = await cafes.tables_of(session, cafe_id)
        assert first.id is not None and second.id is not None
        assert await cafes.table_by_thread(session, 9001) is None
        await cafes.set_table_thread(session, second.id, 9001)
        await cafes.set_table_flags(session, second.id, opened=True)
        await session.commit()
    async with db.session() as session:
        found = await cafes.table_by_thread(session, 9001)
        assert found is not None
        assert (found.id, found.table_number, found.opened) == (second.id, 2, True)
        mine = await cafes.get_table(session, cafe_id, second.id)
        assert mine is not None and mine.thread_id == 9001
        assert await cafes.get_table(session, other_cafe, second.id) is None
        assert await cafes.get_table(session, cafe_id, second.id + 1000) is None
        untouched = await cafes.get_table(session, cafe_id, first.id)
        assert untouched is not None and untouched.thread_id is None and not untouched.opened


async def test_all_table_thread_ids_lists_table_and_reflection_threads(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    [theirs] = await cafe_ids(db, 1, OTHER_GUILD)
    async with db.session() as session:
        assert await cafes.all_table_thread_ids(session) == []
        await cafes.seat_round(session, cafe_id, 1, [(1, [(ANNA, True)]), (2, [(BEN, False)])])
        await cafes.seat_round(session, theirs, 1, [(1, [(ANNA, True)])])
        await session.commit()
        first, _unopened = await cafes.tables_of(session, cafe_id)
        [their_table] = await cafes.tables_of(session, theirs)
        assert first.id is not None and their_table.id is not None
        await cafes.set_table_thread(session, first.id, 7001)
        await cafes.set_table_thread(session, their_table.id, 7002)
        cafe = await cafes.get_cafe(session, GUILD, cafe_id)
        assert cafe is not None
        await cafes.set_reflection_thread(session, cafe, 7100)
        await session.commit()
        thread_ids = await cafes.all_table_thread_ids(session)
        by_reflection = await cafes.cafe_by_reflection_thread(session, 7100)
        not_a_reflection = await cafes.cafe_by_reflection_thread(session, 7001)
    assert sorted(thread_ids) == [7001, 7002, 7100]  # no None for the unopened table
    assert by_reflection is not None and by_reflection.id == cafe_id
    assert not_a_reflection is None


async def test_posters_by_thread_reads_the_contribution_log(db: Database) -> None:
    await cafe_ids(db)
    posts = [  # (message id, thread, author)
        (1, 7001, ANNA),
        (2, 7001, BEN),
        (3, 7001, ANNA),  # a second post counts once
        (4, 7002, CLARA),
        (5, 7003, DAAN),  # a thread not asked about
    ]
    async with db.session() as session:
        for message_id, thread_id, author_id in posts:
            session.add(
                Contribution(
                    message_id=message_id,
                    community_id=GUILD,
                    channel_id=thread_id,
                    parent_channel_id=555,
                    author_id=author_id,
                    created_at=T0 + timedelta(minutes=message_id),
                )
            )
        await session.commit()
        posters = await cafes.posters_by_thread(session, [7001, 7002, 7009])
        assert await cafes.posters_by_thread(session, []) == {}
    assert posters == {7001: {ANNA, BEN}, 7002: {CLARA}}  # a silent thread is simply absent


# --- what the planner and the harvest are told ---------------------------------------------------


async def test_seating_facts_prefer_the_members_own_group_and_level(db: Database) -> None:
    async with db.session() as session:
        await communities(session)
        research = await organisations.create_organisation(
            session,
            community_id=GUILD,
            name="IRC WASH",
            name_key="irc wash",
            stakeholder="research",
            level="national",
        )
        ngo = await organisations.create_organisation(
            session,
            community_id=GUILD,
            name="WaterAid",
            name_key="wateraid",
            stakeholder="ngo",
            level="local",
        )
        assert research.id is not None and ngo.id is not None

        async def member(user_id: int, community_id: int = GUILD, **own: str) -> int:
            row = await members.ensure_member(session, community_id, user_id, f"user {user_id}")
            await members.set_member_details(
                session,
                row.id,
                stakeholder=own.get("stakeholder"),
                level=own.get("level"),
                country=None,
                expertise=(),
            )
            return row.id

        anna = await member(ANNA)  # only her organisation's facts
        ben = await member(BEN, stakeholder="government")  # his own group wins
        clara = await member(CLARA, level="regional")  # her own level wins
        daan = await member(DAAN)  # left WaterAid, belongs nowhere now
        eva = await member(EVA, stakeholder="private")  # left WaterAid for IRC
        await member(FENNA, stakeholder="academia", level="global")  # no organisation
        for member_id in (anna, ben, clara):
            await members.start_membership(session, member_id, research.id, T0)
        await members.start_membership(session, daan, ngo.id, T0)
        await members.end_membership(session, daan, T0 + timedelta(days=10))
        await members.start_membership(session, eva, ngo.id, T0)
        await members.start_membership(session, eva, research.id, T0 + timedelta(days=10))
        # Anna in another community says something else: not this community's facts.
        await member(ANNA, OTHER_GUILD, stakeholder="ngo", level="local")
        await session.commit()

        everyone = [ANNA, BEN, CLARA, DAAN, EVA, FENNA, 999]  # 999 is no member
        facts = await cafes.seating_facts(session, GUILD, everyone)
        assert await cafes.seating_facts(session, GUILD, []) == {}
    irc = str(research.id)
    assert facts == {
        ANNA: (irc, "research", "national"),
        BEN: (irc, "government", "national"),
        CLARA: (irc, "research", "regional"),
        DAAN: (None, None, None),
        EVA: (irc, "private", "national"),
        FENNA: (None, "academia", "global"),
    }


async def test_display_names_are_this_communitys(db: Database) -> None:
    async with db.session() as session:
        await communities(session)
        await members.ensure_member(session, GUILD, ANNA, "Anna")
        await members.ensure_member(session, GUILD, BEN, "Ben")
        await members.ensure_member(session, OTHER_GUILD, ANNA, "Anna elsewhere")
        await members.ensure_member(session, OTHER_GUILD, CLARA, "Clara")
        await session.commit()
        names = await cafes.display_names(session, GUILD, [ANNA, BEN, CLARA])
        assert await cafes.display_names(session, GUILD, []) == {}
    assert names == {ANNA: "Anna", BEN: "Ben"}


# --- the tablecloth ------------------------------------------------------------------------------


async def test_one_insight_per_message_and_null_message_ids_do_not_collide(
    db: Database,
) -> None:
    cafe_id, other_cafe = await cafe_ids(db, 2)
    async with db.session() as session:
        insight = await cafes.add_note(
            session,
            cafe_id=cafe_id,
            round_number=1,
            table_number=2,
            kind=NoteKind.INSIGHT,
            author_id=ANNA,
            added_by=BEN,
            text="Funders read one page",
            message_id=4242,
            jump_url="https://discord.com/channels/1/2/4242",
        )
        for text in ("first note", "second note"):  # tablecloth notes carry no message id
            await cafes.add_note(
                session, cafe_id=cafe_id, round_number=1, table_number=2, author_id=ANNA, text=text
            )
        # The same message marked in another café is that café's insight.
        await cafes.add_note(
            session,
            cafe_id=other_cafe,
            round_number=1,
            table_number=1,
            kind=NoteKind.INSIGHT,
            author_id=ANNA,
            text="Funders read one page",
            message_id=4242,
        )
        await session.commit()
        found = await cafes.insight_for_message(session, cafe_id, 4242)
        assert found is not None and found.id == insight.id
        assert (found.author_id, found.added_by, found.kind) == (ANNA, BEN, NoteKind.INSIGHT)
        assert await cafes.insight_for_message(session, cafe_id, 4243) is None
        assert len(await cafes.notes_of(session, cafe_id)) == 3

    async with db.session() as session:
        with pytest.raises(IntegrityError):
            await cafes.add_note(
                session,
                cafe_id=cafe_id,
                round_number=2,
                table_number=1,
                kind=NoteKind.INSIGHT,
                author_id=ANNA,
                added_by=CLARA,
                text="Funders read one page",
                message_id=4242,
            )
        await session.rollback()
    async with db.session() as session:
        assert len(await cafes.notes_of(session, cafe_id)) == 3


async def test_insight_for_message_ignores_plain_notes(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        await cafes.add_note(
            session,
            cafe_id=cafe_id,
            round_number=1,
            table_number=1,
            kind=NoteKind.NOTE,
            author_id=ANNA,
            text="from the modal",
            message_id=77,
        )
        await session.commit()
        assert await cafes.insight_for_message(session, cafe_id, 77) is None


async def test_notes_of_come_by_round_then_table_and_filter_by_table(db: Database) -> None:
    [cafe_id] = await cafe_ids(db)
    written = [(2, 1, "r2 t1"), (1, 2, "r1 t2 a"), (1, 1, "r1 t1"), (1, 2, "r1 t2 b"), (0, 0, "i")]
    async with db.session() as session:
        for round_number, table_number, text in written:
            await cafes.add_note(
                session,
                cafe_id=cafe_id,
                round_number=round_number,
                table_number=table_number,
                author_id=ANNA,
                text=text,
            )
        await session.commit()
        every = await cafes.notes_of(session, cafe_id)
        table_two = await cafes.notes_of(session, cafe_id, table_number=2)
        none = await cafes.notes_of(session, cafe_id, table_number=5)
    assert [n.text for n in every] == ["i", "r1 t1", "r1 t2 a", "r1 t2 b", "r2 t1"]
    assert [n.text for n in table_two] == ["r1 t2 a", "r1 t2 b"]
    assert none == []


# --- forgetting ----------------------------------------------------------------------------------


async def test_forget_participant_drops_seats_and_sign_ups_and_keeps_notes_unnamed(
    db: Database,
) -> None:
    async with db.session() as session:
        await communities(session)
        here = await new_cafe(session, GUILD, created_by=ANNA)
        there = await new_cafe(session, OTHER_GUILD, created_by=ANNA)
        assert here.id is not None and there.id is not None
        for cafe_id in (here.id, there.id):
            await cafes.save_participant(session, cafe_id, ANNA, role=CafeRole.HOST, host_table=1)
            await cafes.save_participant(session, cafe_id, BEN, role=CafeRole.TRAVELLER)
            for round_number in (1, 2):
                await cafes.seat_round(
                    session, cafe_id, round_number, [(1, [(ANNA, True), (BEN, False)])]
                )
            await cafes.add_note(
                session,
                cafe_id=cafe_id,
                round_number=1,
                table_number=1,
                author_id=ANNA,
                added_by=ANNA,
                text="Anna's note",
            )
            await cafes.add_note(  # Ben's message, marked by Anna
                session,
                cafe_id=cafe_id,
                round_number=1,
                table_number=1,
                kind=NoteKind.INSIGHT,
                author_id=BEN,
                added_by=ANNA,
                text="Ben's insight",
                message_id=31,
            )
        await session.commit()
        here_id, there_id = here.id, there.id
        assert await cafes.has_cafe_traces(session, GUILD, ANNA)

    async with db.session() as session:
        await cafes.forget_participant(session, GUILD, ANNA)
        await session.commit()

    async with db.session() as session:
        assert not await cafes.has_cafe_traces(session, GUILD, ANNA)
        assert await cafes.has_cafe_traces(session, GUILD, BEN)
        assert await cafes.get_participant(session, here_id, ANNA) is None
        assert [s.user_id for s in await cafes.seats_of(session, here_id)] == [BEN, BEN]
        notes = await cafes.notes_of(session, here_id)
        assert [(n.text, n.author_id, n.added_by) for n in notes] == [
            ("Anna's note", None, None),
            ("Ben's insight", BEN, None),
        ]
        cafe = await cafes.get_cafe(session, GUILD, here_id)
        assert cafe is not None and cafe.created_by is None

        # The other community keeps everything about her.
        assert await cafes.has_cafe_traces(session, OTHER_GUILD, ANNA)
        assert await cafes.get_participant(session, there_id, ANNA) is not None
        assert [s.user_id for s in await cafes.seats_of(session, there_id)] == [
            ANNA,
            BEN,
            ANNA,
            BEN,
        ]
        notes_there = await cafes.notes_of(session, there_id)
        assert [(n.author_id, n.added_by) for n in notes_there] == [(ANNA, ANNA), (BEN, ANNA)]
        elsewhere = await cafes.get_cafe(session, OTHER_GUILD, there_id)
        assert elsewhere is not None and elsewhere.created_by == ANNA


async def test_has_cafe_traces_is_per_community_and_counts_a_person_who_left(
    db: Database,
) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        assert not await cafes.has_cafe_traces(session, GUILD, ANNA)
        participant = await cafes.save_participant(session, cafe_id, ANNA, role=CafeRole.HOST)
        await cafes.mark_left(session, participant)
        await session.commit()
        assert await cafes.has_cafe_traces(session, GUILD, ANNA)  # the row stays after leaving
        assert not await cafes.has_cafe_traces(session, OTHER_GUILD, ANNA)


async def test_has_cafe_traces_sees_an_insight_by_someone_who_never_signed_up(
    db: Database,
) -> None:
    [cafe_id] = await cafe_ids(db)
    async with db.session() as session:
        # Clara posted in a public table thread without signing up; Ben marked it.
        await cafes.add_note(
            session,
            cafe_id=cafe_id,
            round_number=1,
            table_number=1,
            kind=NoteKind.INSIGHT,
            author_id=CLARA,
            added_by=BEN,
            text="Clara's point",
            message_id=88,
        )
        await session.commit()
        assert await cafes.has_cafe_traces(session, GUILD, CLARA)
