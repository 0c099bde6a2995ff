"""Which errors mean "the database cannot be reached right now" (told to the user as such) and
which are bugs (an apology with an error id)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import app_state
from storage.db import Database, database_unreachable


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
