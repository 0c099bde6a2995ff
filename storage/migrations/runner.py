"""Run Alembic from code: at start-up, from ``copbot migrate`` and from the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.sqlite_files import ensure_sqlite_file

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may contain percent-encoded passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def upgrade_to_head(database_url: str) -> None:
    """Blocking: call from a worker thread (it runs its own event loop)."""
    ensure_sqlite_file(database_url)
    command.upgrade(alembic_config(database_url), "head")


def make_revision(database_url: str, message: str) -> None:
    """Write a new migration from the difference between the models and a migrated database."""
    config = alembic_config(database_url)
    upgrade_to_head(database_url)
    # Numbered revisions read in order: 0001, 0002, ...
    existing = [path for path in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    command.revision(config, message=message, autogenerate=True, rev_id=f"{len(existing) + 1:04d}")
