"""/insights and /export metrics through the real bot and the sandbox, on a staged conversation:
one organisation only replies within itself, another only across. The figures read back are
the E-I values worked by hand; a member is shown only with consent; small groups are not shown;
charts are PNG files; the report renders in a real headless Chromium."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from bot.cafe.values import CafeRole
from bot.contributions.values import ContributionRow
from bot.membership.names import name_key
from bot.prompts.values import QuestionStatus
from bot.sandbox import Member
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.models import snowflake
from storage import cafes, members, organisations, prompts
from storage import contributions as log_queries
from storage.contributions import count_contributions
from storage.types import utc_now
from tests.browser import chromium_or_skip, render
from tests.e2e.harness import Harness
from tests.e2e.helpers import attached, coordinator, eventually, register_caught_up

PNG = b"\x89PNG\r\n\x1a\n"
ANSWER_WAIT = 30.0


async def organisation_of(harness: Harness, name: str, people: list[Member]) -> None:
    guild = harness.community.guild
    async with harness.db.transaction() as session:
        made = await organisations.create_organisation(
            session,
            community_id=guild.id,
            name=name,
            name_key=name_key(name),
            stakeholder="civil society",
            level="national",
        )
        for person in people:
            member = await members.get_member(session, guild.id, person.id)
            assert member is not None
            await members.start_membership(session, member.id, made.id, utc_now())


async def staged(harness: Harness) -> dict[str, list[Member]]:
    """Closed Co (3 people) replies only among itself; Open Org (3) replies only to people of
    no organisation; Pair Ltd has 2 people, fewer than the smallest group shown."""
    await harness.set_staff_roles()
    await register_caught_up(harness)
    people = [m for m in harness.community.members if not m.user.bot][1:12]
    groups = {"Closed Co": people[0:3], "Open Org": people[3:6], "Pair Ltd": people[6:8]}
    outsiders = people[8:11]
    for name, group in groups.items():
        await organisation_of(harness, name, group)
    general = harness.general
    said = 0
    closed, opened = groups["Closed Co"], groups["Open Org"]
    for speaker, listener in (
        (closed[0], closed[1]),
        (closed[1], closed[2]),
        (closed[2], closed[0]),
    ):
        first = await harness.sandbox.send_message(listener, general, "What works for you?")
        await harness.sandbox.send_message(speaker, general, "This works for us.", reply_to=first)
        said += 2
    for speaker, listener in zip(opened, outsiders, strict=True):
        first = await harness.sandbox.send_message(listener, general, "Any data on this?")
        await harness.sandbox.send_message(speaker, general, "Here is ours.", reply_to=first)
        said += 2
    await logged(harness, said)
    return groups


async def logged(harness: Harness, count: int) -> None:
    guild_id = harness.community.guild.id

    async def flush() -> None:
        await harness.bot.contribution_writer.flush(timeout=ANSWER_WAIT)

    async def all_logged() -> bool:
        async with harness.db.session() as session:
            return await count_contributions(session, guild_id) >= count

    await eventually(all_logged, ANSWER_WAIT, before_each_check=flush)


async def answer(itx: SandboxInteraction) -> str:
    return await itx.final_text(timeout=ANSWER_WAIT)


async def test_the_silo_and_the_open_organisation_read_back_as_worked_by_hand(
    harness: Harness,
) -> None:
    await staged(harness)
    who = coordinator(harness)
    # Closed Co: 3 replies with both ends inside, none across: E-I = (0 - 3) / 3 = -1.
    closed = await harness.sandbox.slash(who, harness.general, "insights org", name="closed co")
    text = await answer(closed)
    assert closed.ephemeral and "Closed Co" in text
    assert "\nE-I index: -1.00\n" in text and "Silo?: Yes: " in text, text
    assert "Given: 6\nReceived: 3\n" in text  # three questions and three replies; 3 replies in
    # Open Org: 3 replies, each to someone of no organisation: E-I = (3 - 0) / 3 = +1.
    opened = await harness.sandbox.slash(who, harness.general, "insights org", name="Open Org")
    open_text = await answer(opened)
    assert "\nE-I index: +1.00\n" in open_text and "Silo?: No: " in open_text
    # Pair Ltd has two people: nothing about them is shown.
    pair = await harness.sandbox.slash(who, harness.general, "insights org", name="Pair Ltd")
    assert "Fewer than 3 of its people" in await answer(pair)

    itx = await harness.sandbox.slash(who, harness.general, "export metrics")
    name, data = await attached(itx)
    assert name == "metrics.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["period_start", "period_end", "scope", "group", "metric", "value", "n"]
    ei = {
        row["group"]: (row["value"], row["n"])
        for row in rows
        if row["scope"] == "organisation" and row["metric"] == "ei_index"
    }
    assert ei["Closed Co"] == ("-1.0", "3") and ei["Open Org"] == ("1.0", "3")
    assert ei["Pair Ltd"] == ("", "2")  # fewer than 3: no value, its n says why
    people = {str(m.id) for m in harness.community.members}
    assert not any(cell in people for row in rows for cell in row.values())


async def test_a_member_is_shown_to_coordinators_only_with_their_consent(
    harness: Harness,
) -> None:
    groups = await staged(harness)
    who, person = coordinator(harness), groups["Closed Co"][0]
    refused = await harness.sandbox.slash(who, harness.general, "insights member", member=person)
    text = await answer(refused)
    assert refused.ephemeral and "has not chosen to be named" in text
    assert "/privacy visible" in text
    consent = await harness.sandbox.slash(person, harness.general, "privacy visible", choice="on")
    assert "visible" in (await answer(consent)).lower()
    shown = await harness.sandbox.slash(who, harness.general, "insights member", member=person)
    assert "**Given**: 2" in await answer(shown)
    mine = await harness.sandbox.slash(person, harness.general, "insights me")
    assert "**Given**: 2" in await answer(mine) and mine.ephemeral
    plain = await harness.sandbox.slash(
        harness.plain_member, harness.general, "insights member", member=person
    )
    assert "coordinator" in (await answer(plain)).lower()


async def test_charts_are_attached_as_png_files(harness: Harness) -> None:
    await staged(harness)
    itx = await harness.sandbox.slash(harness.plain_member, harness.general, "insights community")
    text = await answer(itx)
    assert "Members" in text and "Inequality (Gini)" in text

    async def has_files() -> bool:
        return itx.original is not None and len(itx.original.attachments) == 2

    await eventually(has_files, ANSWER_WAIT)
    assert itx.original is not None
    for attachment in itx.original.attachments:
        assert attachment.filename.endswith(".png") and attachment.data.startswith(PNG)
    network = await harness.sandbox.slash(coordinator(harness), harness.general, "insights network")
    assert "Silos" in await answer(network)
    assert network.original is not None
    assert {a.filename for a in network.original.attachments} == {
        "network.png",
        "ei_organisation.png",
        "level_matrix.png",
    }


async def test_the_report_renders_in_a_real_browser(harness: Harness, tmp_path: Path) -> None:
    chromium = chromium_or_skip()
    await staged(harness)
    itx = await harness.sandbox.slash(coordinator(harness), harness.general, "insights report")
    name, data = await attached(itx)
    assert name.endswith(".html")
    page = data.decode()
    assert "Closed Co" in page and "<script" not in page
    assert not any(str(m.id) in page for m in harness.community.members)
    path = tmp_path / name
    path.write_bytes(data)
    png, console = render(path, chromium=chromium)
    assert png.startswith(PNG) and console == []


async def test_a_cafes_tables_and_the_prompts_answers(harness: Harness) -> None:
    await harness.set_staff_roles()
    await register_caught_up(harness)
    guild = harness.community.guild
    people = [m for m in harness.community.members if not m.user.bot][1:9]
    threads = [snowflake() for _ in range(2)]
    now = utc_now()
    async with harness.db.transaction() as session:
        cafe = await cafes.create_cafe(
            session,
            community_id=guild.id,
            title="Funding KM",
            questions=["How do we fund it?"],
            rounds=1,
            round_minutes=20,
            channel_id=harness.general.id,
            starts_at=now - timedelta(hours=2),
        )
        for person in people:
            await cafes.save_participant(session, cafe.id, person.id, role=CafeRole.TRAVELLER)
        cafe = await cafes.begin_round(
            session, cafe, round_number=1, tables=2, started_at=now, ends_at=now
        )
        # table 1: four people, one of them silent; table 2: four people, all silent
        await cafes.seat_round(
            session,
            cafe.id,
            1,
            [
                (1, [(p.id, i == 0) for i, p in enumerate(people[:4])]),
                (2, [(p.id, False) for p in people[4:]]),
            ],
        )
        for table, thread in zip(await cafes.tables_of(session, cafe.id), threads, strict=True):
            await cafes.set_table_thread(session, table.id, thread)
        question = await prompts.add_question(
            session,
            community_id=guild.id,
            text="What did you learn this week?",
            text_key="what did you learn this week?",
            theme="Learning",
            theme_key="learning",
            status=QuestionStatus.APPROVED,
            author_id=None,
        )
        post = await prompts.add_post(
            session,
            community_id=guild.id,
            question_id=question.id,
            prompt_schedule_id=None,
            theme_key="learning",
            channel_id=harness.general.id,
            posted_at=now - timedelta(days=3),
            message_id=snowflake(),
        )
        prompt_thread = snowflake()
        await prompts.finish_post(session, post.id, prompt_thread)
        rows = [
            ContributionRow(
                message_id=snowflake(),
                community_id=guild.id,
                channel_id=channel,
                author_id=author.id,
                created_at=now - timedelta(days=days),
            )
            for channel, author, days in (
                (threads[0], people[0], 0.01),
                (threads[0], people[1], 0.01),
                (threads[0], people[2], 0.01),
                (prompt_thread, people[0], 2.9),  # an hour and a bit after the post
                (prompt_thread, people[1], 2.5),
                (prompt_thread, people[2], 2.0),
            )
        ]
        await log_queries.store_contributions(session, rows)
    who = coordinator(harness)
    text = await answer(await harness.sandbox.slash(who, harness.general, "insights cafe"))
    assert f"Café #{cafe.id}" in text
    assert "round 1 · table 1: silent 25%, notes 0" in text
    assert "round 1 · table 2: silent 100%, notes 0" in text
    assert "Seats that stayed silent: 62.5%" in text  # 5 of 8
    text = await answer(await harness.sandbox.slash(who, harness.general, "insights prompts"))
    assert f"prompt {post.id}: 3 answers by 3 people" in text
    assert "Prompts posted: 1 asked, 100% answered within a week, first answer after 2.4 h" in text
    missing = await harness.sandbox.slash(who, harness.general, "insights cafe", cafe=999)
    assert "no seats here" in await answer(missing)


async def test_withdrawn_consent_is_honoured_at_once_though_figures_are_kept(
    harness: Harness,
) -> None:
    groups = await staged(harness)
    person, who = groups["Closed Co"][0], coordinator(harness)

    async def report() -> str:
        itx = await harness.sandbox.slash(who, harness.general, "insights report")
        return (await attached(itx))[1].decode()

    await harness.sandbox.slash(person, harness.general, "privacy visible", choice="on")
    assert person.display_name in await report()  # a broker of the closed triangle, named
    await harness.sandbox.slash(person, harness.general, "privacy visible", choice="off")
    assert person.display_name not in await report()  # the same kept figures, no name
