"""/prompt schedules and posts through the real bot and the sandbox: scheduling, listing,
pausing, posting by hand and on time, pausing itself when it cannot post, and two bot processes
on one PostgreSQL database posting once."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.client import COGS, CopBot, start_until_ready
from bot.prompts.bank import QuestionBank
from bot.prompts.schedules import PromptService
from bot.prompts.values import PromptPost
from bot.sandbox import Channel, Member
from bot.sandbox.interactions import SandboxInteraction, message_text
from bot.sandbox.models import Message
from bot.sandbox.permissions import P
from bot.sandbox.sample import BOT_PERMISSIONS
from bot.scheduling.values import FiringStatus
from storage import contributions as log_queries
from storage import prompts as queries
from storage.db import Database
from storage.schedules import firings_of
from storage.types import utc_now
from tests.databases import postgres_url
from tests.e2e.harness import Harness, running_harness, settings_for
from tests.e2e.helpers import WAIT, answered


def channel(harness: Harness, name: str) -> Channel:
    return harness.community.channels[name]


async def prompt(
    harness: Harness, actor: Member, command: str, /, where: Channel | None = None, **options: Any
) -> SandboxInteraction:
    return await harness.sandbox.slash(
        actor, where or harness.general, f"prompt {command}", timeout=WAIT, **options
    )


async def add(harness: Harness, text: str, theme: str = "Funding") -> int:
    itx = await prompt(harness, harness.moderator, "add", text=text, theme=theme)
    assert "Added question #" in itx.text(), itx.text()
    return int(itx.text().split("#")[1].split()[0])


async def make_schedule(harness: Harness, theme: str = "Funding", **options: Any) -> int:
    options.setdefault("channel", channel(harness, "questions"))
    options.setdefault("when", "daily 09:00")
    itx = await prompt(harness, harness.moderator, "schedule", theme=theme, **options)
    title = itx.embeds[0]["title"] if itx.embeds else ""
    assert title.startswith("Schedule #") and title.endswith("saved"), itx.text()
    return int(title.split("#")[1].split()[0])


async def schedule_row_id(harness: Harness, prompt_schedule_id: int) -> int:
    async with harness.db.session() as session:
        found = await queries.get_prompt_schedule(
            session, harness.community.guild.id, prompt_schedule_id
        )
    assert found is not None and found[1].id is not None
    return found[1].id


async def stored_posts(harness: Harness) -> list[PromptPost]:
    async with harness.db.session() as session:
        return await queries.posts_of(session, harness.community.guild.id)


def embeds_in(where: Channel) -> list[Message]:
    return [m for m in where.messages if m.embeds]


async def use_review_channel(harness: Harness, where: Channel) -> None:
    saved = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings review-channel", channel=where
    )
    assert "Review channel saved" in saved.text(), saved.text()


async def deny_bot(harness: Harness, where: Channel, permissions: int) -> None:
    """Take permissions from the bot in one channel; wait until the bot knows."""
    bot_user = harness.community.bot.user
    harness.community.guild.set_channel_overwrites(where, {bot_user: (0, permissions)})

    def bot_sees_it() -> bool:
        seen = harness.bot.get_channel(where.id)
        assert isinstance(seen, discord.TextChannel)
        mine = seen.permissions_for(seen.guild.me)
        return not mine.send_messages

    await harness.sandbox.wait_until(bot_sees_it, timeout=WAIT)


# --- /prompt schedule ---------------------------------------------------------------------------


async def test_schedule_refusals_and_the_five_date_preview(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add(harness, "How do you fund knowledge management?")
    questions = channel(harness, "questions")

    refused = await prompt(
        harness, harness.plain_member, "schedule", channel=questions, when="daily 09:00",
        theme="Funding",
    )  # fmt: skip
    assert "Moderators" in refused.text()

    bad_input = [
        ({"theme": "Sanitation"}, "No question has the theme"),
        ({"when": "whenever suits"}, "can't read that schedule"),
        ({"when": "2031-01-01 09:00"}, "single date"),
        ({"timezone": "Mars/Olympus_Mons"}, "Mars/Olympus_Mons"),
    ]
    for options, words in bad_input:
        wrong = await prompt(
            harness,
            harness.moderator,
            "schedule",
            **{"channel": questions, "when": "daily 09:00", "theme": "Funding", **options},
        )
        assert wrong.ephemeral and words in wrong.text(), (options, wrong.text())

    await deny_bot(harness, channel(harness, "cafe"), P.SEND_MESSAGES)
    cannot = await prompt(
        harness, harness.moderator, "schedule", channel=channel(harness, "cafe"),
        when="daily 09:00", theme="Funding",
    )  # fmt: skip
    assert "I can't post in" in cannot.text(), cannot.text()
    async with harness.db.session() as session:
        assert await queries.list_prompt_schedules(session, harness.community.guild.id) == []

    itx = await prompt(
        harness, harness.moderator, "schedule", channel=questions,
        when="weekly mon,wed 9:00", theme="funding", timezone="America/New_York", misfire="skip",
    )  # fmt: skip
    text = itx.text()
    assert "**Funding**" in text and "`weekly mon,wed 09:00`" in text, text
    assert "(America/New_York)" in text and "If the bot was offline at the time: skipped" in text
    dates = re.findall(r"- (\w{3} \d{2} \w{3} \d{4}), (\d{2}:\d{2})", text)
    assert len(dates) == 5, text
    assert {hour for _, hour in dates} == {"09:00"}
    assert {day.split()[0] for day, _ in dates} <= {"Mon", "Wed"}
    now_there = utc_now().astimezone(ZoneInfo("America/New_York"))
    first = datetime.strptime(f"{dates[0][0]} {dates[0][1]}", "%a %d %b %Y %H:%M").replace(
        tzinfo=ZoneInfo("America/New_York")
    )
    assert now_there < first <= now_there + timedelta(days=7)


# --- /prompt schedules, pause, resume, unschedule ----------------------------------------------


async def test_listing_pausing_resuming_and_removing_schedules(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add(harness, "Which tool saved you the most time?", theme="Tools")
    await add(harness, "Who pays for learning?", theme="Funding")
    empty = await prompt(harness, harness.moderator, "schedules")
    assert "No schedules yet" in empty.text()
    tools = await make_schedule(harness, "Tools", when="weekly fri 16:00")
    funding = await make_schedule(harness, "Funding", timezone="Asia/Tokyo")

    refused = await prompt(harness, harness.plain_member, "schedules")
    assert "Moderators" in refused.text()
    listing = (await prompt(harness, harness.moderator, "schedules")).text()
    assert f"**#{tools}** Tools" in listing and f"**#{funding}** Funding" in listing
    assert listing.count("next: ") == 2 and "(Asia/Tokyo)" in listing

    assert "Moderators" in (await prompt(harness, harness.plain_member, "pause", id=tools)).text()
    paused = await prompt(harness, harness.moderator, "pause", id=tools)
    assert f"Schedule #{tools} is paused" in paused.text()
    again = await prompt(harness, harness.moderator, "pause", id=tools)
    assert "paused already" in again.text()
    listing = (await prompt(harness, harness.moderator, "schedules")).text()
    assert "paused: paused by a moderator" in listing and listing.count("next: ") == 1
    assert harness.bot.scheduler.next_alarm(await schedule_row_id(harness, tools)) is None

    resumed = await prompt(harness, harness.moderator, "resume", id=tools)
    assert f"Schedule #{tools} runs again. Next: Fri" in resumed.text(), resumed.text()
    running = await prompt(harness, harness.moderator, "resume", id=tools)
    assert "running already" in running.text()

    for command in ("pause", "resume", "unschedule"):
        unknown = await prompt(harness, harness.moderator, command, id=9999)
        assert "no prompt schedule #9999" in unknown.text(), unknown.text()

    # A schedule of another community is not found by its number here.
    await QuestionBank(harness.db).add(
        31337, "Another CoP", actor_id=1, text="Elsewhere?", theme="Elsewhere",
        approved=True,
    )  # fmt: skip
    theirs, _ = await PromptService(harness.db, harness.bot.scheduler).create_schedule(
        31337, "Another CoP", channel_id=1, when_text="daily 10:00", theme="Elsewhere",
        timezone="UTC", make_thread=True, misfire=None, actor_id=1,
    )  # fmt: skip
    for command in ("pause", "unschedule"):
        foreign = await prompt(harness, harness.moderator, command, id=theirs.id)
        assert f"no prompt schedule #{theirs.id}" in foreign.text(), foreign.text()

    funding_row = await schedule_row_id(harness, funding)
    refused = await prompt(harness, harness.plain_member, "unschedule", id=funding)
    assert "Moderators" in refused.text()
    removed = await prompt(harness, harness.moderator, "unschedule", id=funding)
    assert f"Schedule #{funding} is removed" in removed.text()
    assert harness.bot.scheduler.next_alarm(funding_row) is None
    listing = (await prompt(harness, harness.moderator, "schedules")).text()
    assert f"#{funding}**" not in listing and f"**#{tools}**" in listing


async def test_skips_show_in_the_listing(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add(harness, "What did you learn from a failure?")
    schedule_id = await make_schedule(harness, misfire="skip")
    row = await schedule_row_id(harness, schedule_id)
    long_ago = utc_now() - timedelta(hours=3)
    await harness.bot.scheduler.fire(row, long_ago)  # the alarm rang three hours late
    assert await stored_posts(harness) == []
    assert embeds_in(channel(harness, "questions")) == []
    listing = (await prompt(harness, harness.moderator, "schedules")).text()
    assert "skipped <t:" in listing and "beyond the skip policy" in listing, listing


# --- /prompt post -------------------------------------------------------------------------------


async def test_post_by_hand_picks_the_theme_and_the_channel(harness: Harness) -> None:
    await harness.set_staff_roles()
    nothing = await prompt(harness, harness.moderator, "post")
    assert "no approved question yet" in await answered(nothing)

    await add(harness, "Who pays for learning?", theme="Funding")
    await add(harness, "Which tool saved you time?", theme="Tools")
    pending = await prompt(
        harness, harness.plain_member, "submit", text="Is anyone listening?", theme="Listening"
    )
    assert "waits for a moderator's review" in pending.text()

    refused = await prompt(harness, harness.plain_member, "post", theme="Funding")
    assert "Moderators" in refused.text()
    unknown = await prompt(harness, harness.moderator, "post", theme="Sanitation")
    assert "No question has the theme" in await answered(unknown)
    unapproved = await prompt(harness, harness.moderator, "post", theme="listening")
    assert "no approved question to post" in await answered(unapproved)

    questions = channel(harness, "questions")
    first = await prompt(harness, harness.moderator, "post", theme="Funding", channel=questions)
    assert "Posted question #" in await answered(first)
    [posted] = embeds_in(questions)
    assert posted.embeds[0]["title"] == "💬 Funding"
    assert "Who pays for learning?" in posted.embeds[0]["description"]
    assert posted.thread is not None and posted.thread.name == "Who pays for learning?"
    assert "Suggested by" not in message_text(posted)

    # No theme: the one that waited longest (Tools never posted), here in this channel.
    second = await prompt(harness, harness.moderator, "post")
    assert "(Tools)" in await answered(second)
    assert embeds_in(harness.general)[-1].embeds[0]["title"] == "💬 Tools"
    third = await prompt(harness, harness.moderator, "post")
    assert "(Funding)" in await answered(third)

    stored = await stored_posts(harness)
    assert [(p.channel_id, p.theme_key, p.posted_by) for p in stored] == [
        (questions.id, "funding", harness.moderator.id),
        (harness.general.id, "tools", harness.moderator.id),
        (harness.general.id, "funding", harness.moderator.id),
    ]
    assert stored[0].message_id == posted.id and stored[0].thread_id == posted.thread.id
    assert all(p.prompt_schedule_id is None and p.scheduled_for is None for p in stored)
    assert stored[2].cycle == 2  # Funding's only question, a second time: a new cycle

    await deny_bot(harness, channel(harness, "cafe"), P.SEND_MESSAGES)
    blocked = await prompt(harness, harness.moderator, "post", channel=channel(harness, "cafe"))
    assert "I can't post in" in await answered(blocked)
    assert len(await stored_posts(harness)) == 3


async def test_credit_only_when_the_submitter_chose_it(harness: Harness) -> None:
    await harness.set_staff_roles()
    member = harness.plain_member
    for text, theme, credit in (
        ("Which map do you trust most?", "Credited", True),
        ("Which report did nobody read?", "Anonymous", False),
    ):
        submitted = await prompt(harness, member, "submit", text=text, theme=theme, credit=credit)
        question_id = int(submitted.text().split("#")[1].split()[0])
        approved = await prompt(harness, harness.moderator, "approve", id=question_id)
        assert "is approved" in approved.text()
    await add(harness, "Moderator's own, no credit asked?", theme="Moderated")
    for theme in ("Credited", "Anonymous", "Moderated"):
        itx = await prompt(harness, harness.moderator, "post", theme=theme)
        assert "Posted question" in await answered(itx)
    footers = {
        m.embeds[0]["title"]: m.embeds[0].get("footer", {}).get("text", "")
        for m in embeds_in(harness.general)
    }
    assert footers["💬 Credited"].startswith(f"Suggested by {member.display_name} · Question #")
    assert "Suggested by" not in footers["💬 Anonymous"]
    assert "Suggested by" not in footers["💬 Moderated"]


async def test_a_submitter_is_told_when_their_question_is_posted(harness: Harness) -> None:
    await harness.set_staff_roles()
    member = harness.plain_member
    submitted = await prompt(harness, member, "submit", text="Who mentors you?", theme="People")
    question_id = int(submitted.text().split("#")[1].split()[0])
    await prompt(harness, harness.moderator, "approve", id=question_id)
    await add(harness, "Which tool do you miss?", theme="Tools")

    def told(user: Member) -> list[str]:
        return [
            m.content
            for key, dm in harness.sandbox._dm_channels.items()
            if user.id in key
            for m in dm.messages
            if "is posted" in m.content
        ]

    row = await schedule_row_id(harness, await make_schedule(harness, "People"))
    await harness.bot.scheduler.fire(row, utc_now().replace(microsecond=0))
    [posted] = embeds_in(channel(harness, "questions"))
    [note] = told(member)
    assert str(posted.id) in note and "Who mentors you?" in note
    # A moderator posting their own question is not told about it.
    itx = await prompt(harness, harness.moderator, "post", theme="Tools")
    assert "Posted question" in await answered(itx)
    assert told(harness.moderator) == []


async def test_an_answer_in_a_prompt_thread_is_logged_as_an_answer(harness: Harness) -> None:
    await harness.set_staff_roles()
    tracked = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings track add", target=channel(harness, "cafe")
    )
    assert f"Tracked now: <#{channel(harness, 'cafe').id}>" in tracked.text(), tracked.text()
    await add(harness, "What would you stop funding tomorrow?")
    questions = channel(harness, "questions")
    itx = await prompt(harness, harness.moderator, "post", channel=questions)
    assert "Posted question" in await answered(itx)
    thread = embeds_in(questions)[0].thread
    assert thread is not None
    answer = await harness.sandbox.send_message(
        harness.plain_member, thread, "Glossy reports nobody reads, honestly."
    )
    elsewhere = await harness.sandbox.send_message(harness.plain_member, questions, "Not logged")

    async def logged(message_id: int) -> Any:
        async with harness.db.session() as session:
            return await log_queries.get_contribution(session, message_id)

    deadline = asyncio.get_running_loop().time() + WAIT
    while (row := await logged(answer.id)) is None:
        assert asyncio.get_running_loop().time() < deadline, "the answer was not logged"
        await harness.bot.contribution_writer.flush(timeout=WAIT)
        await asyncio.sleep(0.05)
    assert row.is_answer and row.channel_id == thread.id and row.parent_channel_id == questions.id
    assert await logged(elsewhere.id) is None


# --- scheduled posts ----------------------------------------------------------------------------


async def test_a_schedule_firing_posts_with_a_thread_once(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add(harness, "What changed in your practice this month?")
    schedule_id = await make_schedule(harness)
    row = await schedule_row_id(harness, schedule_id)
    due = utc_now().replace(microsecond=0)
    await harness.bot.scheduler.fire(row, due)
    await harness.bot.scheduler.fire(row, due)  # the same due time again: claimed already
    questions = channel(harness, "questions")
    [posted] = embeds_in(questions)
    assert "What changed in your practice this month?" in posted.embeds[0]["description"]
    assert posted.thread is not None
    [stored] = await stored_posts(harness)
    assert stored.prompt_schedule_id == schedule_id and stored.scheduled_for == due
    assert stored.thread_id == posted.thread.id and stored.posted_by is None
    assert harness.bot.scheduler.next_alarm(row) == datetime.combine(
        due.date() + timedelta(days=1 if due.hour >= 9 else 0),
        datetime.min.time().replace(hour=9),
        tzinfo=UTC,
    )


async def test_a_post_by_hand_and_a_firing_at_once_post_two_different_questions(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    first = await add(harness, "What did you stop doing this year?")
    second = await add(harness, "Who taught you most this year?")
    row = await schedule_row_id(harness, await make_schedule(harness))
    questions = channel(harness, "questions")
    by_hand, _ = await asyncio.gather(
        prompt(harness, harness.moderator, "post", theme="Funding", channel=questions),
        harness.bot.scheduler.fire(row, utc_now().replace(microsecond=0)),
    )
    assert "Posted question #" in await answered(by_hand)
    posts = await stored_posts(harness)
    assert sorted(post.question_id for post in posts) == sorted([first, second])
    assert len(embeds_in(questions)) == 2


async def test_a_schedule_without_a_thread_posts_only_the_question(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add(harness, "One word for this year?")
    schedule_id = await make_schedule(harness, thread=False)
    await harness.bot.scheduler.fire(await schedule_row_id(harness, schedule_id), utc_now())
    [posted] = embeds_in(channel(harness, "questions"))
    assert posted.thread is None and "thread" not in posted.embeds[0]["description"]
    [stored] = await stored_posts(harness)
    assert stored.thread_id is None


async def test_an_empty_theme_pauses_the_schedule_and_tells_the_moderators(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    review = channel(harness, "cafe")
    await use_review_channel(harness, review)
    only = await add(harness, "Is this the only question?", theme="Lonely")
    schedule_id = await make_schedule(harness, "Lonely")
    retired = await prompt(harness, harness.moderator, "retire", id=only)
    assert "is retired" in retired.text()
    row = await schedule_row_id(harness, schedule_id)
    await harness.bot.scheduler.fire(row, utc_now())
    assert embeds_in(channel(harness, "questions")) == []
    told = review.messages[-1].content
    assert f"Prompt schedule #{schedule_id} is paused" in told
    assert "the theme Lonely has no approved question" in told
    assert f"/prompt resume id:{schedule_id}" in told
    listing = (await prompt(harness, harness.moderator, "schedules")).text()
    assert "paused: the theme Lonely has no approved question" in listing
    assert harness.bot.scheduler.next_alarm(row) is None


async def test_without_a_review_channel_the_schedules_maker_is_told_by_direct_message(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    only = await add(harness, "Is this the only question?", theme="Lonely")
    schedule_id = await make_schedule(harness, "Lonely")
    await prompt(harness, harness.moderator, "retire", id=only)
    await harness.bot.scheduler.fire(await schedule_row_id(harness, schedule_id), utc_now())
    sent = [
        m.content
        for key, dm in harness.sandbox._dm_channels.items()
        if harness.moderator.id in key
        for m in dm.messages
    ]
    assert any(f"Prompt schedule #{schedule_id} is paused" in text for text in sent), sent


async def test_a_question_whose_thread_discord_refuses_is_recorded_and_the_schedule_paused(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    review = channel(harness, "cafe")
    await use_review_channel(harness, review)
    first = await add(harness, "What would you teach a newcomer first?")
    second = await add(harness, "Which mistake taught you most?")
    schedule_id = await make_schedule(harness)
    questions = channel(harness, "questions")
    guild = harness.community.guild
    guild.max_active_threads = sum(1 for t in guild.threads if not t.archived)  # full

    row = await schedule_row_id(harness, schedule_id)
    await harness.bot.scheduler.fire(row, utc_now().replace(microsecond=0))
    [posted] = embeds_in(questions)
    assert posted.thread is None
    # It promised a thread: it now says where to answer instead.
    description = posted.embeds[0]["description"]
    assert "thread below" not in description and "Answer here in the channel" in description
    [stored] = await stored_posts(harness)  # out is out: the rotation moves on
    assert stored.thread_id is None and stored.message_id == posted.id
    told = review.messages[-1].content
    assert f"Prompt schedule #{schedule_id} is paused" in told
    assert "could not open its thread for answers" in told and "active threads" in told
    assert harness.bot.scheduler.next_alarm(row) is None

    # By hand: the moderator is told the same, the post recorded, nothing crashes.
    by_hand = await prompt(harness, harness.moderator, "post", theme="Funding", channel=questions)
    said = await answered(by_hand)
    assert "The question is posted" in said and "active threads" in said, said
    assert "error id" not in said.lower()
    posts = await stored_posts(harness)
    assert sorted(post.question_id for post in posts) == sorted([first, second])
    assert len(embeds_in(questions)) == 2


async def test_a_channel_the_bot_can_no_longer_post_in_pauses_the_schedule(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    review = channel(harness, "cafe")
    await use_review_channel(harness, review)
    await add(harness, "Where do you find evidence?")
    schedule_id = await make_schedule(harness)
    questions = channel(harness, "questions")
    await deny_bot(harness, questions, P.SEND_MESSAGES)
    row = await schedule_row_id(harness, schedule_id)
    await harness.bot.scheduler.fire(row, utc_now())
    assert embeds_in(questions) == [] and await stored_posts(harness) == []
    assert "I can no longer post in #questions" in review.messages[-1].content
    listing = (await prompt(harness, harness.moderator, "schedules")).text()
    assert "paused: I can no longer post in #questions" in listing
    assert harness.bot.scheduler.next_alarm(row) is None

    # The permission back, resumed: the next firing posts.
    harness.community.guild.set_channel_overwrites(questions, {})
    await harness.sandbox.wait_until(
        lambda: (
            questions.id in {c.id for c in harness.bot.get_all_channels()}
            and harness.bot.get_channel(questions.id)
            .permissions_for(harness.bot.get_guild(harness.community.guild.id).me)  # type: ignore[union-attr]
            .send_messages
        ),
        timeout=WAIT,
    )
    assert (
        "runs again" in (await prompt(harness, harness.moderator, "resume", id=schedule_id)).text()
    )
    await harness.bot.scheduler.fire(row, utc_now() + timedelta(seconds=1))
    assert len(embeds_in(questions)) == 1


# --- two bot processes on one PostgreSQL database ----------------------------------------------


@pytest.mark.postgres
async def test_two_bots_on_one_postgresql_database_post_once(tmp_path: Path) -> None:
    async with (
        postgres_url() as url,
        running_harness(tmp_path, database_url=url) as harness,
    ):
        await harness.set_staff_roles()
        await add(harness, "What would you teach a new colleague first?")
        await add(harness, "What would you unlearn?")
        schedule_id = await make_schedule(harness)
        row = await schedule_row_id(harness, schedule_id)
        due = harness.bot.scheduler.next_alarm(row)
        assert due is not None

        # A second process starts: its own bot account, its own connection pool, same database.
        second_account = harness.sandbox.create_bot("copbot-2")
        harness.community.guild.add_bot(second_account, permissions=BOT_PERMISSIONS)
        second_db = Database.connect(url)
        second = CopBot(
            settings_for(harness.sandbox, second_account.token, url),
            second_db,
            cogs=COGS,
            process_id="second-process",
            guild_ready_timeout=0.05,
        )
        task = await start_until_ready(second, second_account.token, ready_within=15)
        try:
            assert second.scheduler.next_alarm(row) == due  # its start-up set the same alarm
            for attempt in range(2):  # the due time, then a replay of it
                await asyncio.gather(
                    harness.bot.scheduler.fire(row, due), second.scheduler.fire(row, due)
                )
                questions = channel(harness, "questions")
                assert len(embeds_in(questions)) == 1, attempt
                assert len(await stored_posts(harness)) == 1
        finally:
            await second.close()
            await task
            await second_db.dispose()
        [post] = embeds_in(questions)
        assert post.author.id in {harness.community.bot.user.id, second_account.user.id}
        async with harness.db.session() as session:
            [firing] = await firings_of(session, row)
        assert (firing.scheduled_for, firing.status) == (due, FiringStatus.DONE)
        assert firing.note is not None and firing.note.startswith("posted question #")
        assert firing.claimed_by in {harness.bot.process_id, "second-process"}
