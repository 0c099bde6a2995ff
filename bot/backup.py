"""``copbot backup`` and ``copbot restore``: what they do, apart from the command line's words.

On SQLite copbot makes the copy itself, while the bot may be running, and restores one (after
keeping the current database beside it). On PostgreSQL the server's own tools do this better
than copbot could: copbot says the exact ``pg_dump`` / ``pg_restore`` command to run, and runs
``pg_dump`` itself only when asked for a file and the tool is installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storage import backup as files

# The tables whose counts the backup line names, in this order (the total counts them all).
MAIN_TABLES = {
    "community": ("community", "communities"),
    "member": ("member", "members"),
    "organisation": ("organisation", "organisations"),
    "contribution": ("contribution", "contributions"),
    "reaction": ("reaction", "reactions"),
    "cafe": ("café", "cafés"),
    "question": ("question", "questions"),
}


class BackupRefused(Exception):
    """The backup or restore cannot be done; ``str()`` is one line for the operator, and
    nothing was changed."""


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%d-%H%M%S")


def default_backup_name(moment: datetime, *, postgres: bool) -> str:
    return f"copbot-backup-{stamp(moment)}.{'dump' if postgres else 'sqlite3'}"


@dataclass(frozen=True)
class SqliteBackup:
    file: Path
    counts: dict[str, int]

    def describe(self) -> str:
        named = [
            f"{count} {one if count == 1 else many}"
            for table, (one, many) in MAIN_TABLES.items()
            if table in self.counts
            for count in (self.counts[table],)
        ]
        return f"{sum(self.counts.values())} rows in all ({', '.join(named)})"


def backup_sqlite(database_url: str, out: Path) -> SqliteBackup:
    """Copy the SQLite database to ``out`` (a new file) while the bot may write to it."""
    source = files.sqlite_file(database_url)
    if not source.is_file():
        raise BackupRefused(f"there is no database at {source} to back up")
    if out.exists():
        raise BackupRefused(f"{out} already exists: give another file with --out")
    # Written under another name first: a copy that fails part-way never looks like a backup.
    partial = out.with_name(out.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        files.copy_database(source, partial)
        partial.rename(out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"cannot write {out}: {error.strerror or error}") from None
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"cannot back up {source}: {error}") from None
    except Exception:
        partial.unlink(missing_ok=True)
        raise
    return SqliteBackup(out, files.row_counts(out))


# --- PostgreSQL: the server's tools ----------------------------------------------------------


def _connection_options(database_url: str) -> list[str]:
    url = make_url(database_url)
    options = ["--host", url.host or "localhost", "--port", str(url.port or 5432)]
    if url.username:
        options += ["--username", url.username]
    return [*options, "--dbname", url.database or "postgres"]


def pg_dump_command(database_url: str, out: Path) -> list[str]:
    """The ``pg_dump`` command for the database, in its custom format (never the password)."""
    return ["pg_dump", "--format=custom", *_connection_options(database_url), "--file", str(out)]


def pg_restore_command(database_url: str, backup: Path) -> list[str]:
    """``pg_restore`` for a custom-format dump, ``psql`` for a plain SQL one."""
    if backup.suffix == ".sql":
        return ["psql", *_connection_options(database_url), "--file", str(backup)]
    return [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        *_connection_options(database_url),
        str(backup),
    ]


def shell_line(command: list[str]) -> str:
    return shlex.join(command)


def pg_dump_available() -> bool:
    return shutil.which("pg_dump") is not None


def run_pg_dump(database_url: str, out: Path, environment: Mapping[str, str] | None = None) -> None:
    """Run ``pg_dump`` to ``out``; the URL's password goes to it in PGPASSWORD, not its
    command line (which other users of the machine can see)."""
    if out.exists():
        raise BackupRefused(f"{out} already exists: give another file with --out")
    env = dict(os.environ if environment is None else environment)
    password = make_url(database_url).password
    if password:
        env["PGPASSWORD"] = str(password)
    try:
        finished = subprocess.run(
            pg_dump_command(database_url, out), env=env, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BackupRefused(f"cannot run pg_dump: {error.strerror or error}") from None
    if finished.returncode != 0:
        out.unlink(missing_ok=True)
        reason = (finished.stderr.strip().splitlines() or ["no message"])[0]
        raise BackupRefused(f"pg_dump failed: {reason}")


# --- restore (SQLite) -------------------------------------------------------------------------


@dataclass(frozen=True)
class RestorePlan:
    """A restore checked and ready: nothing has been changed yet."""

    database_url: str
    backup: Path
    current: Path
    revision: str
    newest: str
    kept_as: Path | None  # where the current database will be kept; None when there is none

    @property
    def migrates(self) -> bool:
        return self.revision != self.newest


def plan_restore(database_url: str, backup: Path, moment: datetime) -> RestorePlan:
    """Check that ``backup`` is a copbot database this copbot can use; change nothing."""
    try:
        revision = files.check_copbot_database(backup)
    except files.NotACopbotDatabase as error:
        raise BackupRefused(f"{error}: nothing was changed") from None
    known = files.known_revisions()
    if revision not in known:
        raise BackupRefused(
            f"{backup} comes from a newer copbot (schema {revision}; this copbot knows up to "
            f"{known[-1]}): install that version or newer to restore it; nothing was changed"
        )
    current = files.sqlite_file(database_url)
    if current.exists() and current.resolve() == backup.resolve():
        raise BackupRefused(f"{backup} is the database itself: nothing to restore")
    kept_as = None
    if current.exists():
        kept_as = current.with_name(f"{current.name}.before-restore-{stamp(moment)}")
        if kept_as.exists():
            raise BackupRefused(f"{kept_as} already exists: try again in a second")
    return RestorePlan(database_url, backup, current, revision, known[-1], kept_as)


def restore_sqlite(plan: RestorePlan) -> None:
    """Keep the current database, write the backup over it, and bring its schema up to date."""
    from storage.migrations.runner import upgrade_to_head

    try:
        if plan.kept_as is not None:
            files.copy_database(plan.current, plan.kept_as)
        else:
            plan.current.parent.mkdir(parents=True, exist_ok=True)
        files.replace_database(plan.backup, plan.current)
    except sqlite3.Error as error:
        # The replacement is one transaction: a failure leaves the database as it was.
        raise BackupRefused(f"cannot restore into {plan.current}: {error}") from None
    if plan.migrates:
        upgrade_to_head(plan.database_url)
