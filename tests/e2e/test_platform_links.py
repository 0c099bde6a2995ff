"""Links between platforms in three sandbox servers, through the real bot: an invite code in one
server, joined with consent in another (preview, then confirm), both inboxes told; expired,
reused, forged and own codes refused; unlinking from either side; the links' history; and
sharing a message on purpose over the links that are live."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.membership.vocabulary import Level
from bot.platforms import codes
from bot.platforms.values import Delivery, Direction, Relation
from bot.sandbox import Channel, Member, Message
from bot.sandbox.interactions import message_text
from bot.sandbox.models import GATEWAY_MESSAGE_CONTENT, GATEWAY_MESSAGE_CONTENT_LIMITED
from bot.sandbox.sample import SampleCommunity
from storage import platforms as queries
from storage.models.platforms import PlatformShare
from storage.types import utc_now
from tests.e2e.alliance import AllianceHarness, answer, platform_cmd, running_alliance
from tests.e2e.helpers import WAIT, buttons, click, confirm

pytestmark = pytest.mark.e2e

CODE = re.compile(re.escape(codes.PREFIX) + r"[A-Za-z0-9_-]+")


@pytest.fixture
async def alliance(tmp_path: Path) -> AsyncIterator[AllianceHarness]:
    """Three servers, each one platform: a national one (server 1, its inbox the default
    #general) and two districts (their inboxes #inbox)."""
    async with running_alliance(tmp_path) as running:
        await running.set_staff_roles_everywhere()
        home, kisumu, nakuru = running.servers
        for server, name, level in (
            (home, "WASH Kenya", "national"),
            (kisumu, "Kisumu WASH", "intermediate"),
            (nakuru, "Nakuru WASH", "intermediate"),
        ):
            made = await platform_cmd(
                running, server, server.moderator, "create", name=name, level=level
            )
            assert "Platform created" in await made.final_text()
        for server in (kisumu, nakuru):
            set_inbox = await platform_cmd(
                running, server, server.moderator, "inbox", channel=server.channels["inbox"]
            )
            assert "Inbox set" in await set_inbox.final_text()
        yield running


def inbox(server: SampleCommunity) -> Channel:
    return server.channels.get("inbox") or server.channels["general"]


def inbox_texts(server: SampleCommunity) -> list[str]:
    return [message_text(message) for message in inbox(server).messages]


async def invite(
    harness: AllianceHarness, server: SampleCommunity, relation: str, **options: Any
) -> str:
    text = await answer(
        await platform_cmd(
            harness, server, server.moderator, "invite", relation=relation, **options
        )
    )
    found = CODE.search(text)
    assert found is not None, text
    return found.group(0)


async def join(
    harness: AllianceHarness, server: SampleCommunity, code: str, actor: Member | None = None
) -> str:
    """Join with ``code`` and confirm; the confirmation's outcome (its title and text)."""
    actor = actor or server.moderator
    asked = await platform_cmd(harness, server, actor, "join", code=code)
    assert asked.ephemeral and asked.original is not None, asked.text()
    if not buttons(asked.original):
        return asked.text()
    await confirm(harness, actor, asked.original)
    return message_text(asked.original)


def message_link(message: Message) -> str:
    channel = message.channel
    assert channel.guild is not None
    return f"https://discord.com/channels/{channel.guild.id}/{channel.id}/{message.id}"


async def deliveries_of(harness: AllianceHarness, message: Message) -> list[Delivery]:
    async with harness.db.session() as session:
        share_ids = (
            await session.execute(
                select(col(PlatformShare.id)).where(
                    col(PlatformShare.source_key) == f"message:{message.id}"
                )
            )
        ).scalars()
        found: list[Delivery] = []
        for share_id in share_ids:
            assert share_id is not None
            found += await queries.deliveries_of_share(session, share_id)
        return found


async def test_invite_then_join_with_a_preview_and_consent(
    alliance: AllianceHarness, caplog: pytest.LogCaptureFixture
) -> None:
    home, kisumu, nakuru = alliance.servers
    caplog.set_level(logging.INFO)
    code = await invite(alliance, home, "child")

    # The code is shown to the inviting moderator only: posted nowhere, logged nowhere.
    shown = await answer(
        await platform_cmd(alliance, home, home.moderator, "invite", relation="peer")
    )
    assert f"/platform join code:{codes.PREFIX}" in shown
    assert "<t:" in shown and "works once" in shown
    for server in alliance.servers:
        for channel in server.guild.channels:
            assert all(code not in message_text(m) for m in channel.messages)
    assert code not in caplog.text

    # A plain member of the other server cannot join.
    text = await answer(
        await platform_cmd(alliance, kisumu, kisumu.plain_member, "join", code=code)
    )
    assert "Only moderators can use this command" in text

    # The preview says what the link means; Cancel changes nothing.
    asked = await platform_cmd(alliance, kisumu, kisumu.moderator, "join", code=code)
    assert asked.ephemeral and asked.original is not None
    preview = asked.text()
    assert "Link Kisumu WASH to WASH Kenya?" in preview
    assert "**WASH Kenya** (Water & Sanitation CoP), a national platform" in preview
    assert "as its **parent**" in preview
    assert "only items shared on purpose and a child's digest of group figures" in preview.lower()
    assert "no member data, no logs" in preview
    assert set(buttons(asked.original)) == {"Confirm", "Cancel"}
    # Nobody but the moderator who asked can confirm.
    other = kisumu.coordinator
    refused = await click(alliance, other, asked.original, "Confirm")
    assert refused.ephemeral and "belongs to another moderator" in refused.text()
    assert await confirm(alliance, kisumu.moderator, asked.original, "Cancel") == "Cancelled"
    assert (
        await alliance.bot.platforms.links(
            (await alliance.bot.platforms.of_server(kisumu.guild.id))[0]
        )
        == []
    )

    # Confirmed: linked, and both inboxes told.
    outcome = await join(alliance, kisumu, code)
    assert "is now linked as parent of **Kisumu WASH**" in outcome, outcome
    assert any(
        "**WASH Kenya** (Water & Sanitation CoP) is now linked as parent of **Kisumu WASH**" in t
        for t in inbox_texts(kisumu)
    ), inbox_texts(kisumu)
    assert any(
        "**Kisumu WASH** (Kisumu District WASH Platform) is now linked as child of **WASH Kenya**"
        in t
        for t in inbox_texts(home)
    ), inbox_texts(home)
    shown = await answer(await platform_cmd(alliance, home, home.plain_member, "show"))
    assert "**Kisumu WASH** (Kisumu District WASH Platform) — child since <t:" in shown

    # The same code again, even in a third server: used.
    text = await answer(await platform_cmd(alliance, nakuru, nakuru.moderator, "join", code=code))
    assert "has been used already" in text and "Nothing was changed" in text
    # Already linked.
    again = await invite(alliance, home, "peer")
    text = await answer(await platform_cmd(alliance, kisumu, kisumu.moderator, "join", code=again))
    assert "are linked already" in text
    # Forged: the prefix and random letters.
    forged = codes.PREFIX + secrets.token_urlsafe(codes.CODE_BYTES)
    text = await answer(await platform_cmd(alliance, nakuru, nakuru.moderator, "join", code=forged))
    assert "not a link code I gave out" in text
    text = await answer(
        await platform_cmd(alliance, nakuru, nakuru.moderator, "join", code="hello there")
    )
    assert "That is not a link code" in text
    # A platform's own code.
    own = await invite(alliance, nakuru, "peer")
    text = await answer(await platform_cmd(alliance, nakuru, nakuru.moderator, "join", code=own))
    assert "this platform's own" in text
    # Expired: a day and an hour later by the service's clock.
    late = await invite(alliance, home, "child")
    later = utc_now() + timedelta(hours=25)
    alliance.bot.platforms.clock = lambda: later
    text = await answer(await platform_cmd(alliance, nakuru, nakuru.moderator, "join", code=late))
    assert "has expired" in text
    nakuru_platform = (await alliance.bot.platforms.of_server(nakuru.guild.id))[0]
    assert await alliance.bot.platforms.links(nakuru_platform) == []


async def test_unlink_from_either_side_ends_it_and_keeps_history(
    alliance: AllianceHarness,
) -> None:
    home, kisumu, nakuru = alliance.servers
    assert "Linked" in await join(alliance, kisumu, await invite(alliance, home, "child"))
    assert "Linked" in await join(alliance, nakuru, await invite(alliance, home, "child"))
    assert "Linked" in await join(alliance, nakuru, await invite(alliance, kisumu, "peer"))

    # The linked platforms are suggested by name.
    suggested = await alliance.sandbox.autocomplete(
        kisumu.moderator, kisumu.channels["general"], "platform unlink", focused="name", name=""
    )
    assert sorted(c["value"] for c in suggested.choices or []) == [
        "Nakuru WASH (Nakuru District WASH Platform)",
        "WASH Kenya (Water & Sanitation CoP)",
    ]

    # A plain member cannot unlink.
    text = await answer(
        await platform_cmd(alliance, kisumu, kisumu.plain_member, "unlink", name="WASH Kenya")
    )
    assert "Only moderators can use this command" in text

    # The child ends its link to the parent.
    text = await answer(
        await platform_cmd(alliance, kisumu, kisumu.moderator, "unlink", name="WASH Kenya")
    )
    assert "are no longer linked" in text
    ended = (
        "The link between **WASH Kenya** and **Kisumu WASH** (Kisumu District WASH Platform) "
        "has ended"
    )
    assert any(ended in t for t in inbox_texts(kisumu))
    assert any(ended in t for t in inbox_texts(home))

    # The parent ends its link to the other child.
    text = await answer(
        await platform_cmd(alliance, home, home.moderator, "unlink", name="Nakuru WASH")
    )
    assert "are no longer linked" in text
    assert any(
        "has ended: a moderator of **WASH Kenya** unlinked it" in t for t in inbox_texts(nakuru)
    )
    # Unlinking again: no live link.
    text = await answer(
        await platform_cmd(alliance, home, home.moderator, "unlink", name="Nakuru WASH")
    )
    assert "has no live link to **Nakuru WASH**" in text

    # Sharing up over the ended link is refused; across, to the peer, still works.
    author = kisumu.plain_member
    said = await alliance.sandbox.send_message(
        author, kisumu.channels["general"], "Chlorine dosing at kiosks halved the complaints."
    )
    text = await answer(
        await platform_cmd(
            alliance, kisumu, author, "share", message_link=message_link(said), to="up"
        )
    )
    assert "has no linked platform above it" in text and "Nothing was shared" in text
    assert await deliveries_of(alliance, said) == []

    # The history shows each link from its start to its end.
    shown = await answer(await platform_cmd(alliance, kisumu, kisumu.plain_member, "show"))
    kisumu_platform = (await alliance.bot.platforms.of_server(kisumu.guild.id))[0]
    [past] = [
        item
        for item in await alliance.bot.platforms.links(kisumu_platform, live_only=False)
        if item.link.ended_at is not None
    ]
    assert past.link.ended_at is not None
    start = discord.utils.format_dt(past.link.started_at, "D")
    end = discord.utils.format_dt(past.link.ended_at, "D")
    assert f"**WASH Kenya** (Water & Sanitation CoP) — parent, {start} – {end}" in shown
    assert "Links of the past" in shown
    assert "**Nakuru WASH** (Nakuru District WASH Platform) — peer since" in shown


async def test_sharing_a_message_on_purpose(alliance: AllianceHarness) -> None:
    home, kisumu, nakuru = alliance.servers
    assert "Linked" in await join(alliance, kisumu, await invite(alliance, home, "child"))
    assert "Linked" in await join(alliance, nakuru, await invite(alliance, home, "child"))
    kisumu_id = (await alliance.bot.platforms.of_server(kisumu.guild.id))[0].id
    home_id = (await alliance.bot.platforms.of_server(home.guild.id))[0].id
    nakuru_id = (await alliance.bot.platforms.of_server(nakuru.guild.id))[0].id

    # A member shares their own message up.
    author = kisumu.plain_member
    said = await alliance.sandbox.send_message(
        author, kisumu.channels["general"], "Pay-as-you-fetch meters cut non-revenue water."
    )
    text = await answer(
        await platform_cmd(
            alliance, kisumu, author, "share", message_link=message_link(said), to="up"
        )
    )
    assert (
        "A copy goes to" in text and "**WASH Kenya (Water & Sanitation CoP)** (vertical-up)" in text
    )
    [delivery] = await deliveries_of(alliance, said)
    assert (delivery.target_platform_id, delivery.direction) == (home_id, Direction.UP)
    # Shared again: the parent has it already.
    text = await answer(
        await platform_cmd(alliance, kisumu, author, "share", message_link=message_link(said))
    )
    assert "has a copy of this already" in text and "Nothing was shared again" in text

    # Another member cannot share someone else's message; a coordinator neither.
    other = kisumu.member("lilian.anyango")
    someone = await alliance.sandbox.send_message(
        other, kisumu.channels["general"], "Women-led water committees collect more tariffs."
    )
    for actor in (author, kisumu.coordinator):
        text = await answer(
            await platform_cmd(alliance, kisumu, actor, "share", message_link=message_link(someone))
        )
        assert "Only moderators can share someone else's message" in text
    refused = await alliance.sandbox.context_menu(author, someone, "Share with linked platforms")
    assert refused.ephemeral and "Only moderators can share" in refused.text()
    assert await deliveries_of(alliance, someone) == []
    # A moderator can, with the message menu.
    shared = await alliance.sandbox.context_menu(
        kisumu.moderator, someone, "Share with linked platforms"
    )
    assert shared.ephemeral and "A copy goes to" in await shared.final_text()
    assert [d.target_platform_id for d in await deliveries_of(alliance, someone)] == [home_id]

    # The parent sends guidance down: one delivery per child.
    guidance = await alliance.sandbox.send_message(
        home.member("lena.vogel"), home.channels["general"], "New national guideline on kiosks."
    )
    text = await answer(
        await platform_cmd(
            alliance, home, home.moderator, "share", message_link=message_link(guidance), to="down"
        )
    )
    assert "(vertical-down)" in text
    rows = await deliveries_of(alliance, guidance)
    assert sorted(d.target_platform_id for d in rows) == sorted([kisumu_id, nakuru_id])
    assert {d.direction for d in rows} == {Direction.DOWN}

    # Refused: another server's message, a bot's message, something that is not a link.
    text = await answer(
        await platform_cmd(alliance, home, home.moderator, "share", message_link=message_link(said))
    )
    assert "That message is in another server" in text
    notice = next(m for m in inbox(kisumu).messages if m.author.id == kisumu.bot.user.id)
    text = await answer(
        await platform_cmd(
            alliance, kisumu, kisumu.moderator, "share", message_link=message_link(notice)
        )
    )
    assert "message of a bot" in text or "copy of an item" in text
    text = await answer(
        await platform_cmd(
            alliance, kisumu, kisumu.moderator, "share", message_link="see the chat yesterday"
        )
    )
    assert "That is not a message link" in text
    missing = f"https://ptb.discord.com/channels/{kisumu.guild.id}/{said.channel.id}/1234567"
    text = await answer(
        await platform_cmd(alliance, kisumu, kisumu.moderator, "share", message_link=missing)
    )
    assert "I find no such message" in text


async def test_without_the_message_content_intent_the_menu_still_shares(tmp_path: Path) -> None:
    """An app Discord has not approved for Message Content gets no text of messages it fetches:
    /platform share says so and points to the menu, which Discord gives the text to."""
    async with running_alliance(tmp_path, discord_message_content=False) as harness:
        await harness.set_staff_roles_everywhere()
        home, kisumu = harness.server(1), harness.server(2)
        home.bot.application_flags &= ~(GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED)
        platforms = harness.bot.platforms
        national = await platforms.create(
            home.guild.id, home.guild.name, name="National", level=Level.NATIONAL,
            category_id=None, actor_id=home.moderator.id,
        )  # fmt: skip
        district = await platforms.create(
            kisumu.guild.id, kisumu.guild.name, name="Kisumu", level=Level.INTERMEDIATE,
            category_id=None, actor_id=kisumu.moderator.id,
        )  # fmt: skip
        code, _ = await platforms.invite(district, Relation.PARENT, actor_id=kisumu.moderator.id)
        await platforms.join(code, national, actor_id=home.moderator.id)
        author, general = kisumu.plain_member, kisumu.channels["general"]
        said = await harness.sandbox.send_message(author, general, "Ward kits halve repair time")
        link = f"https://discord.com/channels/{kisumu.guild.id}/{general.id}/{said.id}"
        asked = await harness.sandbox.slash(
            author, general, "platform share", message_link=link, timeout=WAIT
        )
        text = await asked.final_text()
        assert "Message Content intent" in text and "Nothing was shared" in text, text
        menu = await harness.sandbox.context_menu(
            author, said, "Share with linked platforms", timeout=WAIT
        )
        assert "A copy goes to" in await menu.final_text()
        async with harness.db.session() as session:
            (share,) = (await session.execute(select(PlatformShare))).scalars().all()
        assert share.text == "Ward kits halve repair time"
