"""Copies of what is shared across learning-alliance links, through the real bot and the sandbox
in three servers (and 50 more for pacing): each posted once in each linked inbox with its thread,
named as the author chose, responses recorded as flows back and as answers in the receiving
server's log; forgetting edits the copies, deleting the original deletes them; a deleted inbox
pauses deliveries until a moderator sets one; a server the bot left loses its links; a restart
mid-share still posts each copy exactly once, within Discord's rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.membership.names import name_key
from bot.membership.vocabulary import Level
from bot.platforms.values import (
    DeliveryState,
    Direction,
    Platform,
    Relation,
    ShareKind,
    ShareTarget,
)
from bot.sandbox import Channel, Member
from bot.sandbox.models import Message
from bot.sandbox.sample import SampleCommunity
from cogs.privacy import KEEP_TEXTS_LABEL
from storage import organisations
from storage.communities import ensure_community
from storage.models import Contribution, PlatformDelivery, PlatformResponse
from tests.e2e.alliance import AllianceHarness, running_alliance
from tests.e2e.helpers import WAIT, confirm, eventually

pytestmark = pytest.mark.e2e

NATIONAL = "National WASH Platform"
THREAD_NAME = f"Responses · {NATIONAL}"


@dataclass
class Platforms:
    national: Platform
    districts: list[Platform]  # in the order of their servers


async def make_platform(
    harness: AllianceHarness, server: SampleCommunity, name: str, level: Level
) -> Platform:
    moderator = server.moderator
    return await harness.bot.platforms.create(
        server.guild.id, server.guild.name, name=name, level=level, category_id=None,
        actor_id=moderator.id,
    )  # fmt: skip


async def link_below(harness: AllianceHarness, parent: Platform, child: Platform) -> None:
    code, _ = await harness.bot.platforms.invite(parent, Relation.CHILD, actor_id=1)
    await harness.bot.platforms.join(code, child, actor_id=2)


async def set_inbox(harness: AllianceHarness, platform: Platform, channel: Channel) -> None:
    fresh = await harness.bot.platforms.get(platform.id)
    assert fresh is not None
    await harness.bot.platforms.set_inbox(fresh, channel.id, actor_id=1)
    harness.bot.deliveries.notify()


async def national_above(harness: AllianceHarness, districts: list[SampleCommunity]) -> Platforms:
    """Server 1 as the national platform (its inbox a channel of its own), ``districts`` as
    district platforms below it, each with its ``inbox`` channel as inbox."""
    home = harness.server(1)
    national = await make_platform(harness, home, NATIONAL, Level.NATIONAL)
    await set_inbox(harness, national, home.channels["questions"])
    made = []
    for server in districts:
        district = await make_platform(harness, server, server.guild.name[:60], Level.INTERMEDIATE)
        await link_below(harness, national, district)
        await set_inbox(harness, district, server.channels["inbox"])
        made.append(district)
    return Platforms(national, made)


@pytest.fixture
async def alliance(tmp_path: Path) -> AsyncIterator[AllianceHarness]:
    async with running_alliance(tmp_path) as running:
        await running.set_staff_roles_everywhere()
        yield running


def copies_in(harness: AllianceHarness, channel: Channel) -> list[Message]:
    """The bot's copies (embeds with a share's footer) in a channel, oldest first."""
    bot_id = harness.server(1).bot.user.id
    return [
        message
        for message in channel.messages
        if not message.deleted
        and message.author.id == bot_id
        and message.embeds
        and "Share #" in (message.embeds[0].get("footer") or {}).get("text", "")
    ]


def field_of(message: Message, name: str) -> str:
    for field in message.embeds[0].get("fields") or []:
        if field["name"] == name:
            return str(field["value"])
    raise AssertionError(f"the copy has no field {name}: {message.embeds[0]}")


def link_to(message: Message) -> str:
    guild = message.channel.guild
    assert guild is not None
    return f"https://discord.com/channels/{guild.id}/{message.channel.id}/{message.id}"


async def share_as(
    harness: AllianceHarness, member: Member, message: Message, **options: Any
) -> str:
    itx = await harness.sandbox.slash(
        member,
        message.channel,
        "platform share",
        timeout=WAIT,
        message_link=link_to(message),
        **options,
    )
    return await itx.final_text()


async def deliveries(harness: AllianceHarness) -> list[PlatformDelivery]:
    async with harness.db.session() as session:
        return list((await session.execute(select(PlatformDelivery))).scalars())


async def add_organisation(harness: AllianceHarness, server: SampleCommunity, name: str) -> None:
    async with harness.db.session() as session:
        await ensure_community(session, server.guild.id, server.guild.name)
        await organisations.create_organisation(
            session,
            community_id=server.guild.id,
            name=name,
            name_key=name_key(name),
            stakeholder="civil society",
            level="national",
        )
        await session.commit()


async def test_copies_threads_names_and_responses(alliance: AllianceHarness) -> None:
    home, kisumu, nakuru = alliance.servers
    made = await national_above(alliance, [kisumu, nakuru])
    sandbox, general = alliance.sandbox, home.channels["general"]
    people = [m for m in home.members if not m.user.bot and m.id != home.owner.id][:3]
    visible, with_organisation, plain = people
    await sandbox.slash(visible, general, "privacy visible", choice="on", timeout=WAIT)
    await add_organisation(alliance, home, "WaterAid")
    await sandbox.slash(
        with_organisation, general, "profile set", organisation="WaterAid", timeout=WAIT
    )
    originals = [
        await sandbox.send_message(visible, general, "Kiosks @everyone work when <@1> pays"),
        await sandbox.send_message(with_organisation, general, "Pay by phone cut queues"),
        await sandbox.send_message(plain, general, "Women's committees kept taps working"),
    ]
    for author, original in zip(people, originals, strict=True):
        text = await share_as(alliance, author, original)
        assert "Shared" in text or "shared" in text, text

    inboxes = [kisumu.channels["inbox"], nakuru.channels["inbox"]]

    async def all_out() -> bool:
        rows = await deliveries(alliance)
        return len(rows) == 6 and all(row.state == DeliveryState.DONE for row in rows)

    await eventually(all_out)
    for inbox in inboxes:
        copies = copies_in(alliance, inbox)
        assert len(copies) == 3  # once each
        for copy in copies:
            embed = copy.embeds[0]
            assert embed["title"] == f"Shared by {NATIONAL} (national)"
            assert NATIONAL in field_of(copy, "From")
            assert copy.thread is not None and copy.thread.name == THREAD_NAME
            assert copy.mentions == [] and not copy.mention_everyone
        credits = [field_of(copy, "By") for copy in copies]
        assert credits == [visible.display_name, "a member of WaterAid", "a participant"]
        assert "@\u200beveryone" in copies[0].embeds[0]["description"]
        assert link_to(originals[0]) in field_of(copies[0], "Original")

    # A response in Kisumu's thread travels back up, and is an answer in Kisumu's log.
    responder = kisumu.plain_member
    thread = copies_in(alliance, inboxes[0])[0].thread
    assert thread is not None
    response = await sandbox.send_message(responder, thread, "We tried that in Kisumu too")
    await sandbox.send_message(kisumu.owner_member, thread, "So did we")

    async def recorded() -> list[PlatformResponse]:
        async with alliance.db.session() as session:
            return list((await session.execute(select(PlatformResponse))).scalars())

    async def two_recorded() -> bool:
        return len(await recorded()) == 2

    await eventually(two_recorded)
    row = next(r for r in await recorded() if r.message_id == response.id)
    assert (row.from_platform_id, row.to_platform_id) == (made.districts[0].id, made.national.id)
    assert row.direction == Direction.UP

    async def logged_as_answer() -> bool:
        await alliance.bot.contribution_writer.flush()
        async with alliance.db.session() as session:
            found = await session.get(Contribution, response.id)
        return found is not None and found.is_answer and found.community_id == kisumu.guild.id

    await eventually(logged_as_answer)

    # A response deleted is no longer counted.
    await sandbox.delete_message(responder, response)

    async def one_left() -> bool:
        return len(await recorded()) == 1

    await eventually(one_left)


async def test_a_district_shares_up_and_across_and_each_end_sees_which_way(
    alliance: AllianceHarness,
) -> None:
    home, kisumu, nakuru = alliance.servers
    made = await national_above(alliance, [kisumu, nakuru])
    code, _ = await alliance.bot.platforms.invite(made.districts[0], Relation.PEER, actor_id=1)
    await alliance.bot.platforms.join(code, made.districts[1], actor_id=2)
    author, general = kisumu.plain_member, kisumu.channels["general"]
    said = await alliance.sandbox.send_message(author, general, "Caretakers paid from tariffs")
    assert "A copy goes to" in await share_as(alliance, author, said)  # to all: up and across
    inboxes = {"up": home.channels["questions"], "across": nakuru.channels["inbox"]}

    async def both_out() -> bool:
        return all(copies_in(alliance, inbox) for inbox in inboxes.values())

    await eventually(both_out)
    origin = made.districts[0].name
    for inbox in inboxes.values():
        (copy,) = copies_in(alliance, inbox)
        assert copy.embeds[0]["title"] == f"Shared by {origin} (intermediate)"
        assert field_of(copy, "By") == "a participant"
        assert "Caretakers paid from tariffs" in copy.embeds[0]["description"]
    rows = {row.target_platform_id: row.direction for row in await deliveries(alliance)}
    assert rows == {made.national.id: Direction.UP, made.districts[1].id: Direction.ACROSS}


async def test_forget_edits_copies_and_a_deleted_original_deletes_them(
    alliance: AllianceHarness,
) -> None:
    home, kisumu, nakuru = alliance.servers
    await national_above(alliance, [kisumu, nakuru])
    sandbox, general = alliance.sandbox, home.channels["general"]
    people = [m for m in home.members if not m.user.bot and m.id != home.owner.id]
    forgetful, deleter, leaving = people[:3]
    await sandbox.slash(forgetful, general, "privacy visible", choice="on", timeout=WAIT)
    first = await sandbox.send_message(forgetful, general, "Our secret recipe for chlorine")
    second = await sandbox.send_message(deleter, general, "A lesson on spare parts")
    await share_as(alliance, forgetful, first)
    await share_as(alliance, deleter, second)
    third = await sandbox.send_message(leaving, general, "Our borehole costs, in detail")
    await share_as(alliance, leaving, third)
    inboxes = [kisumu.channels["inbox"], nakuru.channels["inbox"]]

    async def both_out() -> bool:
        return all(len(copies_in(alliance, inbox)) == 3 for inbox in inboxes) and all(
            copy.thread is not None for inbox in inboxes for copy in copies_in(alliance, inbox)
        )

    await eventually(both_out)
    assert field_of(copies_in(alliance, inboxes[0])[0], "By") == forgetful.display_name

    ask = await sandbox.slash(forgetful, general, "privacy forget", timeout=WAIT)
    assert ask.original is not None
    assert await confirm(alliance, forgetful, ask.original, KEEP_TEXTS_LABEL) == "You are forgotten"

    def forgotten(copy: Message) -> bool:
        embed = copy.embeds[0]
        return (
            "chlorine" not in str(embed)
            and field_of(copy, "By") == "a participant"
            and forgetful.display_name not in str(embed)
        )

    async def edited() -> bool:
        return all(forgotten(copies_in(alliance, inbox)[0]) for inbox in inboxes)

    # Opting out does the same to the copies of what the member shared.
    ask = await sandbox.slash(leaving, general, "privacy optout", timeout=WAIT)
    assert ask.original is not None
    assert await confirm(alliance, leaving, ask.original) == "You are opted out"

    async def opted_out() -> bool:
        return all(
            "borehole" not in str(copies_in(alliance, inbox)[2].embeds[0])
            and field_of(copies_in(alliance, inbox)[2], "By") == "a participant"
            for inbox in inboxes
        )

    await eventually(opted_out)

    await eventually(edited)
    # The other member's copies are untouched.
    assert all("spare parts" in str(copies_in(alliance, i)[1].embeds[0]) for i in inboxes)

    threads = [copies_in(alliance, inbox)[1].thread for inbox in inboxes]
    await sandbox.delete_message(deleter, second)

    async def deleted() -> bool:
        return all(len(copies_in(alliance, inbox)) == 2 for inbox in inboxes)

    async def recorded() -> bool:
        # The worker records each deletion after Discord has made it.
        rows = [row for row in await deliveries(alliance) if row.message_id is None]
        return len(rows) == 2 and all(
            row.change is None and row.state == DeliveryState.DROPPED for row in rows
        )

    await eventually(deleted)
    for inbox, thread in zip(inboxes, threads, strict=True):
        guild = inbox.guild
        assert guild is not None and thread is not None
        await eventually(lambda: _true(thread not in guild.threads))  # noqa: B023
    await eventually(recorded)


async def test_withdrawing_consent_to_be_named_renames_the_copies(
    alliance: AllianceHarness,
) -> None:
    home, kisumu, nakuru = alliance.servers
    await national_above(alliance, [kisumu, nakuru])
    sandbox, general = alliance.sandbox, home.channels["general"]
    author = next(m for m in home.members if not m.user.bot and m.id != home.owner.id)
    await add_organisation(alliance, home, "Eau Vive")
    joined = await sandbox.slash(author, general, "org join", name="Eau Vive", timeout=WAIT)
    assert "Eau Vive" in await joined.final_text()
    await sandbox.slash(author, general, "privacy visible", choice="on", timeout=WAIT)
    said = await sandbox.send_message(author, general, "Chlorine dosing by the litre, not by eye")
    await share_as(alliance, author, said)
    inboxes = [kisumu.channels["inbox"], nakuru.channels["inbox"]]

    async def named(credit: str) -> bool:
        return all(
            copies_in(alliance, inbox) and field_of(copies_in(alliance, inbox)[0], "By") == credit
            for inbox in inboxes
        )

    await eventually(lambda: named(author.display_name))
    off = await sandbox.slash(author, general, "privacy visible", choice="off", timeout=WAIT)
    assert "no longer name you" in await off.final_text()
    # Named by their organisation from now on; what they wrote stays.
    await eventually(lambda: named("a member of Eau Vive"))
    assert all("Chlorine dosing" in str(copies_in(alliance, i)[0].embeds[0]) for i in inboxes)


async def test_a_deleted_inbox_pauses_deliveries_until_one_is_set(
    alliance: AllianceHarness,
) -> None:
    home, kisumu, nakuru = alliance.servers
    made = await national_above(alliance, [kisumu, nakuru])
    sandbox, general = alliance.sandbox, home.channels["general"]
    inbox = kisumu.channels["inbox"]
    kisumu.guild.channels.remove(inbox)
    sandbox.channel_event("CHANNEL_DELETE", inbox)

    async def paused() -> bool:
        platform = await alliance.bot.platforms.get(made.districts[0].id)
        return platform is not None and platform.inbox_paused is not None

    await eventually(paused)

    def told(server: SampleCommunity) -> list[Message]:
        return [
            message
            for message in server.channels["general"].messages
            if message.author.id == server.bot.user.id and "/platform inbox" in message.content
        ]

    await eventually(lambda: _true(len(told(kisumu)) == 1))

    author = home.moderator
    original = await sandbox.send_message(author, general, "Guidance on water safety plans")
    await share_as(alliance, author, original)
    await eventually(lambda: _true(len(copies_in(alliance, nakuru.channels["inbox"])) == 1))
    # Kisumu's copy waits in the database, not lost and not failing.
    waiting = [
        row for row in await deliveries(alliance) if row.target_platform_id != made.districts[1].id
    ]
    assert [row.state for row in waiting] == [DeliveryState.PENDING]

    new_inbox = kisumu.guild.create_text_channel("alliance-inbox")
    await sandbox.slash(
        kisumu.moderator, kisumu.channels["general"], "platform inbox", channel=new_inbox,
        timeout=WAIT,
    )  # fmt: skip
    await eventually(lambda: _true(len(copies_in(alliance, new_inbox)) == 1))
    await eventually(lambda: _true(copies_in(alliance, new_inbox)[0].thread is not None))
    assert len(told(kisumu)) == 1  # told once
    assert len(copies_in(alliance, new_inbox)) == 1


async def _true(value: bool) -> bool:
    return value


async def test_a_server_the_bot_left_loses_its_links(alliance: AllianceHarness) -> None:
    home, kisumu, nakuru = alliance.servers
    made = await national_above(alliance, [kisumu, nakuru])
    alliance.sandbox.remove_bot_from(nakuru.guild, nakuru.bot)

    async def unlinked() -> bool:
        return not await alliance.bot.platforms.links(made.districts[1])

    await eventually(unlinked)
    live = await alliance.bot.platforms.links(made.national)
    assert [item.platform.id for item in live] == [made.districts[0].id]
    notice = [
        message.content
        for message in home.channels["questions"].messages
        if message.author.id == home.bot.user.id
    ]
    assert any("no longer in that server" in text for text in notice), notice

    author = home.moderator
    original = await alliance.sandbox.send_message(author, home.channels["general"], "Next steps")
    text = await share_as(alliance, author, original)
    assert nakuru.guild.name[:20] not in text
    await eventually(lambda: _true(len(copies_in(alliance, kisumu.channels["inbox"])) == 1))
    assert [row.target_platform_id for row in await deliveries(alliance)] == [made.districts[0].id]


async def test_a_server_left_while_the_bot_was_stopped_is_unlinked_at_start_up(
    alliance: AllianceHarness,
) -> None:
    home, kisumu, nakuru = alliance.servers
    made = await national_above(alliance, [kisumu, nakuru])
    await alliance.stop_bot()
    alliance.sandbox.remove_bot_from(kisumu.guild, kisumu.bot)  # no GUILD_DELETE reaches it
    await alliance.start_bot()

    async def unlinked() -> bool:
        return not await alliance.bot.platforms.links(made.districts[0])

    await eventually(unlinked)
    live = await alliance.bot.platforms.links(made.national)
    assert [item.platform.id for item in live] == [made.districts[1].id]
    notices = [m.content for m in home.channels["questions"].messages if m.author.bot]
    assert any(
        "no longer in that server" in text and kisumu.guild.name in text for text in notices
    ), notices


async def gap_repair_done(harness: AllianceHarness) -> None:
    """Until the start-up's catch-up of the contribution log has read every server's history:
    it reads at Discord's global limit, and the deliveries must be measured alone."""
    repairing = [
        task
        for task in asyncio.all_tasks()
        if task.get_name() == "copbot: contribution gap repair" and not task.done()
    ]
    if repairing:
        await asyncio.wait(repairing, timeout=60)


async def test_a_restart_mid_share_posts_each_copy_once_within_rate_limits(
    tmp_path: Path,
) -> None:
    async with running_alliance(tmp_path, small_servers=50) as harness:
        small = harness.servers[3:]
        made = await national_above(harness, small)
        await gap_repair_done(harness)
        sandbox = harness.sandbox
        assert sandbox.rate_limits  # Discord's usual limits, on
        home = harness.server(1)
        original = await sandbox.send_message(
            home.moderator, home.channels["general"], "Guidance for all districts"
        )
        inboxes = [server.channels["inbox"] for server in small]

        def out() -> int:
            return sum(len(copies_in(harness, inbox)) for inbox in inboxes)

        await harness.bot.platforms.share(
            made.national,
            ShareTarget.ALL,
            kind=ShareKind.MESSAGE,
            source_key=f"message:{original.id}",
            title=None,
            text=original.content,
            credit="a participant",
            author_id=home.moderator.id,
            source_channel_id=original.channel.id,
            source_message_id=original.id,
            jump_url=link_to(original),
            shared_by=home.moderator.id,
        )
        harness.bot.deliveries.notify()
        alone_from = len(sandbox.requests)  # the start-up's catch-up is over
        await eventually(lambda: _true(out() >= 25))
        # The next copy is in flight when the bot stops: Discord makes it after all.
        held = sandbox.hold("POST", "/channels/{channel_id}/messages")
        await held.wait_for_arrival(WAIT)
        await harness.stop_bot()
        held.release(carry_out=True)
        await eventually(lambda: _true(out() >= 26))
        in_between = out()  # the copy in flight is among them: found again, not sent twice
        before_restart = sandbox.requests[alone_from:]
        await harness.start_bot()

        async def all_done() -> bool:
            rows = await deliveries(harness)
            return len(rows) == 50 and all(row.state == DeliveryState.DONE for row in rows)

        await eventually(all_done, timeout=30)
        assert in_between < 50
        worker = harness.bot.get_cog("PlatformDeliveries")
        assert getattr(worker, "copies_made", None) == 50 - in_between
        assert [len(copies_in(harness, inbox)) for inbox in inboxes] == [1] * 50
        assert all(copies_in(harness, inbox)[0].thread is not None for inbox in inboxes)
        # Paced, the copies and their threads never met a 429 while they ran alone. (After the
        # restart the new process also reads 53 servers' history to catch up the contribution
        # log, at 40 requests a second: with the copies' 10 that is Discord's global limit, so
        # a copy then may meet a global 429.)
        posts = [(path, status) for method, path, status in before_restart if method == "POST"]
        assert len([path for path, _ in posts if path.endswith("/threads")]) >= 25
        assert [(path, status) for _, path, status in before_restart if status == 429] == []
