"""``copbot export contributions`` on a large log, next to the databases' own CSV output.

A community with BENCH_EXPORT_ROWS contributions (default 1,000,000; a fifth of them replies,
twenty authors, five organisations) is exported to CSV by the command line, as an operator runs
it, and the same rows (the same columns, joined with the organisation's name, in the same order)
are written by the database's own shell in the same run: ``sqlite3 -csv`` on the SQLite file and
``psql``'s ``\\copy (...) TO STDOUT CSV`` on PostgreSQL. Printed: the time of each, copbot's
share of the shell's speed, copbot's peak resident memory; then XLSX and Parquet on SQLite.

Run: ``python -m pytest tests/benchmarks/test_export.py -s -n 0``. No timing assertions.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.contributions.values import Attribution, ContributionRow
from storage import contributions as log_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.members import ensure_member, start_membership
from storage.organisations import create_organisation
from tests.databases import postgres_url
from tests.storage.helpers import ROOT, SETTINGS

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "1000000"))
GUILD = 900_000_000_000_000_777
AUTHORS = [920_000_000_000_100_000 + n for n in range(20)]
START = datetime(2026, 1, 1, tzinfo=UTC)
INSERT_BATCH = 20_000

# What the shells print: the stored columns the export reads, in its order.
SELECT = (
    "SELECT c.message_id, c.author_id, o.name, c.stakeholder, c.level, c.channel_id, "
    "c.parent_channel_id, c.created_at, c.edited_at, c.is_reply, c.is_answer, c.is_question, "
    "c.is_resource, c.is_thread_start, c.reply_to_message_id, c.reply_to_author_id, "
    "c.characters, c.words, c.links, c.attachments, c.mentions "
    "FROM contribution c LEFT JOIN organisation o ON o.id = c.organisation_id "
    f"WHERE c.community_id = {GUILD} ORDER BY c.created_at, c.message_id"
)


async def fill(db: Database) -> None:
    rng = random.Random(7)
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Benchmark CoP")
        organisations = [
            await create_organisation(
                session,
                community_id=GUILD,
                name=f"Org {n}",
                name_key=f"org {n}",
                stakeholder="ngo",
                level="district",
            )
            for n in range(5)
        ]
        for number, author in enumerate(AUTHORS):
            member = await ensure_member(session, GUILD, author, f"Person {number}")
            await start_membership(session, member.id, organisations[number % 5].id, START)
    of_author = {
        author: Attribution(organisations[number % 5].id, "ngo", "district")
        for number, author in enumerate(AUTHORS)
    }
    for first in range(0, ROWS, INSERT_BATCH):
        rows = []
        for n in range(first, min(first + INSERT_BATCH, ROWS)):
            message_id = GUILD + 1 + n
            reply = n > 0 and rng.random() < 0.2
            rows.append(
                ContributionRow(
                    message_id=message_id,
                    community_id=GUILD,
                    channel_id=910_000_000_000_000_777,
                    author_id=AUTHORS[n % 20],
                    created_at=START + timedelta(seconds=n),
                    is_reply=reply,
                    reply_to_author_id=AUTHORS[(n + 3) % 20] if reply else None,
                    reply_to_message_id=message_id - 1 if reply else None,
                    characters=rng.randrange(5, 400),
                    words=rng.randrange(1, 60),
                    links=int(rng.random() < 0.1),
                )
            )
        async with db.transaction() as session:
            await log_queries.store_contributions(
                session, rows, attributions=[of_author[row.author_id] for row in rows]
            )


def timed(command: list[str], out: Path, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Seconds and peak resident memory (MB) of one run of ``command`` writing to ``out``."""
    with out.open("wb") as target:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=target, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    return elapsed, usage.ru_maxrss // 1024


def copbot_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=url)
    return env


def copbot(url: str, *args: str, out: Path) -> tuple[float, int]:
    command = [sys.executable, "-m", "bot", "export", "contributions", "--guild", str(GUILD)]
    return timed([*command, *args], out, copbot_env(url))


def report(name: str, ours: tuple[float, int], theirs: tuple[float, int], shell: str) -> None:
    print(
        f"\n{name}: {ROWS:,} contributions to CSV: copbot export {ours[0]:.1f} s "
        f"(peak {ours[1]} MB), {shell} {theirs[0]:.1f} s: copbot at "
        f"{theirs[0] / ours[0]:.2f} of its speed"
    )


@pytest.mark.timeout(3600)
@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell to compare with")
def test_export_sqlite_against_the_sqlite3_shell(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'log.sqlite3'}"

    async def seed() -> None:
        db = Database.connect(url)
        try:
            await db.migrate()
            await fill(db)
        finally:
            await db.dispose()

    began = time.perf_counter()
    asyncio.run(seed())
    print(f"\n(seeded {ROWS:,} rows in {time.perf_counter() - began:.0f} s)")
    shell = timed(["sqlite3", "-csv", str(tmp_path / "log.sqlite3"), SELECT], tmp_path / "s.csv")
    ours = copbot(url, out=tmp_path / "c.csv")
    report("SQLite", ours, shell, "sqlite3 -csv")
    for file_format in ("xlsx", "parquet"):
        target = tmp_path / f"c.{file_format}"
        seconds, peak = copbot(
            url, "--format", file_format, "--out", str(target), out=tmp_path / "x"
        )
        print(f"SQLite: {ROWS:,} contributions to {file_format}: {seconds:.1f} s (peak {peak} MB)")


@pytest.mark.timeout(3600)
@pytest.mark.postgres
def test_export_postgresql_against_psql_copy(tmp_path: Path) -> None:
    if shutil.which("psql") is None:
        pytest.skip("no psql to compare with")
    asyncio.run(_measure_postgresql(tmp_path))


async def _measure_postgresql(tmp_path: Path) -> None:
    async with postgres_url(migrated=True) as url:
        db = Database.connect(url)
        try:
            await fill(db)
        finally:
            await db.dispose()
        plain = url.replace("+asyncpg", "")
        psql = ["psql", plain, "-X", "-q", "-c", f"\\copy ({SELECT}) TO STDOUT CSV HEADER"]
        shell = await asyncio.to_thread(timed, psql, tmp_path / "p.csv")
        ours = await asyncio.to_thread(copbot, url, out=tmp_path / "c.csv")
        report("PostgreSQL", ours, shell, "psql \\copy")
