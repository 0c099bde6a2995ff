"""Settings: defaults, proxies, shards, and one clear line for every bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings, database_label, setting_names

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
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
