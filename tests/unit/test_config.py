"""Settings: defaults, proxies, shards, and one clear line for every bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import bot
from bot.config import (
    ConfigError,
    DataFolderError,
    Settings,
    database_label,
    database_location,
    platform_data_folder,
    resolve_database_url,
    setting_names,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the Linux data folder")
def test_defaults() -> None:
    settings = Settings.from_env({"XDG_DATA_HOME": "/srv/shared"})
    # No .env (an explicit environment reads none): the platform's data folder.
    assert settings.database_url == "sqlite+aiosqlite:////srv/shared/copbot/copbot.sqlite3"
    assert settings.log_level == "INFO"
    assert settings.discord_api_base is None and not settings.uses_proxy
    assert settings.shard_ids is None and settings.dev_guild_id is None


def test_everything_set() -> None:
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": " abc ",
            "DATABASE_URL": "postgresql://copbot:secret@db:5432/copbot",
            "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:8080/gateway",
            "DEV_GUILD_ID": "123456789012345678",
            "LOG_LEVEL": "debug",
            "SHARD_COUNT": "4",
            "SHARD_IDS": "2, 3",
        }
    )
    assert settings.require_token() == "abc"
    assert settings.database_url == "postgresql+asyncpg://copbot:secret@db:5432/copbot"
    assert settings.discord_api_base == "http://127.0.0.1:8080/api/v10"
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert (settings.shard_count, settings.shard_ids) == (4, (2, 3))


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite+aiosqlite://"}, "DATABASE_URL"),
        (
            {"DISCORD_API_BASE": "127.0.0.1:8080", "DISCORD_GATEWAY_URL": "ws://h"},
            "DISCORD_API_BASE",
        ),
        ({"DISCORD_API_BASE": "http://h/api/v10"}, "DISCORD_GATEWAY_URL"),
        ({"DISCORD_GATEWAY_URL": "ws://h"}, "DISCORD_API_BASE"),
        (
            {"DISCORD_API_BASE": "http://h", "DISCORD_GATEWAY_URL": "http://h"},
            "DISCORD_GATEWAY_URL",
        ),
        ({"DEV_GUILD_ID": "my-server"}, "DEV_GUILD_ID"),
        ({"DEV_GUILD_ID": "-5"}, "DEV_GUILD_ID"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT"),
        ({"SHARD_IDS": "0"}, "SHARD_COUNT"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,0"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "one"}, "SHARD_IDS"),
        ({"DISCORD_MESSAGE_CONTENT": "maybe"}, "DISCORD_MESSAGE_CONTENT"),
        ({"DATABASE_POOL_SIZE": "0"}, "DATABASE_POOL_SIZE"),
        ({"DATABASE_STATEMENT_TIMEOUT": "soon"}, "DATABASE_STATEMENT_TIMEOUT"),
    ],
)
def test_bad_settings_name_the_setting(env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.setting == setting
    assert str(caught.value).startswith(f"{setting}: expected ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, True), ("on", True), ("ON", True), ("true", True), ("off", False), ("Off", False)],
)
def test_message_content_switch(raw: str | None, expected: bool) -> None:
    from bot.client import default_intents

    settings = Settings.from_env({} if raw is None else {"DISCORD_MESSAGE_CONTENT": raw})
    assert settings.discord_message_content is expected
    intents = default_intents(settings)
    assert intents.message_content is expected and intents.members


def test_message_content_switch_names_the_setting() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"DISCORD_MESSAGE_CONTENT": "sometimes"})
    assert str(caught.value) == "DISCORD_MESSAGE_CONTENT: expected on or off (got 'sometimes')"


def test_missing_token_is_explained() -> None:
    with pytest.raises(ConfigError, match="DISCORD_TOKEN: expected the bot token"):
        Settings.from_env({}).require_token()


def test_passwords_never_shown() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"DATABASE_URL": "mysql://bob:hunter2@db/x"})
    assert "hunter2" not in str(caught.value)
    assert (
        database_label("postgresql+asyncpg://bob:hunter2@db:5432/cop") == "PostgreSQL (cop on db)"
    )


def run_copbot(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in setting_names()}
    clean.update({"PYTHONPATH": str(ROOT), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["run"], {"DATABASE_URL": "oracle://x"}, "copbot: DATABASE_URL: expected"),
        (["run"], {"SHARD_COUNT": "two"}, "copbot: SHARD_COUNT: expected a whole number"),
        (["run"], {}, "copbot: DISCORD_TOKEN: expected the bot token"),
        (["migrate"], {"LOG_LEVEL": "chatty"}, "copbot: LOG_LEVEL: expected one of"),
        (
            ["migrate"],
            {"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none"},
            "copbot: DATABASE_URL: cannot use PostgreSQL (none on 127.0.0.1)",
        ),
    ],
)
def test_bad_settings_stop_start_up_with_one_line(
    args: list[str], env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    result = run_copbot(args, env, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=nonsense\n")
    result = run_copbot(["migrate"], {}, tmp_path)
    assert result.returncode == 2
    assert "LOG_LEVEL: expected one of" in result.stderr


HOME = Path("/home/ama")


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {}, "/home/ama/.local/share/copbot"),
        ("linux", {"XDG_DATA_HOME": "/data/xdg"}, "/data/xdg/copbot"),
        ("linux", {"XDG_DATA_HOME": "relative/xdg"}, "/home/ama/.local/share/copbot"),
        ("linux", {"XDG_DATA_HOME": " "}, "/home/ama/.local/share/copbot"),
        ("freebsd14", {"XDG_DATA_HOME": "/var/xdg"}, "/var/xdg/copbot"),
        ("darwin", {"XDG_DATA_HOME": "/ignored"}, "/home/ama/Library/Application Support/copbot"),
        ("win32", {"LOCALAPPDATA": "/users/ama/local"}, "/users/ama/local/copbot"),
        ("win32", {}, "/home/ama/AppData/Local/copbot"),
    ],
)
def test_platform_data_folder(platform: str, env: dict[str, str], expected: str) -> None:
    assert platform_data_folder(env, platform, HOME) == Path(expected)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, "sqlite+aiosqlite:////srv/cop/data/copbot.sqlite3"),
        ("sqlite+aiosqlite:///mine.db", "sqlite+aiosqlite:////srv/cop/mine.db"),
        ("sqlite+aiosqlite:///../shared/./cop.db", "sqlite+aiosqlite:////srv/shared/cop.db"),
        ("sqlite+aiosqlite:////var/lib/cop.db", "sqlite+aiosqlite:////var/lib/cop.db"),
        (
            "sqlite+aiosqlite:///db/cop.db?timeout=5",
            "sqlite+aiosqlite:////srv/cop/db/cop.db?timeout=5",
        ),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("postgresql+asyncpg://u:p@db:5432/cop", "postgresql+asyncpg://u:p@db:5432/cop"),
    ],
)
def test_resolve_database_url(url: str | None, expected: str) -> None:
    resolved = resolve_database_url(
        url, relative_to=Path("/srv/cop"), default_file=Path("data/copbot.sqlite3")
    )
    assert resolved == expected


def test_a_home_folder_in_a_sqlite_path_is_expanded() -> None:
    resolved = resolve_database_url(
        "sqlite+aiosqlite:///~/cop.db", relative_to=Path("/srv"), default_file=Path("x")
    )
    assert resolved == f"sqlite+aiosqlite:///{Path.home() / 'cop.db'}"


def test_a_relative_url_in_the_environment_is_taken_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"DATABASE_URL": "sqlite:///here/cop.sqlite3"})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/here/cop.sqlite3"


def test_database_location_names_the_whole_path_without_password() -> None:
    assert database_location("sqlite+aiosqlite:////srv/cop/data/copbot.sqlite3") == (
        "SQLite (/srv/cop/data/copbot.sqlite3)"
    )
    assert database_location("postgresql+asyncpg://bob:hunter2@db:5432/cop") == (
        "PostgreSQL (cop on db)"
    )


def test_the_database_folder_is_created(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path}/a/b/cop.sqlite3"})
    settings.ensure_database_folder()
    assert (tmp_path / "a" / "b").is_dir()
    assert not (tmp_path / "a" / "b" / "cop.sqlite3").exists()  # the database makes the file


def test_a_folder_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{blocker}/sub/cop.sqlite3"})
    with pytest.raises(DataFolderError) as caught:
        settings.ensure_database_folder()
    assert str(caught.value) == (
        f"cannot create the data folder {blocker}/sub (Not a directory): set DATABASE_URL to a "
        "SQLite file in a folder you can write to"
    )
    assert caught.value.setting == "DATABASE_URL"


@pytest.mark.parametrize("command", ["migrate", "run", "export-orgs"])
def test_an_uncreatable_data_folder_stops_start_up_with_one_line(
    command: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    args = [command, *(["-", "--guild", "1"] if command == "export-orgs" else [])]
    result = run_copbot(args, {"XDG_DATA_HOME": str(blocker), "DISCORD_TOKEN": "x"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"copbot: cannot create the data folder {blocker}/copbot (Not a directory): set "
        "DATABASE_URL to a SQLite file in a folder you can write to\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["migrate", "export-orgs"])
def test_a_database_file_that_cannot_be_made_is_one_line(command: str, tmp_path: Path) -> None:
    """Not only ``run``: every command that opens the database says it in one line (aiosqlite
    used to print a traceback from its worker thread after the migration's loop had closed)."""
    folder = tmp_path / "copbot.sqlite3"
    folder.mkdir()  # a folder where the file should be
    args = [command, *(["-", "--guild", "1"] if command == "export-orgs" else [])]
    result = run_copbot(args, {"DATABASE_URL": f"sqlite+aiosqlite:///{folder}"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"copbot: DATABASE_URL: cannot use SQLite ({folder}): the file cannot be created or "
        "written (Is a directory): set DATABASE_URL to a SQLite file in a folder you can write "
        "to\n"
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_version() -> None:
    result = run_copbot(["--version"], {}, ROOT)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"copbot {bot.__version__}\n",
        "",
    )


def test_database_pool_and_statement_timeout_default_and_read() -> None:
    defaults = Settings.from_env({})
    assert (defaults.database_pool_size, defaults.database_statement_timeout) == (5, 60)
    chosen = Settings.from_env({"DATABASE_POOL_SIZE": "12", "DATABASE_STATEMENT_TIMEOUT": "5"})
    assert (chosen.database_pool_size, chosen.database_statement_timeout) == (12, 5)
