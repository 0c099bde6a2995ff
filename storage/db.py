"""The async engine and the one session factory, for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Two things the rest of the bot asks of this module besides sessions:

- **Is the database out of reach?** :func:`database_unreachable` recognises the errors of a
  database that cannot be reached (refused or dropped connections, a server shutting down, a
  SQLite file that is locked or cannot be opened) as opposed to a bug (bad SQL, a broken
  constraint). A failed connection attempt surfaces as :class:`DatabaseUnreachable`, so that it
  is not mistaken for some other network error (Discord's, say).
- **Did this interaction change anything?** :func:`track_changes` starts a record in the current
  context (the error handler in ``cogs/_ui/tree.py`` starts one per interaction); every commit that
  wrote something, through :meth:`Database.session` or :meth:`Database.transaction`, marks it.
  The error handler then says "Nothing was changed" only when nothing was.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session

import storage.models  # noqa: F401  (registers every table on the metadata)
from storage.sqlite_files import ensure_sqlite_directory

log = logging.getLogger(__name__)
T = TypeVar("T")

# --- what the current interaction changed -------------------------------------------------------


@dataclass
class Changes:
    """Where the work of one interaction made changes so far: "database", "discord"."""

    places: set[str] = field(default_factory=set)

    @property
    def any(self) -> bool:
        return bool(self.places)


# One record per interaction. A ContextVar rather than a global: interactions run concurrently,
# each in its own task (discord.py starts one per interaction), and a task's context is its own.
# The record is a mutable object, so tasks the handler starts mark the same one.
_changes: ContextVar[Changes | None] = ContextVar("copbot_changes", default=None)


def track_changes() -> Changes:
    """Start a fresh record for the work done from here on in this context (one interaction)."""
    record = Changes()
    _changes.set(record)
    return record


def tracked_changes() -> Changes | None:
    """The current record; None when nobody started one (then nothing is known)."""
    return _changes.get()


def note_change(place: str) -> None:
    record = _changes.get()
    if record is not None:
        record.places.add(place)


@contextmanager
def bookkeeping() -> Iterator[None]:
    """What is written in this block is the bot's own bookkeeping (a claim, a lease), not a
    change the person's interaction made: it marks no record."""
    token = _changes.set(None)
    try:
        yield
    finally:
        _changes.reset(token)


# A session notes in its ``info`` whether its transaction wrote something, and whether a commit
# made such writes permanent. Reads, and commits of transactions that only read, mark nothing.
_WROTE = "copbot.wrote"
_COMMITTED_WRITES = "copbot.committed_writes"


class _WriteAwareSession(Session):
    pass


@event.listens_for(_WriteAwareSession, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(_WriteAwareSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:  # insert, update, delete, or text we cannot tell: counted as writes
        state.session.info[_WROTE] = True


@event.listens_for(_WriteAwareSession, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        session.info[_COMMITTED_WRITES] = True


@event.listens_for(_WriteAwareSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)


def _note_committed_writes(session: AsyncSession) -> None:
    # Called in the caller's task (the events above run where SQLAlchemy runs them).
    if session.sync_session.info.pop(_COMMITTED_WRITES, False):
        note_change("database")


# --- a database out of reach --------------------------------------------------------------------


class DatabaseUnreachable(ConnectionError):
    """A connection to the database could not be made (refused, timed out, host unknown), or
    the server stopped answering."""


CONNECT_WITHIN = 10.0
"""PostgreSQL: seconds to wait for a new connection (asyncpg's own default is 60)."""
SILENT_SERVER_GRACE = 5.0
"""PostgreSQL: seconds past the statement timeout after which a statement without an answer is
given up (the server stops it at the timeout: silence after that means it is out of reach)."""


def _connect_or_unreachable(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    try:
        return dialect.connect(*cargs, **cparams)
    except (OSError, TimeoutError) as error:
        raise DatabaseUnreachable(f"cannot connect to the database: {error}") from error


# SQLite's words for a file another process holds, or one that cannot be opened or read now.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "unable to open database file",
    "disk i/o error",
)


def _asyncpg_unreachable(error: BaseException) -> bool:
    try:
        from asyncpg import exceptions as pg
    except ImportError:  # pragma: no cover  (asyncpg is a dependency)
        return False
    if isinstance(error, pg.QueryCanceledError):
        return False  # a statement timeout: the server answered
    return isinstance(
        error,
        pg.ConnectionDoesNotExistError  # the connection dropped mid-query
        | pg.PostgresConnectionError  # SQLSTATE class 08
        | pg.OperatorInterventionError  # 57: shutting down, cannot connect now
        | pg.TooManyConnectionsError,
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        link = pending.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        pending += [
            getattr(link, "original", None),  # discord.py's CommandInvokeError
            getattr(link, "orig", None),  # SQLAlchemy's DBAPIError
            link.__cause__,
            link.__context__,
        ]


def database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) means the database cannot be reached right now.

    Bugs are not: bad SQL, a broken constraint, a missing table all say False.
    """
    for link in _causes(error):
        if isinstance(link, DatabaseUnreachable | sa_exc.TimeoutError):
            return True  # no connection could be made, or none came free from the pool
        if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
            return True  # SQLAlchemy saw the connection die
        if isinstance(link, sqlite3.OperationalError) and any(
            words in str(link).lower() for words in _SQLITE_UNAVAILABLE
        ):
            return True
        if _asyncpg_unreachable(link):
            return True
    return False


@contextmanager
def _silence_is_unreachable() -> Iterator[None]:
    """asyncpg's command timeout ends a statement with a bare TimeoutError: inside a session
    that is the server's silence (a caller's own deadline arrives as a cancellation here)."""
    try:
        yield
    except TimeoutError as error:
        raise DatabaseUnreachable("the database did not answer in time") from error


async def until_reachable(
    read: Callable[[], Awaitable[T]], *, first: float = 1.0, most: float = 30.0
) -> T:
    """``read()``, again and again (waiting ``first`` seconds, doubling up to ``most``) while
    the database is out of reach: for background work that must not give up."""
    pause = first
    while True:
        try:
            return await read()
        except Exception as error:
            if not database_unreachable(error):
                raise
            log.info("waiting %.0f s for the database: %s", pause, type(error).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, most)


class Database:
    """Owns the engine; hands out sessions. Build one per process with :meth:`connect`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=_WriteAwareSession
        )

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        pool_size: int | None = None,
        statement_timeout: float | None = None,
        **engine_options: Any,
    ) -> Database:
        """``pool_size`` and ``statement_timeout`` (seconds) are PostgreSQL's: a pool of that
        many connections (and as many more while busy), and the server stops a statement of
        ours that runs longer. SQLite has one file and waits up to 30 s for its lock."""
        if make_url(url).get_backend_name() == "sqlite":
            ensure_sqlite_directory(url)
            engine = create_async_engine(url, connect_args={"timeout": 30}, **engine_options)
            event.listen(engine.sync_engine, "connect", _configure_sqlite)
        else:
            if pool_size is not None:
                engine_options.update(pool_size=pool_size, max_overflow=pool_size)
            # A server that stops answering (no refusal, no reset) must not hold a command
            # forever: a connection is given up after CONNECT_WITHIN, a statement a little after
            # the server itself would have stopped it.
            connect_args: dict[str, Any] = {"timeout": CONNECT_WITHIN}
            if statement_timeout is not None:
                milliseconds = str(int(statement_timeout * 1000))
                connect_args["server_settings"] = {"statement_timeout": milliseconds}
                connect_args["command_timeout"] = statement_timeout + SILENT_SERVER_GRACE
            engine_options["connect_args"] = connect_args
            engine = create_async_engine(url, pool_pre_ping=True, **engine_options)
        event.listen(engine.sync_engine, "do_connect", _connect_or_unreachable)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session; commit inside the block, anything not committed is rolled back."""
        with _silence_is_unreachable():
            async with self._sessions() as session:
                try:
                    yield session
                finally:
                    _note_committed_writes(session)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits when the block ends without error."""
        with _silence_is_unreachable():
            async with self._sessions() as session:
                try:
                    async with session.begin():
                        yield session
                finally:
                    _note_committed_writes(session)

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (Alembic), in a worker thread."""
        from storage.migrations.runner import upgrade_to_head

        await asyncio.to_thread(upgrade_to_head, self.url)

    async def schema_revision(self) -> str | None:
        """The schema revision Alembic recorded in the database; None when it recorded none."""
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as connection:
            revision = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
        return None if revision is None else str(revision)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while the writer writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
