"""Settings: one typed object, read from the environment after ``load_dotenv()``.

Every problem is reported as a :class:`ConfigError` naming the setting and what it expects, so
that start-up can stop with one clear line instead of a traceback.

The SQLite file does not depend on the folder a command is started from: without
``DATABASE_URL`` it is ``data/copbot.sqlite3`` next to the ``.env`` that was read, or, when no
``.env`` was found, ``copbot.sqlite3`` in the platform's data folder (see
:func:`platform_data_folder`). A relative SQLite path in ``DATABASE_URL`` is taken from the folder
of the ``.env`` that set it; one set in the environment itself is taken from the working directory.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values, find_dotenv, load_dotenv

# Without DATABASE_URL: this file in the .env's folder (where earlier versions kept it when run
# from there), else DATA_FOLDER_FILE in the platform's data folder.
DEFAULT_SQLITE_FILE = Path("data") / "copbot.sqlite3"
DATA_FOLDER_FILE = "copbot.sqlite3"
SQLITE_PREFIX = "sqlite+aiosqlite:///"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SUPPORTED_DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


def setting_names() -> tuple[str, ...]:
    """The environment variables copbot reads (each field of Settings, upper-cased)."""
    return tuple(name.upper() for name in Settings.__dataclass_fields__)


# What each setting is for and its default, for `copbot run --help`: one entry per field of
# Settings (a unit test checks), in the words of the README's table of settings.
SETTING_HELP: dict[str, tuple[str, str]] = {
    "DISCORD_TOKEN": ("the bot token (Developer Portal > your app > Bot)", "none; run needs it"),
    "DATABASE_URL": (
        "a SQLite file, or postgresql+asyncpg://user:password@host:5432/db",
        "data/copbot.sqlite3 next to .env; without .env, copbot.sqlite3 in the platform's data "
        "folder",
    ),
    "DISCORD_API_BASE": (
        "REST base URL of a proxy or the sandbox, e.g. http://127.0.0.1:8080/api/v10",
        "Discord itself",
    ),
    "DISCORD_GATEWAY_URL": (
        "gateway URL of a proxy or the sandbox, set with DISCORD_API_BASE",
        "Discord itself",
    ),
    "DEV_GUILD_ID": ("sync the commands to this one server at once (trying things out)", "none"),
    "LOG_LEVEL": ("how much the log says: " + ", ".join(LOG_LEVELS), "INFO"),
    "SHARD_COUNT": ("total shards across all processes (large deployments)", "none"),
    "SHARD_IDS": ("the shards this process runs, e.g. 0,1 (needs SHARD_COUNT)", "all"),
    "DISCORD_MESSAGE_CONTENT": (
        "off: do not ask for the Message Content intent (fewer details in the contribution log)",
        "on",
    ),
    "DATABASE_POOL_SIZE": (
        "PostgreSQL connections this process keeps open (as many more when busy)",
        "5",
    ),
    "DATABASE_STATEMENT_TIMEOUT": (
        "seconds after which PostgreSQL stops one statement of this process",
        "60",
    ),
}


class ConfigError(Exception):
    """A setting is missing or malformed. ``str()`` is the one line shown to the operator."""

    def __init__(self, setting: str, expected: str, got: str | None = None) -> None:
        self.setting = setting
        self.expected = expected
        self.got = got
        shown = "" if got is None else f" (got {got!r})"
        super().__init__(f"{setting}: expected {expected}{shown}")


@dataclass(frozen=True)
class Settings:
    discord_token: str | None
    database_url: str
    discord_api_base: str | None
    discord_gateway_url: str | None
    dev_guild_id: int | None
    log_level: str
    shard_count: int | None
    shard_ids: tuple[int, ...] | None
    # Ask Discord for the privileged Message Content intent (off: reduced classification).
    discord_message_content: bool = True
    # PostgreSQL only: connections per process (several processes share one server's limit),
    # and how long one statement may run before the server stops it.
    database_pool_size: int = 5
    database_statement_timeout: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Read the settings; ``env`` defaults to ``os.environ`` after loading ``.env``.

        ``.env`` is looked for in the working directory and then in each folder above it; values
        already in the environment win over the file's. The SQLite path is made absolute here,
        once (see the module's docstring), so that every later use names the same file.
        """
        env_folder: Path | None = None
        url_from_env_file = False
        if env is None:
            if dotenv:
                found = find_dotenv(usecwd=True)
                if found:
                    env_folder = Path(found).absolute().parent
                    in_file = (dotenv_values(found).get("DATABASE_URL") or "").strip()
                    in_environment = os.environ.get("DATABASE_URL", "").strip()
                    # Set by the file when the environment had none (or the same value already,
                    # as when the settings are read a second time in one process).
                    url_from_env_file = bool(in_file) and in_environment in ("", in_file)
                    load_dotenv(found, override=False)
            env = os.environ

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None or not value.strip():
                return None
            return value.strip()

        api_base = _parse_url(get("DISCORD_API_BASE"), "DISCORD_API_BASE", ("http", "https"))
        gateway = _parse_url(get("DISCORD_GATEWAY_URL"), "DISCORD_GATEWAY_URL", ("ws", "wss"))
        if (api_base is None) != (gateway is None):
            missing = "DISCORD_GATEWAY_URL" if gateway is None else "DISCORD_API_BASE"
            raise ConfigError(
                missing, "to be set too: the REST and gateway proxies are used together"
            )
        shard_count = _parse_int(get("SHARD_COUNT"), "SHARD_COUNT", minimum=1)
        shard_ids = _parse_shard_ids(get("SHARD_IDS"), shard_count)

        if env_folder is None:
            relative_to, default_file = Path.cwd(), platform_data_folder(env) / DATA_FOLDER_FILE
        else:
            relative_to = env_folder if url_from_env_file else Path.cwd()
            default_file = env_folder / DEFAULT_SQLITE_FILE

        return cls(
            discord_token=get("DISCORD_TOKEN"),
            database_url=resolve_database_url(
                _parse_database_url(get("DATABASE_URL")),
                relative_to=relative_to,
                default_file=default_file,
            ),
            discord_api_base=api_base,
            discord_gateway_url=gateway,
            dev_guild_id=_parse_int(get("DEV_GUILD_ID"), "DEV_GUILD_ID", minimum=1),
            log_level=_parse_log_level(get("LOG_LEVEL")),
            shard_count=shard_count,
            shard_ids=shard_ids,
            discord_message_content=_parse_switch(
                get("DISCORD_MESSAGE_CONTENT"), "DISCORD_MESSAGE_CONTENT", default=True
            ),
            database_pool_size=_parse_int(
                get("DATABASE_POOL_SIZE"), "DATABASE_POOL_SIZE", minimum=1
            )
            or 5,
            database_statement_timeout=_parse_int(
                get("DATABASE_STATEMENT_TIMEOUT"), "DATABASE_STATEMENT_TIMEOUT", minimum=1
            )
            or 60,
        )

    def require_token(self) -> str:
        if not self.discord_token:
            raise ConfigError(
                "DISCORD_TOKEN",
                "the bot token from the Discord developer portal (Bot > Reset Token); "
                "put it in .env",
            )
        return self.discord_token

    @property
    def uses_proxy(self) -> bool:
        return self.discord_api_base is not None

    def check_database_folder(self) -> None:
        """Fail as :meth:`ensure_database_folder` would when a file stands where a folder must
        be, creating nothing (``run`` checks the token before it makes anything)."""
        path = sqlite_path(self.database_url)
        if path is None:
            return
        for ancestor in (path.parent, *path.parent.parents):
            if ancestor.exists():
                if ancestor.is_dir():
                    return
                reason = (
                    "a file of that name is in the way"
                    if ancestor == path.parent
                    else os.strerror(errno.ENOTDIR)
                )
                raise DataFolderError(path.parent, reason)

    def ensure_database_folder(self) -> None:
        """Create the SQLite file's folder if missing; a folder that cannot be made is one line."""
        path = sqlite_path(self.database_url)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            # mkdir's "File exists" reads as if nothing were wrong: a file has the folder's name.
            raise DataFolderError(path.parent, "a file of that name is in the way") from None
        except OSError as error:
            raise DataFolderError(path.parent, error.strerror or str(error)) from None


class DataFolderError(ConfigError):
    """The SQLite file's folder does not exist and cannot be created."""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__("DATABASE_URL", "a SQLite file in a folder copbot can create")
        self.folder = folder
        # Exception.args is what str() shows: replace ConfigError's generic wording.
        self.args = (
            f"cannot create the data folder {folder} ({reason}): set DATABASE_URL to a SQLite "
            "file in a folder you can write to",
        )


def platform_data_folder(
    env: Mapping[str, str], platform: str = sys.platform, home: Path | None = None
) -> Path:
    """Where copbot keeps its data when no ``.env`` says otherwise: Linux and other Unix
    ``$XDG_DATA_HOME/copbot`` (default ``~/.local/share/copbot``), macOS
    ``~/Library/Application Support/copbot``, Windows ``%LOCALAPPDATA%\\copbot``."""
    home = home or Path.home()
    if platform == "win32":
        local = env.get("LOCALAPPDATA", "").strip()
        base = Path(local) if local else home / "AppData" / "Local"
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = env.get("XDG_DATA_HOME", "").strip()
        # The XDG specification ignores a relative value.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / "copbot"


def resolve_database_url(url: str | None, *, relative_to: Path, default_file: Path) -> str:
    """The database URL with an absolute SQLite path: ``default_file`` when ``url`` is None, a
    relative path (``default_file`` included) taken from the folder ``relative_to``, ``~`` as the
    home folder; PostgreSQL and in-memory URLs unchanged."""
    if url is None:
        return SQLITE_PREFIX + str(_absolute(default_file, relative_to))
    path = sqlite_path(url)
    if path is None:
        return url
    query = url.partition("?")[2]
    return SQLITE_PREFIX + str(_absolute(path, relative_to)) + (f"?{query}" if query else "")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL as written (maybe relative); None for PostgreSQL and memory."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    written = url[len(SQLITE_PREFIX) :].partition("?")[0]
    if not written or written == ":memory:":
        return None
    return Path(written).expanduser()


def _absolute(path: Path, folder: Path) -> Path:
    # normpath, not resolve(): ".." is folded but symbolic links stay as the operator wrote them.
    return Path(os.path.normpath(folder / path))


def _parse_int(raw: str | None, name: str, *, minimum: int) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"a whole number >= {minimum}", raw) from None
    if value < minimum:
        raise ConfigError(name, f"a whole number >= {minimum}", raw)
    return value


def _parse_shard_ids(raw: str | None, shard_count: int | None) -> tuple[int, ...] | None:
    if raw is None:
        return None
    if shard_count is None:
        raise ConfigError("SHARD_COUNT", "to be set when SHARD_IDS is set")
    expected = f"comma-separated shard numbers from 0 to {shard_count - 1}, e.g. 0,1"
    parts = [part.strip() for part in raw.split(",")]
    try:
        ids = tuple(int(part) for part in parts)
    except ValueError:
        raise ConfigError("SHARD_IDS", expected, raw) from None
    if not ids or any(i < 0 or i >= shard_count for i in ids) or len(set(ids)) != len(ids):
        raise ConfigError("SHARD_IDS", expected + ", each once", raw)
    return ids


_ON = ("on", "true", "yes", "1")
_OFF = ("off", "false", "no", "0")


def _parse_switch(raw: str | None, name: str, *, default: bool) -> bool:
    if raw is None:
        return default
    value = raw.lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(name, "on or off", raw)


def _parse_log_level(raw: str | None) -> str:
    if raw is None:
        return "INFO"
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", "one of " + ", ".join(LOG_LEVELS), raw)
    return level


def _parse_url(raw: str | None, name: str, schemes: tuple[str, ...]) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        example = f"{schemes[0]}://127.0.0.1:8080" + ("/api/v10" if schemes[0] == "http" else "")
        raise ConfigError(name, f"a {' or '.join(schemes)} URL such as {example}", raw)
    return raw.rstrip("/")


def _parse_database_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme == "sqlite":  # accept the short form people type
        raw, scheme = "sqlite+aiosqlite" + raw[len("sqlite") :], "sqlite+aiosqlite"
    elif scheme in ("postgresql", "postgres"):
        raw, scheme = "postgresql+asyncpg" + raw[len(scheme) :], "postgresql+asyncpg"
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ConfigError(
            "DATABASE_URL",
            "sqlite+aiosqlite:///path/to/file.sqlite3 or "
            "postgresql+asyncpg://user@host:5432/dbname",
            _hide_password(raw),
        )
    if scheme == "sqlite+aiosqlite":
        path = raw.split(":///", 1)[1] if ":///" in raw else ""
        if not path:
            raise ConfigError(
                "DATABASE_URL", "a file path after sqlite+aiosqlite:///", _hide_password(raw)
            )
    return raw


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def database_label(url: str) -> str:
    """What the database is, without credentials: for /about and logs."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return f"SQLite ({Path(url.split(':///', 1)[1]).name})"
    host = parts.hostname or "localhost"
    name = parts.path.lstrip("/") or "postgres"
    return f"PostgreSQL ({name} on {host})"


def database_location(url: str) -> str:
    """Which database, in full but without credentials: what start-up prints."""
    path = sqlite_path(url)
    if path is not None:
        return f"SQLite ({path})"
    return database_label(url)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-8s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    # discord.py's gateway chatter is useful only when debugging the connection itself.
    # copbot does not speak in voice channels: discord.py's warnings about voice are noise.
    logging.getLogger("discord.client").addFilter(
        lambda record: "voice will NOT be supported" not in record.getMessage()
    )
    if level != "DEBUG":
        logging.getLogger("discord.gateway").setLevel(logging.WARNING)
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
