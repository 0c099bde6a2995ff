"""A database out of reach, through the real bot and the sandbox: PostgreSQL behind a relay that is
cut. Commands, buttons and autocomplete answer that the database cannot be reached (one log line,
no traceback), and work again once it is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.contributions import get_contribution
from storage.members import list_members
from tests.databases import postgres_url
from tests.e2e.alliance import running_alliance
from tests.e2e.harness import Harness, running_harness
from tests.e2e.helpers import (
    WAIT,
    cafe_cmd,
    create_cafe,
    custom_ids,
    eventually,
    gap_repairs_done,
    signup_message,
    told_database_is_out_of_reach,
)
from tests.storage.helpers import Outage

pytestmark = pytest.mark.postgres


@pytest.fixture
async def behind_relay(tmp_path: Path) -> AsyncIterator[tuple[Harness, Outage]]:
    """The bot on PostgreSQL through a relay the test can cut and restore."""
    async with postgres_url(migrated=True) as url:
        outage = Outage()
        await outage.up()
        try:
            async with running_harness(tmp_path, database_url=outage.url_through(url)) as harness:
                yield harness, outage
        finally:
            await outage.close()


async def caught_up(harness: Harness) -> None:
    """The start-up work (the register's catch-up with the server) is done: cutting the database
    under it is another test's business."""
    people = {m.id for m in harness.community.guild.members.values() if not m.user.bot}

    async def registered() -> bool:
        async with harness.db.session() as session:
            found = await list_members(session, harness.community.guild.id)
        return {member.user_id for member in found} == people

    await eventually(registered)
    await harness.handled()
    await listeners_done(harness)


async def listeners_done(harness: Harness) -> None:
    """Until no listener discord.py started (``discord.py: on_...`` tasks) and no background
    work of the bot (start-up recovery, gap repair) is still running."""

    async def idle() -> bool:
        listening = [
            t
            for t in asyncio.all_tasks()
            if t.get_name().startswith(("discord.py: on_", "copbot: ")) and not t.done()
        ]
        return not listening

    await eventually(idle)


def one_line_each(caplog: pytest.LogCaptureFixture, failures: int) -> None:
    said = [r for r in caplog.records if "database unreachable" in r.getMessage()]
    assert len(said) == failures, [r.getMessage() for r in said]
    with_traceback = [r.getMessage() for r in caplog.records if r.exc_info]
    assert with_traceback == []


async def test_commands_buttons_and_autocomplete_say_the_database_is_out_of_reach(
    behind_relay: tuple[Harness, Outage], caplog: pytest.LogCaptureFixture
) -> None:
    harness, outage = behind_relay
    await harness.set_staff_roles()
    await create_cafe(harness)
    join = custom_ids(signup_message(harness))["Join"]
    member = harness.plain_member
    await caught_up(harness)

    await outage.down()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        told_database_is_out_of_reach(
            await harness.sandbox.slash(member, harness.general, "privacy show")
        )
        told_database_is_out_of_reach(await cafe_cmd(harness, member, "list"))
        told_database_is_out_of_reach(
            await harness.sandbox.click(member, signup_message(harness), join)
        )
        offered = await harness.sandbox.autocomplete(
            member, harness.general, "org show", focused="name", name="wa"
        )
        assert offered.choices == []  # answered, with nothing to offer
        await harness.handled()
    one_line_each(caplog, 4)

    await outage.up()
    shown = await harness.sandbox.slash(member, harness.general, "privacy show")
    assert "What the bot keeps about" in shown.text()
    joined = await harness.sandbox.click(member, signup_message(harness), join)
    assert "signed up" in joined.text(), joined.text()


async def test_a_listener_that_meets_the_outage_logs_one_line(
    behind_relay: tuple[Harness, Outage], caplog: pytest.LogCaptureFixture
) -> None:
    # A server becoming available again (a reconnect) sets the register and the log going:
    # with the database out of reach, each listener says so in one line, without a traceback.
    harness, outage = behind_relay
    await caught_up(harness)
    await outage.down()
    with caplog.at_level(logging.INFO):
        guild = harness.bot.get_guild(harness.community.guild.id)
        assert guild is not None
        harness.bot.dispatch("guild_available", guild)
        await listeners_done(harness)
    said = [r.getMessage() for r in caplog.records if "database unreachable in" in r.getMessage()]
    assert said, "no listener met the outage"
    assert all("on_guild_available" in line or "copbot: " in line for line in said), said
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def test_a_catch_up_cut_from_the_database_waits_and_logs_what_was_missed(
    tmp_path: Path,
) -> None:
    """The database goes while the start-up catch-up reads three servers' history: it waits
    for it and logs every message sent while the bot was down. Given up, the gap would stay for
    good once live messages were logged behind it."""
    async with postgres_url(migrated=True) as url:
        outage = Outage()
        await outage.up()
        try:
            async with running_alliance(tmp_path, database_url=outage.url_through(url)) as harness:

                async def repaired() -> bool:
                    return gap_repairs_done(harness.bot) >= 1

                await eventually(repaired)
                await harness.stop_bot()
                missed = [
                    await harness.sandbox.send_message(
                        server.plain_member, server.channels["general"], "while the bot was down"
                    )
                    for server in harness.servers
                ]
                # The first history read of the catch-up waits in the sandbox; the database
                # goes meanwhile, so the next servers' reads meet the outage.
                held = harness.sandbox.hold("GET", "/channels/{channel_id}/messages")
                await harness.start_bot()
                await held.wait_for_arrival(WAIT)
                await outage.down()
                held.release(carry_out=True)
                await asyncio.sleep(3)
                await outage.up()

                async def all_logged() -> bool:
                    async with harness.db.session() as session:
                        found = [await get_contribution(session, message.id) for message in missed]
                    return all(row is not None for row in found)

                await eventually(all_logged, timeout=60)
        finally:
            await outage.close()
