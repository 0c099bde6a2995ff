"""Values Discord lets through that make no sense: thousands of tables, a table nobody can sit
at, a schedule firing every minute, the host machine's time zone, numbers past PostgreSQL's
integers. Each gets an ephemeral refusal with the limit and a fix, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cafe.service import MAX_TABLES
from bot.sandbox.interactions import SandboxInteraction
from storage import cafes, communities
from storage.prompts import list_prompt_schedules
from tests.databases import postgres_url
from tests.e2e.harness import Harness, running_harness
from tests.e2e.helpers import (
    add,
    cafe_cmd,
    create_cafe,
    database_rows,
    people,
    questions_channel,
    register_caught_up,
)

HUGE = 9007199254740991  # the largest integer Discord's options carry
CAFE = {
    "title": "Funding knowledge",
    "questions": "How do we fund knowledge management?",
    "rounds": 2,
    "round_minutes": 20,
}


def refused(itx: SandboxInteraction, *words: str) -> None:
    assert itx.ephemeral, itx.text()
    for word in words:
        assert word in itx.text(), itx.text()


async def test_a_cafe_with_more_tables_than_discord_can_hold_is_refused(harness: Harness) -> None:
    await harness.set_staff_roles()
    for tables in (1_000_000, HUGE, MAX_TABLES + 1):
        itx = await cafe_cmd(harness, harness.moderator, "create", tables=tables, **CAFE)
        refused(itx, f"at most {MAX_TABLES} tables", f"you asked for {tables}")
    async with harness.db.session() as session:
        assert await cafes.list_cafes(session, harness.community.guild.id) == []
    await create_cafe(harness, tables=MAX_TABLES)  # the limit itself is fine


async def test_a_host_table_outside_the_cafe_is_refused(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create_cafe(harness)  # tables from the sign-ups: at most MAX_TABLES
    await register_caught_up(harness)
    host = people(harness, 1)[0]
    before = await database_rows(harness)
    for table in (HUGE, MAX_TABLES + 1, 0):
        itx = await cafe_cmd(harness, harness.moderator, "host", member=host, table=table)
        refused(itx, f"There is no table {table}", f"from 1 to {MAX_TABLES}")
    assert await database_rows(harness) == before
    itx = await cafe_cmd(harness, harness.moderator, "host", member=host, table=MAX_TABLES)
    assert f"hosts table {MAX_TABLES}" in itx.text(), itx.text()


async def test_schedules_firing_too_often_are_refused(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add(harness, "How do we fund knowledge management?")
    for when, gap in (("* * * * *", "1 minute"), ("*/30 9-17 * * *", "30 minutes")):
        itx = await harness.sandbox.slash(
            harness.moderator,
            questions_channel(harness),
            "prompt schedule",
            channel=questions_channel(harness),
            when=when,
            theme="Funding",
        )
        refused(itx, f"{gap} apart", "at most once an hour", "`daily 09:00`")
    for repeat, gap in (("* * * * *", "1 minute"), ("daily 09:00,17:00", "8 hours")):
        itx = await cafe_cmd(harness, harness.moderator, "create", repeat=repeat, **CAFE)
        refused(itx, f"{gap} apart", "at most once a day", "`weekly tue 14:00`")
    async with harness.db.session() as session:
        guild_id = harness.community.guild.id
        assert await list_prompt_schedules(session, guild_id) == []
        assert await cafes.list_cafes(session, guild_id) == []
    hourly = await harness.sandbox.slash(
        harness.moderator,
        questions_channel(harness),
        "prompt schedule",
        channel=questions_channel(harness),
        when="0 9-17 * * 1-5",
        theme="Funding",
    )
    assert "saved" in hourly.text(), hourly.text()


async def test_only_real_time_zones_are_saved(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add(harness, "How do we fund knowledge management?")
    for name in ("localtime", "posixrules", "Factory", "/etc/localtime", "../zoneinfo/UTC"):
        itx = await harness.sandbox.slash(
            harness.moderator, harness.general, "settings timezone", name=name
        )
        refused(itx, "is not a time zone I know", "IANA name")
        itx = await harness.sandbox.slash(
            harness.moderator,
            questions_channel(harness),
            "prompt schedule",
            channel=questions_channel(harness),
            when="daily 09:00",
            theme="Funding",
            timezone=name,
        )
        refused(itx, "is not a time zone I know")
    async with harness.db.session() as session:
        community = await communities.get_community(session, harness.community.guild.id)
        assert community is not None and community.timezone == "UTC"
        assert await list_prompt_schedules(session, harness.community.guild.id) == []


@pytest.mark.postgres
async def test_numbers_past_postgresqls_integers_are_not_found(tmp_path: Path) -> None:
    async with (
        postgres_url(migrated=True) as url,
        running_harness(tmp_path, database_url=url) as harness,
    ):
        await harness.set_staff_roles()
        await create_cafe(harness)
        await register_caught_up(harness)
        before = await database_rows(harness)
        for command, options in (
            ("prompt approve", {}),
            ("prompt reject", {}),
            ("prompt edit", {"text": "How do we fund knowledge management?"}),
            ("prompt retire", {}),
            ("prompt pause", {}),
            ("prompt resume", {}),
            ("prompt unschedule", {}),
        ):
            itx = await harness.sandbox.slash(
                harness.moderator, harness.general, command, id=HUGE, **options
            )
            schedules = ("prompt pause", "prompt resume", "prompt unschedule")
            what = "schedule" if command in schedules else "question"
            refused(itx, f"There is no {what} #{HUGE}")
        for command in ("join", "leave", "status", "start", "plan", "cancel", "harvest"):
            itx = await cafe_cmd(harness, harness.moderator, command, cafe=HUGE)
            refused(itx, f"There is no café #{HUGE}")
        assert await database_rows(harness) == before
