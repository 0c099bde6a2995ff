"""SQLite database files for ``copbot backup`` and ``copbot restore``: a consistent copy of a
database in use (SQLite's online backup API through the ``sqlite3`` module), a file's schema
revision (its ``alembic_version`` row) and its row counts.

These work on files with blocking ``sqlite3`` calls, not through the async engine: the backup API
is not reachable through aiosqlite, and the command line has nothing else to do meanwhile.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from storage.migrations.runner import alembic_config

# How many pages each backup step copies (4 MiB at SQLite's default page size): the copy gives
# the interpreter back between steps, and a huge database is not read in one go.
PAGES_PER_STEP = 1024
# What the first 16 bytes of every SQLite 3 database file are.
SQLITE_HEADER = b"SQLite format 3\x00"
# A copbot database has these tables from its first migration on.
COPBOT_TABLES = frozenset({"alembic_version", "community"})


class NotACopbotDatabase(Exception):
    """The file is not an SQLite database, or not one copbot made; ``str()`` says which."""


def sqlite_file(database_url: str) -> Path:
    """The database file of an ``sqlite+aiosqlite:///`` URL, as given (relative or not)."""
    return Path(make_url(database_url).database or "")


def is_sqlite_url(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


@contextlib.contextmanager
def _open(path: Path) -> Iterator[sqlite3.Connection]:
    # Autocommit (isolation_level None): transactions are begun here by hand, where wanted.
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def copy_database(
    source: Path, target: Path, *, after_step: Callable[[int, int], object] | None = None
) -> None:
    """Copy the database at ``source`` to the new file ``target`` while others may write to it.

    The copy is the database as it was at one moment: a read transaction is opened on the source
    first, and every step of the backup reads that same snapshot. In WAL mode (copbot's) a reader
    never blocks a writer, so the bot goes on writing; without the snapshot, each write by the
    bot between two steps would restart the copy from the first page, possibly for ever.
    The copy is left in rollback-journal mode: one self-contained file, with no -wal beside it.
    ``after_step(pages_remaining, pages_in_all)`` is called after each step (tests write there).
    """
    with _open(source) as reader, _open(target) as writer:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the snapshot
        try:
            progress = None if after_step is None else _step_reporter(after_step)
            reader.backup(writer, pages=PAGES_PER_STEP, progress=progress)
        finally:
            reader.execute("COMMIT")
        writer.execute("PRAGMA journal_mode=DELETE").fetchone()


def _step_reporter(after_step: Callable[[int, int], object]) -> Callable[[int, int, int], None]:
    def report(_status: int, remaining: int, total: int) -> None:
        after_step(remaining, total)

    return report


def replace_database(backup: Path, current: Path) -> None:
    """Write the database at ``backup`` over the one at ``current``, in one transaction.

    Through the backup API rather than by copying the file: a -wal file left beside ``current``
    would otherwise be replayed onto the copied file and corrupt it; this way SQLite itself
    writes the pages, and a failure part-way changes nothing.
    """
    with _open(backup) as reader, _open(current) as writer:
        reader.backup(writer)


def check_copbot_database(path: Path) -> str:
    """The schema revision of the copbot database at ``path`` (e.g. ``"0012"``).

    Raises :class:`NotACopbotDatabase` for a file that is not SQLite, is damaged, or lacks
    copbot's tables. Only reads.
    """
    try:
        with open(path, "rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise NotACopbotDatabase(f"cannot read {path}: {error.strerror or error}") from None
    if header != SQLITE_HEADER:
        raise NotACopbotDatabase(f"{path} is not an SQLite database")
    try:
        # Read-only: looking at a file must not change it (nor create one).
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise NotACopbotDatabase(f"{path} is damaged (SQLite's quick check failed)")
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
            if not COPBOT_TABLES.issubset(tables):
                raise NotACopbotDatabase(f"{path} is an SQLite database, but not copbot's")
            revisions = [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as error:
        raise NotACopbotDatabase(f"{path} cannot be read as a database: {error}") from None
    if len(revisions) != 1:
        raise NotACopbotDatabase(f"{path} has no single schema revision ({len(revisions)} found)")
    return str(revisions[0])


def row_counts(path: Path) -> dict[str, int]:
    """The number of rows in each table of the database at ``path`` (Alembic's own left out)."""
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if name != "alembic_version" and not name.startswith("sqlite_")
        ]
        counts: dict[str, int] = {}
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            counts[table] = int(db.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
    return counts


def known_revisions() -> list[str]:
    """This copbot's schema revisions, oldest first."""
    # The URL is not used to list the scripts; the config wants one.
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite:///unused"))
    newest_first = [revision.revision for revision in script.walk_revisions()]
    return newest_first[::-1]
