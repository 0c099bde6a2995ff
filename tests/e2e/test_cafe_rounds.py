"""Café rounds over time: warnings, scheduled starts, restarts mid-round, and a café of a
hundred tables opened within Discord's rate limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import discord
from sqlalchemy import update
from sqlmodel import col

from bot.cafe.service import CAFE_START, SERIES_START, CafeService
from bot.cafe.values import Cafe, CafeState
from bot.sandbox import Channel, RateLimitConfig
from storage import cafes, schedules
from storage.models import Cafe as CafeRow
from storage.types import utc_now
from tests.e2e.harness import Harness, running_harness
from tests.e2e.helpers import (
    answered,
    cafe_channel,
    cafe_cmd,
    cafe_with_room_for_one_thread,
    create_cafe,
    custom_ids,
    eventually,
    people,
    sign_up,
    signup_message,
    stored_cafe,
    table_threads,
)


def service_of(harness: Harness) -> CafeService:
    cog = harness.bot.get_cog("Cafe")
    assert cog is not None
    return cog.service  # type: ignore[attr-defined,no-any-return]


async def test_tables_are_warned_before_the_round_ends(harness: Harness) -> None:
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions="What matters?", rounds=2, round_minutes=10)
    await sign_up(harness, people(harness, 6))
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    running = await stored_cafe(harness, cafe.id or 0)
    assert running.round_ends_at is not None
    # The warning is due two minutes before the end: bring that to a second from now.
    end = utc_now() + timedelta(minutes=2, seconds=1)
    await service_of(harness).move_round_end(running, end - running.round_ends_at, actor_id=None)

    async def warned() -> bool:
        return all(
            any("left in this round" in m.content for m in t.messages)
            for t in table_threads(harness, 1)
        )

    await eventually(warned)
    counts = [
        sum("left in this round" in m.content for m in t.messages)
        for t in table_threads(harness, 1)
    ]
    assert counts == [1] * len(counts)
    assert (await stored_cafe(harness, cafe.id or 0)).current_round == 1


async def test_a_cafe_starts_by_itself_at_its_time(harness: Harness) -> None:
    await harness.set_staff_roles()
    starts = (utc_now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    cafe = await create_cafe(harness, questions="What matters?", rounds=2, starts_at=starts)
    assert "Starts <t:" in str(signup_message(harness).embeds[0])
    await sign_up(harness, people(harness, 6))
    async with harness.db.transaction() as session:
        timer = (await schedules.schedules_for(session, CAFE_START, cafe.id or 0))[0]
        assert timer.id is not None
        await schedules.set_due_at(session, timer.id, utc_now() + timedelta(seconds=1))
    await harness.bot.scheduler.sync_schedule(timer.id)

    async def started() -> bool:
        return (await stored_cafe(harness, cafe.id or 0)).state == CafeState.RUNNING

    await eventually(started)

    async def everyone_seated() -> bool:
        threads = table_threads(harness, 1)
        return bool(threads) and all(t.messages for t in threads)

    await eventually(everyone_seated)
    seated = {u.id for t in table_threads(harness, 1) for u in t.messages[0].mentions}
    assert seated == {m.id for m in people(harness, 6)}


async def test_a_restart_mid_round_makes_nothing_twice_and_ends_the_round_on_time(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions="What matters?", rounds=2, round_minutes=30)
    members = people(harness, 9)
    await sign_up(harness, members[:8])
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    threads_before = [t.id for t in harness.community.guild.threads]
    messages_before = {t.id: len(t.messages) for t in table_threads(harness, 1)}
    channel_before = len(cafe_channel(harness).messages)

    await harness.restart_bot()
    assert [t.id for t in harness.community.guild.threads] == threads_before
    assert {t.id: len(t.messages) for t in table_threads(harness, 1)} == messages_before
    assert len(cafe_channel(harness).messages) == channel_before
    # the sign-up buttons still work after the restart
    message = signup_message(harness)
    late = await harness.sandbox.click(members[8], message, custom_ids(message)["Join"])
    assert "next round" in late.text()

    # Down while the round should have ended: it ends at once on the way back up.
    await harness.stop_bot()
    async with harness.db.transaction() as session:
        stored = await cafes.get_cafe_by_id(session, cafe.id or 0)
        assert stored is not None
        past = utc_now() - timedelta(minutes=1)
        await cafes.set_round_end(session, stored, past)
        for timer in await schedules.schedules_for(session, "cafe.round_end", cafe.id or 0):
            assert timer.id is not None
            await schedules.set_due_at(session, timer.id, past)
    await harness.start_bot()

    async def second_round_open() -> bool:
        threads = table_threads(harness, 2)
        return len(threads) == 2 and all(t.messages for t in threads)

    await eventually(second_round_open)
    assert (await stored_cafe(harness, cafe.id or 0)).current_round == 2
    round1 = table_threads(harness, 1)
    assert all(t.locked and t.archived for t in round1)
    assert all(sum("round has ended" in m.content for m in t.messages) == 1 for t in round1)
    seated = {u.id for t in table_threads(harness, 2) for u in t.messages[0].mentions}
    assert members[8].id in seated and len(seated) == 9


async def test_a_restart_finishes_a_listing_left_halfway(harness: Harness) -> None:
    """As after a crash between opening the last table and editing the round's listing."""
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions="What matters?", rounds=2, round_minutes=30)
    await sign_up(harness, people(harness, 8))
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    listing_id = (await stored_cafe(harness, cafe.id or 0)).progress_message_id
    assert listing_id is not None
    listing = harness.sandbox.get_message(listing_id)
    assert listing is not None and listing.embeds
    await harness.stop_bot()
    listing.content, listing.embeds = "Round 1 of 2 is starting. Opening tables: 2 of 2…", []
    await harness.start_bot()
    await harness.sandbox.wait_until(lambda: bool(listing.embeds) and not listing.content)
    assert "Table 1" in listing.embeds[0]["description"]
    assert len(table_threads(harness, 1)) == 2  # nothing opened twice


async def test_a_hundred_tables_open_paced_within_the_rate_limits(tmp_path: Path) -> None:
    async with running_harness(tmp_path) as harness:
        harness.sandbox.set_rate_limits(RateLimitConfig())  # Discord's usual buckets
        await harness.set_staff_roles()
        guild = harness.community.guild
        present = len([m for m in guild.members.values() if not m.user.bot])
        for number in range(500 - present):
            guild.add_member(harness.sandbox.create_user(f"traveller{number}"))
        # The register takes the newcomers in at start-up, in one go.
        await harness.restart_bot()
        cafe = await create_cafe(harness, questions="What matters?", rounds=2, tables=100)
        service = service_of(harness)
        everyone = [m for m in guild.members.values() if not m.user.bot]
        for member in everyone:
            await service.join(cafe, member.id)
        limited_before = harness.sandbox.rate_limited_count
        start = await cafe_cmd(harness, harness.moderator, "start")
        assert "has started" in await answered(start)
        threads = table_threads(harness, 1)
        assert len(threads) == 100 and all(len(t.messages) == 1 for t in threads)
        assert len({t.name for t in threads}) == 100
        assert harness.sandbox.rate_limited_count == limited_before
        progress = [
            m
            for m in cafe_channel(harness).messages
            if m.author.id == harness.community.bot.user.id and m.edited_at is not None
        ]
        listing = progress[-1]
        assert "round 1 of 2" in listing.embeds[0]["title"]
        edits = [r for r in harness.sandbox.requests if r[0] == "PATCH" and str(listing.id) in r[1]]
        assert len(edits) >= 2  # progress while opening, then the table list

        # Telling a hundred tables takes longer than an answer may wait (paced, at least 2.5 s):
        # the answer comes first. (The deadline is tightened to keep the test's margin clear.)
        harness.sandbox.interaction_deadline = 2.0
        extended = await cafe_cmd(harness, harness.moderator, "extend", minutes=5)
        assert "now ends" in extended.text()
        await harness.handled(timeout=30)
        assert all("5 minutes more" in t.messages[-1].content for t in threads)


async def test_a_recurring_cafe_opens_the_next_one_when_it_ends(harness: Harness) -> None:
    await harness.set_staff_roles()
    first = await create_cafe(
        harness, questions="What matters?", rounds=1, tables=2, repeat="weekly tue 14:00"
    )
    assert "Repeats: `weekly tue 14:00`" in str(signup_message(harness).embeds[0])
    await sign_up(harness, people(harness, 6))
    async with harness.db.session() as session:
        (series,) = await schedules.schedules_for(session, SERIES_START, first.id or 0)
    assert series.id is not None and series.timezone == "UTC"
    due = utc_now()
    await harness.bot.scheduler.fire(series.id, due)  # the series' date has come
    assert (await stored_cafe(harness, first.id or 0)).state == CafeState.RUNNING

    ended = await cafe_cmd(harness, harness.moderator, "next")
    assert "harvest" in await answered(ended)
    assert (await stored_cafe(harness, first.id or 0)).state == CafeState.CLOSED
    async with harness.db.session() as session:
        following = [
            c
            for c in await cafes.list_cafes(session, harness.community.guild.id)
            if c.id != first.id
        ]
    assert len(following) == 1
    following_cafe = following[0]
    assert following_cafe.state == CafeState.OPEN and following_cafe.series_id == first.id
    assert following_cafe.tables == following_cafe.tables_asked == 2  # as the moderator asked
    assert f"Café #{following_cafe.id}" in str(signup_message(harness).embeds[0])

    # The same due time again (a second process, a replay) starts nothing: it was claimed.
    await harness.bot.scheduler.fire(series.id, due)
    assert (await stored_cafe(harness, following_cafe.id or 0)).state == CafeState.OPEN


async def test_a_recurring_cafe_seats_apart_who_sat_together_last_time(harness: Harness) -> None:
    await harness.set_staff_roles()
    first = await create_cafe(
        harness, questions="What matters?", rounds=1, repeat="weekly tue 14:00"
    )
    guild = harness.community.guild
    for number in range(25):  # five tables of five, however many the sample server has
        guild.add_member(harness.sandbox.create_user(f"member{number}"))
    members = people(harness, 25)
    await sign_up(harness, members)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "harvest" in await answered(await cafe_cmd(harness, harness.moderator, "next"))

    async def pairs_at(cafe_id: int) -> set[frozenset[int]]:
        async with harness.db.session() as session:
            seats = await cafes.seats_of(session, cafe_id, 1)
        tables: dict[int, set[int]] = {}
        for seat in seats:
            tables.setdefault(seat.table_number, set()).add(seat.user_id)
        assert sorted(len(table) for table in tables.values()) == [5] * 5
        return {
            frozenset((a, b)) for table in tables.values() for a in table for b in table if a < b
        }

    last_time = await pairs_at(first.id or 0)
    following = next(
        c for c in await cafes_listed(harness) if c.id != first.id and c.state == CafeState.OPEN
    )
    # The same draw as last time: without the memory of who met, the same tables again.
    async with harness.db.transaction() as session:
        await session.execute(
            update(CafeRow).where(col(CafeRow.id) == following.id).values(seed=first.seed)
        )
    await sign_up(harness, members)
    plan = await cafe_cmd(harness, harness.moderator, "plan", cafe=following.id)
    assert "at the series' last cafés, together again: **0**" in await answered(plan)
    await answered(await cafe_cmd(harness, harness.moderator, "start", cafe=following.id))
    this_time = await pairs_at(following.id or 0)
    assert not this_time & last_time  # everyone meets five new people


async def cafes_listed(harness: Harness) -> list[Cafe]:
    async with harness.db.session() as session:
        return await cafes.list_cafes(session, harness.community.guild.id)


async def test_tables_discord_refuses_to_open_are_opened_by_start_once_there_is_room(
    harness: Harness,
) -> None:
    cafe = await cafe_with_room_for_one_thread(harness, "What matters?")
    guild = harness.community.guild

    said = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "1 of 2 tables of round 1 are open" in said, said
    assert "`/cafe start` opens the rest" in said
    assert len(table_threads(harness, 1)) == 1
    assert any("1 of 2 tables" in m.content for m in cafe_channel(harness).messages)
    assert (await stored_cafe(harness, cafe.id or 0)).state == CafeState.RUNNING

    # Ten minutes of the round go by before the moderator has made room.
    running = await stored_cafe(harness, cafe.id or 0)
    await service_of(harness).move_round_end(running, timedelta(minutes=-10), actor_id=None)
    guild.max_active_threads = 1000
    rest = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "other tables of round 1" in rest, rest
    assert "The round starts again for everyone" in rest, rest
    threads = table_threads(harness, 1)
    assert len(threads) == 2 and all(t.messages for t in threads)
    seated = {u.id for t in threads for u in t.messages[0].mentions}
    assert len(seated) == 8
    # The late table gets the whole round; the early one is told the round starts again.
    restarted = await stored_cafe(harness, cafe.id or 0)
    assert restarted.round_ends_at is not None
    left = restarted.round_ends_at - utc_now()
    assert timedelta(minutes=restarted.round_minutes - 1) < left, left
    told = [t for t in threads if any("round starts again" in m.content for m in t.messages)]
    assert len(told) == 1
    again = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "is running: round 1 is open" in again and "/cafe next" in again


async def test_a_round_ends_and_the_next_begins_while_discord_refuses_threads(
    harness: Harness,
) -> None:
    cafe = await cafe_with_room_for_one_thread(harness, "What matters? | And now?")
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert len(table_threads(harness, 1)) == 1

    # Nobody made room: the round still ends (closing its one table frees a thread), and the
    # next round opens what Discord lets it, saying so; round 1's missing table is not asked
    # for again on the way.
    said = await answered(await cafe_cmd(harness, harness.moderator, "next"))
    assert "1 of 2 tables of round 2 are open" in said, said
    assert (await stored_cafe(harness, cafe.id or 0)).current_round == 2
    refusals = [m.content for m in cafe_channel(harness).messages if "tables of round" in m.content]
    assert len(refusals) == 2 and "round 1" in refusals[0] and "round 2" in refusals[1], refusals
    assert len(table_threads(harness, 2)) == 1


async def test_a_table_calls_the_facilitator_once_not_once_per_click(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create_cafe(harness, questions="What matters? | And now?", rounds=2, tables=2)
    members = people(harness, 8)
    await sign_up(harness, members)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    table = table_threads(harness, 1)[0]
    briefing = table.messages[0]
    seated = [m for m in members if m.user in briefing.mentions]
    call = custom_ids(briefing)["Call the facilitator"]

    def calls() -> list[str]:
        return [
            m.content
            for m in cafe_channel(harness).messages
            if "asks for the facilitator" in m.content
        ]

    itx = await harness.sandbox.click(seated[0], briefing, call, timeout=10)
    assert itx.ephemeral and "has been called" in await answered(itx)
    [calling] = calls()
    assert "**Table 1** (round 1)" in calling and f"<#{table.id}>" in calling
    assert f"<@{harness.moderator.id}>" in calling  # the café's creator is pinged
    again = await harness.sandbox.click(seated[1], briefing, call, timeout=10)
    assert "a moment ago" in again.text()
    assert len(calls()) == 1

    visitor = harness.community.guild.add_member(harness.sandbox.create_user("visitor"))
    stranger = await harness.sandbox.click(visitor, briefing, call, timeout=10)
    assert stranger.ephemeral and "not seated at table 1" in stranger.text()

    await answered(await cafe_cmd(harness, harness.moderator, "next"))  # round 1 is over
    late = await harness.sandbox.click(seated[0], briefing, call, timeout=10)
    assert "Round 1 of" in late.text() and "is over" in late.text()
    assert len(calls()) == 1


async def test_answers_come_in_time_while_the_cafe_channel_waits_on_its_rate_limit(
    harness: Harness,
) -> None:
    """Calling the facilitator posts in the café channel, and the sign-up buttons edit the
    sign-up message there: a busy channel's rate limit may hold those past the three seconds
    Discord gives an answer, so the answer comes first."""
    await harness.set_staff_roles()
    await create_cafe(harness, questions="What matters? | And now?", rounds=2, tables=2)
    members = people(harness, 8)
    await sign_up(harness, members)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    # From now on the bot may post once in five seconds in a channel, and edit a message in
    # the café channel once in five seconds: the limits of a very busy channel.
    channel = cafe_channel(harness)
    harness.sandbox.set_rate_limits(
        RateLimitConfig(
            message_create=(1, 5.0),
            routes={"PATCH /channels/{channel_id}/messages/{message_id}": (1, 5.0)},
        )
    )
    await channel_send_spent(harness, channel)

    briefing = table_threads(harness, 1)[0].messages[0]
    seated = [m for m in members if m.user in briefing.mentions]
    call = custom_ids(briefing)["Call the facilitator"]
    itx = await harness.sandbox.click(seated[0], briefing, call, timeout=10)
    assert "has been called" in await answered(itx)

    newcomers = [
        harness.community.guild.add_member(harness.sandbox.create_user(f"late{n}"))
        for n in range(2)
    ]
    signup = signup_message(harness)
    for member in newcomers:  # two clicks in a row: each answered in time
        joined = await harness.sandbox.click(member, signup, custom_ids(signup)["Join"], timeout=10)
        assert "You are in" in joined.text(), joined.text()
    # The message catches up: the last edit shows every click.
    await harness.sandbox.wait_until(
        lambda: "10 participants" in str(signup_message(harness).embeds[0]), timeout=20
    )


async def channel_send_spent(harness: Harness, channel: Channel) -> None:
    """Use up the bot's message bucket in ``channel``: its next post waits."""
    bot_channel = harness.bot.get_channel(channel.id)
    assert isinstance(bot_channel, discord.TextChannel)
    await bot_channel.send("Tea is served in the hall.")


async def test_a_table_opened_but_not_recorded_is_not_opened_twice(harness: Harness) -> None:
    """As after a crash between Discord's answer and the database write: the thread is found
    by its name and the briefing comes back from Discord by its nonce."""
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions="What matters?", rounds=2, tables=2)
    await sign_up(harness, people(harness, 8))
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    threads = {t.id: len(t.messages) for t in table_threads(harness, 1)}
    async with harness.db.transaction() as session:
        for table in await cafes.tables_of(session, cafe.id or 0, 1):
            await cafes.set_table_thread(session, table.id, None)
            await cafes.set_table_flags(session, table.id, opened=False)
    cog = harness.bot.get_cog("Cafe")
    assert cog is not None
    await cog.runner.start_round(cafe.id or 0, 1)  # type: ignore[attr-defined]
    assert {t.id: len(t.messages) for t in table_threads(harness, 1)} == threads
    async with harness.db.session() as session:
        tables = await cafes.tables_of(session, cafe.id or 0, 1)
    assert {t.thread_id for t in tables} == set(threads) and all(t.opened for t in tables)
