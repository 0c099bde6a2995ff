"""How the bot hands gateway events on (bot/client.py): receivers get every message in order,
listeners and ``wait_for`` still work, and nothing runs a task for a message nobody listens to."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from tests.e2e.harness import Harness


async def test_a_message_nobody_listens_to_costs_no_task(harness: Harness) -> None:
    received: list[str] = []
    harness.bot.add_receiver("message", lambda message: received.append(message.content))
    scheduled: list[str] = []
    schedule = harness.bot._schedule_event

    def counted(coro: Any, event_name: str, *args: Any, **kwargs: Any) -> asyncio.Task[None]:
        scheduled.append(event_name)
        return schedule(coro, event_name, *args, **kwargs)

    harness.bot._schedule_event = counted  # type: ignore[method-assign]
    member, general = harness.plain_member, harness.general

    await harness.sandbox.send_message(member, general, "first")
    await harness.sandbox.wait_until(lambda: received == ["first"])
    assert "on_message" not in scheduled

    # A listener gets messages again (and the bot's own on_message runs with it, as before).
    heard: list[str] = []

    async def listener(message: discord.Message) -> None:
        heard.append(message.content)

    harness.bot.add_listener(listener, "on_message")
    await harness.sandbox.send_message(member, general, "second")
    await harness.sandbox.wait_until(lambda: heard == ["second"])
    harness.bot.remove_listener(listener, "on_message")

    # So does wait_for.
    waiting = asyncio.create_task(
        harness.bot.wait_for("message", check=lambda m: m.content == "third", timeout=5)
    )
    await asyncio.sleep(0)
    await harness.sandbox.send_message(member, general, "third")
    assert (await waiting).content == "third"
    assert received == ["first", "second", "third"]
