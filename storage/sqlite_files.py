"""SQLite's file on disk: what both the engine (``storage/db.py``) and Alembic's runner need."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its folder (the default file is data/copbot.sqlite3
    next to the .env that was read, or in the platform's data folder)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def ensure_sqlite_file(url: str) -> None:
    """The SQLite file made if missing (its folder too), an existing one left as it is: a file
    that cannot be made fails here with the system's reason (OSError), not inside aiosqlite's
    worker thread, which (0.22) then prints a traceback once the caller's event loop has
    closed."""
    ensure_sqlite_directory(url)
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        with Path(database).open("ab"):  # an empty file is an empty SQLite database
            pass
