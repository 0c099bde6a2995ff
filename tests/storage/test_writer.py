"""The batched writer against real databases: order, attribution at the moment, opt-outs, and
what happens when the database is unavailable (a real outage, not a mock)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot.contributions.optouts import OptOuts
from bot.contributions.privacy import Privacy
from bot.contributions.values import ContributionEdit, ContributionRow, ReactionRow
from bot.contributions.writer import (
    ClearReactions,
    ContributionWriter,
    DeleteContributions,
)
from bot.membership import organisations, profiles, register
from storage import contributions as log_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.members import ensure_member, set_member_details, start_membership
from storage.models import Organisation, Reaction
from tests.databases import migrated_database, postgres_url
from tests.storage.helpers import ALICE, BOB, CAROL, GUILD, T0, Outage, contribution, reaction


def message(
    message_id: int, author: int = ALICE, at: datetime = T0, **fields: Any
) -> ContributionRow:
    return contribution(message_id, author, created_at=at, **fields)


def reacted(message_id: int, user: int = BOB) -> ReactionRow:
    return reaction(message_id, user)


def edited(message_id: int, characters: int, at: datetime | None = None) -> ContributionEdit:
    """An edit to a plain message: new counts (and when it was edited, if it says)."""
    return ContributionEdit(
        message_id=message_id,
        is_reply=False,
        is_answer=False,
        is_question=False,
        is_resource=False,
        reply_to_author_id=None,
        reply_to_message_id=None,
        characters=characters,
        words=1,
        links=0,
        attachments=0,
        mentions=0,
        edited_at=at,
    )


async def count(db: Database) -> int:
    async with db.session() as session:
        return await log_queries.count_contributions(session, GUILD)


async def test_operations_are_applied_in_order_and_replays_do_not_duplicate(db: Database) -> None:
    writer = ContributionWriter(db, flush_interval=60, flush_rows=1_000)
    writer.remember_community(GUILD, "Water CoP")  # the writer creates the community row
    writer.start()
    try:
        await writer.put_many(
            [
                message(1),
                message(2),
                edited(1, 77, T0 + timedelta(minutes=1)),
                DeleteContributions([2]),
                message(2),  # a replay after the deletion in the same batch: stored again
                message(1),  # a replay: ignored
                reacted(1),
                reacted(1),
            ]
        )
        await writer.flush(timeout=10)
    finally:
        await writer.stop()
    async with db.session() as session:
        one = await log_queries.get_contribution(session, 1)
        assert one is not None and one.characters == 77
        assert await log_queries.count_contributions(session, GUILD) == 2
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 1


async def test_bulk_reaction_clears_are_applied_in_order(db: Database) -> None:
    carol = 920_000_000_000_000_003
    writer = ContributionWriter(db, flush_interval=60, flush_rows=1_000)
    writer.remember_community(GUILD, "Water CoP")
    writer.start()
    try:
        await writer.put_many(
            [
                message(1),
                reacted(1),
                reacted(1, carol),
                ClearReactions(1, "👍"),
                reacted(1, carol),  # reacted again after the clear: kept
                ClearReactions(2),  # a message with no reactions: nothing happens
            ]
        )
        await writer.flush(timeout=10)
        async with db.session() as session:
            counts = await log_queries.contributions_by_kind(session, GUILD, carol)
            assert counts["reactions"] == 1
            assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 0
        await writer.put_many([ClearReactions(1), reacted(1)])
        await writer.flush(timeout=10)
    finally:
        await writer.stop()
    async with db.session() as session:
        assert (await log_queries.contributions_by_kind(session, GUILD, carol))["reactions"] == 0
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 1


async def test_a_full_batch_is_written_without_waiting_for_the_interval(db: Database) -> None:
    writer = ContributionWriter(db, flush_interval=60, flush_rows=10)
    writer.start()
    try:
        await writer.put_many([message(i) for i in range(1, 11)])
        for _ in range(200):
            if await count(db) == 10:
                break
            await asyncio.sleep(0.02)
        assert await count(db) == 10
    finally:
        await writer.stop()


async def test_the_organisation_is_the_one_at_the_moment_of_the_message(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Water CoP")
        first = Organisation(
            community_id=GUILD,
            name="IRC",
            name_key="irc",
            stakeholder="civil_society",
            level="national",
        )
        second = Organisation(
            community_id=GUILD,
            name="Ministry",
            name_key="ministry",
            stakeholder="government",
            level="local",
        )
        session.add_all([first, second])
        await session.flush()
        member = await ensure_member(session, GUILD, ALICE, "Alice")
        await set_member_details(
            session, member.id, stakeholder=None, level="intermediate", country=None, expertise=()
        )
        await start_membership(session, member.id, first.id, T0)
        await start_membership(session, member.id, second.id, T0 + timedelta(days=10))
        ids = (first.id, second.id)
    writer = ContributionWriter(db)
    writer.start()
    try:
        await writer.put_many(
            [
                message(1, at=T0 - timedelta(days=1)),  # before any organisation
                message(2, at=T0 + timedelta(days=1)),
                message(3, at=T0 + timedelta(days=11)),
                message(4, author=BOB),  # not in the register at all
            ]
        )
        await writer.flush(timeout=10)
    finally:
        await writer.stop()
    async with db.session() as session:
        rows = {i: await log_queries.get_contribution(session, i) for i in (1, 2, 3, 4)}
    assert rows[1] is not None and rows[1].organisation_id is None
    assert rows[1].level == "intermediate" and rows[1].stakeholder is None
    assert rows[2] is not None and rows[2].organisation_id == ids[0]
    assert (rows[2].stakeholder, rows[2].level) == ("civil_society", "intermediate")
    assert rows[3] is not None and rows[3].organisation_id == ids[1]
    assert rows[3].stakeholder == "government"
    assert rows[4] is not None and rows[4].organisation_id is None


async def test_edits_and_deletions_apply_to_the_rows_before_them_in_the_batch(
    db: Database,
) -> None:
    """Typed operations from the receivers, in one batch, in the order they came: an edit of a
    message stored earlier in the batch, a deletion, and a store after an opt-out is dropped."""
    optouts = OptOuts()
    writer = ContributionWriter(db, optouts=optouts, flush_interval=60, flush_rows=1_000)
    writer.start()
    try:
        writer.add(message(1))
        writer.add(message(2))
        writer.add(DeleteContributions([2]))
        writer.add(message(5))
        writer.add(edited(5, 9))  # no edited_at: a link preview, not an edit
        writer.add(edited(1, 12, T0 + timedelta(minutes=3)))
        writer.add(message(6, author=BOB))
        optouts.opt_out(GUILD, BOB)  # opting out before the write still counts
        await writer.flush(timeout=10)
    finally:
        await writer.stop()
    async with db.session() as session:
        stored = {i: await log_queries.get_contribution(session, i) for i in (1, 2, 5, 6)}
    first, fifth = stored[1], stored[5]
    assert first is not None and first.characters == 12
    assert first.edited_at == T0 + timedelta(minutes=3)
    assert fifth is not None and fifth.characters == 9 and fifth.edited_at is None
    assert stored[2] is None and stored[6] is None


async def test_members_who_opted_out_while_waiting_are_not_written(db: Database) -> None:
    optouts = OptOuts()
    writer = ContributionWriter(db, optouts=optouts, flush_interval=60)
    writer.start()
    try:
        await writer.put_many([message(1), message(2, author=BOB), reacted(1)])
        optouts.opt_out(GUILD, BOB)
        await writer.flush(timeout=10)
    finally:
        await writer.stop()
    async with db.session() as session:
        assert await log_queries.get_contribution(session, 2) is None
        assert await log_queries.get_contribution(session, 1) is not None
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 0


async def test_replies_and_reactions_waiting_do_not_name_who_opted_out_meanwhile(
    db: Database,
) -> None:
    """Forgetting someone clears their id from others' rows already written; a reply or a
    reaction to them still in the buffer must not bring it back."""
    optouts = OptOuts()
    writer = ContributionWriter(db, optouts=optouts, flush_interval=60)
    writer.start()
    try:
        answer = message(3, author=BOB, is_reply=True, reply_to_author_id=ALICE)
        await writer.put_many([message(1), answer, reacted(1)])
        optouts.opt_out(GUILD, ALICE)
        await writer.flush(timeout=10)
    finally:
        await writer.stop()
    async with db.session() as session:
        stored = await log_queries.get_contribution(session, 3)
        reactions = (
            (await session.execute(select(Reaction).where(col(Reaction.message_id) == 1)))
            .scalars()
            .all()
        )
    assert stored is not None and stored.is_reply and stored.reply_to_author_id is None
    assert [(r.user_id, r.target_author_id) for r in reactions] == [(BOB, None)]


async def test_stop_writes_what_is_buffered(db: Database) -> None:
    writer = ContributionWriter(db, flush_interval=60, flush_rows=1_000)
    writer.start()
    await writer.put_many([message(i) for i in range(1, 6)])
    assert await count(db) == 0
    await writer.stop()
    assert await count(db) == 5


# --- the database unavailable ----------------------------------------------------------------


async def test_sqlite_locked_by_another_writer_rows_wait(tmp_path: Path) -> None:
    async with migrated_database("sqlite", tmp_path) as db:
        path = make_url(db.url).database
        assert path
        writer = ContributionWriter(db, flush_interval=0.05)
        writer.start()
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            await writer.put_many([message(i) for i in range(1, 21)])
            flushed = asyncio.create_task(writer.flush(timeout=30))
            await asyncio.sleep(1.0)
            assert not flushed.done(), "written while another connection held the lock"
            assert writer.pending == 20
            blocker.execute("ROLLBACK")
            await flushed
            assert await count(db) == 20
        finally:
            blocker.close()
            await writer.stop()


@contextlib.asynccontextmanager
async def postgres_behind_relay() -> AsyncIterator[tuple[Database, Database, Outage]]:
    async with postgres_url() as url:
        direct = Database.connect(url)
        await direct.migrate()
        outage = Outage()
        await outage.up()
        relayed_url = make_url(url).set(host="127.0.0.1", port=outage.port)
        relayed = Database.connect(relayed_url.render_as_string(hide_password=False))
        try:
            yield direct, relayed, outage
        finally:
            await relayed.dispose()
            await direct.dispose()
            with contextlib.suppress(AssertionError):
                await outage.down()


@contextlib.asynccontextmanager
async def writer_cut_off(
    **options: Any,
) -> AsyncIterator[tuple[ContributionWriter, Database, Outage]]:
    """A writer on PostgreSQL behind a relay, with one message written, then the relay cut:
    the writer, a direct connection to read what arrived, and the relay to restore."""
    async with postgres_behind_relay() as (direct, relayed, outage):
        writer = ContributionWriter(relayed, flush_interval=0.05, max_backoff=0.5, **options)
        writer.remember_community(GUILD, "Water CoP")
        writer.start()
        try:
            await writer.put(message(1))
            await writer.flush(timeout=10)  # the pool has a live connection now
            await outage.down()
            yield writer, direct, outage
        finally:
            await writer.stop(timeout=10)


async def until_failed(writer: ContributionWriter, times: int) -> None:
    for _ in range(300):
        if writer.failures >= times:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the writer never noticed the outage")


@pytest.mark.postgres
async def test_postgresql_unreachable_rows_wait_intake_slows_nothing_is_lost() -> None:
    async with writer_cut_off(flush_rows=5, max_buffer=10) as (writer, direct, outage):
        intake = asyncio.create_task(writer.put_many([message(i) for i in range(2, 31)]))
        await until_failed(writer, 2)
        assert not intake.done(), "intake should wait while the buffer is full"
        assert writer.pending == 10  # bounded: full, nothing dropped
        assert await count(direct) == 1
        await outage.up()
        await asyncio.wait_for(intake, 30)
        await writer.flush(timeout=30)
        assert await count(direct) == 30


# --- the register kept in memory ----------------------------------------------------------------


async def attribution_of(
    db: Database, message_id: int
) -> tuple[int | None, str | None, str | None]:
    async with db.session() as session:
        row = await log_queries.get_contribution(session, message_id)
    assert row is not None
    return row.organisation_id, row.stakeholder, row.level


async def test_register_changes_between_two_messages_reach_the_second_one(db: Database) -> None:
    """The writer keeps the register in memory; every change through the register's services
    (organisation joined or left, profile, organisation edited) shows in the next message."""
    joining = register.Register(db)
    registered = organisations.Organisations(db, joining)
    first = await registered.create_organisation(
        GUILD,
        "Water CoP",
        actor_id=BOB,
        name="IRC",
        stakeholder="civil society",
        level="national",
    )
    second = await registered.create_organisation(
        GUILD,
        "Water CoP",
        actor_id=BOB,
        name="Ministry",
        stakeholder="government",
        level="local",
    )
    writer = ContributionWriter(db, flush_interval=60)
    writer.start()
    now = T0 + timedelta(days=30)  # every change below happens before the next message

    async def logged(message_id: int) -> tuple[int | None, str | None, str | None]:
        await writer.put(message(message_id, at=now + timedelta(minutes=message_id)))
        await writer.flush(timeout=10)
        return await attribution_of(db, message_id)

    try:
        assert await logged(1) == (None, None, None)  # not in the register yet: cached so
        await joining.join_organisation(
            GUILD,
            "Water CoP",
            user_id=ALICE,
            display_name="Alice",
            organisation_name="IRC",
            at=now,
        )
        assert await logged(2) == (first.id, "civil society", "national")
        await registered.edit_organisation(GUILD, actor_id=BOB, name="IRC", level="local")
        assert await logged(3) == (first.id, "civil society", "local")
        await profiles.Profiles(db, joining).set_profile(
            GUILD,
            "Water CoP",
            user_id=ALICE,
            display_name="Alice",
            given=profiles.ProfileInput(stakeholder="research"),
            at=now,
        )
        assert await logged(4) == (first.id, "research", "local")
        await joining.join_organisation(
            GUILD,
            "Water CoP",
            user_id=ALICE,
            display_name="Alice",
            organisation_name="Ministry",
            at=now + timedelta(minutes=4, seconds=30),
        )
        assert await logged(5) == (second.id, "research", "local")
        await joining.leave_organisation(
            GUILD, user_id=ALICE, at=now + timedelta(minutes=5, seconds=30)
        )
        assert await logged(6) == (None, "research", None)
        # A message from before the change, arriving late (a backfill): the history decides.
        await writer.put(message(7, at=now + timedelta(minutes=5)))
        await writer.flush(timeout=10)
        assert await attribution_of(db, 7) == (second.id, "research", "local")
    finally:
        await writer.stop()


async def test_the_register_is_read_again_only_when_it_changed(db: Database) -> None:
    writer = ContributionWriter(db, flush_interval=60)
    writer.start()
    try:
        await writer.put_many([message(1), message(2, author=BOB)])
        await writer.flush(timeout=10)
        loads = writer.register.loads
        await writer.put_many([message(3), message(4, author=BOB)])
        await writer.flush(timeout=10)
        assert writer.register.loads == loads  # both people known, nothing changed
        # Another process (a command-line import) changes the register: it bumps the version.
        async with db.transaction() as session:
            member = await ensure_member(session, GUILD, ALICE, "Alice")
            await set_member_details(
                session,
                member.id,
                stakeholder=None,
                level="international",
                country=None,
                expertise=(),
            )
            await log_queries.register_changed(session, GUILD)
        await writer.put(message(5))
        await writer.flush(timeout=10)
        assert writer.register.loads == loads + 1
    finally:
        await writer.stop()
    assert await attribution_of(db, 5) == (None, None, "international")
    assert await attribution_of(db, 3) == (None, None, None)


# --- intake from synchronous receivers --------------------------------------------------------


async def test_added_operations_wait_for_room_in_order_and_none_is_lost(db: Database) -> None:
    writer = ContributionWriter(db, flush_interval=60, flush_rows=1_000, max_buffer=5)
    writer.remember_community(GUILD, "Water CoP")
    for message_id in range(1, 21):
        writer.add(message(message_id))
    writer.add(DeleteContributions([3]))  # queued behind the stores it follows
    writer.add(message(3))  # stored again after its deletion
    assert writer.pending == 5  # bounded: the rest wait in tasks, in the order they came
    writer.start()
    await writer.flush(timeout=10)
    assert writer.pending == 0
    assert await count(db) == 20
    for message_id in range(21, 31):
        writer.add(message(message_id))
    await writer.stop()
    assert await count(db) == 30


async def test_people_who_opted_out_or_were_forgotten_through_another_process_are_not_written(
    db: Database,
) -> None:
    """Two processes hold one shard for a while (an overlapping deploy): one handles the
    opt-out and the forget, the other's writer must still drop those people's events."""
    elsewhere, here = OptOuts(), OptOuts()
    privacy_elsewhere = Privacy(db, elsewhere)
    writer = ContributionWriter(db, optouts=here)
    writer.start()
    try:
        await writer.put_many([message(1), message(2, author=BOB)])
        await writer.flush(timeout=10)
        await privacy_elsewhere.opt_out(GUILD, "CoP", user_id=BOB, display_name="Bob")
        await privacy_elsewhere.forget(GUILD, user_id=ALICE, keep_texts=False)
        assert not here.is_opted_out(GUILD, BOB) and not here.is_opted_out(GUILD, ALICE)
        await writer.put_many([message(3), message(4, author=BOB), reacted(3, user=BOB)])
        await writer.put_many([message(5, author=CAROL)])
        await writer.flush(timeout=10)
    finally:
        await writer.stop()
    async with db.session() as session:
        assert [await log_queries.get_contribution(session, i) for i in (1, 2, 3, 4)] == [None] * 4
        assert await log_queries.get_contribution(session, 5) is not None  # others still are
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 0
    assert here.is_opted_out(GUILD, BOB) and here.is_forgotten(GUILD, ALICE)
