"""``/insights community`` for a year of a large community, next to a plain reading of the same
rows, on SQLite and on PostgreSQL.

The community (sizes from the environment, for a quick run; defaults in brackets):
BENCH_INSIGHTS_MEMBERS people [10,000] in BENCH_INSIGHTS_ORGANISATIONS organisations [300] whose
sizes follow Zipf's law (the k-th largest holds a share proportional to 1/k), each organisation
of one of 4 stakeholder groups and one of 3 levels; BENCH_INSIGHTS_ROWS contributions [1,000,000]
spread over the 12 months of 2025, and BENCH_INSIGHTS_REACTIONS reactions [500]. Activity is
Zipf-like: 30% of the people never post, the others post in proportion to rank^-0.7. A fifth of
the messages are replies to the latest earlier message of someone chosen in proportion to the
same activity: 60% within the author's organisation, 25% within the author's level, 15% anyone
(some 150,000 distinct reply edges at full size). 4% of the other messages are questions; a reply
to a question is an answer; a tenth of the messages carry a link. Members and organisations are
written through the storage functions, contributions in batches through
``storage.contributions.store_contributions`` (as ``test_export.py`` does).

Measured in a subprocess per database (so each peak memory is its own), for the period
2025-01-01 to 2025-12-31 in the community's time zone:

1. the baseline: the database's own driver (``sqlite3``; ``asyncpg`` on PostgreSQL) reading the
   period's messages per author with one GROUP BY, and the reply edge list (author, person
   replied to, count); once to warm the caches, then timed;
2. ``read_community_data`` (every query behind the figures), ``compute`` without the network
   figures (the counting figures), ``compute`` with them (the difference: the silos' permutation
   tests and the brokers), and ``Insights.community`` as a command calls it (total: both periods
   read, figures, previous period, names); the counting figures (reading plus counting) as a
   multiple of the baseline (target: at most 2);
3. each chart of ``CHARTS`` drawn on its own (target: under 0.5 s each);
4. the event loop's worst lag during ``Insights.community``: a task sleeps 10 ms in a loop and
   records how late it wakes (target: at most 100 ms);
5. the process's peak resident memory (target: under 500 MB).

The reading is checked against the baseline (the same counts per author, the same edges). No
timing assertions: the figures are printed, one block per database.

Run: ``python -m pytest tests/benchmarks/test_insights.py -s -n 0``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from numpy.typing import NDArray

from bot.contributions.values import Attribution, ContributionRow, ReactionRow
from bot.membership.vocabulary import Level, Stakeholder
from bot.periods import Period
from storage import contributions as log_queries
from storage.communities import ensure_community, set_timezone
from storage.db import Database
from storage.members import ensure_member, set_member_details, start_membership
from storage.organisations import create_organisation
from tests.databases import postgres_url
from tests.storage.helpers import ROOT, SETTINGS

MEMBERS = int(os.environ.get("BENCH_INSIGHTS_MEMBERS", "10000"))
ORGANISATIONS = int(
    os.environ.get("BENCH_INSIGHTS_ORGANISATIONS", str(min(300, max(5, MEMBERS // 30))))
)
ROWS = int(os.environ.get("BENCH_INSIGHTS_ROWS", "1000000"))
REACTIONS = int(os.environ.get("BENCH_INSIGHTS_REACTIONS", "500"))
MEASURE_TIMEOUT = float(os.environ.get("BENCH_INSIGHTS_TIMEOUT", "300"))

GUILD = 900_000_000_000_000_815
FIRST_USER = 920_000_000_001_000_000
FIRST_MESSAGE = 930_000_000_000_000_000
CHANNELS = [910_000_000_000_000_815 + n for n in range(20)]
TIMEZONE = "Europe/Amsterdam"
YEAR = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_MICROSECONDS = 365 * 24 * 3600 * 1_000_000
JOINED = datetime(2024, 6, 1, tzinfo=UTC)
PERIOD = Period(date(2025, 1, 1), date(2025, 12, 31))
STAKEHOLDERS = (
    Stakeholder.GOVERNMENT,
    Stakeholder.CIVIL_SOCIETY,
    Stakeholder.RESEARCH,
    Stakeholder.PRIVATE_SECTOR,
)
STAKEHOLDER_SHARES = (0.35, 0.3, 0.2, 0.15)
LEVELS = (Level.NATIONAL, Level.INTERMEDIATE, Level.LOCAL)
LEVEL_SHARES = (0.2, 0.3, 0.5)
SILENT_SHARE = 0.3
ACTIVITY_EXPONENT = 0.7
REPLY_SHARE = 0.2
# Where a reply goes: the author's organisation, else the author's level, else anyone.
WITHIN_ORGANISATION, WITHIN_LEVEL = 0.6, 0.25
QUESTION_SHARE = 0.04
LINK_SHARE = 0.1
NO_PROFILE_SHARE = 0.1  # people who left their own stakeholder group and level empty
INSERT_BATCH = 20_000

Ints = NDArray[np.int64]
Flags = NDArray[np.bool_]


@dataclass(frozen=True)
class Plan:
    """The generated community, people indexed 0..MEMBERS-1 and messages 0..ROWS-1 in time
    order (message n has id FIRST_MESSAGE + n)."""

    organisation_stakeholder: Ints
    organisation_level: Ints
    member_organisation: Ints
    member_has_profile: Flags
    author: Ints
    microseconds: Ints
    """Since the start of 2025."""
    is_reply: Flags
    replied_message: Ints
    """For a reply, the index of the message replied to (-1 otherwise)."""
    is_question: Flags
    is_answer: Flags
    links: Ints
    channel: Ints
    reactions: list[tuple[int, int, int]]
    """(message index, reacting person, emoji number)."""


def zipf_sizes(total: int, groups: int) -> Ints:
    """``total`` split into ``groups`` sizes proportional to 1/k (largest remainders), each at
    least 1 when there are enough to go round."""
    shares = 1.0 / np.arange(1, groups + 1)
    exact = total * shares / shares.sum()
    sizes = np.floor(exact).astype(np.int64)
    if total >= groups:
        sizes = np.maximum(sizes, 1)
    short = total - int(sizes.sum())
    order = np.argsort(-(exact - sizes), kind="stable")
    if short > 0:
        sizes[order[:short]] += 1
    elif short < 0:  # the minimum of 1 took a few from the largest
        sizes[0] += short
    return sizes


def weighted_choice(
    rng: np.random.Generator, candidates: Ints, weights: NDArray[np.float64], size: int
) -> Ints | None:
    """``size`` draws from ``candidates`` in proportion to their weights; None if all are 0."""
    chosen = weights[candidates]
    total = chosen.sum()
    if total <= 0:
        return None
    return rng.choice(candidates, size=size, p=chosen / total)


def make_plan(seed: int = 15) -> Plan:
    rng = np.random.default_rng(seed)
    sizes = zipf_sizes(MEMBERS, ORGANISATIONS)
    organisation_stakeholder = rng.choice(len(STAKEHOLDERS), ORGANISATIONS, p=STAKEHOLDER_SHARES)
    organisation_level = rng.choice(len(LEVELS), ORGANISATIONS, p=LEVEL_SHARES)
    member_organisation = rng.permutation(np.repeat(np.arange(ORGANISATIONS), sizes))
    member_has_profile = rng.random(MEMBERS) >= NO_PROFILE_SHARE

    # Zipf-like activity over a random ranking; the silent never post nor get replies.
    ranks = rng.permutation(MEMBERS) + 1
    active = rng.random(MEMBERS) >= SILENT_SHARE
    weights: NDArray[np.float64] = (ranks**-ACTIVITY_EXPONENT * active).astype(np.float64)
    author = rng.choice(MEMBERS, ROWS, p=weights / weights.sum())
    microseconds = np.sort(rng.integers(0, YEAR_MICROSECONDS, ROWS))

    replying = np.flatnonzero(rng.random(ROWS) < REPLY_SHARE)
    replying = replying[replying > 0]
    target = np.full(len(replying), -1, dtype=np.int64)
    where = rng.random(len(replying))
    member_level = organisation_level[member_organisation]
    everyone = np.arange(MEMBERS)
    for labels, lower, upper in (
        (member_organisation, 0.0, WITHIN_ORGANISATION),
        (member_level, WITHIN_ORGANISATION, WITHIN_ORGANISATION + WITHIN_LEVEL),
    ):
        in_band = (where >= lower) & (where < upper)
        label_of_reply = labels[author[replying]]
        for label in np.unique(label_of_reply[in_band]):
            picked = np.flatnonzero(in_band & (label_of_reply == label))
            drawn = weighted_choice(rng, np.flatnonzero(labels == label), weights, len(picked))
            if drawn is not None:
                target[picked] = drawn
    # Anyone: the rest of the band, those whose group had nobody active, and self-replies
    # (drawn again once; the few left stay, as in life, and the edges leave them out).
    again = (target < 0) | (target == author[replying])
    drawn = weighted_choice(rng, everyone, weights, int(again.sum()))
    assert drawn is not None
    target[again] = drawn

    # The message replied to: the target's latest message before the reply (none: no reply).
    by_author = np.sort(author.astype(np.int64) * ROWS + np.arange(ROWS))
    position = np.searchsorted(by_author, target * ROWS + replying) - 1
    found = by_author[np.maximum(position, 0)]
    valid = (position >= 0) & (found // ROWS == target)
    is_reply = np.zeros(ROWS, dtype=bool)
    is_reply[replying[valid]] = True
    replied_message = np.full(ROWS, -1, dtype=np.int64)
    replied_message[replying[valid]] = found[valid] % ROWS

    is_question = ~is_reply & (rng.random(ROWS) < QUESTION_SHARE)
    is_answer = np.zeros(ROWS, dtype=bool)
    is_answer[is_reply] = is_question[replied_message[is_reply]]
    links = (rng.random(ROWS) < LINK_SHARE).astype(np.int64)
    channel = rng.integers(0, len(CHANNELS), ROWS)

    reactions: set[tuple[int, int, int]] = set()
    reacted_to = rng.integers(0, ROWS, REACTIONS * 2)
    reactors = rng.choice(MEMBERS, REACTIONS * 2, p=weights / weights.sum())
    for message, person, emoji in zip(
        reacted_to.tolist(),
        reactors.tolist(),
        rng.integers(0, 3, REACTIONS * 2).tolist(),
        strict=True,
    ):
        if len(reactions) < REACTIONS and person != int(author[message]):
            reactions.add((message, person, emoji))
    return Plan(
        organisation_stakeholder=organisation_stakeholder,
        organisation_level=organisation_level,
        member_organisation=member_organisation,
        member_has_profile=member_has_profile,
        author=author,
        microseconds=microseconds,
        is_reply=is_reply,
        replied_message=replied_message,
        is_question=is_question,
        is_answer=is_answer,
        links=links,
        channel=channel,
        reactions=sorted(reactions),
    )


def created_at(microseconds: int) -> datetime:
    return YEAR + timedelta(microseconds=microseconds)


async def fill(db: Database, plan: Plan) -> None:
    """The community, its register and its log, through the storage functions."""
    async with db.transaction() as session:
        community = await ensure_community(session, GUILD, "Insights benchmark CoP")
        await set_timezone(session, community, TIMEZONE)
        organisations = [
            await create_organisation(
                session,
                community_id=GUILD,
                name=f"Organisation {n + 1}",
                name_key=f"organisation {n + 1}",
                stakeholder=STAKEHOLDERS[plan.organisation_stakeholder[n]].value,
                level=LEVELS[plan.organisation_level[n]].value,
            )
            for n in range(ORGANISATIONS)
        ]
    attributions: list[Attribution] = []
    # One transaction per thousand people: a failure shows where, and none grows too large.
    for first in range(0, MEMBERS, 1000):
        async with db.transaction() as session:
            for person in range(first, min(first + 1000, MEMBERS)):
                organisation = organisations[plan.member_organisation[person]]
                member = await ensure_member(session, GUILD, FIRST_USER + person, f"P{person}")
                if plan.member_has_profile[person]:
                    await set_member_details(
                        session,
                        member.id,
                        stakeholder=organisation.stakeholder,
                        level=organisation.level,
                        country=None,
                        expertise=(),
                    )
                await start_membership(session, member.id, organisation.id, JOINED)
                attributions.append(
                    Attribution(organisation.id, organisation.stakeholder, organisation.level)
                )

    author = plan.author.tolist()
    moment = plan.microseconds.tolist()
    is_reply, replied = plan.is_reply.tolist(), plan.replied_message.tolist()
    is_question, is_answer = plan.is_question.tolist(), plan.is_answer.tolist()
    links, channel = plan.links.tolist(), plan.channel.tolist()
    for first in range(0, ROWS, INSERT_BATCH):
        rows = [
            ContributionRow(
                message_id=FIRST_MESSAGE + n,
                community_id=GUILD,
                channel_id=CHANNELS[channel[n]],
                author_id=FIRST_USER + author[n],
                created_at=created_at(moment[n]),
                is_reply=is_reply[n],
                is_answer=is_answer[n],
                is_question=is_question[n],
                is_resource=links[n] > 0,
                reply_to_author_id=FIRST_USER + author[replied[n]] if is_reply[n] else None,
                reply_to_message_id=FIRST_MESSAGE + replied[n] if is_reply[n] else None,
                characters=40 + n % 300,
                words=8 + n % 50,
                links=links[n],
            )
            for n in range(first, min(first + INSERT_BATCH, ROWS))
        ]
        async with db.transaction() as session:
            await log_queries.store_contributions(
                session,
                rows,
                attributions=[attributions[author[n]] for n in range(first, first + len(rows))],
            )
    reactions = [
        ReactionRow(
            community_id=GUILD,
            channel_id=CHANNELS[channel[message]],
            message_id=FIRST_MESSAGE + message,
            user_id=FIRST_USER + person,
            target_author_id=FIRST_USER + author[message],
            emoji=("👍", "🎉", "💡")[emoji],
            created_at=created_at(moment[message]) + timedelta(minutes=5),
        )
        for message, person, emoji in plan.reactions
    ]
    async with db.transaction() as session:
        await log_queries.store_reactions(
            session,
            reactions,
            attributions=[attributions[person] for _, person, _ in plan.reactions],
        )


# --- the baseline: the database's own driver, the same period --------------------------------

MESSAGES_BY_AUTHOR = (
    "SELECT author_id, count(*) FROM contribution "
    "WHERE community_id = {0} AND created_at >= {1} AND created_at < {2} GROUP BY author_id"
)
EDGES = (
    "SELECT author_id, reply_to_author_id, count(*) FROM contribution "
    "WHERE community_id = {0} AND created_at >= {1} AND created_at < {2} AND is_reply "
    "AND reply_to_author_id IS NOT NULL AND reply_to_author_id != author_id "
    "GROUP BY author_id, reply_to_author_id"
)

Baseline = tuple[dict[int, int], set[tuple[int, int, int]]]


def sqlite_baseline(path: str, start: datetime, end: datetime) -> Baseline:
    """Messages per author and reply edges in [start, end), by ``sqlite3``."""
    # SQLAlchemy keeps a SQLite datetime as naive UTC text, which compares in time order.
    bounds = [moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ") for moment in (start, end)]
    if "." not in bounds[0]:
        bounds = [f"{bound}.000000" for bound in bounds]
    connection = sqlite3.connect(path)
    try:
        marks = ("?", "?", "?")
        counts = connection.execute(MESSAGES_BY_AUTHOR.format(*marks), (GUILD, *bounds)).fetchall()
        edges = connection.execute(EDGES.format(*marks), (GUILD, *bounds)).fetchall()
    finally:
        connection.close()
    return dict(counts), set(edges)


async def postgresql_baseline(dsn: str, start: datetime, end: datetime) -> Baseline:
    """Messages per author and reply edges in [start, end), by ``asyncpg``."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        marks = ("$1", "$2", "$3")
        counts = await connection.fetch(MESSAGES_BY_AUTHOR.format(*marks), GUILD, start, end)
        edges = await connection.fetch(EDGES.format(*marks), GUILD, start, end)
    finally:
        await connection.close()
    return {row[0]: row[1] for row in counts}, {(row[0], row[1], row[2]) for row in edges}


# --- the measurement, in a process of its own ---------------------------------------------------

T = TypeVar("T")


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


async def timed_async(work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    began = time.perf_counter()
    result = await work()
    return result, time.perf_counter() - began


def timed_call(work: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


async def worst_lag(stop: asyncio.Event, tick: float = 0.01) -> float:
    """The longest the event loop overslept a ``tick`` sleep until ``stop``, in seconds."""
    worst = 0.0
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(tick)
        worst = max(worst, time.perf_counter() - began - tick)
    return worst


def emit(line: str) -> None:
    """One line of the block, at once: a measurement cut short still shows what it reached."""
    print(line, flush=True)


async def query_times(db: Database, start: datetime, end: datetime) -> str:
    """Each query behind ``read_community_data`` timed on its own, slowest last if it hangs."""
    from storage import insights as queries
    from storage.organisations import list_organisations

    parts: list[tuple[str, Callable[[Any], Awaitable[Any]]]] = [
        ("present_people", lambda s: queries.present_people(s, GUILD, start, end)),
        ("activity_by_person", lambda s: queries.activity_by_person(s, GUILD, start, end)),
        ("reply_edges", lambda s: queries.reply_edges(s, GUILD, start, end)),
        (
            "daily_messages",
            lambda s: queries.daily_messages_by_stakeholder(s, GUILD, start, end, TIMEZONE),
        ),
        ("cafe_seats", lambda s: queries.cafe_seats(s, GUILD, start, end)),
        ("cafe_table_notes", lambda s: queries.cafe_table_notes(s, GUILD, start, end)),
        ("organisations", lambda s: list_organisations(s, GUILD)),
        ("questions_asked", lambda s: queries.questions_asked(s, GUILD, start, end)),
    ]
    times = []
    async with db.session() as session:
        for name, query in parts:
            _, seconds = await timed_async(partial(query, session))
            times.append(f"{name} {seconds:.2f}")
            emit(f"  (query {name}: {seconds:.2f} s)")
    return ", ".join(times)


async def measure(url: str) -> None:
    """Print the block of figures for the database at ``url``, line by line."""
    from bot.communities import Communities
    from bot.insights.compute import compute
    from bot.insights.service import CHARTS, Insights, draw_charts, read_community_data

    postgresql = url.startswith("postgresql")
    start, end = PERIOD.bounds(TIMEZONE)
    assert start is not None and end is not None

    async def baseline() -> Baseline:
        if postgresql:
            return await postgresql_baseline(url.replace("+asyncpg", ""), start, end)
        return await asyncio.to_thread(
            sqlite_baseline, url.removeprefix("sqlite+aiosqlite:///"), start, end
        )

    _, cold = await timed_async(baseline)
    (counts, edges), plain = await timed_async(baseline)
    driver = "asyncpg" if postgresql else "sqlite3"
    emit(
        f"baseline ({driver}: messages per author + reply edges): {plain:.2f} s "
        f"(first, cold: {cold:.2f} s)"
    )

    db = Database.connect(url)
    try:
        await query_times(db, start, end)

        async def read() -> Any:
            async with db.session() as session:
                return await read_community_data(session, GUILD, start, end, TIMEZONE)

        data, reading = await timed_async(read)
        assert {user: a.messages for user, a in data.activity.items() if a.messages} == counts
        assert {(r.source, r.target, r.count) for r in data.replies} == edges
        emit(
            f"data: {len(data.people):,} people present, {sum(counts.values()):,} messages, "
            f"{len(edges):,} distinct reply edges ({sum(e[2] for e in edges):,} replies), "
            f"{len(data.questions):,} questions"
        )
        _, counting = timed_call(partial(compute, data, now=end, min_group=3, networks=False))
        _, everything = timed_call(partial(compute, data, now=end, min_group=3))
        del data
        gc.collect()
        emit(f"read_community_data: {reading:.2f} s")
        emit(f"compute, counting figures (networks=False): {counting:.2f} s")
        emit(
            f"counting figures (read + count) {reading + counting:.2f} s: "
            f"{(reading + counting) / plain:.2f}x the baseline (target <= 2x)"
        )
        emit(
            f"network figures (compute networks=True minus False): "
            f"{everything - counting:.2f} s (compute in all {everything:.2f} s; target <= 10 s)"
        )
        emit(f"(peak so far {peak_mb()} MB)")

        insights = Insights(db, Communities(db))
        stop = asyncio.Event()
        watcher = asyncio.create_task(worst_lag(stop))
        found, total = await timed_async(lambda: insights.community(GUILD, PERIOD))
        stop.set()
        lag = await watcher
        emit(
            f"Insights.community (365 days, previous period included): {total:.2f} s, "
            f"{len(found.shown):,} measures"
        )
        emit(f"event loop's worst lag during it: {lag * 1000:.0f} ms (target <= 100 ms)")

        _, cold_charts = timed_call(lambda: draw_charts(found, CHARTS))
        emit(f"charts (target < 0.5 s each; all at once, first time {cold_charts:.2f} s):")
        for key in CHARTS:
            drawn, seconds = timed_call(partial(draw_charts, found, [key]))
            assert drawn[key].startswith(b"\x89PNG")
            emit(f"  {key} {seconds:.2f} s ({len(drawn[key]) // 1024} KB)")
    finally:
        await db.dispose()
    emit(f"peak resident memory: {peak_mb()} MB (target < 500 MB)")


def run_measurement(name: str, url: str) -> bool:
    """Measure in a fresh process and print its block of figures; False if it was cut off
    after BENCH_INSIGHTS_TIMEOUT seconds."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["PYTHONPATH"] = str(ROOT)
    print(
        f"\n{name}: /insights community, {MEMBERS:,} members, {ORGANISATIONS} organisations, "
        f"{ROWS:,} contributions over 2025"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.test_insights", url],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=MEASURE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as cut:
        reached = cut.stdout.decode() if isinstance(cut.stdout, bytes) else cut.stdout or ""
        print(reached, end="")
        print(f"CUT OFF: the measurement had not finished after {MEASURE_TIMEOUT:.0f} s")
        return False
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout, end="")
    return True


async def seeded(url: str) -> float:
    """Seconds to generate and store the community at ``url`` (migrated)."""
    began = time.perf_counter()
    plan = make_plan()
    db = Database.connect(url)
    try:
        await fill(db, plan)
    finally:
        await db.dispose()
    return time.perf_counter() - began


@pytest.mark.timeout(5400)
def test_insights_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'insights.sqlite3'}"

    async def seed() -> float:
        db = Database.connect(url)
        try:
            await db.migrate()
        finally:
            await db.dispose()
        return await seeded(url)

    print(f"\n(SQLite seeded in {asyncio.run(seed()):.0f} s)")
    if not run_measurement("SQLite", url):
        # Without statistics SQLite's planner may choose a join order that scans the log once
        # per row; with them (ANALYZE, which copbot does not run) it may not: measured again.
        connection = sqlite3.connect(tmp_path / "insights.sqlite3")
        connection.execute("ANALYZE")
        connection.close()
        run_measurement("SQLite after ANALYZE", url)


@pytest.mark.timeout(5400)
@pytest.mark.postgres
def test_insights_on_postgresql() -> None:
    async def seed_and_measure() -> None:
        async with postgres_url(migrated=True) as url:
            print(f"\n(PostgreSQL seeded in {await seeded(url):.0f} s)")
            if not await asyncio.to_thread(run_measurement, "PostgreSQL", url):
                # As on SQLite: measured again once the planner has statistics of the new rows
                # (autovacuum would gather them in time; a run just after the seeding is early).
                import asyncpg

                connection = await asyncpg.connect(url.replace("+asyncpg", ""))
                try:
                    await connection.execute("ANALYZE")
                finally:
                    await connection.close()
                await asyncio.to_thread(run_measurement, "PostgreSQL after ANALYZE", url)

    asyncio.run(seed_and_measure())


if __name__ == "__main__":
    asyncio.run(measure(sys.argv[1]))
