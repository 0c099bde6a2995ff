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
