"""``copbot backup`` and ``copbot restore`` as an operator runs them: on SQLite a consistent copy
of a database that is being written, restored to identical rows; files that are not copbot
databases, or come from a newer copbot, refused with nothing changed; on PostgreSQL the
``pg_dump`` command (run when a file is given and pg_dump is installed)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select

from bot import backup as backups
from storage import backup as files
from storage import contributions as log_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.members import ensure_member
from storage.migrations.runner import alembic_config
from storage.models import metadata
from tests.databases import postgres_url
from tests.storage.helpers import ALICE, BOB, GUILD, ROOT, SETTINGS, contribution

Copbot = Callable[..., subprocess.CompletedProcess[str]]
ONLY_SQLITE = pytest.mark.parametrize("backend", ["sqlite"])
ONLY_POSTGRES = pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres)]
)
FIRST_MESSAGE = 1_000_000


def database_file(url: str) -> Path:
    return files.sqlite_file(url)


def every_row(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of an SQLite file (Alembic's too), its rows in a fixed order."""
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        ]
        found = {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    db.close()
    return found


def message_ids(path: Path) -> list[int]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        ids = [row[0] for row in db.execute("SELECT message_id FROM contribution ORDER BY 1")]
    db.close()
    return ids


async def seed(db: Database, messages: int) -> None:
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Water CoP")
        for user, name in ((ALICE, "Alice"), (BOB, "Bob")):
            await ensure_member(session, GUILD, user, name)
        await log_queries.store_contributions(
            session, [contribution(FIRST_MESSAGE + n) for n in range(messages)]
        )


def seeded(url: str, messages: int) -> None:
    async def run() -> None:
        db = Database.connect(url)
        try:
            await db.migrate()
            await seed(db, messages)
        finally:
            await db.dispose()

    asyncio.run(run())


class Writer:
    """Inserts contributions one transaction at a time, numbered on, until stopped."""

    def __init__(self, db: Database, first: int, warm_up: int) -> None:
        self.db = db
        self.next_id = first
        self.committed: list[int] = []
        self.warm_up = warm_up
        self.under_way = asyncio.Event()
        self.stopped = asyncio.Event()

    async def run(self) -> None:
        while not self.stopped.is_set():
            async with self.db.transaction() as session:
                await log_queries.store_contributions(session, [contribution(self.next_id)])
            self.committed.append(self.next_id)
            self.next_id += 1
            if len(self.committed) >= self.warm_up:
                self.under_way.set()
            await asyncio.sleep(0)


def copy_while_writing(url: str, messages: int, copy: Callable[[], Any]) -> tuple[list[int], Any]:
    """Seed ``messages`` contributions, start writing more, run the blocking ``copy`` in a
    thread meanwhile; the ids committed before the copy started, and what it returned."""

    async def run() -> tuple[list[int], Any]:
        db = Database.connect(url)
        await db.migrate()
        await seed(db, messages)
        writer = Writer(db, FIRST_MESSAGE + messages, warm_up=20)
        writing = asyncio.create_task(writer.run())
        try:
            await writer.under_way.wait()
            written_before = list(writer.committed)
            result = await asyncio.wait_for(asyncio.to_thread(copy), timeout=90)
            # The bot went on writing while the copy ran.
            assert len(writer.committed) > len(written_before)
        finally:
            writer.stopped.set()
            await writing
            await db.dispose()
        return written_before, result

    return asyncio.run(run())


@ONLY_SQLITE
def test_a_backup_while_the_bot_writes_holds_every_row_written_before(
    copbot: Copbot, url: str, tmp_path: Path
) -> None:
    # Some megabytes: the copy takes several steps.
    written_before, made = copy_while_writing(
        url, 20_000, lambda: copbot("backup", "--out", "copy.sqlite3")
    )
    assert made.returncode == 0, made.stderr
    backup = tmp_path / "copy.sqlite3"
    lines = made.stdout.splitlines()
    assert lines[0] == "copbot: backed up SQLite (copbot-test.sqlite3) to copy.sqlite3"
    with sqlite3.connect(backup) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert check.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    check.close()
    ids = message_ids(backup)
    # One moment's database: the seed, then the writer's rows in order up to some point.
    assert ids == list(range(FIRST_MESSAGE, FIRST_MESSAGE + len(ids)))
    assert set(written_before) <= set(ids)
    assert lines[1] == (
        f"copbot: the backup holds {len(ids) + 3} rows in all (1 community, 2 members, "
        f"0 organisations, {len(ids)} contributions, 0 reactions, 0 cafés, 0 questions)"
    )
    assert not list(tmp_path.glob("*.partial"))


@ONLY_SQLITE
def test_the_copy_is_one_moment_however_the_bot_writes_between_its_steps(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One page a step, and a write by another connection after each of the first 50 steps:
    # without the snapshot the copy would start over after each (and take those rows in).
    seeded(url, 3_000)
    monkeypatch.setattr(files, "PAGES_PER_STEP", 1)
    source = database_file(url)
    other = sqlite3.connect(source, isolation_level=None, timeout=5)
    remaining_seen: list[int] = []

    def write_between_steps(remaining: int, _total: int) -> None:
        remaining_seen.append(remaining)
        if len(remaining_seen) <= 50:
            other.execute(
                "UPDATE contribution SET words = words + 1 WHERE message_id = ?",
                (FIRST_MESSAGE,),
            )

    target = tmp_path / "steps.sqlite3"
    try:
        files.copy_database(source, target, after_step=write_between_steps)
    finally:
        other.close()
    assert len(remaining_seen) > 50  # the copy took more steps than there were writes
    assert remaining_seen == sorted(remaining_seen, reverse=True)  # it never started over
    assert message_ids(target) == list(range(FIRST_MESSAGE, FIRST_MESSAGE + 3_000))
    with sqlite3.connect(target) as copy, sqlite3.connect(source) as now:
        query = "SELECT words FROM contribution WHERE message_id = ?"
        assert copy.execute(query, (FIRST_MESSAGE,)).fetchone() == (1,)  # as when it began
        assert now.execute(query, (FIRST_MESSAGE,)).fetchone() == (51,)
    copy.close()
    now.close()


@ONLY_SQLITE
def test_a_restore_gives_back_identical_rows_and_keeps_the_current_database(
    copbot: Copbot, url: str, tmp_path: Path
) -> None:
    seeded(url, 50)
    current = database_file(url)
    made = copbot("backup", "--out", "saved.sqlite3")
    assert made.returncode == 0, made.stderr
    saved = tmp_path / "saved.sqlite3"
    at_backup = every_row(saved)
    assert at_backup == every_row(current)
    assert len(at_backup["contribution"]) == 50

    # Later changes: more messages, and the community renamed.
    async def change() -> None:
        db = Database.connect(url)
        try:
            async with db.transaction() as session:
                await log_queries.store_contributions(session, [contribution(7), contribution(8)])
                await ensure_community(session, GUILD, "Water CoP, renamed")
        finally:
            await db.dispose()

    asyncio.run(change())
    before_restore = every_row(current)
    assert before_restore != at_backup

    asked = copbot("restore", "saved.sqlite3", stdin="no\n")
    assert asked.returncode == 1
    assert "Type yes to restore" in asked.stdout
    assert asked.stderr == "copbot: not restored; nothing was changed\n"
    assert every_row(current) == before_restore
    assert not list(current.parent.glob("*.before-restore-*"))

    restored = copbot("restore", "saved.sqlite3", stdin="yes\n")
    assert restored.returncode == 0, restored.stderr
    assert every_row(current) == at_backup
    (kept,) = current.parent.glob(f"{current.name}.before-restore-*")
    assert every_row(kept) == before_restore
    assert restored.stdout.splitlines()[-2:] == [
        f"Type yes to restore: copbot: kept the database as it was in {kept}",
        "copbot: restored SQLite (copbot-test.sqlite3) from saved.sqlite3",
    ]
    with sqlite3.connect(current) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()
    # The restored database is the bot's again: it opens and is up to date.
    again = copbot("migrate")
    assert again.returncode == 0, again.stderr
    assert every_row(current) == at_backup


@ONLY_SQLITE
def test_an_older_backup_is_migrated_up_after_the_restore(
    copbot: Copbot, url: str, tmp_path: Path
) -> None:
    seeded(url, 3)
    older = tmp_path / "older.sqlite3"
    revisions = files.known_revisions()
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{older}"), revisions[-2])
    restored = copbot("restore", str(older), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines()[-1] == (
        f"copbot: restored SQLite (copbot-test.sqlite3) from {older}, brought from schema "
        f"{revisions[-2]} to {revisions[-1]}"
    )
    assert files.check_copbot_database(database_file(url)) == revisions[-1]
    assert every_row(database_file(url))["contribution"] == []


@ONLY_SQLITE
def test_a_backup_from_a_newer_copbot_is_refused_and_nothing_changes(
    copbot: Copbot, url: str, tmp_path: Path
) -> None:
    seeded(url, 5)
    assert copbot("backup", "--out", "newer.sqlite3").returncode == 0
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as edit:
        edit.execute("UPDATE alembic_version SET version_num = '9999'")
    edit.close()
    current = database_file(url)
    before = current.read_bytes()
    refused = copbot("restore", "newer.sqlite3", "--yes")
    assert refused.returncode == 2
    newest = files.known_revisions()[-1]
    assert refused.stderr == (
        "copbot: newer.sqlite3 comes from a newer copbot (schema 9999; this copbot knows up to "
        f"{newest}): install that version or newer to restore it; nothing was changed\n"
    )
    assert current.read_bytes() == before
    assert not list(current.parent.glob("*.before-restore-*"))


@ONLY_SQLITE
def test_files_that_are_not_copbot_databases_are_refused(
    copbot: Copbot, url: str, tmp_path: Path
) -> None:
    seeded(url, 5)
    (tmp_path / "notes.txt").write_text("not a database\n", encoding="utf-8")
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as made:
        made.execute("CREATE TABLE recipes (name TEXT)")
    made.close()
    (tmp_path / "cut.sqlite3").write_bytes((tmp_path / "other.sqlite3").read_bytes()[:100])
    current = database_file(url)
    before = current.read_bytes()
    cases = {
        "notes.txt": "copbot: notes.txt is not an SQLite database: nothing was changed",
        "other.sqlite3": (
            "copbot: other.sqlite3 is an SQLite database, but not copbot's: nothing was changed"
        ),
        "cut.sqlite3": "copbot: cut.sqlite3 cannot be read as a database: ",
        "missing.sqlite3": "copbot: cannot read missing.sqlite3: No such file or directory",
    }
    for name, expected in cases.items():
        refused = copbot("restore", name, "--yes")
        assert refused.returncode == 2, name
        lines = refused.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected), (name, refused.stderr)
        assert lines[0].endswith("nothing was changed"), name
    assert current.read_bytes() == before
    assert not list(current.parent.glob("*.before-restore-*"))
    assert not (tmp_path / "missing.sqlite3").exists()


@ONLY_SQLITE
def test_a_backup_never_overwrites_a_file(copbot: Copbot, url: str, tmp_path: Path) -> None:
    seeded(url, 1)
    (tmp_path / "taken.sqlite3").write_text("mine", encoding="utf-8")
    refused = copbot("backup", "--out", "taken.sqlite3")
    assert refused.returncode == 2
    assert refused.stderr == (
        "copbot: taken.sqlite3 already exists: give another file with --out\n"
    )
    assert (tmp_path / "taken.sqlite3").read_text(encoding="utf-8") == "mine"
    named = copbot("backup")
    assert named.returncode == 0, named.stderr
    (default,) = tmp_path.glob("copbot-backup-*.sqlite3")
    assert len(default.name) == len("copbot-backup-20300304-070000.sqlite3")
    assert files.check_copbot_database(default) == files.known_revisions()[-1]


def run_with_url(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_postgresql_backup_and_restore_say_the_commands_without_the_password(
    tmp_path: Path,
) -> None:
    # Nothing connects: the commands are only printed, so no server is needed.
    server = "postgresql://keeper:s3cret-pw@db.example.org:6543/water_cop"
    shown = run_with_url(server, "backup", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert (
        lines[0]
        == "copbot: PostgreSQL (water_cop on db.example.org) is backed up by PostgreSQL's pg_dump:"
    )
    assert lines[1].startswith(
        "    pg_dump --format=custom --host db.example.org --port 6543 --username keeper "
        "--dbname water_cop --file copbot-backup-"
    )
    assert lines[2] == (
        "copbot: give the password in PGPASSWORD or ~/.pgpass (it is not in the line above)"
    )
    restore = run_with_url(server, "restore", "saved.dump", cwd=tmp_path)
    assert restore.returncode == 0, restore.stderr
    assert restore.stdout.splitlines()[1] == (
        "    pg_restore --clean --if-exists --no-owner --host db.example.org --port 6543 "
        "--username keeper --dbname water_cop saved.dump"
    )
    assert "s3cret" not in shown.stdout + shown.stderr + restore.stdout + restore.stderr
    assert list(tmp_path.iterdir()) == []


@ONLY_POSTGRES
async def test_postgresql_backup_with_a_file_runs_pg_dump_and_restores(
    copbot: Copbot, url: str, tmp_path: Path
) -> None:
    if not backups.pg_dump_available():
        pytest.skip("pg_dump is not installed here")
    name = url.rsplit("/", 1)[1]
    shown = await asyncio.to_thread(copbot, "backup")
    assert f"--dbname {name} --file copbot-backup-" in shown.stdout
    db = Database.connect(url)
    try:
        await db.migrate()
        await seed(db, 25)
    finally:
        await db.dispose()
    made = await asyncio.to_thread(copbot, "backup", "--out", "saved.dump")
    assert made.returncode == 0, made.stderr
    dump = tmp_path / "saved.dump"
    assert dump.read_bytes()[:5] == b"PGDMP"
    # The printed pg_restore command, run into an empty database, gives the same rows back.
    async with postgres_url() as other:
        told = await asyncio.to_thread(run_with_url, other, "restore", str(dump), cwd=tmp_path)
        command = told.stdout.splitlines()[1].split()
        assert command[0] == "pg_restore"
        restored = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, check=False
        )
        assert restored.returncode == 0, restored.stderr
        source, copy = Database.connect(url), Database.connect(other)
        try:
            for table in metadata.sorted_tables:
                async with source.session() as a, copy.session() as b:
                    first = sorted((await a.execute(select(table))).all(), key=repr)
                    second = sorted((await b.execute(select(table))).all(), key=repr)
                assert first == second, table.name
                if table.name == "contribution":
                    assert len(first) == 25
        finally:
            await source.dispose()
            await copy.dispose()
