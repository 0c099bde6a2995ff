"""/cafe through the real bot and the sandbox: a whole café, round timers, restarts, bad input."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from bot.cafe.values import CafeState
from bot.sandbox.models import Message
from storage import cafes
from storage.types import utc_now
from tests.e2e.harness import Harness
from tests.e2e.helpers import (
    WAIT,
    answered,
    cafe_channel,
    cafe_cmd,
    create_cafe,
    custom_ids,
    eventually,
    notes,
    only_cafe,
    people,
    sign_up,
    signup_message,
    stored_cafe,
    table_threads,
)


def round_listing(harness: Harness, round_number: int) -> Message:
    """The message in #cafe that lists a round's tables."""
    for message in reversed(cafe_channel(harness).messages):
        if message.embeds and f"round {round_number} of" in message.embeds[0].get("title", ""):
            return message
    raise AssertionError(f"no table listing for round {round_number}")


# --- a whole café ------------------------------------------------------------------------------


async def test_a_whole_cafe_with_hosts_notes_insights_and_harvest(harness: Harness) -> None:
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, tables=4)
    signup = signup_message(harness)
    assert set(custom_ids(signup)) == {"Join", "Leave", "Host a table"}
    assert "Café etiquette" in str(signup.embeds[0])
    members = people(harness, 18)
    await sign_up(harness, members, hosts=4)
    # Clicks are answered first; the sign-up message is brought up to date after them.
    await harness.sandbox.wait_until(
        lambda: "18 participants · 4 hosts" in str(signup_message(harness).embeds[0])
    )

    start = await cafe_cmd(harness, harness.moderator, "start")
    assert "has started" in await answered(start)
    round1 = table_threads(harness, 1)
    assert [t.name.split(" · ")[1] for t in round1] == [f"Table {n}" for n in range(1, 5)]
    assert all(t.name.endswith("How do we fund KM?") for t in round1)
    seated = [m for t in round1 for m in t.messages[0].mentions]
    assert sorted(u.id for u in seated) == sorted(m.id for m in members)
    assert all("Round 1 of 3" in t.messages[0].content for t in round1)
    listing = round_listing(harness, 1)
    assert all(f"<#{t.id}>" in listing.embeds[0]["description"] for t in round1)

    # a member of table 1 speaks, notes and another marks the message for the harvest
    first_table = round1[0]
    at_table = [u for u in first_table.messages[0].mentions]
    speaker = harness.community.guild.get_member(at_table[1].id)
    assert speaker is not None
    said = await harness.sandbox.send_message(
        speaker, first_table, "Projects should budget 5% for KM"
    )
    note = await cafe_cmd(
        harness, speaker, "note", channel=first_table, text="Budget KM in projects"
    )
    assert "Added to the tablecloth of table 1" in note.text()
    marked = await harness.sandbox.context_menu(harness.moderator, said, "Add to harvest")
    assert "Marked for the harvest" in marked.text()
    again = await harness.sandbox.context_menu(harness.moderator, said, "Add to harvest")
    assert "in the harvest already" in again.text()

    # my own table, ephemerally
    status = await cafe_cmd(harness, speaker, "status")
    assert status.ephemeral and f"<#{first_table.id}>" in status.text()

    # round 2: hosts stay, round 1 closed and archived, the tablecloth travels
    nxt = await cafe_cmd(harness, harness.moderator, "next")
    assert "Round 2" in await answered(nxt)
    assert all(t.locked and t.archived for t in round1)
    assert all("round has ended" in t.messages[-1].content for t in round1)
    round2 = table_threads(harness, 2)
    assert len(round2) == 4
    assert round_listing(harness, 2).id != listing.id
    assert "round 1 of 3" in round_listing(harness, 1).embeds[0]["title"]
    hosts = members[:4]
    for number, host in enumerate(hosts, start=1):
        assert host.id in {u.id for u in round2[number - 1].messages[0].mentions}
    assert any("Budget KM in projects" in m.content for m in round2[0].messages)

    # the Add to tablecloth button records a note for that table and round
    button_message = round2[1].messages[0]
    opened = await harness.sandbox.click(
        hosts[1], button_message, custom_ids(button_message)["Add to tablecloth"], timeout=WAIT
    )
    submitted = await harness.sandbox.submit_modal(
        hosts[1], opened, {"note": "Donors fund tools, not time"}, timeout=WAIT
    )
    assert "Added to the tablecloth of table 2 (round 2)" in submitted.text()

    await answered(await cafe_cmd(harness, harness.moderator, "next"))
    assert len(table_threads(harness, 3)) == 4
    last = await cafe_cmd(harness, harness.moderator, "next")
    assert "harvest" in await answered(last)

    finished = await stored_cafe(harness, cafe.id or 0)
    assert finished.state == CafeState.CLOSED and finished.reflection_thread_id is not None
    harvest = "\n".join(
        m.content for m in cafe_channel(harness).messages if m.id > listing.id and m.content
    )
    assert "Budget KM in projects" in harvest
    assert "Donors fund tools, not time" in harvest
    assert "Projects should budget 5% for KM" in harvest
    files = [a for m in cafe_channel(harness).messages for a in m.attachments]
    assert any(a.filename.startswith("harvest-") and a.filename.endswith(".md") for a in files)
    reflection = next(
        t for t in harness.community.guild.threads if t.id == finished.reflection_thread_id
    )
    assert reflection.name.startswith("Reflection · ")
    assert all(t.archived for t in table_threads(harness, 3))
    # the sign-up message lost its buttons
    assert custom_ids(signup_message(harness)) == {}
    stored_notes = await notes(harness, cafe.id or 0)
    assert [(n.round_number, n.table_number, n.kind) for n in stored_notes] == [
        (1, 1, "note"),
        (1, 1, "insight"),
        (2, 2, "note"),
    ]


async def test_a_round_ends_by_itself_at_its_time(harness: Harness) -> None:
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions="What matters most?", rounds=2, round_minutes=5)
    await sign_up(harness, people(harness, 8))
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    running = await stored_cafe(harness, cafe.id or 0)
    assert running.current_round == 1
    # Bring the end of round 1 to two seconds from now, as /cafe extend moves it.
    service = harness.bot.get_cog("Cafe").service  # type: ignore[union-attr]
    assert running.round_ends_at is not None
    soon = utc_now() + timedelta(seconds=2)
    await service.move_round_end(running, soon - running.round_ends_at, actor_id=None)

    async def in_round_two() -> bool:
        return (await stored_cafe(harness, cafe.id or 0)).current_round == 2

    await eventually(in_round_two)
    assert all(t.archived and t.locked for t in table_threads(harness, 1))

    async def round_two_open() -> bool:
        return len(table_threads(harness, 2)) == 2 and all(
            t.messages for t in table_threads(harness, 2)
        )

    await eventually(round_two_open)


# --- wrong role and bad input ---------------------------------------------------------------------


async def test_members_cannot_run_cafes(harness: Harness) -> None:
    await harness.set_staff_roles()
    member = harness.plain_member
    refused = await cafe_cmd(
        harness, member, "create", title="Mine", questions="Q?", rounds=2, round_minutes=10
    )
    assert "Moderators" in refused.text() and refused.ephemeral
    async with harness.db.session() as session:
        assert await cafes.list_cafes(session, harness.community.guild.id) == []
    await create_cafe(harness)
    for command, options in (
        ("start", {}),
        ("next", {}),
        ("end", {}),
        ("cancel", {}),
        ("plan", {}),
        ("extend", {"minutes": 5}),
        ("broadcast", {"message": "hello"}),
        ("harvest", {}),
        ("host", {"member": member}),
    ):
        itx = await cafe_cmd(harness, member, command, **options)
        assert "Moderators" in itx.text(), (command, itx.text())
    assert (await only_cafe(harness)).state == CafeState.OPEN


async def test_bad_options_are_refused_and_change_nothing(harness: Harness) -> None:
    await harness.set_staff_roles()
    mod = harness.moderator
    base = {"title": "T", "questions": "Q?", "rounds": 3, "round_minutes": 20}
    for changes, expected in (
        ({"tables": 0}, "at least one table"),
        ({"rounds": 7}, "1 to 6 rounds"),
        ({"rounds": 0}, "1 to 6 rounds"),
        ({"round_minutes": 0}, "1 to 180 minutes"),
        ({"round_minutes": 500}, "1 to 180 minutes"),
        ({"questions": "a | b"}, "2 questions for 3 rounds"),
        ({"starts_at": "2020-01-01 10:00"}, "already passed"),
        ({"starts_at": "next tuesday-ish"}, "can't read"),
        ({"repeat": "2027-01-01 10:00"}, "single date"),
        ({"warning_minutes": 20}, "less than the round"),
    ):
        itx = await cafe_cmd(harness, mod, "create", **{**base, **changes})
        assert expected in itx.text(), (changes, itx.text())
        assert itx.ephemeral
    async with harness.db.session() as session:
        assert await cafes.list_cafes(session, harness.community.guild.id) == []

    unknown = await cafe_cmd(harness, mod, "start", cafe=999)
    assert "no café #999" in unknown.text()
    nothing = await cafe_cmd(harness, mod, "next")
    assert "no café" in nothing.text().lower()
    outside = await cafe_cmd(harness, harness.plain_member, "note", text="an idea")
    assert "inside a café table thread" in outside.text()

    cafe = await create_cafe(harness, tables=5)
    await sign_up(harness, people(harness, 3))
    too_many = await cafe_cmd(harness, mod, "start")
    assert "5 tables but only 3 people" in too_many.text()
    assert (await stored_cafe(harness, cafe.id or 0)).state == CafeState.OPEN
    assert table_threads(harness, 1) == []
    not_running = await cafe_cmd(harness, mod, "extend", minutes=5)
    assert "no café to extend" in not_running.text().lower()
    host_taken = await cafe_cmd(harness, mod, "host", member=people(harness, 4)[3], table=9)
    assert "no table 9" in host_taken.text().lower()


async def test_late_joiners_sit_from_the_next_round_and_leavers_are_unseated(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    everyone = people(harness, 12)
    cafe = await create_cafe(harness, tables=2)
    await sign_up(harness, everyone[:10])
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    late, leaving = everyone[10], everyone[0]
    joined = await cafe_cmd(harness, late, "join")
    assert "seat from the next round" in joined.text()
    status = await cafe_cmd(harness, late, "status")
    assert "from the next round" in status.text()
    left = await cafe_cmd(harness, leaving, "leave")
    assert "won't be seated" in left.text()
    await answered(await cafe_cmd(harness, harness.moderator, "next"))
    round2 = {u.id for t in table_threads(harness, 2) for u in t.messages[0].mentions}
    assert late.id in round2 and leaving.id not in round2
    assert len(round2) == 10
    assert (await stored_cafe(harness, cafe.id or 0)).current_round == 2


async def test_private_table_threads_hold_only_their_table(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create_cafe(harness, tables=2, thread_type="private")
    members = people(harness, 8)
    await sign_up(harness, members)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    threads = table_threads(harness, 1)
    assert [t.type for t in threads] == [12, 12]
    seated = [set(t.thread_members) - {harness.community.bot.user.id} for t in threads]
    assert seated[0].isdisjoint(seated[1])
    assert seated[0] | seated[1] == {m.id for m in members}


async def test_plan_list_extend_broadcast_and_cancel(harness: Harness) -> None:
    await harness.set_staff_roles()
    mod = harness.moderator
    cafe = await create_cafe(harness, tables=3)
    await sign_up(harness, people(harness, 15), hosts=3)
    plan = await cafe_cmd(harness, mod, "plan")
    followup = await plan.wait_for_followup(timeout=WAIT)
    from bot.sandbox.interactions import message_text

    figures = message_text(followup)
    assert "Pairs meeting twice: **" in figures and "Same-organisation pairs: **" in figures
    assert "cannot go below" in figures
    # The lines of `copbot plan` (bot.cafe.text.quality_lines), with the numbers in bold.
    assert "Tables: 3\nDifference between the largest and the smallest table: 0\n" in figures
    for label in ("Tables missing a stakeholder group", "Travellers back at a table they sat at"):
        assert re.search(label + r": \*\*\d+\*\* \(cannot go below \d+\)\n", figures), label
    assert followup.attachments and followup.attachments[0].filename == f"seating-{cafe.id}.txt"
    assert table_threads(harness, 1) == []  # a preview starts nothing

    listing = await cafe_cmd(harness, harness.plain_member, "list")
    assert f"#{cafe.id} Funding knowledge management" in listing.text()
    assert "open for sign-up" in listing.text()

    await answered(await cafe_cmd(harness, mod, "start"))
    before = (await stored_cafe(harness, cafe.id or 0)).round_ends_at
    assert before is not None
    extended = await cafe_cmd(harness, mod, "extend", minutes=10)
    assert "now ends" in extended.text()
    await harness.handled()  # the tables are told after the answer
    after = (await stored_cafe(harness, cafe.id or 0)).round_ends_at
    assert after is not None and after - before == timedelta(minutes=10)
    assert all("10 minutes more" in t.messages[-1].content for t in table_threads(harness, 1))
    too_long = await cafe_cmd(harness, mod, "extend", minutes=500)
    assert "1 to 120 minutes" in too_long.text()

    said = await cafe_cmd(harness, mod, "broadcast", message="Five minutes, then we move @everyone")
    assert "3 table threads" in await answered(said)
    last = [t.messages[-1] for t in table_threads(harness, 1)]
    assert all("Five minutes, then we move" in m.content for m in last)
    assert not any(m.mention_everyone for m in last)

    cancelled = await cafe_cmd(harness, mod, "cancel")
    assert "is cancelled" in await answered(cancelled)
    assert (await stored_cafe(harness, cafe.id or 0)).state == CafeState.CANCELLED
    assert all(t.archived and t.locked for t in table_threads(harness, 1))
    assert custom_ids(signup_message(harness)) == {}


async def test_table_threads_are_logged_even_in_an_untracked_channel(harness: Harness) -> None:
    from storage import contributions as log_queries

    await harness.set_staff_roles()
    tracked = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings track add", target=harness.general
    )
    assert "Tracking saved" in tracked.text()
    await create_cafe(harness, questions="What matters?", rounds=1, tables=2)
    members = people(harness, 8)
    await sign_up(harness, members)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    thread = table_threads(harness, 1)[0]
    speaker = harness.community.guild.get_member(thread.messages[0].mentions[0].id)
    assert speaker is not None
    said = await harness.sandbox.send_message(speaker, thread, "We pool budgets across projects")
    elsewhere = await harness.sandbox.send_message(speaker, cafe_channel(harness), "hello #cafe")

    async def logged() -> bool:
        await harness.bot.contribution_writer.flush()
        async with harness.db.session() as session:
            return await log_queries.get_contribution(session, said.id) is not None

    await eventually(logged)
    async with harness.db.session() as session:
        row = await log_queries.get_contribution(session, said.id)
        assert await log_queries.get_contribution(session, elsewhere.id) is None
    assert row is not None and row.channel_id == thread.id
    assert row.parent_channel_id == cafe_channel(harness).id

    await answered(await cafe_cmd(harness, harness.moderator, "next"))  # the only round: harvest
    harvest = "\n".join(m.content for m in cafe_channel(harness).messages if m.content)
    seated_here = len(thread.messages[0].mentions)
    assert f"{seated_here} seated, 1 posted, {seated_here - 1} silent" in harvest


async def test_an_opted_out_members_words_do_not_go_into_the_harvest(harness: Harness) -> None:
    await harness.set_staff_roles()
    cafe = await create_cafe(harness, questions="What matters?", rounds=1, tables=1)
    members = people(harness, 4)
    await sign_up(harness, members)
    await answered(await cafe_cmd(harness, harness.moderator, "start"))
    (thread,) = table_threads(harness, 1)
    said = await harness.sandbox.send_message(members[0], thread, "Share the budget lines")
    harness.bot.optouts.opt_out(harness.community.guild.id, members[0].id)
    refused = await harness.sandbox.context_menu(members[1], said, "Add to harvest")
    assert "asked not to be logged" in refused.text()
    assert await notes(harness, cafe.id or 0) == []


async def test_a_cafe_needs_a_channel_where_the_bot_can_open_threads(harness: Harness) -> None:
    from bot.sandbox.permissions import P

    await harness.set_staff_roles()
    guild = harness.community.guild
    bot_member = guild.get_member(harness.community.bot.user.id)
    assert bot_member is not None
    guild.set_channel_overwrites(cafe_channel(harness), {bot_member: (0, P.CREATE_PRIVATE_THREADS)})
    await asyncio.sleep(0.2)  # the channel update reaches the bot
    refused = await cafe_cmd(
        harness,
        harness.moderator,
        "create",
        title="Closed doors",
        questions="What matters?",
        rounds=1,
        round_minutes=10,
        thread_type="private",
    )
    assert "create private threads" in refused.text() and refused.ephemeral
    async with harness.db.session() as session:
        assert await cafes.list_cafes(session, guild.id) == []
    public = await create_cafe(harness, questions="What matters?", rounds=1, round_minutes=10)
    assert public.thread_type == "public"


def test_the_harvest_file_is_named_after_whole_words_of_the_title() -> None:
    from cogs.cafe.runner import harvest_filename

    def named(title: str) -> str:
        return harvest_filename(7, title)

    assert named("Sharing what we learn across the learning alliance") == (
        "harvest-7-sharing-what-we-learn-across-the.md"
    )
    assert named("Funding KM: who pays?") == "harvest-7-funding-km-who-pays.md"
    assert named("¿¡!") == "harvest-7-cafe.md"
