"""Test databases: a fresh SQLite file, or a fresh PostgreSQL database created and dropped.

Migrating a database takes longer than most tests, so a test that wants one at the newest
migration gets a copy of one migrated once per test run: a copied SQLite file, or a PostgreSQL
database created from a template database. (tests/storage/test_migrations.py still migrates
empty databases step by step.)
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from storage.db import Database

POSTGRES_ADMIN_DSN = os.environ.get(
    "COPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# Set for each test by tests/conftest.py: whether it is marked `postgres` (None outside tests).
postgres_allowed: bool | None = None


async def _admin_connection() -> asyncpg.Connection:
    if postgres_allowed is False:
        pytest.fail(
            "this test uses PostgreSQL but is not marked: add @pytest.mark.postgres (or use the"
            " `backend` fixture) so that `-m 'not postgres'` runs without a server",
            pytrace=False,
        )
    try:
        return await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}: {error}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message + " (set CI=true to make this a failure)")


def _url_of(name: str) -> str:
    host_part = POSTGRES_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{host_part}/{name}"


_postgres_template: str | None = None


async def _migrated_postgres_template() -> str:
    """A database at the newest migration, made once per test run, dropped at exit."""
    global _postgres_template
    if _postgres_template is None:  # tests run one at a time: no race to make it twice
        name = f"copbot_template_{uuid.uuid4().hex[:12]}"
        admin = await _admin_connection()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        db = Database.connect(_url_of(name))
        try:
            await db.migrate()
        finally:
            await db.dispose()  # a template must have no open connections
        atexit.register(_drop_database_at_exit, name)
        _postgres_template = name
    return _postgres_template


def _drop_database_at_exit(name: str) -> None:
    async def drop() -> None:
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    with contextlib.suppress(OSError, asyncpg.PostgresError):  # the server went first
        asyncio.run(drop())


@asynccontextmanager
async def postgres_url(*, migrated: bool = False) -> AsyncIterator[str]:
    """A new PostgreSQL database for one test, empty or at the newest migration; dropped
    afterwards."""
    name = f"copbot_test_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{await _migrated_postgres_template()}"' if migrated else ""
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{template}')
    finally:
        await admin.close()
    try:
        yield _url_of(name)
    finally:
        admin = await _admin_connection()
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'copbot-test.sqlite3'}"


@asynccontextmanager
async def database_url(kind: str, directory: Path) -> AsyncIterator[str]:
    """An empty database of either kind (for what migrates it itself, such as the CLI)."""
    if kind == "sqlite":
        yield sqlite_url(directory)
    elif kind == "postgresql":
        async with postgres_url() as url:
            yield url
    else:
        raise ValueError(kind)


_sqlite_template: Path | None = None


def migrated_sqlite_url(directory: Path) -> str:
    """A SQLite file at the newest migration in ``directory``: a copy of one migrated once."""
    global _sqlite_template
    if _sqlite_template is None:
        from storage.migrations.runner import upgrade_to_head

        folder = Path(tempfile.mkdtemp(prefix="copbot-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "template.sqlite3"
        # Alembic runs an event loop of its own: in a thread, as Database.migrate does.
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(upgrade_to_head, f"sqlite+aiosqlite:///{template}").result()
        _sqlite_template = template
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template, directory / "copbot-test.sqlite3")
    return sqlite_url(directory)


@asynccontextmanager
async def migrated_database(kind: str, directory: Path) -> AsyncIterator[Database]:
    """A database at the newest migration, on SQLite or PostgreSQL."""
    if kind == "sqlite":
        url_context = _just(migrated_sqlite_url(directory))
    elif kind == "postgresql":
        url_context = postgres_url(migrated=True)
    else:
        raise ValueError(kind)
    async with url_context as url:
        db = Database.connect(url)
        try:
            yield db
        finally:
            await db.dispose()


@asynccontextmanager
async def _just(url: str) -> AsyncIterator[str]:
    yield url
