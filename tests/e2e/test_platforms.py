"""/platform through the real bot and the sandbox, in three servers: making a server (or one
category of it) a learning platform, showing, listing, editing and removing it; who may do
what; and bad input answered privately with nothing changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.membership.vocabulary import Level
from bot.platforms.values import Platform
from bot.sandbox.sample import SampleCommunity
from tests.e2e.alliance import AllianceHarness, answer, platform_cmd, running_alliance
from tests.e2e.harness import forget_option_limits
from tests.e2e.helpers import WAIT, audit_actions, buttons, confirm

pytestmark = pytest.mark.e2e


@pytest.fixture
async def alliance(tmp_path: Path) -> AsyncIterator[AllianceHarness]:
    async with running_alliance(tmp_path) as running:
        await running.set_staff_roles_everywhere()
        yield running


async def platforms_of(harness: AllianceHarness, server: SampleCommunity) -> list[Platform]:
    return await harness.bot.platforms.of_server(server.guild.id)


async def test_create_show_list_edit_and_remove(alliance: AllianceHarness) -> None:
    home = alliance.server(1)
    moderator = home.moderator

    made = await answer(
        await platform_cmd(
            alliance, home, moderator, "create", name="WASH Global", level="international"
        )
    )
    assert "Platform created" in made and "**WASH Global** is now a international" in made
    assert "/platform inbox" in made and "/platform invite" in made
    general = home.channels["general"]
    assert f"Until you do, they arrive in <#{general.id}>." in made
    [global_platform] = await platforms_of(alliance, home)
    assert (global_platform.level, global_platform.category_id) == (Level.INTERNATIONAL, None)
    assert "platform.create" in await audit_actions(alliance)

    # A second platform in one category of the same server; its channel is its default inbox.
    region = home.guild.create_category("East Africa")
    region_chat = home.guild.create_text_channel("east-africa-chat", category=region)
    await alliance.sandbox.wait_until(
        lambda: alliance.bot.get_channel(region_chat.id) is not None, timeout=WAIT
    )
    made = await answer(
        await platform_cmd(
            alliance,
            home,
            moderator,
            "create",
            name="East Africa hub",
            level="intermediate",
            category=region,
        )
    )
    assert f"<#{region.id}>" in made

    # A member reads it; without a platform option, the channel's category decides which.
    member = home.plain_member
    shown = await answer(await platform_cmd(alliance, home, member, "show", where=region_chat))
    assert "East Africa hub · Intermediate platform" in shown
    assert f"<#{region_chat.id}> (default)" in shown
    assert "Harvests shared automatically: off" in shown
    assert "None yet" in shown
    shown = await answer(await platform_cmd(alliance, home, member, "show", platform="wash global"))
    assert "WASH Global · International platform" in shown
    assert f"<#{general.id}> (default)" in shown

    listed = await answer(await platform_cmd(alliance, home, member, "list"))
    assert "WASH Global · International" in listed and "East Africa hub · Intermediate" in listed
    assert "the whole server" in listed and "No links yet" in listed

    suggested = await alliance.sandbox.autocomplete(
        member, general, "platform show", focused="platform", platform="east"
    )
    assert [choice["value"] for choice in suggested.choices or []] == ["East Africa hub"]

    edited = await answer(
        await platform_cmd(
            alliance,
            home,
            moderator,
            "edit",
            platform="WASH Global",
            name="WASH Africa",
            level="national",
        )
    )
    assert "**WASH Africa** is a national platform" in edited
    names = {p.name: p.level for p in await platforms_of(alliance, home)}
    assert names == {"WASH Africa": Level.NATIONAL, "East Africa hub": Level.INTERMEDIATE}

    # Removing asks first; Cancel changes nothing, Remove removes.
    asked = await platform_cmd(alliance, home, moderator, "remove", platform="East Africa hub")
    assert asked.ephemeral and "Remove East Africa hub?" in asked.text()
    assert asked.original is not None
    assert set(buttons(asked.original)) == {"Remove", "Cancel"}
    assert await confirm(alliance, moderator, asked.original, "Cancel") == "Cancelled"
    assert len(await platforms_of(alliance, home)) == 2

    asked = await platform_cmd(alliance, home, moderator, "remove", platform="East Africa hub")
    assert asked.original is not None
    # Only the moderator who asked can answer.
    other = home.member("priya.raman")
    assert other.id != moderator.id
    refused = await alliance.sandbox.click(
        other, asked.original, buttons(asked.original)["Remove"]["custom_id"]
    )
    assert refused.ephemeral and "belongs to another moderator" in refused.text()
    assert len(await platforms_of(alliance, home)) == 2
    assert await confirm(alliance, moderator, asked.original, "Remove") == "Platform removed"
    assert [p.name for p in await platforms_of(alliance, home)] == ["WASH Africa"]
    listed = await answer(await platform_cmd(alliance, home, member, "list"))
    assert "East Africa hub" not in listed


async def test_roles_are_checked(alliance: AllianceHarness) -> None:
    home, kisumu = alliance.server(1), alliance.server(2)
    await answer(
        await platform_cmd(alliance, home, home.moderator, "create", name="WASH", level="national")
    )
    await answer(
        await platform_cmd(
            alliance, kisumu, kisumu.moderator, "create", name="Kisumu", level="intermediate"
        )
    )
    before = (await platforms_of(alliance, home), await platforms_of(alliance, kisumu))

    for actor in (home.plain_member, home.coordinator):  # coordinators are not moderators
        for command, options in (
            ("create", {"name": "Another", "level": "local"}),
            ("invite", {"relation": "child"}),
            ("join", {"code": "copbot-link-" + "x" * 24}),
            ("unlink", {"name": "Kisumu"}),
            ("edit", {"name": "Renamed"}),
            ("remove", {"platform": "WASH"}),
            ("inbox", {"channel": home.channels["cafe"]}),
            ("autoshare harvests", {"setting": "on"}),
        ):
            text = await answer(await platform_cmd(alliance, home, actor, command, **options))
            assert "Only moderators can use this command" in text, (command, text)
    after = (await platforms_of(alliance, home), await platforms_of(alliance, kisumu))
    assert after == before
    async with alliance.db.session() as session:
        from storage import platforms as queries

        assert await queries.links_of(session, [p.id for p in after[0] + after[1]]) == []

    # Members may read.
    shown = await answer(await platform_cmd(alliance, home, home.plain_member, "show"))
    assert "WASH · National platform" in shown


async def test_bad_input_is_answered_privately_and_changes_nothing(
    alliance: AllianceHarness,
) -> None:
    home = alliance.server(1)
    moderator = home.moderator
    region = home.guild.create_category("Sahel")
    await alliance.sandbox.wait_until(
        lambda: alliance.bot.get_channel(region.id) is not None, timeout=WAIT
    )
    await answer(
        await platform_cmd(
            alliance, home, moderator, "create", name="Sahel hub", level="local", category=region
        )
    )
    before = await platforms_of(alliance, home)

    # A category that is a platform already.
    text = await answer(
        await platform_cmd(
            alliance, home, moderator, "create", name="Other hub", level="local", category=region
        )
    )
    assert "**Sahel hub** is already the platform of this category" in text
    assert "Nothing was changed" in text
    # A name in use.
    text = await answer(
        await platform_cmd(alliance, home, moderator, "create", name="sahel HUB", level="local")
    )
    assert "already has a platform called" in text and "Nothing was changed" in text
    # An unknown platform.
    unknown: list[tuple[str, dict[str, Any]]] = [
        ("show", {"platform": "Atlantis"}),
        ("edit", {"platform": "Atlantis", "name": "Atlantis two"}),
        ("invite", {"platform": "Atlantis", "relation": "peer"}),
    ]
    for command, options in unknown:
        text = await answer(await platform_cmd(alliance, home, moderator, command, **options))
        assert "This server has no platform called **Atlantis**" in text, text
    # Nothing to change.
    text = await answer(
        await platform_cmd(alliance, home, moderator, "edit", platform="Sahel hub", level="local")
    )
    assert "already has that name and level" in text and "Nothing was changed" in text
    # A name too long, past Discord's own check (as an older registration would let it through).
    forget_option_limits(alliance.sandbox)
    too_long: list[tuple[str, dict[str, Any]]] = [
        ("create", {"name": "x" * 101, "level": "local"}),
        ("edit", {"platform": "Sahel hub", "name": "y" * 150}),
    ]
    for command, options in too_long:
        text = await answer(await platform_cmd(alliance, home, moderator, command, **options))
        # The house's answer for free text over its limit (cogs/options.py).
        assert "characters for `name`; the most is 100" in text, text
    assert await platforms_of(alliance, home) == before

    # A server with no platform at all.
    nakuru = alliance.server(3)
    text = await answer(await platform_cmd(alliance, nakuru, nakuru.plain_member, "show"))
    assert "This server is not a learning platform yet" in text


async def test_an_unanswered_confirmation_expires_and_changes_nothing(
    alliance: AllianceHarness,
) -> None:
    home = alliance.server(1)
    await answer(
        await platform_cmd(alliance, home, home.moderator, "create", name="WASH", level="national")
    )
    cog = alliance.bot.get_cog("PlatformCommands")
    assert cog is not None
    cog.confirm_timeout = 0.2  # type: ignore[attr-defined]
    asked = await platform_cmd(alliance, home, home.moderator, "remove", platform="WASH")
    assert asked.original is not None
    message = asked.original
    await alliance.sandbox.wait_until(
        lambda: bool(message.embeds) and message.embeds[0]["title"] == "This confirmation expired",
        timeout=WAIT,
    )
    assert buttons(message) == {}
    assert [p.name for p in await platforms_of(alliance, home)] == ["WASH"]
