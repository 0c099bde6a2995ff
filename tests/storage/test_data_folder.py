"""Where the SQLite file is: the same file whichever folder `copbot migrate` or `copbot run` is
started from (next to the `.env`, or in the platform's data folder), and said on start-up."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.sandbox import Sandbox
from bot.sandbox.sample import build_sample_community
from tests.storage.helpers import ROOT, SETTINGS


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """No copbot setting from this process; the platform's data folder inside ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path / "xdg"), **settings)
    return env


def migrate(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def project_with(tmp_path: Path, dotenv: str) -> tuple[Path, Path]:
    """A folder holding ``.env``, and a folder two levels below it to start commands from."""
    project = tmp_path.resolve() / "project"
    elsewhere = project / "notes" / "2030"
    elsewhere.mkdir(parents=True)
    (project / ".env").write_text(dotenv, encoding="utf-8")
    return project, elsewhere


def said(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stderr.splitlines()[-1]


def test_the_default_file_is_next_to_the_env_file_from_any_folder_below_it(
    tmp_path: Path,
) -> None:
    project, elsewhere = project_with(tmp_path, "LOG_LEVEL=WARNING\n")
    env = environment(tmp_path)
    expected = project / "data" / "copbot.sqlite3"
    line = f"copbot: SQLite ({expected}) is up to date"

    assert said(migrate(elsewhere, env)) == line
    assert expected.is_file()
    created = expected.stat().st_mtime_ns
    assert said(migrate(project, env)) == line
    assert said(migrate(project / "notes", env)) == line
    assert not (elsewhere / "data").exists() and not (project / "notes" / "data").exists()
    assert not (tmp_path / "xdg").exists()
    assert expected.stat().st_mtime_ns >= created  # the one file, migrated again


def test_without_an_env_file_the_platform_data_folder_is_used(tmp_path: Path) -> None:
    first = tmp_path / "one"
    second = tmp_path / "two" / "deeper"
    first.mkdir()
    second.mkdir(parents=True)
    env = environment(tmp_path, LOG_LEVEL="WARNING")
    expected = tmp_path / "xdg" / "copbot" / "copbot.sqlite3"

    assert said(migrate(first, env)) == f"copbot: SQLite ({expected}) is up to date"
    assert said(migrate(second, env)) == f"copbot: SQLite ({expected}) is up to date"
    assert expected.is_file()
    assert not (first / "data").exists() and not (second / "data").exists()


def test_a_relative_url_in_the_env_file_is_taken_from_its_folder(tmp_path: Path) -> None:
    project, elsewhere = project_with(
        tmp_path, "DATABASE_URL=sqlite:///state/cop.sqlite3\nLOG_LEVEL=WARNING\n"
    )
    expected = project / "state" / "cop.sqlite3"

    result = migrate(elsewhere, environment(tmp_path))
    assert said(result) == f"copbot: SQLite ({expected}) is up to date"
    assert expected.is_file()
    assert not (elsewhere / "state").exists()


def test_a_relative_url_in_the_environment_is_taken_from_the_working_directory(
    tmp_path: Path,
) -> None:
    project, elsewhere = project_with(tmp_path, "DATABASE_URL=sqlite:///from-file.sqlite3\n")
    env = environment(tmp_path, DATABASE_URL="sqlite:///from-env.sqlite3", LOG_LEVEL="WARNING")

    result = migrate(elsewhere, env)
    assert said(result) == f"copbot: SQLite ({elsewhere / 'from-env.sqlite3'}) is up to date"
    assert (elsewhere / "from-env.sqlite3").is_file()
    assert not (project / "from-file.sqlite3").exists()


async def test_run_says_which_database_it_uses(tmp_path: Path) -> None:
    async with Sandbox() as sandbox:
        community = build_sample_community(sandbox)
        project, elsewhere = project_with(tmp_path, "DATABASE_URL=sqlite:///state/bot.sqlite3\n")
        env = environment(
            tmp_path,
            DISCORD_TOKEN=community.bot.token,
            DISCORD_API_BASE=sandbox.api_base,
            DISCORD_GATEWAY_URL=sandbox.gateway_url,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=elsewhere,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        seen: list[str] = []
        try:
            # Until connected: a SIGTERM before then would find no handler to close the bot.
            while not any("ready: logged in as" in line for line in seen):
                line = await asyncio.wait_for(process.stderr.readline(), 60)
                assert line, "copbot run ended early:\n" + "".join(seen)
                seen.append(line.decode(errors="replace"))
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
        expected = project / "state" / "bot.sqlite3"
        assert [line for line in seen if line.startswith("copbot:")] == [
            f"copbot: using SQLite ({expected})\n"
        ]
        assert code == 0
        assert expected.is_file() and not (elsewhere / "state").exists()
