"""The ``copbot`` command line: run, demo, migrate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

import discord
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.config import ConfigError, Settings, configure_logging, database_label

log = logging.getLogger("copbot")


class StartupError(Exception):
    """Start-up cannot go on; ``str()`` is the one line shown to the operator."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copbot",
        description="A Discord bot for communities of practice and learning alliances.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="connect to Discord and serve (settings from .env)")
    demo = commands.add_parser(
        "demo", help="play a scripted session against a local sandbox Discord; no token needed"
    )
    demo.add_argument(
        "--keep", metavar="DIR", help="keep the demo's SQLite database in DIR instead of a temp dir"
    )
    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument(
        "--new",
        metavar="MESSAGE",
        help="(developers) write a new migration from the changes to storage/models",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        if args.command == "run":
            return asyncio.run(run(settings))
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(settings, keep_dir=args.keep))
        if args.command == "migrate":
            return migrate(settings, new_revision=args.new)
    except (ConfigError, StartupError) as error:
        print(f"copbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command}")  # argparse prevents this


def migrate(settings: Settings, *, new_revision: str | None) -> int:
    from storage.migrations.runner import make_revision, upgrade_to_head

    with _database_errors(settings):
        if new_revision:
            make_revision(settings.database_url, new_revision)
        else:
            upgrade_to_head(settings.database_url)
    print(f"copbot: {database_label(settings.database_url)} is up to date")
    return 0


async def run(settings: Settings) -> int:
    token = settings.require_token()

    from bot.client import CopBot
    from storage.db import Database

    db = Database.connect(settings.database_url)
    try:
        with _database_errors(settings):
            await db.migrate()
        bot = CopBot(settings, db)
        _close_on_sigterm(bot)
        try:
            async with bot:
                await bot.start(token)
        except discord.LoginFailure:
            raise ConfigError(
                "DISCORD_TOKEN", "a valid bot token: Discord refused this one (reset it?)"
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise StartupError(
                "Discord refused the privileged intents: enable Server Members Intent and "
                "Message Content Intent (Developer Portal > your app > Bot), then start again"
            ) from None
    finally:
        await db.dispose()
    return 0


def _close_on_sigterm(bot: discord.Client) -> None:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # not on Windows
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))


@contextlib.contextmanager
def _database_errors(settings: Settings) -> object:
    try:
        yield
    except (OperationalError, DBAPIError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise StartupError(
            f"DATABASE_URL: cannot use {database_label(settings.database_url)}: {reason}"
        ) from None
