"""A large export in Discord: half a million contributions. While it is written the bot keeps
answering others within Discord's 3 seconds; a file over the server's upload limit is sent
zipped when that fits, and otherwise the answer gives the command line that makes it."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import zipfile
from datetime import UTC, date, datetime, timedelta

from bot.contributions.values import ContributionRow
from bot.sandbox.http_util import UPLOAD_LIMIT_BYTES
from storage import contributions as log_queries
from tests.e2e.harness import Harness
from tests.e2e.helpers import attached, audit_actions, coordinator

ROWS = 500_000
EVERY = timedelta(seconds=6)  # 14,400 a day: 34.7 days in all
T0 = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 50_000
ANSWER_WITHIN = 3.0  # Discord's limit for a first answer


async def fill(harness: Harness) -> None:
    guild = harness.community.guild
    authors = [m.id for m in harness.community.members[1:6]]
    for first in range(0, ROWS, BATCH):
        rows = [
            ContributionRow(
                message_id=1_300_000_000_000_000_000 + n,
                community_id=guild.id,
                channel_id=harness.general.id,
                author_id=authors[n % len(authors)],
                created_at=T0 + n * EVERY,
                is_reply=n % 5 == 0,
                reply_to_author_id=authors[(n + 1) % len(authors)] if n % 5 == 0 else None,
                reply_to_message_id=1_300_000_000_000_000_000 + n - 1 if n % 5 == 0 else None,
                characters=n % 400,
                words=n % 60,
            )
            for n in range(first, min(first + BATCH, ROWS))
        ]
        async with harness.db.transaction() as session:
            await log_queries.store_contributions(session, rows)


async def test_a_large_export_keeps_the_bot_answering_and_falls_back(harness: Harness) -> None:
    await harness.set_staff_roles()
    await fill(harness)
    who = coordinator(harness)

    # Six days (86,400 rows) make a CSV over the 10 MiB limit that zipped fits it.
    since, until = date(2026, 1, 3), date(2026, 1, 8)
    itx = await harness.sandbox.slash(
        who, harness.general, "export contributions", since=str(since), until=str(until)
    )
    name, data = await attached(itx)
    assert name == "contributions.csv.zip" and len(data) <= UPLOAD_LIMIT_BYTES
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        inner = archive.read("contributions.csv")
    assert len(inner) > UPLOAD_LIMIT_BYTES
    rows = list(csv.DictReader(io.StringIO(inner.decode("utf-8-sig"))))
    assert len(rows) == 6 * 14_400
    assert rows[0]["posted_at_utc"] == "2026-01-03T00:00:00Z"

    # Everything: even zipped it is over the limit. Meanwhile /about is answered in time.
    everything = await harness.sandbox.slash(who, harness.general, "export contributions")
    waits: list[float] = []
    progress: set[str] = set()
    while "too large" not in everything.text():
        asked = time.monotonic()
        about = await harness.sandbox.slash(harness.plain_member, harness.general, "about")
        waits.append(time.monotonic() - asked)
        assert "copbot" in about.text().lower()
        if everything.original is not None and everything.original.content:
            progress.add(everything.original.content)
        await asyncio.sleep(0.5)
    assert len(waits) >= 3, "the export ended before /about was asked during it"
    assert max(waits) < ANSWER_WITHIN, waits
    assert any(text.startswith("Exporting… ") and "%" in text for text in progress), progress
    answer = everything.text()
    guild_id = harness.community.guild.id
    assert f"{ROWS:,} contributions, everything logged" in answer
    assert (
        f"copbot export contributions --guild {guild_id} --format csv --names pseudonymous "
        "--out contributions.csv"
    ) in answer
    assert everything.original is not None and not everything.original.attachments
    exported = [a for a in await audit_actions(harness) if a == "export.contributions"]
    assert len(exported) == 2
