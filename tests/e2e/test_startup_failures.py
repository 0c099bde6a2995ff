"""`copbot run` that cannot start: one line on standard error saying what is wrong and what to
do, exit code 2, no traceback; and a refused token leaves no database behind."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.sandbox import Sandbox
from tests.e2e.processes import clean_environment

# A port nothing listens on (the "discard" service is not run anywhere we test).
CLOSED_PORT = 9


async def run_copbot(cwd: Path, **settings: str) -> tuple[int, str, str]:
    """`python -m bot run` with only these settings: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=clean_environment(**settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def the_one_line(code: int, stdout: str, stderr: str) -> str:
    """The line start-up stopped with, once it is certain there is exactly one and no more."""
    assert "Traceback" not in stdout + stderr, stderr
    assert code == 2, stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert stderr.endswith("\n")
    return lines[0]


def names_in(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


def sqlite_url(path: Path | str) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def test_discord_refusing_connections_is_one_line(tmp_path: Path) -> None:
    async with Sandbox() as sandbox:
        bot = sandbox.create_bot()
        result = await run_copbot(
            tmp_path,
            DISCORD_TOKEN=bot.token,
            DISCORD_API_BASE=f"http://127.0.0.1:{CLOSED_PORT}/api/v10",
            DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{CLOSED_PORT}",
            DATABASE_URL=sqlite_url(tmp_path / "cop.sqlite3"),
        )
    assert the_one_line(*result) == (
        f"copbot: cannot reach Discord at 127.0.0.1:{CLOSED_PORT} (Connection refused): check the "
        "internet connection (and DISCORD_API_BASE, if set), then start again"
    )
    assert names_in(tmp_path) == []  # nothing made before Discord said yes


async def test_an_address_that_cannot_be_looked_up_is_one_line(tmp_path: Path) -> None:
    # .invalid is reserved (RFC 2606): no resolver ever finds it, online or not.
    result = await run_copbot(
        tmp_path,
        DISCORD_TOKEN="MTIz.abcd.efghijklmnopqrstuvwxyz0123456",
        DISCORD_API_BASE="http://copbot-nowhere.invalid/api/v10",
        DISCORD_GATEWAY_URL="ws://copbot-nowhere.invalid",
        DATABASE_URL=sqlite_url(tmp_path / "cop.sqlite3"),
    )
    assert the_one_line(*result) == (
        "copbot: cannot reach Discord: the address copbot-nowhere.invalid cannot be looked up "
        "(no internet?): check the internet connection (and DISCORD_API_BASE, if set), then "
        "start again"
    )
    assert names_in(tmp_path) == []


async def test_a_refused_token_is_one_line_and_creates_no_database(tmp_path: Path) -> None:
    database = tmp_path / "data" / "cop.sqlite3"
    async with Sandbox() as sandbox:
        bot = sandbox.create_bot()
        result = await run_copbot(
            tmp_path,
            DISCORD_TOKEN=bot.token + "x",  # the sandbox answers 401 to a token it never issued
            DISCORD_API_BASE=sandbox.api_base,
            DISCORD_GATEWAY_URL=sandbox.gateway_url,
            DATABASE_URL=sqlite_url(database),
        )
        asked = [(method, path) for method, path, _ in sandbox.requests]
    assert the_one_line(*result) == (
        "copbot: DISCORD_TOKEN: Discord refused this token: copy the bot's token again "
        "(Developer Portal > your app > Bot > Reset Token) into .env, then start again"
    )
    assert asked == [("GET", "/users/@me")]
    assert not database.exists()
    assert names_in(tmp_path) == []  # no folder, no -wal or -journal either


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        # /proc refuses new files even to root, which a permission bit would not.
        ("/proc/copbot-test.sqlite3", "No such file or directory"),
        ("{tmp}", "Is a directory"),
    ],
)
async def test_a_sqlite_file_that_cannot_be_written_is_one_line(
    tmp_path: Path, file: str, reason: str
) -> None:
    path = file.format(tmp=tmp_path)
    async with Sandbox() as sandbox:
        bot = sandbox.create_bot()
        result = await run_copbot(
            tmp_path,
            DISCORD_TOKEN=bot.token,
            DISCORD_API_BASE=sandbox.api_base,
            DISCORD_GATEWAY_URL=sandbox.gateway_url,
            DATABASE_URL=sqlite_url(path),
        )
    assert the_one_line(*result) == (
        f"copbot: DATABASE_URL: cannot use SQLite ({path}): the file cannot be created or "
        f"written ({reason}): set DATABASE_URL to a SQLite file in a folder you can write to"
    )


async def test_a_sqlite_folder_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    # Only mkdir finds this out, and it runs once Discord has accepted the token.
    async with Sandbox() as sandbox:
        bot = sandbox.create_bot()
        result = await run_copbot(
            tmp_path,
            DISCORD_TOKEN=bot.token,
            DISCORD_API_BASE=sandbox.api_base,
            DISCORD_GATEWAY_URL=sandbox.gateway_url,
            DATABASE_URL=sqlite_url("/proc/copbot-nowhere/cop.sqlite3"),
        )
    assert the_one_line(*result) == (
        "copbot: cannot create the data folder /proc/copbot-nowhere (No such file or "
        "directory): set DATABASE_URL to a SQLite file in a folder you can write to"
    )


async def test_a_file_where_the_data_folder_should_be_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file, not a folder")
    # Known without Discord (nothing is reachable here), so said before the token is tried.
    result = await run_copbot(
        tmp_path,
        DISCORD_TOKEN="MTIz.abcd.efghijklmnopqrstuvwxyz0123456",
        DATABASE_URL=sqlite_url(blocker / "cop.sqlite3"),
    )
    assert the_one_line(*result) == (
        f"copbot: cannot create the data folder {blocker} (a file of that name is in the way): "
        "set DATABASE_URL to a SQLite file in a folder you can write to"
    )
    assert blocker.read_text() == "a file, not a folder"


async def test_postgresql_on_a_closed_port_is_one_line(tmp_path: Path) -> None:
    async with Sandbox() as sandbox:
        bot = sandbox.create_bot()
        result = await run_copbot(
            tmp_path,
            DISCORD_TOKEN=bot.token,
            DISCORD_API_BASE=sandbox.api_base,
            DISCORD_GATEWAY_URL=sandbox.gateway_url,
            DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{CLOSED_PORT}/copbot",
        )
    assert the_one_line(*result) == (
        "copbot: DATABASE_URL: cannot use PostgreSQL (copbot on 127.0.0.1): Connection refused: "
        "check that PostgreSQL is running at that host and port, or correct DATABASE_URL"
    )
