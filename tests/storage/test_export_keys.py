"""A community's export key (the secret of its pseudonyms, issue 14), on SQLite and PostgreSQL:
made on first use, then never changed; one per community; two first uses at once agree."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import text

from bot.communities import Communities
from bot.contributions.optouts import OptOuts
from bot.contributions.privacy import Privacy
from bot.errors import NotFound
from bot.exports.pseudonyms import PERSON, pseudonym
from storage import communities, members
from storage.communities import ensure_community, get_community
from storage.db import Database
from storage.migrations.runner import alembic_config

GUILD = 610_000_000_000_000_001
OTHER_GUILD = 610_000_000_000_000_002
PERSON_ID = 620_000_000_000_000_001


async def community(db: Database, guild_id: int = GUILD, name: str = "Water CoP") -> None:
    async with db.transaction() as session:
        await ensure_community(session, guild_id, name)


async def test_the_key_is_made_on_first_use_and_then_stays(db: Database) -> None:
    await community(db)
    async with db.session() as session:
        row = await get_community(session, GUILD)
        assert row is not None and row.export_key is None  # nothing made before it is needed
    first = await Communities(db).export_key(GUILD)
    assert isinstance(first, bytes) and len(first) == 32
    assert await Communities(db).export_key(GUILD) == first
    # Settings changes and the name following the server's leave it alone.
    await Communities(db).set_timezone(GUILD, "Water & Sanitation CoP", actor_id=7, timezone="UTC")
    assert await Communities(db).export_key(GUILD) == first
    # So pseudonyms made with it are stable across exports.
    key = await Communities(db).export_key(GUILD)
    assert pseudonym(key, PERSON, PERSON_ID) == pseudonym(first, PERSON, PERSON_ID)


async def test_each_community_has_its_own_key(db: Database) -> None:
    await community(db, GUILD, "Water CoP")
    await community(db, OTHER_GUILD, "Health CoP")
    ours = await Communities(db).export_key(GUILD)
    theirs = await Communities(db).export_key(OTHER_GUILD)
    assert ours != theirs
    assert pseudonym(ours, PERSON, PERSON_ID) != pseudonym(theirs, PERSON, PERSON_ID)


async def test_concurrent_first_uses_get_the_same_key(db: Database) -> None:
    await community(db)
    keys = await asyncio.gather(*(Communities(db).export_key(GUILD) for _ in range(5)))
    assert len(set(keys)) == 1
    assert await Communities(db).export_key(GUILD) == keys[0]


async def test_a_second_first_use_waits_for_the_first_and_takes_its_key(db: Database) -> None:
    """Both transactions find no key; the first writes and holds its lock; the second, started
    meanwhile, must end with the first one's key, not write its own over it."""
    await community(db)
    async with db.transaction() as first_session:
        first = await communities.export_key(first_session, GUILD)

        async def second_use() -> bytes:
            async with db.transaction() as second_session:
                return await communities.export_key(second_session, GUILD)

        second = asyncio.create_task(second_use())
        await asyncio.sleep(0.3)  # the second is waiting for the first's lock
        assert not second.done()
    # The first committed as its block ended; the second goes on and finds its key.
    assert await asyncio.wait_for(second, timeout=30) == first
    assert await Communities(db).export_key(GUILD) == first


async def test_forgetting_a_person_leaves_the_key_alone(db: Database) -> None:
    await community(db)
    async with db.transaction() as session:
        await members.ensure_member(session, GUILD, PERSON_ID, "Ama Mensah")
    key = await Communities(db).export_key(GUILD)
    await Privacy(db, OptOuts()).forget(GUILD, user_id=PERSON_ID, keep_texts=False)
    async with db.session() as session:
        assert await members.get_member(session, GUILD, PERSON_ID) is None  # forgotten indeed
    assert await Communities(db).export_key(GUILD) == key


async def test_an_unknown_server_is_refused_and_not_created(db: Database) -> None:
    with pytest.raises(NotFound, match=str(GUILD)):
        await Communities(db).export_key(GUILD)
    async with db.session() as session:
        assert await get_community(session, GUILD) is None


async def test_the_migration_gives_existing_rows_no_key_and_no_consent(db: Database) -> None:
    """0009 on a database with data: communities get their key on first use like new ones, and
    nobody already registered is named in exports without choosing it."""
    await asyncio.to_thread(command.downgrade, alembic_config(db.url), "0008")
    async with db.transaction() as session:
        now = {"now": datetime(2026, 1, 1)}
        await session.execute(
            text(
                "INSERT INTO community (id, name, timezone, rolesync, rolesync_organisations,"
                " created_at, updated_at) VALUES (1, 'Existing CoP', 'UTC', false, false,"
                " :now, :now)"
            ),
            now,
        )
        await session.execute(
            text(
                "INSERT INTO member (community_id, user_id, display_name, expertise, created_at,"
                " updated_at) VALUES (1, 42, 'Ama', '[]', :now, :now)"
            ),
            now,
        )
    await db.migrate()
    async with db.session() as session:
        member = await members.get_member(session, 1, 42)
        row = await get_community(session, 1)
    assert member is not None and member.name_visible is False
    assert row is not None and row.export_key is None
    assert len(await Communities(db).export_key(1)) == 32
