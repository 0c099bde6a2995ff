"""A sandbox started by hand (`python -m bot.sandbox`) and `copbot run` pointed at it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from bot.config import setting_names
from tests.databases import sqlite_url
from tests.e2e.test_run_command import read_until

ROOT = Path(__file__).resolve().parents[2]


async def test_copbot_run_logs_in_to_a_sandbox_started_by_hand(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in setting_names()}
    env["PYTHONPATH"] = str(ROOT)
    sandbox = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "--port",
        "0",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    bot = None
    try:
        assert sandbox.stdout is not None
        printed: dict[str, str] = {}
        for _ in range(3):
            line = (await asyncio.wait_for(sandbox.stdout.readline(), 30)).decode().strip()
            name, _, value = line.partition("=")
            printed[name] = value
        assert set(printed) == {"DISCORD_API_BASE", "DISCORD_GATEWAY_URL", "DISCORD_TOKEN"}
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env={**env, **printed, "DATABASE_URL": sqlite_url(tmp_path)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
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
