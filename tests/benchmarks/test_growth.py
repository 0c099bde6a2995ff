"""How the insights and the exports of one community grow with the contribution log on
PostgreSQL: the same community measured in a log of 1M rows and, when asked, of 10M.

The log (one database per size, made with ``INSERT ... SELECT ... FROM generate_series``, a
million rows a statement, in time order over 2025, then VACUUM ANALYZE as autovacuum would)
holds BENCH_GROWTH_COMMUNITIES communities [10,000]; two of them are measured:

- *typical*: BENCH_GROWTH_TYPICAL_ROWS contributions [10,000] at every size (100 million a year
  over 10,000 communities is 10,000 each): its times should not grow with the log if the queries
  find its rows by index;
- *large*: a twentieth of the log (50,000 rows in 1M, 500,000 in 10M), 2,000 people: its
  times grow with its own rows.

Each community's rows lie scattered among the others' (as a shared log fills), a fifth of them
replies, 4% questions. Timed, each twice (the first read, then again; the second is printed
first): each storage query behind the insights for 2025, ``Insights.community`` for 2025 as the
command calls it (reading, figures, previous period), and ``Exports.write`` of the
contributions, network and metrics exports (CSV, all time) as ``/export`` and ``copbot export``
call it; then ``Insights.community`` and the contributions export for June 2025 alone. Then
the plans: ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement reading the contribution table that
the storage queries and the exports sent for the large community: its scans (which index) and
time, or whole with BENCH_GROWTH_PLANS=full.

Sizes: BENCH_GROWTH_SIZES [1000000]; ``BENCH_GROWTH_SIZES=1000000,10000000`` for both (the 10M
log takes several minutes to make). Run: ``python -m pytest tests/benchmarks/test_growth.py -s
-n 0``. No timing assertions; the figures go in docs/SCALING.md.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event

from bot.communities import Communities
from bot.exports.request import ExportKind, ExportRequest
from bot.exports.service import Exports
from bot.insights.service import Insights
from bot.membership.vocabulary import Level, Stakeholder
from bot.periods import Period
from storage import insights as queries
from storage.db import Database
from storage.exports.contributions import count_contributions
from tests.databases import postgres_url

pytestmark = pytest.mark.postgres

SIZES = [int(size) for size in os.environ.get("BENCH_GROWTH_SIZES", "1000000").split(",")]
COMMUNITIES = int(os.environ.get("BENCH_GROWTH_COMMUNITIES", "10000"))
TYPICAL_ROWS = int(os.environ.get("BENCH_GROWTH_TYPICAL_ROWS", "10000"))
LARGE_SHARE = 20  # every 20th row is the large community's
LARGE_PEOPLE, TYPICAL_PEOPLE, OTHER_PEOPLE = 2_000, 50, 50
ROWS_PER_STATEMENT = 1_000_000
FULL_PLANS = os.environ.get("BENCH_GROWTH_PLANS", "") == "full"  # else the scans only
PLAN_PARTS = ("Scan", "Index Cond", "Heap Blocks", "Execution Time")  # the lines shown
COSTS = re.compile(r"  \(cost=[^)]*\)")

FIRST_COMMUNITY = 900_000_000_000_100_000
TYPICAL, LARGE = FIRST_COMMUNITY, FIRST_COMMUNITY + 1
FIRST_USER = 920_000_000_002_000_000
FIRST_MESSAGE = 930_000_000_100_000_000
FIRST_CHANNEL = 910_000_000_000_100_000
YEAR_SECONDS = 365 * 24 * 3600
PERIOD = Period(date(2025, 1, 1), date(2025, 12, 31))
MONTH = Period(date(2025, 6, 1), date(2025, 6, 30))
JOINED = datetime(2024, 6, 1, tzinfo=UTC)
STAKEHOLDERS = [
    s.value
    for s in (
        Stakeholder.GOVERNMENT,
        Stakeholder.CIVIL_SOCIETY,
        Stakeholder.RESEARCH,
        Stakeholder.PRIVATE_SECTOR,
    )
]
LEVELS = [Level.NATIONAL.value, Level.INTERMEDIATE.value, Level.LOCAL.value]


# --- seeding (test-only SQL: the benchmark's own data, as test_insights.py makes its own) ---------

COMMUNITY_ROWS = """
INSERT INTO community (id, name, timezone, rolesync, rolesync_organisations, min_group,
                       created_at, updated_at)
SELECT $1::bigint + c, 'Community ' || c, 'UTC', false, false, 3, now(), now()
FROM generate_series(0, $2 - 1) AS c
"""

MEMBER_ROWS = """
INSERT INTO member (community_id, user_id, display_name, stakeholder, level, expertise,
                    joined_at, name_visible, created_at, updated_at)
SELECT $1::bigint, $2::bigint + p, 'Person ' || p, ($4::text[])[1 + p % 4],
       ($5::text[])[1 + p % 3], '[]', $6, false, now(), now()
FROM generate_series(0, $3 - 1) AS p
"""

# Row n (1..total) of the log: created in time order over 2025; every typical_step-th row is
# the typical community's, every LARGE_SHARE-th (offset 1) the large one's, the rest spread over
# the other communities by a multiplicative hash. Authors are skewed (u ** 2.5: a few post most).
# A reply replies to the previous row of the same community.
CONTRIBUTION_ROWS = """
INSERT INTO contribution (message_id, community_id, channel_id, parent_channel_id, author_id,
    organisation_id, stakeholder, level, created_at, edited_at, is_reply, is_answer,
    is_question, is_resource, is_thread_start, reply_to_author_id, reply_to_message_id,
    characters, words, links, attachments, mentions, logged_at)
SELECT $1::bigint + n, $2::bigint + kind.c, $3::bigint + kind.c % 1000 * 10 + (h >> 19) % 5,
       NULL, $4::bigint + floor(kind.people * power(((h >> 23) % 1000) / 1000.0, 2.5))::bigint,
       NULL, ($8::text[])[1 + (h >> 23) % 4], ($9::text[])[1 + (h >> 27) % 3],
       at, NULL, reply, reply AND (h >> 7) % 10 = 0,
       NOT reply AND (h >> 5) % 25 = 0, (h >> 9) % 10 = 0, false,
       CASE WHEN reply THEN $4 + (h >> 11) % kind.people END,
       CASE WHEN reply THEN $1 + n - kind.step END,
       5 + (h >> 13) % 400, 1 + (h >> 17) % 60, ((h >> 9) % 10 = 0)::int, 0, 0, at
FROM generate_series($5::bigint, $6::bigint) AS n
CROSS JOIN LATERAL (SELECT (n * 2654435761) % 4294967296 AS h) AS hashed
CROSS JOIN LATERAL (
    SELECT CASE WHEN n % $7::bigint = 0 THEN 0 WHEN n % 20 = 1 THEN 1
                ELSE 2 + h % ($10::bigint - 2) END AS c,
           CASE WHEN n % $7::bigint = 0 THEN $11::bigint WHEN n % 20 = 1 THEN $12::bigint
                ELSE $13::bigint END AS people,
           CASE WHEN n % $7::bigint = 0 THEN $7::bigint WHEN n % 20 = 1 THEN 20 ELSE 1 END
               AS step
) AS kind
CROSS JOIN LATERAL (
    SELECT timestamptz '2025-01-01 00:00:00+00'
           + make_interval(secs => (n - 1) * $14::float8) AS at,
           n > kind.step AND (h >> 3) % 5 = 0 AS reply
) AS made
"""


async def seed(url: str, total: int) -> float:
    """Fill the database at ``url`` (migrated, empty) with a log of ``total`` rows; seconds."""
    began = time.perf_counter()
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await connection.execute(COMMUNITY_ROWS, FIRST_COMMUNITY, COMMUNITIES)
        for community, people in ((TYPICAL, TYPICAL_PEOPLE), (LARGE, LARGE_PEOPLE)):
            await connection.execute(
                MEMBER_ROWS, community, FIRST_USER, people, STAKEHOLDERS, LEVELS, JOINED
            )
        typical_step = max(1, total // TYPICAL_ROWS)
        for first in range(1, total + 1, ROWS_PER_STATEMENT):
            last = min(total, first + ROWS_PER_STATEMENT - 1)
            await connection.execute(
                CONTRIBUTION_ROWS,
                FIRST_MESSAGE,
                FIRST_COMMUNITY,
                FIRST_CHANNEL,
                FIRST_USER,
                first,
                last,
                typical_step,
                STAKEHOLDERS,
                LEVELS,
                COMMUNITIES,
                TYPICAL_PEOPLE,
                LARGE_PEOPLE,
                OTHER_PEOPLE,
                YEAR_SECONDS / total,
                timeout=3600,
            )
            print(f"  ({last:,} rows in {time.perf_counter() - began:.0f} s)", flush=True)
        await connection.execute("VACUUM ANALYZE contribution", timeout=3600)
        await connection.execute("ANALYZE", timeout=3600)
    finally:
        await connection.close()
    return time.perf_counter() - began


async def sizes_of(url: str) -> str:
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        table, indexes = await connection.fetchrow(
            "SELECT pg_table_size('contribution'), pg_indexes_size('contribution')"
        )
    finally:
        await connection.close()
    return f"table {table / 2**20:,.0f} MB, indexes {indexes / 2**20:,.0f} MB"


# --- timing -------------------------------------------------------------------------------------


@dataclass
class Timing:
    first: float
    again: float

    def __str__(self) -> str:
        return f"{self.again:7.3f} s (first {self.first:.3f})"


async def timed_twice(run: Callable[[], Awaitable[Any]]) -> Timing:
    times = []
    for _ in range(2):
        began = time.perf_counter()
        await run()
        times.append(time.perf_counter() - began)
    return Timing(*times)


@dataclass
class Captured:
    """Statements reading the log the engine sent while ``label`` was set, with their
    parameters: the first of each text in each period kept."""

    statements: dict[tuple[str, str], tuple[str, Any]] = field(default_factory=dict)
    label: str = ""
    period: str = "2025"

    def listen(self, db: Database) -> None:
        def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            key = (self.period, statement)
            if self.label and "contribution" in statement and key not in self.statements:
                self.statements[key] = (self.label, parameters)

        event.listen(db.engine.sync_engine, "before_cursor_execute", before)


def storage_queries(
    community: int, start: datetime, end: datetime
) -> list[tuple[str, Callable[[Any], Awaitable[Any]]]]:
    """The storage queries behind /insights community, one by one (read_community_data)."""
    return [
        ("present_people", lambda s: queries.present_people(s, community, start, end)),
        ("activity_by_person", lambda s: queries.activity_by_person(s, community, start, end)),
        ("reply_edges", lambda s: queries.reply_edges(s, community, start, end)),
        ("questions_asked", lambda s: queries.questions_asked(s, community, start, end)),
        (
            "daily_messages_by_stakeholder",
            lambda s: queries.daily_messages_by_stakeholder(s, community, start, end, "UTC"),
        ),
        ("count_contributions (export)", lambda s: count_contributions(s, community, None, None)),
    ]


async def measure_community(
    db: Database, community: int, workdir: Path, captured: Captured | None
) -> dict[str, Timing]:
    start, end = PERIOD.bounds("UTC")
    assert start is not None and end is not None
    times: dict[str, Timing] = {}
    for name, query in storage_queries(community, start, end):
        if captured is not None:
            captured.label = name

        async def run(query: Callable[[Any], Awaitable[Any]] = query) -> None:
            async with db.session() as session:
                await query(session)

        times[name] = await timed_twice(run)
    if captured is not None:
        captured.label = ""
    communities = Communities(db)

    async def insights() -> None:
        # A new service each time: it keeps figures a few minutes.
        await Insights(db, communities).community(community, PERIOD)

    times["Insights.community (2025)"] = await timed_twice(insights)
    exports = Exports(db, communities)
    for kind in (ExportKind.CONTRIBUTIONS, ExportKind.NETWORK, ExportKind.METRICS):
        request = ExportRequest(community, kind)
        target = workdir / Exports.file_name(request)

        async def export(request: ExportRequest = request, target: Path = target) -> None:
            await exports.write(request, target, actor_id=None)

        if captured is not None:
            captured.label = f"export {kind.value}"
        times[f"export {kind.value}"] = await timed_twice(export)
    # A month, as a monthly digest or a coordinator's look at the last weeks reads it.
    if captured is not None:
        captured.label, captured.period = "Insights.community (June)", "June"

    async def month() -> None:
        await Insights(db, communities).community(community, MONTH)

    times["Insights.community (June 2025)"] = await timed_twice(month)
    request = ExportRequest(community, ExportKind.CONTRIBUTIONS, period=MONTH)
    if captured is not None:
        captured.label = "export contributions (June)"

    async def month_export() -> None:
        await exports.write(request, workdir / "june.csv", actor_id=None)

    times["export contributions (June 2025)"] = await timed_twice(month_export)
    if captured is not None:
        captured.label, captured.period = "", "2025"
    return times


async def explain(url: str, captured: Captured) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each captured statement, with its parameters."""
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    plans = []
    try:
        for (_, statement), (label, parameters) in captured.statements.items():
            rows = await connection.fetch(
                f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters, timeout=600
            )
            lines = [row[0] for row in rows]
            if not FULL_PLANS:  # the scans (which index, how many pages), and the time
                lines = [
                    COSTS.sub("", line)[:200]
                    for line in lines
                    if any(part in line for part in PLAN_PARTS) and "never executed" not in line
                ]
            plan = "\n".join(f"      {line}" for line in lines)
            plans.append(f"    [{label}] {' '.join(statement.split())[:160]}...\n{plan}")
    finally:
        await connection.close()
    return plans


@dataclass
class SizeResult:
    rows: int
    seeded: float
    storage: str
    typical: dict[str, Timing]
    large: dict[str, Timing]
    plans: list[str]


async def measure_size(total: int, workdir: Path) -> SizeResult:
    async with postgres_url(migrated=True) as url:
        print(f"\nseeding {total:,} contributions over {COMMUNITIES:,} communities", flush=True)
        seeded = await seed(url, total)
        db = Database.connect(url)
        captured = Captured()
        captured.listen(db)
        try:
            typical = await measure_community(db, TYPICAL, workdir, None)
            large = await measure_community(db, LARGE, workdir, captured)
        finally:
            await db.dispose()
        plans = await explain(url, captured)
        result = SizeResult(total, seeded, await sizes_of(url), typical, large, plans)
        report_size(result)
        return result


def report_size(result: SizeResult) -> None:
    large_rows = result.rows // LARGE_SHARE
    typical_rows = min(TYPICAL_ROWS, result.rows)
    print(
        f"\n{result.rows:,} contributions ({result.storage}; seeded in {result.seeded:.0f} s)"
        f"\n  {'':36} {'typical (' + format(typical_rows, ',') + ' rows)':>34}"
        f"   {'large (' + format(large_rows, ',') + ' rows)':>34}"
    )
    for name in result.typical:
        print(f"  {name:36} {result.typical[name]!s:>34}   {result.large[name]!s:>34}")
    print("  plans (large community):")
    for plan in result.plans:
        print(plan)


def report_growth(results: list[SizeResult]) -> None:
    if len(results) < 2:
        return
    small, big = results[0], results[-1]
    factor = big.rows / small.rows
    print(f"\ngrowth from {small.rows:,} to {big.rows:,} rows ({factor:.0f}x), second runs:")
    for name in small.typical:
        typical = big.typical[name].again / max(small.typical[name].again, 1e-6)
        large = big.large[name].again / max(small.large[name].again, 1e-6)
        print(f"  {name:36} typical {typical:6.2f}x   large {large:6.2f}x")


@pytest.mark.timeout(14400)
async def test_growth_of_insights_and_exports(tmp_path: Path) -> None:
    print(f"\n(machine load at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())})")
    results = [await measure_size(total, tmp_path) for total in SIZES]
    report_growth(results)
    print(f"\n(machine load at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())})")
