"""Models and migrations must describe the same schema, on both databases."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.communities import get_community
from storage.db import Database
from storage.exports.contributions import count_contributions
from storage.migrations.runner import alembic_config
from storage.models import metadata
from tests.databases import postgres_url
from tests.e2e.processes import ROOT


async def schema_differences(db: Database) -> list[object]:
    def compare(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with db.engine.connect() as connection:
        return await connection.run_sync(compare)


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_models_and_migrations_do_not_drift(db: Database) -> None:
    assert await schema_differences(db) == []


async def test_every_model_table_is_created_by_migrations(db: Database) -> None:
    assert set(metadata.tables) <= await table_names(db)


async def test_migrating_twice_changes_nothing(db: Database) -> None:
    await db.migrate()
    assert await schema_differences(db) == []


async def test_downgrade_to_base_and_back(db: Database) -> None:
    config = alembic_config(db.url)
    await asyncio.to_thread(command.downgrade, config, "base")
    assert await table_names(db) <= {"alembic_version"}
    await db.migrate()
    assert await schema_differences(db) == []


async def test_upgrades_keep_existing_rows(db: Database) -> None:
    """Each migration must work on a database that already holds data, not only on an empty one."""
    config = alembic_config(db.url)
    await asyncio.to_thread(command.downgrade, config, "0001")
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO community (id, name, timezone, created_at, updated_at) "
                "VALUES (1, 'Existing CoP', 'UTC', :now, :now)"
            ),
            {"now": datetime(2026, 1, 1)},
        )
    await db.migrate()
    async with db.session() as session:
        community = await get_community(session, 1)
    assert community is not None and community.name == "Existing CoP"
    assert community.rolesync is False


async def test_cafes_keep_the_table_count_asked_for_when_not_started(db: Database) -> None:
    """0006: a café not started yet still holds the count asked for; a started one, the count
    it used, which is no request."""
    config = alembic_config(db.url)
    await asyncio.to_thread(command.downgrade, config, "0005")
    now = datetime(2026, 1, 1)
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO community (id, name, timezone, created_at, updated_at) "
                "VALUES (1, 'Existing CoP', 'UTC', :now, :now)"
            ),
            {"now": now},
        )
        for cafe_id, tables, current_round in ((1, 3, 0), (2, 4, 2), (3, None, 0)):
            await session.execute(
                text(
                    "INSERT INTO cafe (id, community_id, title, questions, rounds, round_minutes,"
                    " tables, thread_type, channel_id, warning_minutes, seed, state,"
                    " current_round, harvest_posted, created_at, updated_at) VALUES (:id, 1,"
                    " 'Café', '[\"Why?\"]', 3, 20, :tables, 'public', 5, 2, 0, 'open', :round,"
                    " false, :now, :now)"
                ),
                {"id": cafe_id, "tables": tables, "round": current_round, "now": now},
            )
    await db.migrate()
    async with db.session() as session:
        rows = (await session.execute(text("SELECT id, tables_asked FROM cafe ORDER BY id"))).all()
    assert [tuple(row) for row in rows] == [(1, 3), (2, None), (3, None)]


async def test_whole_second_contribution_times_are_rewritten_on_sqlite(
    db: Database, backend: str
) -> None:
    """0010: the SQLite log's whole-second times, once stored without ".000000", read back in
    a period that starts at that very moment."""
    config = alembic_config(db.url)
    await asyncio.to_thread(command.downgrade, config, "0009")
    stored = "'2026-01-01 09:00:00'" if backend == "sqlite" else "'2026-01-01 09:00:00+00'"
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO community (id, name, timezone, created_at, updated_at) "
                "VALUES (1, 'Existing CoP', 'UTC', :now, :now)"
            ),
            {"now": datetime(2026, 1, 1)},
        )
        await session.execute(
            text(
                "INSERT INTO contribution (message_id, community_id, channel_id, author_id,"
                " created_at, is_reply, is_answer, is_question, is_resource, is_thread_start,"
                " characters, words, links, attachments, mentions, logged_at) VALUES"
                f" (7, 1, 5, 6, {stored}, false, false, false, false, false, 1, 1, 0, 0, 0,"
                f" {stored})"
            )
        )
    await db.migrate()
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    async with db.session() as session:
        counted = await count_contributions(session, 1, start, start + timedelta(seconds=1))
    assert counted == 1


@pytest.mark.postgres
async def test_processes_starting_together_migrate_one_after_the_other() -> None:
    """Three processes of one deployment start at once on an empty PostgreSQL database: the
    advisory lock makes one migrate and the others find the schema at head (without it, two
    create the same tables and one start-up fails)."""
    async with postgres_url() as url:
        script = (
            "import sys; from storage.migrations.runner import upgrade_to_head; "
            "upgrade_to_head(sys.argv[1])"
        )
        runs = [
            asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                script,
                url,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            for _ in range(3)
        ]
        processes = await asyncio.gather(*runs)
        outputs = await asyncio.gather(*(p.communicate() for p in processes))
        for process, (output, _) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, output.decode(errors="replace")
        db = Database.connect(url)
        try:
            assert await schema_differences(db) == []
        finally:
            await db.dispose()
