"""/insights digest through the real bot and the sandbox: set by coordinators only, refused for a
channel the bot cannot post files in, posted once per due time (by a second firing, after a
restart), a claim left by a stopped process finished at start-up without a second post, and
stopped with ``off``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.insights.digest import DIGEST_KIND, digest_nonce
from bot.sandbox import Channel, Member
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.models import Message
from bot.sandbox.permissions import P
from bot.scheduling.values import FiringRecord, FiringStatus, Schedule
from storage.schedules import claim_firing, community_schedules_of_kind, firings_of
from storage.types import utc_now
from tests.e2e.harness import Harness
from tests.e2e.helpers import WAIT, audit_actions, coordinator, eventually

PNG = b"\x89PNG\r\n\x1a\n"
HEADLINES = [
    "Members",
    "Contributions",
    "Silent",
    "Inequality (Gini)",
    "Replies answered back",
    "Prompts answered in a week",
    "Prompts answered so far",
]


async def digest(harness: Harness, who: Member, **options: Any) -> str:
    itx: SandboxInteraction = await harness.sandbox.slash(
        who, harness.general, "insights digest", timeout=WAIT, **options
    )
    text = await itx.final_text()
    assert itx.ephemeral, text
    return text


async def digest_schedules(harness: Harness) -> list[Schedule]:
    async with harness.db.session() as session:
        return await community_schedules_of_kind(session, harness.community.guild.id, DIGEST_KIND)


def bot_messages(harness: Harness, where: Channel) -> list[Message]:
    bot_id = harness.community.bot.user.id
    return [m for m in where.messages if m.author.id == bot_id and not m.deleted]


async def deny_bot(harness: Harness, where: Channel, permissions: int) -> None:
    """Take permissions from the bot in one channel; wait until the bot knows."""
    harness.community.guild.set_channel_overwrites(
        where, {harness.community.bot.user: (0, permissions)}
    )

    def bot_sees_it() -> bool:
        seen = harness.bot.get_channel(where.id)
        assert isinstance(seen, discord.TextChannel)
        return not seen.permissions_for(seen.guild.me).attach_files

    await harness.sandbox.wait_until(bot_sees_it, timeout=WAIT)


async def test_a_weekly_digest_is_posted_once_whatever_restarts(harness: Harness) -> None:
    await harness.set_staff_roles()
    who = coordinator(harness)
    target = harness.community.channels["questions"]
    cafe = harness.community.channels["cafe"]

    refused = await digest(harness, harness.plain_member, frequency="weekly", channel=target)
    assert "coordinator" in refused.lower(), refused
    await deny_bot(harness, cafe, P.ATTACH_FILES)
    cannot = await digest(harness, who, frequency="weekly", channel=cafe)
    assert f"I can't attach files in <#{cafe.id}>" in cannot, cannot
    unnamed = await digest(harness, who, frequency="weekly")
    assert "Name the channel" in unnamed, unnamed
    assert await digest_schedules(harness) == []
    assert "insights.digest" not in await audit_actions(harness)

    monthly = await digest(harness, who, frequency="monthly", channel=target)
    assert "on the 1st of every month at 09:00" in monthly, monthly
    saved = await digest(harness, who, frequency="weekly", channel=target)
    [schedule] = await digest_schedules(harness)  # setting it again replaced the monthly one
    assert (schedule.when_text, schedule.target_id) == ("weekly mon 09:00", target.id)
    due = harness.bot.scheduler.next_alarm(schedule.id)
    assert due is not None
    local = due.astimezone(ZoneInfo(schedule.timezone))
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert f"Next digest: **{local:%a %d %b %Y, %H:%M} ({schedule.timezone})**" in saved, saved
    assert (await audit_actions(harness)).count("insights.digest") == 2

    due = utc_now()
    await harness.bot.scheduler.fire(schedule.id, due)
    [posted] = bot_messages(harness, target)
    embed = posted.embeds[0]
    assert embed["title"].startswith("Insights digest · ")
    assert [field["name"] for field in embed["fields"]] == HEADLINES
    assert sorted(a.filename for a in posted.attachments) == ["activity.png", "lorenz.png"]
    assert all(a.data.startswith(PNG) for a in posted.attachments)
    assert posted.nonce == digest_nonce(schedule.id, due)
    shown = str(embed)
    for member in harness.community.members:  # nobody named
        assert str(member.id) not in shown and member.display_name not in shown
    [firing] = await firings_of_schedule(harness, schedule.id)
    assert firing.status is FiringStatus.DONE and firing.note is not None
    assert firing.note.startswith("posted the digest of "), firing.note

    await harness.bot.scheduler.fire(schedule.id, due)  # a second process, the same due time
    assert len(bot_messages(harness, target)) == 1
    await harness.restart_bot()
    await harness.bot.scheduler.fire(schedule.id, due)
    assert len(bot_messages(harness, target)) == 1

    stopped = await digest(harness, who, frequency="off")
    assert "stopped" in stopped, stopped
    assert await digest_schedules(harness) == []
    assert harness.bot.scheduler.next_alarm(schedule.id) is None
    again = await digest(harness, who, frequency="off")
    assert "nothing changed" in again, again


async def test_claims_left_by_a_stopped_process_are_finished_without_a_second_post(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    target = harness.community.channels["questions"]
    await digest(harness, coordinator(harness), frequency="weekly", channel=target)
    [schedule] = await digest_schedules(harness)
    now = utc_now()
    # Too old to trust the nonce: skipped. Young, and its digest already sent: sent again with
    # the same nonce, which Discord answers with the message already there.
    old, young = now - timedelta(minutes=30), now - timedelta(seconds=5)
    async with harness.db.transaction() as session:
        for due in (old, young):
            assert await claim_firing(session, schedule.id, due, claimed_by="stopped-process")
    channel = harness.bot.get_channel(target.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("the digest, sent before the stop", nonce=digest_nonce(schedule.id, young))

    await harness.restart_bot()

    async def finished() -> bool:
        firings = await firings_of_schedule(harness, schedule.id)
        return all(f.status is not FiringStatus.CLAIMED for f in firings)

    await eventually(finished)
    by_due = {f.scheduled_for: f for f in await firings_of_schedule(harness, schedule.id)}
    skipped, resent = by_due[old], by_due[young]
    assert skipped.status is FiringStatus.SKIPPED and "skipped rather than posted twice" in (
        skipped.note or ""
    )
    assert resent.status is FiringStatus.DONE and "same nonce" in (resent.note or "")
    [only] = bot_messages(harness, target)
    assert only.content == "the digest, sent before the stop"


async def firings_of_schedule(harness: Harness, schedule_id: int) -> list[FiringRecord]:
    async with harness.db.session() as session:
        return await firings_of(session, schedule_id)
