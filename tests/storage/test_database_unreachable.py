"""Which errors mean "the database cannot be reached right now" (told to the user as such) and
which are bugs (an apology with an error id)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import app_state
from storage.db import Database, database_unreachable
from tests.databases import database_url
from tests.storage.helpers import Outage


async def test_a_sqlite_file_that_cannot_be_opened_is_unreachable(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-file.sqlite3"
    folder.mkdir()  # a directory where the database file should be
    db = Database.connect(f"sqlite+aiosqlite:///{folder}")
    threads_before = set(threading.enumerate())
    try:
        with pytest.raises(Exception) as caught:
            async with db.session() as session:
                await app_state.get_state(session, "anything")
        assert database_unreachable(caught.value)
    finally:
        await db.dispose()
        # aiosqlite's thread for the connection that failed to open stops on its own, and hands
        # its last answer to this test's event loop: wait for it, or it meets a closed loop.
        for thread in set(threading.enumerate()) - threads_before:
            await asyncio.to_thread(thread.join, 5)


async def test_a_bug_is_not_an_outage(db: Database) -> None:
    with pytest.raises(Exception) as caught:
        async with db.session() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    assert not database_unreachable(caught.value)
    assert not database_unreachable(RuntimeError("boom"))
    assert not database_unreachable(ConnectionRefusedError("Discord, not the database"))


@pytest.mark.postgres
async def test_a_statement_over_the_timeout_is_stopped_and_the_pool_is_sized(
    tmp_path: Path,
) -> None:
    async with database_url("postgresql", tmp_path) as url:
        db = Database.connect(url, pool_size=3, statement_timeout=0.2)
        try:
            assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
            async with db.session() as session:
                with pytest.raises(DBAPIError, match="statement timeout"):
                    await session.execute(text("SELECT pg_sleep(2)"))
            async with db.session() as session:  # the next statement runs as usual
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        finally:
            await db.dispose()


@pytest.mark.postgres
async def test_a_server_that_falls_silent_is_unreachable_soon_after_the_statement_timeout(
    tmp_path: Path,
) -> None:
    """Behind a dead router no refusal and no reset ever comes: the statement is given up a
    little after the statement timeout, and counted as "cannot reach", not as a bug."""
    async with database_url("postgresql", tmp_path) as url:
        outage = Outage()
        await outage.up()
        db = Database.connect(outage.url_through(url), statement_timeout=1)
        try:
            async with db.session() as session:
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
            outage.fall_silent()
            started = time.monotonic()
            with pytest.raises(Exception) as caught:
                async with asyncio.timeout(30):  # without a client-side limit: forever
                    async with db.session() as session:
                        await session.execute(text("SELECT 1"))
            assert database_unreachable(caught.value), caught.value
            waited = time.monotonic() - started
            print(f"given up after {waited:.1f} s (statement timeout 1 s)")
            outage.flow()
            async with db.session() as session:  # back as soon as bytes flow again
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        finally:
            outage.flow()
            await db.dispose()
            await outage.close()
