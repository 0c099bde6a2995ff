"""The contribution log at speed: MESSAGE_CREATE payloads through discord.py's own parser into
the bot's receivers and the batched writer, until the rows are committed.

Printed next to baselines from the same run:
- the same payloads through the same parser with the contribution log's message receiver
  removed (bare: the bot without the log, which is the parser with no listener at all: nothing
  else in the bot listens to messages, and CopBot.dispatch then makes no task);
- on PostgreSQL, asyncpg's ``copy_records_to_table`` of the same rows (the fastest way in).

Each measurement is repeated (BENCH_REPEATS, default 3), the runs taking turns, and reported as the
median with the range: on a shared two-core machine one run swings by a quarter.

Run: ``python -m pytest tests/benchmarks/test_contribution_log.py -s`` (BENCH_MESSAGES=N to
change the 20,000 messages). No timing assertions; the figures go in the note.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import resource
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import asyncpg
import discord
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot.contributions.values import ATTRIBUTION_COLUMNS, Attribution, ContributionRow
from bot.sandbox import payloads
from bot.sandbox.models import Attachment, Channel, Message, snowflake
from storage import contributions as log_queries
from storage.contributions import SQLITE_ROWS_PER_STATEMENT
from storage.models import Contribution
from storage.upsert import full_records
from tests.databases import postgres_url
from tests.e2e.harness import Harness, running_harness

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "20000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SLICE = 2_000  # messages fed in turn to the bare parser, one empty listener and the log
TEXTS = [
    "Good morning, here is our update from the district team",
    "Has anyone tried solar pumps in schools?",
    "Our guideline: https://example.org/wash/guideline.pdf see section 3",
    "Thanks <@{other}>, that helps a lot",
    "We saw the same in Kumasi. The committee meets on Thursday.",
]


async def open_thread(harness: Harness, name: str) -> Channel:
    parent = harness.bot.get_channel(harness.general.id)
    assert isinstance(parent, discord.TextChannel)
    thread = await parent.create_thread(name=name, type=discord.ChannelType.public_thread)
    await harness.sandbox.wait_until(lambda: harness.bot.get_channel(thread.id) is not None)
    found = harness.sandbox.get_channel(thread.id)
    assert found is not None
    return found


def build_payloads(harness: Harness, threads: list[Channel], count: int) -> list[dict[str, Any]]:
    """Realistic traffic: a third replies, a fifth with links, some files, half in threads."""
    rng = random.Random(4)
    people = [m.user for m in harness.community.members if not m.user.bot]
    places = [harness.general, harness.community.channels["cafe"], *threads]
    recent: dict[int, list[Message]] = {place.id: [] for place in places}
    out: list[dict[str, Any]] = []
    for _ in range(count):
        place = rng.choice(places)
        author = rng.choice(people)
        earlier = recent[place.id]
        reference = rng.choice(earlier[-10:]) if earlier and rng.random() < 0.35 else None
        text = rng.choice(TEXTS).format(other=rng.choice(people).id)
        attachments = (
            [Attachment(snowflake(), "notes.pdf", b"", "application/pdf", url="http://x/notes.pdf")]
            if rng.random() < 0.05
            else []
        )
        message = Message(
            id=snowflake(),
            channel=place,
            author=author,
            content=text,
            attachments=attachments,
            type=19 if reference else 0,
            reference=reference,
            mentions=[reference.author] if reference else [],
        )
        earlier.append(message)
        out.append(payloads.message(message))
    return out


def listener_tasks() -> int:
    return sum(1 for task in asyncio.all_tasks() if task.get_name().startswith("discord.py: "))


async def drain() -> None:
    """Let every listener task discord.py scheduled run to its end."""
    # Polling is the point: there is no event for "every task discord.py made has finished".
    # Only discord.py's tasks count: the writer's own timer task comes and goes.
    while listener_tasks():  # noqa: ASYNC110
        await asyncio.sleep(0)


async def feed(harness: Harness, items: list[dict[str, Any]]) -> float:
    """Seconds to parse and dispatch every payload and let the listeners finish."""
    state = harness.bot._connection
    await drain()
    began = time.perf_counter()
    for index, payload in enumerate(items):
        state.parse_message_create(payload)  # type: ignore[arg-type]
        if index % 200 == 199:
            await asyncio.sleep(0)  # the gateway reader yields between frames too
    await drain()
    return time.perf_counter() - began


def renumber(items: list[dict[str, Any]], shift: int) -> None:
    """Give the payloads new message ids (in place), so that a repeat logs new messages rather
    than replays the database would skip."""
    for payload in items:
        payload["id"] = str(int(payload["id"]) + shift)
        reference = payload.get("message_reference")
        if reference is not None and "message_id" in reference:
            reference["message_id"] = str(int(reference["message_id"]) + shift)
            payload["referenced_message"]["id"] = reference["message_id"]


def settle_heap() -> None:
    """Take what exists now out of the garbage collector's sight (gc.freeze).

    The sandbox (every message it holds) and the payloads live in this process, though in
    production they are Discord's; each full collection would walk them and bill whichever run
    it happened in, which is most of the noise between runs.
    """
    gc.collect()
    gc.freeze()


def rss_mb() -> tuple[float, float]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    current = 0.0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, peak


class Timer:
    """Wall and CPU seconds (every thread of the process) spent inside ``with`` blocks."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *_: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


@dataclass
class Figures:
    """Messages per second of every repeat, and CPU microseconds per message."""

    bare: list[float] = field(default_factory=list)
    empty: list[float] = field(default_factory=list)
    logged: list[float] = field(default_factory=list)
    bare_cpu: list[float] = field(default_factory=list)
    logged_cpu: list[float] = field(default_factory=list)
    writer: list[float] = field(default_factory=list)
    sqlite_floor: list[float] = field(default_factory=list)  # SQLite's own insert, rows/s
    rss: float = 0.0
    peak: float = 0.0


async def measure(harness: Harness) -> Figures:
    threads = [await open_thread(harness, f"Table {i}") for i in range(1, 5)]
    items = build_payloads(harness, threads, MESSAGES)
    cog = harness.bot.get_cog("Contributions")
    assert cog is not None
    writer = harness.bot.contribution_writer
    await asyncio.sleep(0.5)  # let start-up work (gap repair) finish first

    # What any listener costs in discord.py (one task per listener per event), doing nothing.
    async def empty_listener(message: discord.Message) -> None:
        return None

    # Bare: the log does not receive messages (it receives them in CopBot.dispatch).
    harness.bot.remove_receiver("message", cog.on_message)
    await feed(harness, items[: MESSAGES // 10])  # warm-up: caches, first-call costs
    figures = Figures()

    async def logged(part: list[dict[str, Any]]) -> None:
        harness.bot.add_receiver("message", cog.on_message)
        await feed(harness, part)
        await writer.flush()
        harness.bot.remove_receiver("message", cog.on_message)

    async def with_empty_listener(part: list[dict[str, Any]]) -> None:
        harness.bot.add_listener(empty_listener, "on_message")
        await feed(harness, part)
        harness.bot.remove_listener(empty_listener, "on_message")

    async def bare(part: list[dict[str, Any]]) -> None:
        await feed(harness, part)

    for repeat in range(1, REPEATS + 1):
        # New messages for the log, not replays: repeats lie at least 2 << 36 apart (33 s of
        # snowflake time), well beyond the payloads' own spread (the seconds it took to build
        # them); 1 << 32 apart (1 s) made some ids of one repeat those of another.
        renumber(items, repeat << 36)
        settle_heap()
        # The three take turns slice by slice: whatever slows the process for a while (the
        # allocator, the collector, a neighbour on the machine) slows all three alike.
        spent = {bare: Timer(), with_empty_listener: Timer(), logged: Timer()}
        for start in range(0, MESSAGES, SLICE):
            part = items[start : start + SLICE]
            for run, timer in spent.items():
                with timer:
                    await run(part)
        figures.bare.append(MESSAGES / spent[bare].wall)
        figures.bare_cpu.append(spent[bare].cpu / MESSAGES * 1e6)
        figures.empty.append(MESSAGES / spent[with_empty_listener].wall)
        figures.logged.append(MESSAGES / spent[logged].wall)
        figures.logged_cpu.append(spent[logged].cpu / MESSAGES * 1e6)
        gc.unfreeze()

    async with harness.db.session() as session:
        stored = await log_queries.count_contributions(session, harness.community.guild.id)
    assert stored == MESSAGES * REPEATS
    rows = await logged_rows(harness)
    for repeat in range(1, REPEATS + 1):
        figures.writer.append(await writer_rate(harness, rows, repeat << 40))
    if harness.db.engine.dialect.name == "sqlite":
        database = make_url(str(harness.db.engine.url)).database
        assert database is not None
        names, records = stored_records(database)
        for repeat in range(1, REPEATS + 1):
            floor = await asyncio.to_thread(
                sqlite_floor, database, names, records, writer.flush_rows, repeat << 44
            )
            figures.sqlite_floor.append(floor)
    figures.rss, figures.peak = rss_mb()
    return figures


def spread(values: list[float], unit: str = "msg/s", digits: int = 0) -> str:
    """The median, then the range over the repeats."""
    return (
        f"{median(values):>9,.{digits}f} {unit} "
        f"(runs {min(values):,.{digits}f}-{max(values):,.{digits}f})"
    )


def report(backend: str, figures: Figures, extra: str = "") -> None:
    bare, empty, logged = median(figures.bare), median(figures.empty), median(figures.logged)
    # Each repeat's log next to the bare parser of the same repeat, then the median of those.
    ratios = [
        logged_rate / bare_rate
        for logged_rate, bare_rate in zip(figures.logged, figures.bare, strict=True)
    ]
    bare_cpu, logged_cpu = median(figures.bare_cpu), median(figures.logged_cpu)
    print(
        f"\n[{backend}] {MESSAGES} MESSAGE_CREATE payloads, {REPEATS} repeats (median, range)\n"
        f"  bare parser (the bot without the log): {spread(figures.bare)}\n"
        f"  parser + one empty listener:          {spread(figures.empty)} "
        f"({empty / bare:.2f} of bare)\n"
        f"  parser + the log + writer, durable:   {spread(figures.logged)}\n"
        f"  the log against the bare parser:      {median(ratios):>9.2f} of bare "
        f"(runs {min(ratios):.2f}-{max(ratios):.2f}; {logged / empty:.2f} of one empty listener)\n"
        f"  CPU per message (all threads):        {bare_cpu:>9.1f} us bare, "
        f"{logged_cpu:.1f} us logged ({bare_cpu / logged_cpu:.2f}; "
        "less sensitive than wall time to other processes on the machine)\n"
        f"  the writer alone, same rows, no Discord: {spread(figures.writer, 'rows/s')}\n"
        f"{floor_report(figures)}"
        f"{extra}"
        f"  memory: {figures.rss:.0f} MB resident now, {figures.peak:.0f} MB peak"
    )


def floor_report(figures: Figures) -> str:
    """SQLite's own insert next to the parse: what is left of the budget for everything else."""
    if not figures.sqlite_floor:
        return ""
    parse_us = 1e6 / median(figures.bare)
    floor_us = 1e6 / median(figures.sqlite_floor)
    return (
        f"  SQLite's own insert, plain sqlite3:    {spread(figures.sqlite_floor, 'rows/s')}\n"
        f"    = {floor_us:.1f} us a row against {parse_us:.1f} us to parse a message: at half the "
        f"bare rate the whole log (receiving, describing, attributing, storing) has "
        f"{parse_us:.1f} us a message, {parse_us - floor_us:.1f} us of it beside SQLite's insert\n"
    )


def stored_records(database: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The log's newest rows in the form SQLite stores them, with their column names."""
    connection = sqlite3.connect(database)
    try:
        cursor = connection.execute(
            "SELECT * FROM contribution ORDER BY message_id DESC LIMIT ?", (MESSAGES,)
        )
        return [column[0] for column in cursor.description], cursor.fetchall()[::-1]
    finally:
        connection.close()


def sqlite_floor(
    database: str, names: list[str], records: list[tuple[Any, ...]], batch: int, shift: int
) -> float:
    """SQLite's own cost of storing the log's rows: rows as stored, inserted again as new
    messages with plain sqlite3 (values in stored form, no Python between rows), in the writer's
    batches and statement size, each batch committed, into the bot's own database file with its
    pragmas, indexes and foreign keys."""
    size, width, key = SQLITE_ROWS_PER_STATEMENT, len(names), names.index("message_id")
    assert batch % size == 0, "the writer's batch is a whole number of statements"
    renumbered = [(*row[:key], row[key] + shift, *row[key + 1 :]) for row in records]
    values_of_rows = ", ".join(["(" + ", ".join("?" * width) + ")"] * size)
    statement = (
        f"INSERT INTO contribution ({', '.join(names)}) VALUES {values_of_rows} "
        "ON CONFLICT (message_id) DO NOTHING"
    )
    batches = [
        [
            [value for record in renumbered[at : at + size] for value in record]
            for at in range(start, start + batch, size)
        ]
        for start in range(0, len(renumbered) - len(renumbered) % batch, batch)
    ]
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            connection.execute(f"PRAGMA {pragma}")
        began = time.perf_counter()
        for parameters in batches:
            connection.execute("BEGIN")
            connection.executemany(statement, parameters)
            connection.execute("COMMIT")
        spent = time.perf_counter() - began
        inserted = connection.execute(
            "SELECT count(*) FROM contribution WHERE message_id >= ?", (renumbered[0][key],)
        ).fetchone()[0]
    finally:
        connection.close()
    assert inserted == len(batches) * batch, "every row was new"
    return inserted / spent


@pytest.fixture
async def quiet_logging() -> AsyncIterator[None]:
    # The sandbox logs every message it sees at INFO; that is not what is measured here.
    import logging

    logger = logging.getLogger("bot.sandbox")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


async def test_contribution_log_sqlite(tmp_path: Path, quiet_logging: None) -> None:
    async with running_harness(tmp_path, log_level="WARNING") as harness:
        report("SQLite", await measure(harness))


@pytest.mark.postgres
async def test_contribution_log_postgresql(tmp_path: Path, quiet_logging: None) -> None:
    async with (
        postgres_url() as url,
        running_harness(tmp_path, database_url=url, log_level="WARNING") as harness,
    ):
        figures = await measure(harness)
        attributed = await attributed_rows(harness)
        copy_rates, loose_copy_rates, store_rates = [], [], []
        for repeat in range(1, REPEATS + 1):
            copy_rates.append(await copy_baseline(url, with_new_ids(attributed, repeat << 48)))
            loose_copy_rates.append(await copy_baseline(url, attributed, foreign_keys=False))
            store_rates.append(await storage_rate(harness, attributed, repeat << 44))
        copy_rate = median(copy_rates)
        writer_share = [
            writer / copy for writer, copy in zip(figures.writer, copy_rates, strict=True)
        ]
        store_share = [store / copy for store, copy in zip(store_rates, copy_rates, strict=True)]
        extra = (
            f"  asyncpg copy_records_to_table:        {spread(copy_rates, 'rows/s')}\n"
            f"    (into a copy without the foreign keys: {spread(loose_copy_rates, 'rows/s')}; "
            f"the writer alone = {median(figures.writer) / median(loose_copy_rates):.2f} of that)\n"
            f"  the writer alone against COPY:        {median(writer_share):>9.2f} of it "
            f"(runs {min(writer_share):.2f}-{max(writer_share):.2f}); "
            f"logged through the parser = {median(figures.logged) / copy_rate:.2f} of it\n"
            f"  the writer's storage path alone:      {spread(store_rates, 'rows/s')} = "
            f"{median(store_share):.2f} of COPY "
            f"(runs {min(store_share):.2f}-{max(store_share):.2f}; batches of the writer's "
            "flush size, each committed)\n"
        )
        report("PostgreSQL", figures, extra)


async def attributed_rows(harness: Harness) -> list[dict[str, Any]]:
    """The last repeat's rows as stored (attribution and logged_at included)."""
    async with harness.db.session() as session:
        statement = select(Contribution).order_by(col(Contribution.message_id))
        stored = list((await session.execute(statement)).scalars())
    return [row.model_dump() for row in stored[-MESSAGES:]]


async def logged_rows(harness: Harness) -> list[dict[str, Any]]:
    """The rows the last logged repeat stored, without what the writer fills in."""
    rows = await attributed_rows(harness)
    for row in rows:
        for filled_by_the_writer in ATTRIBUTION_COLUMNS:
            del row[filled_by_the_writer]
    return rows


def with_new_ids(rows: list[dict[str, Any]], shift: int) -> list[dict[str, Any]]:
    """The rows as other messages: measured writes insert new keys, not replays."""
    return [{**row, "message_id": row["message_id"] + shift} for row in rows]


async def writer_rate(harness: Harness, rows: list[dict[str, Any]], shift: int) -> float:
    """The same rows through the bot's writer, as the listeners hand them over, until durable."""
    operations = [ContributionRow(**row) for row in with_new_ids(rows, shift)]
    writer = harness.bot.contribution_writer
    settle_heap()
    began = time.perf_counter()
    for index, operation in enumerate(operations):
        writer.add(operation)
        if index % 200 == 199:
            await asyncio.sleep(0)
    await writer.flush()
    rate = len(operations) / (time.perf_counter() - began)
    gc.unfreeze()
    return rate


async def storage_rate(harness: Harness, rows: list[dict[str, Any]], shift: int) -> float:
    """The same rows (attributed) stored with the writer's storage call, without Discord in
    front, in batches of the writer's flush size, each committed."""
    attributed = with_new_ids(rows, shift)
    row_fields = [name for name in attributed[0] if name not in ATTRIBUTION_COLUMNS]
    described = [ContributionRow(**{name: row[name] for name in row_fields}) for row in attributed]
    attributions = [Attribution(*(row[name] for name in Attribution._fields)) for row in attributed]
    logged_at = attributed[0]["logged_at"]
    batch = harness.bot.contribution_writer.flush_rows
    settle_heap()
    began = time.perf_counter()
    for start in range(0, len(described), batch):
        async with harness.db.transaction() as session:
            await log_queries.store_contributions(
                session,
                described[start : start + batch],
                attributions=attributions[start : start + batch],
                logged_at=logged_at,
            )
    rate = len(described) / (time.perf_counter() - began)
    gc.unfreeze()
    return rate


async def copy_baseline(
    url: str, rows: list[dict[str, Any]], *, foreign_keys: bool = True
) -> float:
    """The same rows (as other messages) with one COPY: the ceiling for getting them in.

    Into the log's own table, with the same indexes and foreign keys to check; or, with
    ``foreign_keys=False``, into an empty copy made by ``LIKE contribution INCLUDING ALL``, which
    has the indexes but no foreign keys (PostgreSQL checks those row by row).
    """
    columns, records = full_records(Contribution.__table__, rows)
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    table = "contribution" if foreign_keys else "contribution_copy"
    try:
        if not foreign_keys:
            await connection.execute(f"CREATE TABLE {table} (LIKE contribution INCLUDING ALL)")
        settle_heap()
        began = time.perf_counter()
        await connection.copy_records_to_table(table, records=records, columns=columns)
        rate = len(records) / (time.perf_counter() - began)
        gc.unfreeze()
        if not foreign_keys:
            await connection.execute(f"DROP TABLE {table}")
        return rate
    finally:
        await connection.close()
