"""An unexpected error reaches the user as an apology and an id, never a traceback."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

from bot.sandbox import SandboxInteraction
from tests.e2e.harness import Harness


def error_id_shown(itx: SandboxInteraction, caplog: pytest.LogCaptureFixture) -> str:
    shown = itx.text()
    assert itx.ephemeral
    assert "Sorry, something went wrong on our side" in shown
    assert "Traceback" not in shown and "sqlite" not in shown.lower()
    match = re.search(r"`([0-9a-f]{8})`", shown)
    assert match, shown
    logged = [record for record in caplog.records if match.group(1) in record.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log only
    return match.group(1)


async def test_a_failure_inside_the_permission_check(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness.db.transaction() as session:  # the database loses a table under the bot
        await session.execute(text("ALTER TABLE community RENAME TO community_gone"))
    with caplog.at_level(logging.ERROR, logger="cogs._ui.tree"):
        itx = await harness.sandbox.slash(harness.plain_member, harness.general, "settings show")
    error_id_shown(itx, caplog)


async def test_a_failure_inside_a_command(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness.db.transaction() as session:
        await session.execute(text("DROP TABLE audit_event"))
    with caplog.at_level(logging.ERROR, logger="cogs._ui.tree"):
        itx = await harness.sandbox.slash(
            harness.owner, harness.general, "settings timezone", name="Africa/Accra"
        )
    error_id_shown(itx, caplog)
    async with harness.db.session() as session:  # and the half-done change was rolled back
        from storage.communities import get_community

        community = await get_community(session, harness.community.guild.id)
        assert community is not None and community.timezone == "UTC"
