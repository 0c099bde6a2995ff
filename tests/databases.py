"""Test databases: a fresh SQLite file, or a fresh PostgreSQL database created and dropped."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from storage.db import Database

POSTGRES_ADMIN_DSN = os.environ.get(
    "COPBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _admin_connection() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}: {error}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message + " (set CI=true to make this a failure)")


@asynccontextmanager
async def postgres_url() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"copbot_test_{uuid.uuid4().hex[:12]}"
    admin = await _admin_connection()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    host_part = POSTGRES_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{host_part}/{name}"
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
    if kind == "sqlite":
        yield sqlite_url(directory)
    elif kind == "postgresql":
        async with postgres_url() as url:
            yield url
    else:
        raise ValueError(kind)


@asynccontextmanager
async def migrated_database(kind: str, directory: Path) -> AsyncIterator[Database]:
    async with database_url(kind, directory) as url:
        db = Database.connect(url)
        try:
            await db.migrate()
            yield db
        finally:
            await db.dispose()
