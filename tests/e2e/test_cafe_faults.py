"""Cafés while Discord fails for a while: its rate limit spent past discord.py's five tries, or
an outage. The work goes on by itself and the moderator is told the truth."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlmodel import col

from bot.cafe.service import RESUME
from bot.cafe.values import CafeState
from storage import cafes, schedules
from storage.models import Cafe as CafeRow
from storage.types import utc_now
from tests.e2e.harness import Harness
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

THREADS = "/channels/{channel_id}/threads"
MESSAGES = "/channels/{channel_id}/messages"


async def five_tables(harness: Harness, questions: str = "What matters? | And now?") -> int:
    """A café of five tables with 25 people signed up; its id."""
    await harness.set_staff_roles()
    guild = harness.community.guild
    for number in range(25):
        guild.add_member(harness.sandbox.create_user(f"guest{number}"))
    cafe = await create_cafe(harness, questions=questions, rounds=2, tables=5)
    await sign_up(harness, people(harness, 25))
    return cafe.id or 0


def told_in_channel(harness: Harness, words: str) -> list[str]:
    return [m.content for m in cafe_channel(harness).messages if words in m.content]


async def all_open(harness: Harness, round_number: int, tables: int = 5) -> bool:
    threads = table_threads(harness, round_number)
    return len(threads) == tables and all(t.messages for t in threads)


async def test_start_under_spent_rate_limits_says_so_and_opens_the_tables_by_itself(
    harness: Harness,
) -> None:
    cafe_id = await five_tables(harness)
    # Six 429s: discord.py gives up on the first table after five.
    harness.sandbox.inject_failures("POST", THREADS, 6, retry_after=0.2)
    said = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "Sorry" not in said, said
    assert "has started: round 1 is under way" in said, said
    assert "0 of 5 tables of round 1 are open" in said, said
    assert "I keep trying by myself" in said, said
    [warning] = told_in_channel(harness, "I keep trying")
    assert "0 of 5 tables of round 1 are open" in warning
    async with harness.db.session() as session:
        assert await schedules.schedules_for(session, RESUME, cafe_id)

    # Nobody does anything: the tables open by themselves, once each.
    await eventually(lambda: all_open(harness, 1))
    await eventually(lambda: asyncio.sleep(0, bool(told_in_channel(harness, "are open now"))))
    assert len(table_threads(harness, 1)) == 5
    seated = {u.id for t in table_threads(harness, 1) for u in t.messages[0].mentions}
    assert len(seated) == 25
    assert told_in_channel(harness, "✅ All 5 tables of round 1 are open now.")
    await eventually(lambda: no_retry_waits(harness, cafe_id))  # said first, then forgotten
    async with harness.db.session() as session:
        tables = await cafes.tables_of(session, cafe_id, 1)
    assert all(t.opened and t.thread_id for t in tables)


async def test_next_under_spent_rate_limits_opens_the_next_round_by_itself(
    harness: Harness,
) -> None:
    cafe_id = await five_tables(harness)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert await all_open(harness, 1)
    harness.sandbox.inject_failures("POST", THREADS, 6, retry_after=0.2)
    said = await answered(await cafe_cmd(harness, harness.moderator, "next"))
    assert "Round 2 of" in said and "has started" in said, said
    assert "0 of 5 tables of round 2 are open" in said and "I keep trying" in said, said
    round1 = table_threads(harness, 1)
    assert all(t.locked and t.archived for t in round1)  # round 1 closed all the same
    await eventually(lambda: all_open(harness, 2))
    assert (await stored_cafe(harness, cafe_id)).current_round == 2


async def test_a_round_timer_under_a_server_error_opens_the_next_round_by_itself(
    harness: Harness,
) -> None:
    cafe_id = await five_tables(harness)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    harness.sandbox.inject_failures("POST", THREADS, 1, status=503)
    running = await stored_cafe(harness, cafe_id)
    assert running.round_ends_at is not None
    cog = harness.bot.get_cog("Cafe")
    assert cog is not None
    # The round's time comes.
    await cog.service.move_round_end(  # type: ignore[attr-defined]
        running, utc_now() - running.round_ends_at, actor_id=None
    )
    await eventually(lambda: all_open(harness, 2))
    assert told_in_channel(harness, "503 Service Unavailable")


async def test_a_restart_while_discord_still_fails_opens_the_tables_once_it_stops(
    harness: Harness,
) -> None:
    cafe_id = await five_tables(harness)
    harness.sandbox.inject_failures("POST", THREADS, None, retry_after=0.05)
    said = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "0 of 5 tables" in said, said
    await harness.restart_bot()
    # Back up, Discord still failing: the bot keeps at it (start-up and its retry timer).
    await asyncio.sleep(1.5)
    assert not table_threads(harness, 1)
    harness.sandbox.clear_failures()
    await eventually(lambda: all_open(harness, 1), timeout=20)
    await eventually(lambda: no_retry_waits(harness, cafe_id))
    assert len(table_threads(harness, 1)) == 5
    # Told once that the bot keeps trying and once that it is done, restart or not.
    assert len(told_in_channel(harness, "I keep trying")) == 1
    assert told_in_channel(harness, "✅") == ["✅ All 5 tables of round 1 are open now."]
    cafe = await stored_cafe(harness, cafe_id)
    assert (cafe.retry_attempts, cafe.retry_told_round) == (0, None)


async def test_a_restart_before_the_retry_still_says_it_is_done_once(harness: Harness) -> None:
    cafe_id = await five_tables(harness)
    harness.sandbox.inject_failures("POST", THREADS, 6, retry_after=0.05)
    said = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "0 of 5 tables" in said, said
    # The bot stops before its retry: the next start-up finishes, and says so.
    await harness.restart_bot()
    await eventually(lambda: all_open(harness, 1))
    await eventually(lambda: no_retry_waits(harness, cafe_id))
    assert len(told_in_channel(harness, "I keep trying")) == 1
    assert told_in_channel(harness, "✅") == ["✅ All 5 tables of round 1 are open now."]
    # Another restart says nothing more.
    await harness.restart_bot()
    await asyncio.sleep(0.5)
    assert len(told_in_channel(harness, "✅")) == 1


async def test_a_retry_that_meets_the_thread_limit_leaves_the_rest_to_the_moderator(
    harness: Harness,
) -> None:
    cafe = await cafe_with_room_for_one_thread(harness, "What matters?")
    cafe_id = cafe.id or 0
    harness.sandbox.inject_failures("POST", THREADS, 6, retry_after=0.05)
    said = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "0 of 2 tables" in said and "I keep trying" in said, said
    # The retry opens the one table there is room for; Discord refuses the other.
    await eventually(
        lambda: asyncio.sleep(0, bool(told_in_channel(harness, "no more active threads")))
    )
    assert len(table_threads(harness, 1)) == 1
    # Retrying cannot make room: the timer goes, and nothing waits on it.
    await eventually(lambda: no_retry_waits(harness, cafe_id))
    stored = await stored_cafe(harness, cafe_id)
    assert (stored.retry_attempts, stored.retry_told_round) == (0, None)
    # The moderator makes room; /cafe start opens the rest, as it says.
    harness.community.guild.max_active_threads = 1000
    rest = await answered(await cafe_cmd(harness, harness.moderator, "start"))
    assert "other tables of round 1" in rest, rest
    assert len(table_threads(harness, 1)) == 2


async def no_retry_waits(harness: Harness, cafe_id: int) -> bool:
    async with harness.db.session() as session:
        return not await schedules.schedules_for(session, RESUME, cafe_id)


async def test_the_round_ending_stops_the_retries_for_its_tables(harness: Harness) -> None:
    cafe_id = await five_tables(harness, questions="What matters?")
    async with harness.db.transaction() as session:
        await session.execute(update(CafeRow).where(col(CafeRow.id) == cafe_id).values(rounds=1))
    harness.sandbox.inject_failures("POST", THREADS, None, retry_after=0.05)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    said = await answered(await cafe_cmd(harness, harness.moderator, "next"))
    assert "That was the last round" in said, said
    # The harvest wants its reflection thread, which Discord refuses too: it waits.
    assert (await stored_cafe(harness, cafe_id)).state == CafeState.HARVEST
    assert "harvest is next" in said and "I keep trying" in said, said
    harness.sandbox.clear_failures()

    async def closed() -> bool:
        return (await stored_cafe(harness, cafe_id)).state == CafeState.CLOSED

    await eventually(closed, timeout=20)
    assert not table_threads(harness, 1)  # no table opened after its round ended
    assert len([t for t in harness.community.guild.threads if "Reflection" in t.name]) == 1
    harvest = [m for m in cafe_channel(harness).messages if m.attachments]
    assert len(harvest) == 1


# --- a burst of sign-ups while the café's row is held ---------------------------------------


async def test_a_burst_of_sign_ups_behind_a_held_write_is_answered_in_time(
    harness: Harness,
) -> None:
    """Each sign-up writes the café's row (locked on PostgreSQL, the one writer on SQLite): a
    burst queues. Held here for longer than Discord's three seconds, every click and command
    is still answered in time, and every sign-up saved once the write is let go."""
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions="What matters?", rounds=1)
    guild = harness.community.guild
    newcomers = [guild.add_member(harness.sandbox.create_user(f"burst{n}")) for n in range(10)]
    signup = signup_message(harness)
    join = custom_ids(signup)["Join"]
    released = asyncio.Event()

    async def hold_the_cafe() -> None:
        async with harness.db.transaction() as session:
            held = await cafes.lock_cafe(session, cafe.id)
            assert held is not None
            this_cafe = update(CafeRow).where(col(CafeRow.id) == cafe.id)
            await session.execute(this_cafe.values(title=held.title + " (held)"))  # the write lock
            await asyncio.sleep(3.5)
            await session.execute(this_cafe.values(title=held.title))
        released.set()

    holder = asyncio.create_task(hold_the_cafe())
    await asyncio.sleep(0.2)
    clicks = [
        harness.sandbox.click(member, signup, join, timeout=10) for member in newcomers[:5]
    ]
    commands = [cafe_cmd(harness, member, "join") for member in newcomers[5:]]
    answers = await asyncio.gather(*clicks, *commands)
    await holder
    assert released.is_set()
    for itx in answers:
        assert itx.acknowledged, itx
        assert "You are signed up" in await answered(itx), itx.text()
        # A click deferred in time is answered by a private message of its own.
        answer = itx.followups[0] if itx.deferred else itx.original
        assert answer is not None and answer.ephemeral, itx
    async with harness.db.session() as session:
        present = await cafes.present_participants(session, cafe.id or 0)
    assert {p.user_id for p in present} >= {m.id for m in newcomers}


# --- messages to every table, and cancelling, while Discord fails ----------------------------


def thread_messages(harness: Harness, words: str) -> list[int]:
    """How many messages with ``words`` each table thread of round 1 has."""
    return [
        sum(1 for m in thread.messages if words in m.content)
        for thread in table_threads(harness, 1)
    ]


async def test_a_broadcast_discord_cuts_short_reaches_every_table_once_by_itself(
    harness: Harness,
) -> None:
    cafe_id = await five_tables(harness)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    # Five 429s: discord.py gives up on the first table's message.
    harness.sandbox.inject_failures("POST", MESSAGES, 5, retry_after=0.05)
    said = await answered(
        await cafe_cmd(harness, harness.moderator, "broadcast", message="Swap tables soon")
    )
    assert "Sorry" not in said, said
    assert "0 of 5 table threads have the message" in said, said
    assert "as soon as Discord lets me" in said, said
    [warning] = told_in_channel(harness, "I keep trying")
    assert "posting a message in the table threads" in warning
    await eventually(
        lambda: asyncio.sleep(0, thread_messages(harness, "Swap tables soon") == [1] * 5)
    )
    await eventually(lambda: no_retry_waits(harness, cafe_id))
    assert told_in_channel(harness, "✅") == [
        "✅ Discord lets me through again: what was waiting is done."
    ]


async def test_extend_under_spent_rate_limits_tells_the_moderator_and_every_table_later(
    harness: Harness,
) -> None:
    cafe_id = await five_tables(harness)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    harness.sandbox.inject_failures("POST", MESSAGES, 5, retry_after=0.05)
    itx = await cafe_cmd(harness, harness.moderator, "extend", minutes=5)
    assert "now ends" in itx.text(), itx.text()
    later = await itx.wait_for_followup(timeout=10)
    assert "0 of 5 table threads have the message" in later.content, later.content
    await eventually(lambda: asyncio.sleep(0, thread_messages(harness, "more: it now") == [1] * 5))
    await eventually(lambda: no_retry_waits(harness, cafe_id))


async def test_cancel_under_a_server_error_closes_every_table_once_by_itself(
    harness: Harness,
) -> None:
    cafe_id = await five_tables(harness)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    # The first thread's archiving fails: its message is sent again by the retry (its nonce
    # keeps it to one).
    harness.sandbox.inject_failures("PATCH", "/channels/{channel_id}", 1, status=503)
    said = await answered(await cafe_cmd(harness, harness.moderator, "cancel"))
    assert "is cancelled" in said and "I keep trying" in said, said
    assert (await stored_cafe(harness, cafe_id)).state == CafeState.CANCELLED

    async def all_closed() -> bool:
        return all(t.locked and t.archived for t in table_threads(harness, 1))

    await eventually(all_closed)
    assert thread_messages(harness, "has been cancelled") == [1] * 5
    await eventually(lambda: no_retry_waits(harness, cafe_id))
    async with harness.db.session() as session:
        tables = await cafes.tables_of(session, cafe_id, 1)
    assert all(t.closed for t in tables)
