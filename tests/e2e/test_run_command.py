"""`copbot run` as its own process against a sandbox: logs in, syncs, answers, stops."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.sandbox import Sandbox
from bot.sandbox.sample import build_sample_community
from tests.e2e.harness import member_with_roles
from tests.e2e.helpers import sandbox_settings
from tests.e2e.processes import read_until, start_bot_module


async def test_copbot_run_logs_in_syncs_and_answers(tmp_path: Path) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        env = sandbox_settings(sandbox, community, tmp_path)
        process = await start_bot_module("bot", "run", cwd=tmp_path, env=env)
        output: list[str] = []
        try:
            assert process.stdout is not None
            await asyncio.wait_for(read_until(process.stdout, "ready: logged in as", output), 60)
            assert sandbox.command_sync_count == 1
            member = member_with_roles(community, [])
            general = community.channels["general"]
            about = await sandbox.slash(member, general, "about")
            assert "copbot" in about.text() and "SQLite" in about.text()
            shown = await sandbox.slash(member, general, "settings show")
            assert shown.ephemeral and "Time zone" in shown.text()
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
            assert process.stdout is not None
            output.append((await process.stdout.read()).decode(errors="replace"))
        logged = "".join(output)
        assert code == 0, logged
        assert "Traceback" not in logged
        assert "invite URL: https://discord.com/oauth2/authorize?client_id=" in logged
