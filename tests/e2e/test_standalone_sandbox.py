"""A sandbox started by hand (`python -m bot.sandbox`) and `copbot run` pointed at it."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

from tests.databases import sqlite_url
from tests.e2e.processes import clean_environment, keep_draining, read_until, start_bot_module


async def test_copbot_run_logs_in_to_a_sandbox_started_by_hand(tmp_path: Path) -> None:
    env = clean_environment()
    sandbox = await start_bot_module("bot.sandbox", "--port", "0", cwd=tmp_path, env=env)
    bot = None
    try:
        assert sandbox.stdout is not None
        printed: dict[str, str] = {}
        while len(printed) < 3:  # its log lines share the pipe: keep only the three settings
            line = (await asyncio.wait_for(sandbox.stdout.readline(), 30)).decode().strip()
            name, _, value = line.partition("=")
            if name in ("DISCORD_API_BASE", "DISCORD_GATEWAY_URL", "DISCORD_TOKEN"):
                printed[name] = value
        keep_draining(sandbox)
        bot = await start_bot_module(
            "bot", "run", cwd=tmp_path, env={**env, **printed, "DATABASE_URL": sqlite_url(tmp_path)}
        )
        assert bot.stdout is not None
        seen: list[str] = []
        await asyncio.wait_for(read_until(bot.stdout, "ready: logged in as", seen), 60)
        assert any(re.search(r"synced \d+ commands globally", line) for line in seen), seen
    finally:
        for process in (bot, sandbox):
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM if process is bot else signal.SIGINT)
                await asyncio.wait_for(process.wait(), 30)
    assert bot.returncode == 0
