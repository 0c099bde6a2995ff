"""Slash commands, autocomplete, deferrals, buttons, modals and the interaction rules."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import SandboxError, SandboxTimeout
from tests.e2e.sandbox.conftest import BotFactory, World
from tests.e2e.sandbox.testbot import build_test_bot


@pytest.fixture
async def record(world: World, connect: BotFactory) -> dict[str, Any]:
    record: dict[str, Any] = {}
    await connect(world.bot, build_test_bot(record))
    return record


async def test_commands_synced_once(world: World, record: dict[str, Any]) -> None:
    names = {c["name"] for c in world.sandbox.commands()}
    assert names == {"settings", "greet", "slow", "panel", "twice", "late", "org", "Add to harvest"}
    assert world.sandbox.command_sync_count == 1
    settings = next(c for c in world.sandbox.commands() if c["name"] == "settings")
    assert settings["id"] and settings["version"] and settings["options"][0]["type"] == 1


async def test_slash_with_role_options_answers_ephemerally(world: World, record: Any) -> None:
    itx = await world.sandbox.slash(
        world.alice,
        world.general,
        "settings roles",
        moderator=world.moderators,
        coordinator=world.coordinators,
    )
    assert itx.response_type == 4
    assert itx.ephemeral
    assert itx.content == "Roles saved: moderator Moderators, coordinator Coordinators"
    assert itx.original not in world.general.messages


async def test_slash_with_member_and_string_posts_an_embed(world: World, record: Any) -> None:
    itx = await world.sandbox.slash(
        world.alice, world.cafe, "greet", member=world.bob, words="Welcome"
    )
    assert not itx.ephemeral
    assert itx.embeds[0]["title"] == "Greeting"
    assert "Welcome, bob!" in itx.text() and "By: alice" in itx.text()
    assert world.cafe.messages[-1] is itx.original
    assert itx.original.author is world.bot.user
    assert itx.original.interaction_metadata["user"]["id"] == str(world.alice.id)


async def test_client_side_checks_refuse_bad_commands(world: World, record: Any) -> None:
    sandbox = world.sandbox
    with pytest.raises(SandboxError, match="no slash command"):
        await sandbox.slash(world.alice, world.general, "nope")
    with pytest.raises(SandboxError, match="missing required"):
        await sandbox.slash(world.alice, world.general, "settings roles")
    with pytest.raises(SandboxError, match="expected a role"):
        await sandbox.slash(world.alice, world.general, "settings roles", moderator="Mods")
    with pytest.raises(SandboxError, match="no option"):
        await sandbox.slash(
            world.alice, world.general, "greet", member=world.bob, words="x", colour="red"
        )
    with pytest.raises(SandboxError, match="needs a subcommand"):
        await sandbox.slash(world.alice, world.general, "settings")


async def test_autocomplete(world: World, record: Any) -> None:
    itx = await world.sandbox.autocomplete(
        world.bob, world.general, "org show", focused="name", name="w"
    )
    assert itx.response_type == 8
    assert [c["value"] for c in itx.choices] == ["WaterAid", "Water.org"]


async def test_deferred_answer_and_followups(world: World, record: Any) -> None:
    itx = await world.sandbox.slash(world.bob, world.general, "slow")
    assert itx.response_type == 5 and itx.ephemeral
    await itx.wait_for_followup(count=2)
    assert itx.original is itx.followups[0]
    assert itx.content == "done thinking"
    assert itx.followups[1].content == "and one more thing"
    assert not itx.followups[1].ephemeral  # a plain follow-up is public...
    assert world.general.messages[-1] is itx.followups[1]
    assert itx.original not in world.general.messages  # ...the deferred one stayed ephemeral
    assert "done thinking" in itx.text() and "one more thing" in itx.text()


async def test_button_edit_and_modal(world: World, record: Any) -> None:
    sandbox = world.sandbox
    panel = await sandbox.slash(world.alice, world.cafe, "panel")
    message = panel.original
    assert message is not None and message.find_component("panel:propose") is not None
    counted = await sandbox.click(world.bob, message, "panel:count")
    assert counted.response_type == 7
    assert message.content == "counted!"
    assert message.find_component("panel:count")["label"] == "Counted"
    opened = await sandbox.click(world.bob, message, "panel:propose")
    assert opened.response_type == 9
    assert opened.modal["title"] == "Propose a topic"
    with pytest.raises(SandboxError, match="required"):
        await sandbox.submit_modal(world.bob, opened, {"notes": "only notes"})
    done = await sandbox.submit_modal(world.bob, opened, {"topic": "Sludge reuse"})
    assert done.ephemeral and done.content == "Topic saved: Sludge reuse (no notes)"
    with pytest.raises(SandboxError, match="no component"):
        await sandbox.click(world.bob, message, "panel:missing")


async def test_message_context_menu(world: World, record: Any) -> None:
    msg = await world.sandbox.send_message(world.bob, world.cafe, "Pay operators on time")
    itx = await world.sandbox.context_menu(world.alice, msg, "Add to harvest")
    assert itx.content == "Harvested: Pay operators on time"


async def test_second_initial_response_is_refused(world: World, record: Any) -> None:
    itx = await world.sandbox.slash(world.alice, world.general, "twice")
    assert itx.content == "first"
    await world.sandbox.wait_until(lambda: "twice_error" in record)
    assert record["twice_error"] == (400, 40060)


async def test_late_response_is_refused(world: World, record: Any) -> None:
    world.sandbox.interaction_deadline = 0.1
    record["late_delay"] = 0.3
    with pytest.raises(SandboxTimeout):
        await world.sandbox.slash(world.alice, world.general, "late", timeout=0.5)
    await world.sandbox.wait_until(lambda: "late_error" in record)
    assert record["late_error"] == (404, 10062)
