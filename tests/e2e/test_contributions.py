"""The contribution log through the real bot and the sandbox: what is logged, once, with the
author's organisation at that moment; edits, deletions, reactions, tracking, gap repair."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord

from bot.sandbox import Channel, Member
from storage import contributions as log_queries
from storage.models import Contribution, Reaction
from tests.e2e.harness import Harness, running_harness
from tests.e2e.helpers import eventually

ANSWER_TIMEOUT = 10.0


async def logged(harness: Harness, message_id: int) -> Contribution | None:
    async with harness.db.session() as session:
        return await log_queries.get_contribution(session, message_id)


async def all_rows(harness: Harness) -> list[Contribution]:
    from sqlmodel import select

    async with harness.db.session() as session:
        return list((await session.execute(select(Contribution))).scalars())


async def all_reactions(harness: Harness) -> list[Reaction]:
    from sqlmodel import select

    async with harness.db.session() as session:
        return list((await session.execute(select(Reaction))).scalars())


async def until_logged(harness: Harness, check: Callable[[], Any]) -> None:
    """Until ``check`` (async) is true: the gateway delivers, then the writer flushes."""

    async def flush() -> None:
        await harness.bot.contribution_writer.flush(timeout=ANSWER_TIMEOUT)

    await eventually(check, ANSWER_TIMEOUT, before_each_check=flush)


async def settle(harness: Harness) -> None:
    """Give the gateway a moment to deliver, then write what the bot buffered."""
    await asyncio.sleep(0.3)
    await harness.bot.contribution_writer.flush(timeout=ANSWER_TIMEOUT)


def members(harness: Harness) -> tuple[Member, Member]:
    people = [
        m
        for m in harness.community.guild.members.values()
        if not m.user.bot and m.id != harness.community.owner.id and not m.roles
    ]
    return people[0], people[1]


async def open_thread(harness: Harness, channel: Channel, name: str) -> Channel:
    """The bot opens a public thread (as café tables and prompts do)."""
    parent = harness.bot.get_channel(channel.id)
    assert isinstance(parent, discord.TextChannel)
    thread = await parent.create_thread(name=name, type=discord.ChannelType.public_thread)
    await harness.sandbox.wait_until(lambda: harness.bot.get_channel(thread.id) is not None)
    found = harness.sandbox.get_channel(thread.id)
    assert found is not None
    return found


async def join_organisation(harness: Harness, member: Member, name: str) -> None:
    created = await harness.sandbox.slash(
        harness.moderator,
        harness.general,
        "org create",
        name=name,
        stakeholder="research",
        level="national",
    )
    assert created.ephemeral, created.text()
    joined = await harness.sandbox.slash(member, harness.general, "org join", name=name)
    assert "join" in joined.text().lower() or name in joined.text(), joined.text()


async def organisation_id(harness: Harness, name: str) -> int:
    from bot.membership.names import name_key
    from storage.organisations import organisation_by_key

    async with harness.db.session() as session:
        found = await organisation_by_key(session, harness.community.guild.id, name_key(name))
    assert found is not None and found.id is not None
    return found.id


async def test_a_reply_in_a_thread_is_logged_once_with_kinds_and_the_organisation_then(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    asker, answerer = members(harness)
    await join_organisation(harness, answerer, "IRC WASH")
    irc = await organisation_id(harness, "IRC WASH")
    thread = await open_thread(harness, harness.general, "Table 1")
    sandbox = harness.sandbox
    question = await sandbox.send_message(asker, thread, "Who has tried solar pumps in schools?")
    answer = await sandbox.send_message(
        answerer,
        thread,
        "We did, see https://example.org/solar-pumps and the attached report",
        reply_to=question,
        attachments=[("report.pdf", b"%PDF-1.4 ...")],
    )

    async def both_logged() -> bool:
        return await logged(harness, answer.id) is not None and (
            await logged(harness, question.id) is not None
        )

    await until_logged(harness, both_logged)
    row = await logged(harness, answer.id)
    assert row is not None
    assert row.channel_id == thread.id and row.parent_channel_id == harness.general.id
    assert row.is_reply and row.is_answer and row.is_resource and not row.is_question
    assert row.reply_to_author_id == asker.id and row.reply_to_message_id == question.id
    assert row.links == 1 and row.attachments == 1 and row.words > 5
    assert row.organisation_id == irc
    asked = await logged(harness, question.id)
    assert asked is not None and asked.is_question and not asked.is_reply
    assert asked.organisation_id is None  # the asker has no organisation
    # the bot's own posts (the thread-created notice) are not contributions
    assert all(r.author_id != harness.community.bot.user.id for r in await all_rows(harness))

    # a new organisation later does not rewrite the past
    await join_organisation(harness, answerer, "SNV")
    later = await sandbox.send_message(answerer, thread, "Another thought")
    await until_logged(harness, lambda: _exists(harness, later.id))
    old, new = await logged(harness, answer.id), await logged(harness, later.id)
    assert old is not None and old.organisation_id == irc
    assert new is not None and new.organisation_id == await organisation_id(harness, "SNV")
    assert len(await all_rows(harness)) == 3


async def _exists(harness: Harness, message_id: int) -> bool:
    return await logged(harness, message_id) is not None


async def test_a_resume_replay_is_not_logged_twice(harness: Harness) -> None:
    sandbox = harness.sandbox
    first, second = members(harness)
    before = await sandbox.send_message(first, harness.general, "before the drop")
    await until_logged(harness, lambda: _exists(harness, before.id))
    sandbox.disconnect_bot(resumable=True)
    during = [
        await sandbox.send_message(second, harness.general, f"while disconnected {i}")
        for i in range(5)
    ]
    await sandbox.wait_until(lambda: sandbox.is_connected(), timeout=15)
    after = await sandbox.send_message(first, harness.general, "after the resume")
    ids = {before.id, after.id, *(m.id for m in during)}

    async def all_there() -> bool:
        return {r.message_id for r in await all_rows(harness)} >= ids

    await until_logged(harness, all_there)
    await settle(harness)
    rows = await all_rows(harness)
    assert sorted(r.message_id for r in rows) == sorted(ids)  # each once, nothing else


async def test_edits_deletions_and_bulk_deletions_are_honoured(harness: Harness) -> None:
    sandbox = harness.sandbox
    author, other = members(harness)
    message = await sandbox.send_message(author, harness.general, "short")
    doomed = await sandbox.send_message(author, harness.general, "to be deleted")
    bulk = [await sandbox.send_message(other, harness.general, f"bulk {i}") for i in range(3)]
    kept = await sandbox.send_message(other, harness.general, "kept")
    await sandbox.add_reaction(author, bulk[0], "👍")
    await until_logged(harness, lambda: _exists(harness, kept.id))
    await until_logged(harness, lambda: _count_reactions(harness, 1))

    await sandbox.edit_message(author, message, "now longer, with https://example.org?")
    await sandbox.delete_message(author, doomed)
    channel = harness.bot.get_channel(harness.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.delete_messages([discord.Object(m.id) for m in bulk])

    async def edited() -> bool:
        row = await logged(harness, message.id)
        return row is not None and row.edited_at is not None

    await until_logged(harness, edited)
    await until_logged(harness, lambda: _gone(harness, [doomed.id, *(m.id for m in bulk)]))
    row = await logged(harness, message.id)
    assert row is not None and row.is_resource and row.is_question and row.links == 1
    assert row.characters == len("now longer, with https://example.org?")
    assert await logged(harness, kept.id) is not None
    assert await all_reactions(harness) == []  # the reaction went with its message


async def _gone(harness: Harness, ids: list[int]) -> bool:
    return all([await logged(harness, i) is None for i in ids])


async def _count_reactions(harness: Harness, expected: int) -> bool:
    return len(await all_reactions(harness)) == expected


async def test_reactions_to_others_are_logged_not_to_oneself_or_bots(harness: Harness) -> None:
    sandbox = harness.sandbox
    author, reactor = members(harness)
    message = await sandbox.send_message(author, harness.general, "a useful idea")
    bot_post = await harness.bot.get_channel(harness.general.id).send("from the bot")  # type: ignore[union-attr]
    bot_message = sandbox.get_message(bot_post.id)
    assert bot_message is not None
    await sandbox.add_reaction(reactor, message, "👍")
    await sandbox.add_reaction(reactor, message, "🎉")
    await sandbox.add_reaction(author, message, "👍")  # own message
    await sandbox.add_reaction(reactor, bot_message, "👍")  # the bot's message
    await until_logged(harness, lambda: _count_reactions(harness, 2))
    await settle(harness)
    reactions = await all_reactions(harness)
    assert {(r.user_id, r.target_author_id, r.emoji) for r in reactions} == {
        (reactor.id, author.id, "👍"),
        (reactor.id, author.id, "🎉"),
    }
    await sandbox.remove_reaction(reactor, message, "🎉")
    await until_logged(harness, lambda: _count_reactions(harness, 1))


async def test_only_tracked_channels_are_logged_once_some_are_tracked(harness: Harness) -> None:
    await harness.set_staff_roles()
    sandbox = harness.sandbox
    cafe = harness.community.channels["cafe"]
    listed = await sandbox.slash(harness.plain_member, harness.general, "settings track list")
    assert "Every channel the bot can read" in listed.text()
    refused = await sandbox.slash(
        harness.plain_member, harness.general, "settings track add", target=cafe
    )
    assert refused.ephemeral and "moderator" in refused.text().lower()
    added = await sandbox.slash(
        harness.moderator, harness.general, "settings track add", target=cafe
    )
    assert "Tracking saved" in added.text(), added.text()
    again = await sandbox.slash(
        harness.moderator, harness.general, "settings track add", target=cafe
    )
    assert "already tracked" in again.text().lower()
    listed = await sandbox.slash(harness.plain_member, harness.general, "settings track list")
    assert cafe.mention in listed.text()

    author, _ = members(harness)
    untracked = await sandbox.send_message(author, harness.general, "in general")
    tracked = await sandbox.send_message(author, cafe, "in the café channel")
    await until_logged(harness, lambda: _exists(harness, tracked.id))
    await settle(harness)
    assert await logged(harness, untracked.id) is None

    # a backfill of a tracked channel is idempotent; an untracked channel is refused
    refused = await sandbox.slash(
        harness.moderator, harness.general, "contributions backfill", channel=harness.general
    )
    assert refused.ephemeral and "not tracked" in refused.text()
    removed = await sandbox.slash(
        harness.moderator, harness.general, "settings track remove", target=cafe
    )
    assert "every channel I can read" in removed.text()
    missing = await sandbox.slash(
        harness.moderator, harness.general, "settings track remove", target=cafe
    )
    assert missing.ephemeral and "not on the tracking list" in missing.text()
    bad_date = await sandbox.slash(
        harness.moderator,
        harness.general,
        "contributions backfill",
        channel=harness.general,
        since="last tuesday",
    )
    assert bad_date.ephemeral and "YYYY-MM-DD" in bad_date.text()
    backfill = await sandbox.slash(
        harness.moderator,
        harness.general,
        "contributions backfill",
        channel=harness.general,
        timeout=20,
    )
    await sandbox.wait_until(lambda: "Backfill done" in backfill.text(), timeout=20)
    assert await logged(harness, untracked.id) is not None
    again = await sandbox.slash(
        harness.moderator, harness.general, "contributions backfill", channel=harness.general
    )
    await sandbox.wait_until(lambda: "Backfill done" in again.text(), timeout=20)
    ids = [r.message_id for r in await all_rows(harness)]
    assert len(ids) == len(set(ids)) == 2


async def test_bots_are_not_logged(harness: Harness) -> None:
    sandbox = harness.sandbox
    other_bot = sandbox.create_bot("helperbot")
    harness.community.guild.add_bot(other_bot, permissions=0x400 | 0x800)
    channel = harness.bot.get_channel(harness.general.id)
    assert isinstance(channel, discord.TextChannel)
    own = await channel.send("copbot speaking")
    other = await sandbox.send_message(other_bot.user, harness.general, "beep")
    person = await sandbox.send_message(harness.plain_member, harness.general, "a person")
    await until_logged(harness, lambda: _exists(harness, person.id))
    await settle(harness)
    assert await logged(harness, own.id) is None
    assert await logged(harness, other.id) is None


async def test_gap_repair_logs_what_was_sent_while_the_bot_was_stopped(harness: Harness) -> None:
    sandbox = harness.sandbox
    author, other = members(harness)
    thread = await open_thread(harness, harness.general, "A table")
    first = await sandbox.send_message(author, harness.general, "before the stop")
    await until_logged(harness, lambda: _exists(harness, first.id))
    await harness.stop_bot()
    missed = [
        await sandbox.send_message(other, harness.general, f"while stopped {i}") for i in range(5)
    ]
    missed.append(await sandbox.send_message(author, thread, "in the thread, while stopped"))
    missed.append(
        await sandbox.send_message(other, harness.general, "a reply while stopped", reply_to=first)
    )
    await harness.start_bot()
    cog = harness.bot.get_cog("Contributions")
    assert cog is not None
    await sandbox.wait_until(lambda: cog.gap_repairs_done >= 1, timeout=20)

    async def repaired() -> bool:
        return all([await _exists(harness, m.id) for m in missed])

    try:
        await until_logged(harness, repaired)
    except AssertionError:
        absent = [(m.channel.name, m.content) for m in missed if not await _exists(harness, m.id)]
        raise AssertionError(f"not repaired: {absent}") from None
    reply = await logged(harness, missed[-1].id)
    assert reply is not None and reply.is_reply and reply.reply_to_author_id == author.id
    rows = await all_rows(harness)
    assert len(rows) == len({r.message_id for r in rows}) == 1 + len(missed)


async def test_members_thread_starts_are_logged_and_not_credited_to_others(
    harness: Harness,
) -> None:
    sandbox = harness.sandbox
    starter, other = members(harness)

    # a thread from the member's own message: that message becomes a thread start
    own = await sandbox.send_message(starter, harness.general, "Who has tried rope pumps?")
    await until_logged(harness, lambda: _exists(harness, own.id))
    row = await logged(harness, own.id)
    assert row is not None and not row.is_thread_start
    thread = await sandbox.create_thread(starter, harness.general, "Rope pumps", from_message=own)
    assert thread.id == own.id

    async def own_marked() -> bool:
        found = await logged(harness, own.id)
        return found is not None and found.is_thread_start

    await until_logged(harness, own_marked)
    row = await logged(harness, own.id)
    assert row is not None and row.is_question and row.author_id == starter.id

    # a new thread, without a message: Discord's thread-created notice is the thread start
    fresh = await sandbox.create_thread(starter, harness.general, "Tariffs and subsidies")
    notice = harness.general.messages[-1]
    assert notice.type == 18 and notice.author.id == starter.id

    async def notice_logged() -> bool:
        return await _exists(harness, notice.id)

    await until_logged(harness, notice_logged)
    row = await logged(harness, notice.id)
    assert row is not None and row.is_thread_start and row.author_id == starter.id
    assert row.channel_id == harness.general.id and fresh.id != notice.id
    assert (row.characters, row.words, row.links) == (0, 0, 0)  # the name is not their writing
    assert not (row.is_reply or row.is_question or row.is_answer or row.is_resource)

    # someone else opens a thread from the member's message: nobody is credited with a start
    theirs = await sandbox.send_message(starter, harness.general, "An idea worth a thread")
    await until_logged(harness, lambda: _exists(harness, theirs.id))
    opened = await sandbox.create_thread(other, harness.general, "The idea", from_message=theirs)
    await sandbox.wait_until(lambda: harness.bot.get_channel(opened.id) is not None)
    inside = await sandbox.send_message(other, opened, "Let us talk about it here")
    await until_logged(harness, lambda: _exists(harness, inside.id))
    await settle(harness)
    row = await logged(harness, theirs.id)
    assert row is not None and not row.is_thread_start and row.author_id == starter.id
    row = await logged(harness, inside.id)
    assert row is not None and not row.is_thread_start and row.channel_id == opened.id
    starts = [(r.author_id, r.message_id) for r in await all_rows(harness) if r.is_thread_start]
    assert sorted(starts) == sorted([(starter.id, own.id), (starter.id, notice.id)])


async def test_reduced_mode_without_the_message_content_intent(tmp_path: Path) -> None:
    async with running_harness(tmp_path, discord_message_content=False) as harness:
        assert not harness.bot.intents.message_content
        sandbox = harness.sandbox
        asker, answerer = members(harness)
        question = await sandbox.send_message(asker, harness.general, "Who has tried solar pumps?")
        reply = await sandbox.send_message(
            answerer,
            harness.general,
            "We did, see https://example.org/solar-pumps",
            reply_to=question,
            attachments=[("report.pdf", b"%PDF-1.4 ...")],
        )

        async def both_logged() -> bool:
            return await _exists(harness, question.id) and await _exists(harness, reply.id)

        await until_logged(harness, both_logged)
        row = await logged(harness, reply.id)
        assert row is not None and row.author_id == answerer.id
        assert row.is_reply and row.reply_to_author_id == asker.id
        assert row.reply_to_message_id == question.id
        assert (row.characters, row.words, row.links, row.attachments, row.mentions) == (
            0,
            0,
            0,
            0,
            0,
        )
        # what only the text tells cannot be told
        assert not (row.is_resource or row.is_question or row.is_answer)
        asked = await logged(harness, question.id)
        assert asked is not None and not asked.is_question and asked.characters == 0


async def test_reactions_cleared_in_bulk_leave_the_log(harness: Harness) -> None:
    sandbox = harness.sandbox
    author, reactor = members(harness)
    third = next(
        m
        for m in harness.community.guild.members.values()
        if not m.user.bot and m.id not in (author.id, reactor.id, harness.community.owner.id)
    )
    message = await sandbox.send_message(author, harness.general, "a useful idea")
    kept = await sandbox.send_message(author, harness.general, "another idea")
    await sandbox.add_reaction(reactor, message, "👍")
    await sandbox.add_reaction(third, message, "👍")
    await sandbox.add_reaction(reactor, message, "🎉")
    await sandbox.add_reaction(third, message, "💧")
    await sandbox.add_reaction(reactor, kept, "👍")
    await until_logged(harness, lambda: _count_reactions(harness, 5))

    # a moderator removes every 👍 of the message: the others stay
    await sandbox.clear_reactions(harness.moderator, message, "👍")

    async def thumbs_gone() -> bool:
        return {(r.message_id, r.emoji) for r in await all_reactions(harness)} == {
            (message.id, "🎉"),
            (message.id, "💧"),
            (kept.id, "👍"),
        }

    await until_logged(harness, thumbs_gone)

    # then every reaction of the message (here by the bot, over REST)
    channel = harness.bot.get_channel(harness.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.get_partial_message(message.id).clear_reactions()

    async def only_the_other_message() -> bool:
        return [(r.message_id, r.emoji) for r in await all_reactions(harness)] == [(kept.id, "👍")]

    await until_logged(harness, only_the_other_message)
    assert await logged(harness, message.id) is not None  # the message itself stays


async def test_a_backfill_since_the_ends_of_the_calendar_is_refused_plainly(
    harness: Harness,
) -> None:
    """Dates that overflow a conversion to UTC (year 1 east of Greenwich), or lie far ahead,
    are answered as bad input, and nothing is read or logged."""
    sandbox = harness.sandbox
    await harness.set_staff_roles()
    zone = await sandbox.slash(
        harness.moderator, harness.general, "settings timezone", name="Europe/Amsterdam"
    )
    assert "Europe/Amsterdam" in zone.text(), zone.text()
    author, _ = members(harness)
    sent = await sandbox.send_message(author, harness.general, "before the backfills")
    await until_logged(harness, lambda: _exists(harness, sent.id))
    await settle(harness)
    before = [row.message_id for row in await all_rows(harness)]
    history_reads = sum(1 for method, path, _ in sandbox.requests if path.endswith("/messages"))
    for since, words in (
        ("0001-01-01", "before Discord existed"),
        ("1900-06-15", "before Discord existed"),
        ("9999-12-31", "in the future"),
        ("2999-01-01", "in the future"),
    ):
        refused = await sandbox.slash(
            harness.moderator,
            harness.general,
            "contributions backfill",
            channel=harness.general,
            since=since,
        )
        assert refused.ephemeral and words in refused.text(), (since, refused.text())
        assert "YYYY-MM-DD" in refused.text() or "leave `since` out" in refused.text()
        assert "error" not in refused.text().lower(), refused.text()
    assert [row.message_id for row in await all_rows(harness)] == before
    assert history_reads == sum(
        1 for method, path, _ in sandbox.requests if path.endswith("/messages")
    )
