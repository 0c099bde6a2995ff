"""The contribution log's queries on SQLite and PostgreSQL: idempotent, edits, deletions."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import timedelta

import pytest

from bot.contributions.service import ContributionLog, Place, Tracking
from bot.contributions.values import (
    ATTRIBUTION_COLUMNS,
    Attribution,
    ContributionEdit,
    ContributionRow,
    ReactionRow,
    TrackedTarget,
)
from bot.errors import NotFound
from storage import contributions as log_queries
from storage.audit import recent_audit
from storage.communities import ensure_community
from storage.db import Database
from storage.models import Contribution, Reaction
from storage.types import table_of
from tests.storage.helpers import ALICE, BOB, CHANNEL, GUILD, T0, THREAD, contribution, reaction


def test_a_contribution_row_is_every_column_but_what_the_writer_fills_in() -> None:
    """A column added to the table must be described by the listeners (a ContributionRow field)
    or filled in by the writer (ATTRIBUTION_COLUMNS): it cannot be forgotten."""
    described = [field.name for field in fields(ContributionRow)]
    columns = {column.name for column in table_of(Contribution).columns}
    assert not set(described) & set(ATTRIBUTION_COLUMNS)
    assert set(described) | set(ATTRIBUTION_COLUMNS) == columns
    assert sorted(log_queries.CONTRIBUTION_COLUMNS) == sorted(columns)


def test_a_reaction_row_is_every_column_but_its_id_and_attribution() -> None:
    described = {field.name for field in fields(ReactionRow)}
    columns = {column.name for column in table_of(Reaction).columns}
    assert described | {"id", *Attribution._fields} == columns
    assert not described & {"id", *Attribution._fields}


async def _community(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Water CoP")


async def test_storing_twice_keeps_one_row_and_the_first_version(db: Database) -> None:
    await _community(db)
    async with db.transaction() as session:
        await log_queries.store_contributions(session, [contribution(1), contribution(2)])
    async with db.transaction() as session:  # a RESUME replay, a backfill
        await log_queries.store_contributions(
            session, [contribution(1, characters=99), contribution(3)]
        )
    async with db.session() as session:
        assert await log_queries.count_contributions(session, GUILD) == 3
        first = await log_queries.get_contribution(session, 1)
        assert first is not None and first.characters == 5


async def test_edit_updates_counts_kinds_and_edited_at(db: Database) -> None:
    await _community(db)
    async with db.transaction() as session:
        await log_queries.store_contributions(session, [contribution(1)])
    edited = T0 + timedelta(minutes=5)
    async with db.transaction() as session:
        await log_queries.update_contribution(
            session, edit(1, characters=40, links=1, is_resource=True, edited_at=edited)
        )
        await log_queries.update_contribution(session, edit(404, characters=1))  # unknown: no-op
    async with db.session() as session:
        row = await log_queries.get_contribution(session, 1)
        assert row is not None and row.characters == 40 and row.is_resource
        assert row.edited_at == edited
    async with db.transaction() as session:  # a link preview: an update that is no edit
        await log_queries.update_contribution(session, edit(1, characters=41))
    async with db.session() as session:
        row = await log_queries.get_contribution(session, 1)
        assert row is not None and row.characters == 41 and not row.is_resource
        assert row.edited_at == edited  # kept


def edit(message_id: int, **changed: object) -> ContributionEdit:
    unchanged: dict[str, object] = {
        "is_reply": False,
        "is_answer": False,
        "is_question": False,
        "is_resource": False,
        "reply_to_author_id": None,
        "reply_to_message_id": None,
        "characters": 5,
        "words": 1,
        "links": 0,
        "attachments": 0,
        "mentions": 0,
    }
    return ContributionEdit(message_id=message_id, **{**unchanged, **changed})


async def test_delete_and_bulk_delete_take_the_reactions_along(db: Database) -> None:
    await _community(db)
    async with db.transaction() as session:
        await log_queries.store_contributions(session, [contribution(i) for i in (1, 2, 3, 4)])
        await log_queries.store_reactions(
            session, [reaction(1), reaction(2), reaction(2, emoji="🎉"), reaction(4)]
        )
        await log_queries.store_reactions(session, [reaction(2)])  # replayed: still one
    async with db.session() as session:
        counts = await log_queries.contributions_by_kind(session, GUILD, BOB)
        assert counts["reactions"] == 4  # the replay added none
    async with db.transaction() as session:
        await log_queries.delete_contributions(session, [1])
        await log_queries.delete_contributions(session, [2, 3, 999])
    async with db.session() as session:
        assert await log_queries.count_contributions(session, GUILD) == 1
        assert await log_queries.get_contribution(session, 4) is not None
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 1
    async with db.transaction() as session:
        await log_queries.delete_reaction(session, 4, BOB, "👍")
        await log_queries.delete_reaction(session, 4, BOB, "👍")  # twice: no error
    async with db.session() as session:
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 0


async def test_reaction_counts_are_per_reactor(db: Database) -> None:
    await _community(db)
    async with db.transaction() as session:
        await log_queries.store_contributions(session, [contribution(1), contribution(2)])
        await log_queries.store_reactions(session, [reaction(1), reaction(2), reaction(2)])
    async with db.session() as session:
        # contributions_by_kind counts the reactions a person gave
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 2


async def test_thread_start_newest_ids_and_tracked_channels(db: Database) -> None:
    await _community(db)
    async with db.transaction() as session:
        await log_queries.store_contributions(
            session,
            [
                contribution(10),
                contribution(12),
                contribution(11, channel_id=THREAD, parent_channel_id=CHANNEL),
            ],
        )
        await log_queries.mark_thread_start(session, 10, BOB)  # not Bob's message: no-op
        await log_queries.mark_thread_start(session, 12, ALICE)
        await log_queries.add_tracked_channel(
            session, GUILD, CHANNEL, is_category=False, added_by=1
        )
    async with db.session() as session:
        ten = await log_queries.get_contribution(session, 10)
        twelve = await log_queries.get_contribution(session, 12)
        assert ten is not None and not ten.is_thread_start
        assert twelve is not None and twelve.is_thread_start
        assert await log_queries.newest_message_ids_by_channel(session) == {
            CHANNEL: 12,
            THREAD: 11,
        }
        assert (await log_queries.newest_message_ids_by_channel(session))[THREAD] == 11
        tracked = await log_queries.tracked_channels_by_community(session)
        assert [row.channel_id for row in tracked[GUILD]] == [CHANNEL]


async def test_a_large_batch_is_stored_once_with_attributions_and_defaults(db: Database) -> None:
    """Batches from COPY_FROM_ROWS on take PostgreSQL's COPY path: same result as the INSERT."""
    await _community(db)
    size = log_queries.COPY_FROM_ROWS * 2
    rows = [contribution(i) for i in range(1, size + 1)]
    async with db.transaction() as session:
        await log_queries.store_contributions(session, rows[: size // 2])
    logged_at = T0 + timedelta(hours=1)
    research = Attribution(None, "research", "local")
    async with db.transaction() as session:  # overlaps the first half: those are kept as they were
        await log_queries.store_contributions(
            session,
            [replace(row, characters=99) for row in rows],
            attributions=[research] * size,
            logged_at=logged_at,
        )
        await log_queries.store_contributions(session, rows)  # twice in one transaction
    async with db.session() as session:
        assert await log_queries.count_contributions(session, GUILD) == size
        kept = await log_queries.get_contribution(session, 1)
        added = await log_queries.get_contribution(session, size)
    assert kept is not None and kept.characters == 5 and kept.stakeholder is None
    assert kept.logged_at.tzinfo is not None  # without a logged_at: now
    assert added is not None and added.characters == 99
    assert (added.organisation_id, added.stakeholder, added.level) == research
    assert added.logged_at == logged_at


async def test_a_large_batch_rolled_back_leaves_nothing(db: Database) -> None:
    await _community(db)
    rows = [contribution(i) for i in range(1, log_queries.COPY_FROM_ROWS + 10)]
    async with db.session() as session:
        await log_queries.store_contributions(session, rows)
        await session.rollback()
    async with db.session() as session:
        assert await log_queries.count_contributions(session, GUILD) == 0


async def test_reactions_cleared_in_bulk_all_or_one_emoji(db: Database) -> None:
    await _community(db)
    carol = 920_000_000_000_000_003
    async with db.transaction() as session:
        await log_queries.store_contributions(session, [contribution(1), contribution(2)])
        await log_queries.store_reactions(
            session,
            [
                reaction(1),
                reaction(1, carol),
                reaction(1, emoji="🎉"),
                reaction(1, carol, "💧"),
                reaction(2),
            ],
        )
    async with db.transaction() as session:
        await log_queries.clear_reactions(session, 1, "👍")
    async with db.session() as session:
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 2
        assert (await log_queries.contributions_by_kind(session, GUILD, carol))["reactions"] == 1
    async with db.transaction() as session:
        await log_queries.clear_reactions(session, 1)
        await log_queries.clear_reactions(session, 1)  # twice: no error
    async with db.session() as session:
        assert (await log_queries.contributions_by_kind(session, GUILD, BOB))["reactions"] == 1
        assert (await log_queries.contributions_by_kind(session, GUILD, carol))["reactions"] == 0
        assert await log_queries.count_contributions(session, GUILD) == 2  # messages stay


async def test_tracking_through_the_log_service_keeps_memory_in_step(db: Database) -> None:
    """/settings track goes through ContributionLog: the database, the audit trail and the
    in-memory Tracking the listeners ask all change together."""
    tracking = Tracking()
    log = ContributionLog(db, tracking)
    other = CHANNEL + 1
    assert tracking.is_tracked(GUILD, Place(other))  # nothing tracked: every channel
    added, targets = await log.track(
        GUILD, "Water CoP", actor_id=ALICE, channel_id=CHANNEL, is_category=False
    )
    assert added and targets == [TrackedTarget(CHANNEL, is_category=False)]
    assert tracking.is_tracked(GUILD, Place(CHANNEL))
    assert not tracking.is_tracked(GUILD, Place(other))
    again, _ = await log.track(
        GUILD, "Water CoP", actor_id=ALICE, channel_id=CHANNEL, is_category=False
    )
    assert not again
    assert await log.untrack(GUILD, actor_id=ALICE, channel_id=CHANNEL, label="#general") == []
    assert tracking.is_tracked(GUILD, Place(other))
    with pytest.raises(NotFound):
        await log.untrack(GUILD, actor_id=ALICE, channel_id=CHANNEL, label="#general")
    restarted = Tracking()
    await ContributionLog(db, restarted).load_tracking()
    assert restarted.is_tracked(GUILD, Place(other))
    async with db.session() as session:
        actions = [event.action for event in await recent_audit(session, GUILD)]
    assert actions == ["settings.track.remove", "settings.track.add"]  # one add: the first
