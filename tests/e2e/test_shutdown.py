"""Closing the bot: in order, once, and only when its work is done (the database goes next)."""

from __future__ import annotations

import asyncio

from tests.e2e.harness import Harness


async def test_a_second_close_waits_for_the_first_and_its_background_work(
    harness: Harness,
) -> None:
    bot = harness.bot
    release = asyncio.Event()
    finished: list[str] = []

    async def recovering() -> None:  # as start-up recovery still writing when a SIGTERM comes
        await release.wait()
        finished.append("background work")

    bot.run_in_background(recovering(), "test work")
    by_signal = asyncio.create_task(bot.close())
    await asyncio.sleep(0.2)
    by_context_manager = asyncio.create_task(bot.close())
    await asyncio.sleep(0.2)
    assert not by_signal.done() and not by_context_manager.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(by_signal, by_context_manager), 15)
    assert finished == ["background work"]
    assert bot.is_closed()
    assert bot.contribution_writer.pending == 0
