"""``copbot report --guild ID`` as an operator runs it, on SQLite and PostgreSQL: one HTML page,
an unknown server refused in one line."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import contributions as log_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.members import ensure_member
from tests.storage.helpers import ALICE, BOB, GUILD, contribution

Copbot = Callable[..., subprocess.CompletedProcess[str]]


def community_with_replies(url: str) -> None:
    async def seed() -> None:
        db = Database.connect(url)
        try:
            await db.migrate()
            now = datetime.now(UTC)
            async with db.transaction() as session:
                await ensure_community(session, GUILD, "Water CoP")
                for user, name in ((ALICE, "Alice"), (BOB, "Bob")):
                    await ensure_member(session, GUILD, user, name)
                await log_queries.store_contributions(
                    session,
                    [
                        contribution(GUILD + 1, ALICE, created_at=now - timedelta(days=2)),
                        contribution(
                            GUILD + 2,
                            BOB,
                            created_at=now - timedelta(days=1),
                            is_reply=True,
                            reply_to_author_id=ALICE,
                            reply_to_message_id=GUILD + 1,
                        ),
                    ],
                )
        finally:
            await db.dispose()

    asyncio.run(seed())


def test_the_report_as_one_page(copbot: Copbot, url: str, tmp_path: Path) -> None:
    community_with_replies(url)
    target = tmp_path / "report.html"
    made = copbot("report", "--guild", str(GUILD), "--out", str(target))
    assert made.returncode == 0, made.stderr
    page = target.read_text("utf-8")
    assert page.startswith("<!doctype html>") and "Water CoP" in page
    assert "by the command line" in page
    assert str(ALICE) not in page and str(GUILD + 1) not in page
    assert made.stderr.startswith("copbot: the insights of ")
    shown = copbot("report", "--guild", str(GUILD), "--period", "all")
    assert shown.returncode == 0 and shown.stdout.startswith("<!doctype html>")


def test_an_unknown_server_and_mixed_periods_are_one_line(copbot: Copbot, url: str) -> None:
    community_with_replies(url)
    cases = {
        ("--guild", "42"): "--guild 42: unknown server",
        ("--guild", str(GUILD), "--period", "90d", "--since", "2026-01-01"): "not both",
        ("--guild", str(GUILD), "--since", "2026-13-01"): "not a date for --since",
    }
    for args, expected in cases.items():
        refused = copbot("report", *args)
        assert refused.returncode == 2, (args, refused.stderr)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, refused.stderr)
        assert refused.stdout == ""
