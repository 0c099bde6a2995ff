"""The contribution log at speed: MESSAGE_CREATE payloads through discord.py's own parser into
the bot's receivers and the batched writer, until the rows are committed.

Printed next to baselines from the same run:
- the same payloads through the same parser with the contribution log's message receiver
  removed (bare: the bot without the log);
- on PostgreSQL, asyncpg's ``copy_records_to_table`` of the same rows (the fastest way in).

Run: ``python -m pytest tests/benchmarks/test_contribution_log.py -s`` (BENCH_MESSAGES=N to
change the 20,000 messages). No timing assertions; the figures go in the note.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import discord
import pytest
from sqlmodel import select

from bot.contributions.writer import StoreContribution
from bot.sandbox import payloads
from bot.sandbox.models import Attachment, Channel, Message, snowflake
from storage import contributions as log_queries
from storage.models import Contribution
from tests.databases import postgres_url
from tests.e2e.harness import Harness, running_harness

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "20000"))
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


def rss_mb() -> tuple[float, float]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    current = 0.0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    return current, peak


async def measure(harness: Harness) -> dict[str, float]:
    threads = [await open_thread(harness, f"Table {i}") for i in range(1, 5)]
    items = build_payloads(harness, threads, MESSAGES)
    cog = harness.bot.get_cog("Contributions")
    assert cog is not None
    await asyncio.sleep(0.5)  # let start-up work (gap repair) finish first

    # Bare: the log does not receive messages (it receives them in CopBot.dispatch).
    harness.bot.remove_receiver("message", cog.on_message)
    await feed(harness, items[: MESSAGES // 10])  # warm-up: caches, first-call costs
    cpu = time.process_time()
    bare_seconds = await feed(harness, items)
    bare_cpu = time.process_time() - cpu

    # What any listener costs in discord.py (one task per listener per event), doing nothing.
    async def empty_listener(message: discord.Message) -> None:
        return None

    harness.bot.add_listener(empty_listener, "on_message")
    empty_seconds = await feed(harness, items)
    harness.bot.remove_listener(empty_listener, "on_message")
    harness.bot.add_receiver("message", cog.on_message)

    writer = harness.bot.contribution_writer
    cpu = time.process_time()
    began = time.perf_counter()
    await feed(harness, items)
    await writer.flush()
    logged_seconds = time.perf_counter() - began
    logged_cpu = time.process_time() - cpu

    async with harness.db.session() as session:
        stored = await log_queries.count_contributions(session, harness.community.guild.id)
    assert stored == MESSAGES
    current, peak = rss_mb()
    return {
        "bare": MESSAGES / bare_seconds,
        "empty": MESSAGES / empty_seconds,
        "logged": MESSAGES / logged_seconds,
        "bare_cpu": bare_cpu / MESSAGES * 1e6,
        "logged_cpu": logged_cpu / MESSAGES * 1e6,
        "writer": await writer_rate(harness),
        "rss": current,
        "peak": peak,
    }


def report(backend: str, figures: dict[str, float], extra: str = "") -> None:
    ratio = figures["logged"] / figures["bare"]
    cpu_ratio = figures["bare_cpu"] / figures["logged_cpu"]
    print(
        f"\n[{backend}] {MESSAGES} MESSAGE_CREATE payloads\n"
        f"  bare parser (the bot without the log): {figures['bare']:>9,.0f} msg/s\n"
        f"  parser + one empty listener:          {figures['empty']:>9,.0f} msg/s "
        f"({figures['empty'] / figures['bare']:.2f} of bare)\n"
        f"  parser + the log + writer, durable:   {figures['logged']:>9,.0f} msg/s "
        f"({ratio:.2f} of bare, {figures['logged'] / figures['empty']:.2f} of one empty listener)\n"
        f"  CPU per message (all threads):        {figures['bare_cpu']:>9.1f} us bare, "
        f"{figures['logged_cpu']:.1f} us logged ({cpu_ratio:.2f}; "
        "less sensitive than wall time to other processes on the machine)\n"
        f"  the writer alone, same rows, no Discord: {figures['writer']:>6,.0f} rows/s "
        "(its own batching, attribution included)\n"
        f"{extra}"
        f"  memory: {figures['rss']:.0f} MB resident now, {figures['peak']:.0f} MB peak"
    )


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
        copy_rate = await copy_baseline(harness, url)
        store_rate = await storage_rate(harness)
        extra = (
            f"  asyncpg copy_records_to_table:        {copy_rate:>9,.0f} rows/s "
            f"(logged = {figures['logged'] / copy_rate:.2f} of it; "
            f"the writer alone = {figures['writer'] / copy_rate:.2f} of it)\n"
            f"  the writer's storage path alone:      {store_rate:>9,.0f} rows/s "
            f"({store_rate / copy_rate:.2f} of COPY; 500-row batches, each committed)\n"
        )
        report("PostgreSQL", figures, extra)


async def stored_rows_removed(harness: Harness) -> list[dict[str, Any]]:
    """Every logged row, deleted from the log (to be stored again by what is measured)."""
    async with harness.db.session() as session:
        stored = list((await session.execute(select(Contribution))).scalars())
        rows = [row.model_dump() for row in stored]
        await log_queries.delete_contributions(session, [row["message_id"] for row in rows])
        await session.commit()
    return rows


async def writer_rate(harness: Harness) -> float:
    """The same rows through the bot's writer, as the listeners hand them over, until durable."""
    rows = await stored_rows_removed(harness)
    for row in rows:
        for filled_by_the_writer in ("organisation_id", "stakeholder", "level", "logged_at"):
            del row[filled_by_the_writer]
    writer = harness.bot.contribution_writer
    began = time.perf_counter()
    for index, row in enumerate(rows):
        writer.add(StoreContribution(row))
        if index % 200 == 199:
            await asyncio.sleep(0)
    await writer.flush()
    return len(rows) / (time.perf_counter() - began)


async def storage_rate(harness: Harness) -> float:
    """The same rows stored again with the writer's storage call, without Discord in front."""
    rows = await stored_rows_removed(harness)
    began = time.perf_counter()
    for start in range(0, len(rows), 500):
        async with harness.db.transaction() as session:
            await log_queries.store_contributions(session, rows[start : start + 500])
    return len(rows) / (time.perf_counter() - began)


async def copy_baseline(harness: Harness, url: str) -> float:
    """The same rows into a copy of the table with COPY: the ceiling for getting them in."""
    async with harness.db.session() as session:
        rows = list((await session.execute(select(Contribution))).scalars())
    columns = list(Contribution.__table__.columns.keys())
    records = [tuple(getattr(row, name) for name in columns) for row in rows]
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute("CREATE TABLE contribution_copy (LIKE contribution INCLUDING ALL)")
        began = time.perf_counter()
        await connection.copy_records_to_table(
            "contribution_copy", records=records, columns=columns
        )
        return len(records) / (time.perf_counter() - began)
    finally:
        await connection.close()
