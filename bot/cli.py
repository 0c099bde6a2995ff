"""The ``copbot`` command line: run, check, demo, migrate, backup and restore, the register's CSV
import and export, and the question bank's CSV import."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import aiohttp
import discord
import yarl
from sqlalchemy.exc import DBAPIError, OperationalError

from bot import __version__
from bot.config import (
    SETTING_HELP,
    ConfigError,
    Settings,
    configure_logging,
    database_label,
    database_location,
    setting_names,
    sqlite_path,
)
from bot.errors import BadInput, CopbotError

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger("copbot")


def connect_database(settings: Settings) -> Database:
    """The database as this process uses it: its pool size and statement timeout (PostgreSQL)."""
    from storage.db import Database

    return Database.connect(
        settings.database_url,
        pool_size=settings.database_pool_size,
        statement_timeout=settings.database_statement_timeout,
    )


class StartupError(Exception):
    """Start-up cannot go on; ``str()`` is the one line shown to the operator."""


# Discord Markdown, for plain_text. A backslash escape (escape_markdown on a name) is kept as the
# character itself; code is kept as written, only its backticks go.
_ESCAPED = re.compile(r"\\([\\*_~`|\[\]<>#])")
_CODE = re.compile(r"```(?:[A-Za-z0-9_+-]*\n)?(.*?)```|``?([^`]+?)``?", re.DOTALL)
_LINK = re.compile(r"\[([^\]\n]+)\]\(<?(https?://[^\s)>]+)>?\)")
_PAIRED = re.compile(r"(\*\*|~~|\|\|)(?=\S)(.+?)(?<=\S)\1")
# Underline only between words: file names such as my__data__.csv keep their underscores.
_UNDERLINE = re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])")
_LINE_MARKS = re.compile(r"^(?:>>> |> |#{1,3} )", re.MULTILINE)
# Stand-ins while the markers are removed: private-use characters no message contains.
_KEPT = re.compile("\ue000(\\d+)\ue001")


def plain_text(message: str) -> str:
    """A message written for Discord, as the command line shows it: without Markdown's bold,
    italic, underline, strike-through, spoiler, code, quote and heading markers; a link as
    "text (address)". Mentions such as ``<#123>`` are left as they are."""
    kept: list[str] = []

    def keep(text: str) -> str:
        kept.append(text)
        return f"\ue000{len(kept) - 1}\ue001"

    text = _ESCAPED.sub(lambda match: keep(match[1]), message)
    text = _CODE.sub(lambda match: keep(match[1] if match[1] is not None else match[2]), text)
    text = _LINK.sub(lambda match: f"{match[1]} ({keep(match[2])})", text)
    previous = None
    while previous != text:  # **bold *italic* here** takes two passes
        previous = text
        text = _ITALIC.sub(r"\1", _UNDERLINE.sub(r"\1", _PAIRED.sub(r"\2", text)))
    text = _LINE_MARKS.sub("", text)
    return _KEPT.sub(lambda match: kept[int(match[1])], text)


def say(message: object, *, error: bool = False) -> None:
    """One line of the command line's own, "copbot: " first; texts made for Discord (import
    results, BadInput's problem and fix) come out plain."""
    print(f"copbot: {plain_text(str(message))}", file=sys.stderr if error else sys.stdout)


def run_epilog() -> str:
    """``copbot run --help``'s list of settings, from the settings' own list."""
    lines = ["settings (environment variables, or lines of .env):"]
    for name in setting_names():
        meaning, default = SETTING_HELP.get(name, ("", "none"))
        lines.append(f"  {name}")
        # Whole words only: a URL or a setting's value is never cut.
        for text, hanging in ((meaning, 6), (f"default: {default}", 8)):
            lines += textwrap.wrap(
                text,
                78,
                initial_indent=" " * 6,
                subsequent_indent=" " * hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copbot",
        description="A Discord bot for communities of practice and learning alliances.",
    )
    parser.add_argument("--version", action="version", version=f"copbot {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "run",
        help="connect to Discord and serve (settings from .env)",
        description="Connect to Discord and serve, with the settings below.",
        epilog=run_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands.add_parser(
        "check",
        help="check the settings, the token, the intents, each server's permissions and roles, "
        "and the database; says what to fix (works while the bot runs)",
    )
    demo = commands.add_parser(
        "demo", help="play a scripted session against a local sandbox Discord; no token needed"
    )
    demo.add_argument(
        "--keep", metavar="DIR", help="keep the demo's database and every file it makes in DIR"
    )
    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument(
        "--new",
        metavar="MESSAGE",
        help="(developers) write a new migration from the changes to storage/models",
    )
    backup = commands.add_parser(
        "backup",
        help="copy the SQLite database while the bot runs (PostgreSQL: the pg_dump command)",
    )
    backup.add_argument(
        "--out",
        metavar="FILE",
        help="the new file (default copbot-backup-YYYYMMDD-HHMMSS.sqlite3 in this folder; "
        "PostgreSQL: runs pg_dump into FILE when it is installed)",
    )
    restore = commands.add_parser(
        "restore",
        help="replace the SQLite database with a backup, keeping the current one beside it "
        "(stop the bot first; PostgreSQL: the pg_restore command)",
    )
    restore.add_argument("file", metavar="FILE", help="the backup made by copbot backup")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for name, what in REGISTER_COMMANDS.items():
        sub = commands.add_parser(name, help=what)
        if name.startswith("import-"):
            sub.add_argument(
                "file", metavar="FILE", help="the CSV file (UTF-8; comma or semicolon); - is stdin"
            )
        else:
            sub.add_argument("file", metavar="FILE", help="where to write the CSV; - is stdout")
        sub.add_argument(
            "--guild",
            metavar="ID",
            required=True,
            type=_guild_id,
            help="the Discord server (guild) id of the community",
        )
    export = commands.add_parser(
        "export",
        help="export a community's participation log (pseudonymous by default), any size",
    )
    export.add_argument("kind", choices=EXPORT_KINDS, help="what to export")
    export.add_argument(
        "--guild", metavar="ID", required=True, type=_guild_id, help="the server (guild) id"
    )
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, default="csv", help="file format (default csv)"
    )
    export.add_argument("--since", metavar="YYYY-MM-DD", help="first day, in the community's zone")
    export.add_argument("--until", metavar="YYYY-MM-DD", help="last day, included")
    export.add_argument(
        "--names",
        choices=("pseudonymous", "visible"),
        default="pseudonymous",
        help="visible: display names of people who chose /privacy visible (default pseudonymous)",
    )
    export.add_argument(
        "--out", metavar="FILE", default="-", help="where to write; - (the default) is stdout"
    )
    report = commands.add_parser(
        "report",
        help="a community's insights as one HTML page (charts inline) to open and print",
    )
    report.add_argument(
        "--guild", metavar="ID", required=True, type=_guild_id, help="the server (guild) id"
    )
    report.add_argument(
        "--period",
        choices=REPORT_SPANS,
        help="the last 30 (default), 90 or 365 days up to today, or all",
    )
    report.add_argument("--since", metavar="YYYY-MM-DD", help="first day, in the community's zone")
    report.add_argument("--until", metavar="YYYY-MM-DD", help="last day, included")
    report.add_argument(
        "--out", metavar="FILE", default="-", help="where to write; - (the default) is stdout"
    )
    plan = commands.add_parser(
        "plan", help="preview a World Café seating from a members CSV, offline (no database)"
    )
    plan.add_argument(
        "file", metavar="MEMBERS.csv", help="members CSV (export-members columns; optional host)"
    )
    plan.add_argument(
        "--tables", type=int, metavar="T", help="tables (default: about 5 seats each)"
    )
    plan.add_argument("--rounds", type=int, metavar="R", required=True, help="rounds")
    plan.add_argument("--seed", type=int, default=0, metavar="S", help="seed (default 0)")
    return parser


# The CSV commands: the same services as /org import, /profile import and /prompt import.
REGISTER_COMMANDS = {
    "import-orgs": "import organisations from a CSV file: all rows or none",
    "import-members": (
        "import members from a CSV file (organisations first; only people the register knows "
        "are in the server, as the bot last saw it): all rows or none"
    ),
    "import-questions": "import questions (text, theme) into the bank, approved: all rows or none",
    "export-orgs": "export the organisations to CSV, in the columns import-orgs reads",
    "export-members": "export the present members to CSV, in the columns import-members reads",
}


# Kept in step with bot.exports (a unit test checks): the parser is built before anything heavy
# is imported, so that `copbot --help` stays quick.
EXPORT_KINDS = (
    "contributions",
    "members",
    "organisations",
    "cafes",
    "prompts",
    "network",
    "metrics",
    "all",
)
EXPORT_FORMATS = ("csv", "xlsx", "jsonl", "parquet")
# The commands that may create the SQLite file: its folder is made first, or one line says why
# it cannot be (run does it itself, after checking that a token is set).
CREATES_DATABASE = ("migrate", "restore", "export", "report", *REGISTER_COMMANDS)
REPORT_SPANS = ("30d", "90d", "365d", "all")


def _guild_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a server id (digits)") from None
    if not 0 < value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} is not a server id")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "plan":  # offline: no settings, no database
        from bot.cafe.plan_cli import PlanError, run_plan

        try:
            return run_plan(args.file, args.tables, args.rounds, args.seed)
        except PlanError as error:
            say(error, error=True)
            return 2
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        if args.command in CREATES_DATABASE:  # run: once the token is known to be there
            settings.ensure_database_folder()
        if args.command == "run":
            return asyncio.run(run(settings))
        if args.command == "check":
            return asyncio.run(check(settings))
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(settings, keep_dir=args.keep))
        if args.command == "migrate":
            return migrate(settings, new_revision=args.new)
        if args.command == "backup":
            return backup(settings, args.out)
        if args.command == "restore":
            return restore(settings, args.file, confirmed=args.yes)
        if args.command == "export":
            return asyncio.run(export(settings, args))
        if args.command == "report":
            return asyncio.run(report(settings, args))
        if args.command in REGISTER_COMMANDS:
            return asyncio.run(register_csv(settings, args.command, args.file, args.guild))
    except (ConfigError, StartupError, CopbotError) as error:
        say(error, error=True)
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
    print(f"copbot: {database_location(settings.database_url)} is up to date", file=sys.stderr)
    return 0


def backup(settings: Settings, out: str | None) -> int:
    """``copbot backup``: an SQLite copy made while the bot may write; for PostgreSQL the
    ``pg_dump`` command, run only when a file is given and pg_dump is installed."""
    from datetime import datetime
    from pathlib import Path

    from bot import backup as backups
    from storage.backup import is_sqlite_url

    postgres = not is_sqlite_url(settings.database_url)
    target = Path(out or backups.default_backup_name(datetime.now(), postgres=postgres))
    try:
        if not postgres:
            with _database_errors(settings):
                made = backups.backup_sqlite(settings.database_url, target)
            print(f"copbot: backed up {database_label(settings.database_url)} to {target}")
            print(f"copbot: the backup holds {made.describe()}")
            return 0
        if out is not None and backups.pg_dump_available():
            backups.run_pg_dump(settings.database_url, target)
            print(f"copbot: backed up {database_label(settings.database_url)} to {target}")
            return 0
    except backups.BackupRefused as error:
        raise StartupError(str(error)) from None
    line = backups.shell_line(backups.pg_dump_command(settings.database_url, target))
    print(f"copbot: {database_label(settings.database_url)} is backed up by PostgreSQL's pg_dump:")
    print(f"    {line}")
    print("copbot: give the password in PGPASSWORD or ~/.pgpass (it is not in the line above)")
    return 0


def restore(settings: Settings, file: str, *, confirmed: bool) -> int:
    """``copbot restore FILE``: checked, confirmed, the current database kept beside it, then
    migrated up if the backup is older; for PostgreSQL the command to run."""
    from datetime import datetime
    from pathlib import Path

    from bot import backup as backups
    from storage.backup import is_sqlite_url

    logging.getLogger("alembic").setLevel(logging.WARNING)
    label = database_label(settings.database_url)
    if not is_sqlite_url(settings.database_url):
        line = backups.shell_line(backups.pg_restore_command(settings.database_url, Path(file)))
        print(f"copbot: {label} is restored by PostgreSQL's tools; stop the bot, then run:")
        print(f"    {line}")
        print("copbot: give the password in PGPASSWORD or ~/.pgpass; then run copbot migrate")
        return 0
    try:
        plan = backups.plan_restore(settings.database_url, Path(file), datetime.now())
    except backups.BackupRefused as error:
        raise StartupError(str(error)) from None
    if not confirmed:
        kept = f"; the current one is kept as {plan.kept_as}" if plan.kept_as else ""
        print(f"copbot: this replaces {label} with {file}{kept}. Stop the bot first.")
        try:
            answer = input("Type yes to restore: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != "yes":
            print("copbot: not restored; nothing was changed", file=sys.stderr)
            return 1
    with _database_errors(settings):
        try:
            backups.restore_sqlite(plan)
        except backups.BackupRefused as error:
            raise StartupError(str(error)) from None
    if plan.kept_as is not None:
        print(f"copbot: kept the database as it was in {plan.kept_as}")
    upgraded = f", brought from schema {plan.revision} to {plan.newest}" if plan.migrates else ""
    print(f"copbot: restored {label} from {file}{upgraded}")
    return 0


async def check(settings: Settings) -> int:
    """``copbot check``: every finding on its line, grouped by server; exit 0 when nothing must
    be fixed, 1 otherwise. Reads Discord and the database; creates and changes nothing."""
    from bot import check as checks
    from bot.sharding import ShardSlice

    token = settings.require_token()
    # The findings say what matters: no progress lines from the libraries.
    logging.getLogger("discord").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    findings: list[checks.Finding] = []
    discord_state: checks.DiscordState | None = None
    shards = ShardSlice.of(settings.shard_count, settings.shard_ids)
    try:
        with _discord_errors(settings):
            # This process's slice only: the other processes' servers are theirs to check.
            discord_state = await checks.check_discord(
                settings, token, serves=shards.owns if shards.sharded else None
            )
        findings += discord_state.findings
    except StartupError as error:
        findings.append(checks.Finding(str(error)))
    if discord_state is not None and shards.sharded:
        print(
            f"This process runs {shards.describe()}: {_count(len(discord_state.servers))} "
            f"of the bot's {discord_state.all_servers}."
        )
    guild_ids = [] if discord_state is None else [s.guild_id for s in discord_state.servers]
    database: checks.DatabaseState | None = None
    try:
        with _database_errors(settings):
            database = await checks.check_database(settings, guild_ids)
        findings += database.findings
    except StartupError as error:
        findings.append(checks.Finding(str(error)))
    if discord_state is not None:
        findings += checks.all_server_findings(discord_state, database)
    for line in checks.report_lines(findings):
        print(line)
    return checks.exit_code(findings)


def _count(servers: int) -> str:
    return f"{servers} server" + ("" if servers == 1 else "s")


async def run(settings: Settings) -> int:
    token = settings.require_token()
    settings.check_database_folder()  # what can be known without Discord, creating nothing

    from bot.client import check_token, make_bot

    # The token first: a refused one, or no way to reach Discord, must leave nothing behind.
    with _discord_errors(settings):
        await check_token(settings, token)
    settings.ensure_database_folder()
    db = connect_database(settings)
    try:
        with _database_errors(settings):
            await db.migrate()
        print(f"copbot: using {database_location(settings.database_url)}", file=sys.stderr)
        bot = make_bot(settings, db)
        _close_on_sigterm(bot)
        with _discord_errors(settings):
            async with bot:
                await bot.start(token)
            # A SIGTERM closes the bot in a task of its own; the database must outlive it.
            await bot.close()
    finally:
        await db.dispose()
    return 0


@contextlib.contextmanager
def _discord_errors(settings: Settings) -> Iterator[None]:
    """What stops a login, as the one line an operator can act on."""
    where = yarl.URL(settings.discord_api_base or discord.http.Route.BASE).host or "Discord"
    retry = "check the internet connection (and DISCORD_API_BASE, if set), then start again"
    try:
        yield
    except discord.LoginFailure:
        raise StartupError(
            "DISCORD_TOKEN: Discord refused this token: copy the bot's token again (Developer "
            "Portal > your app > Bot > Reset Token) into .env, then start again"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise StartupError(
            "Discord refused the privileged intents: enable Server Members Intent and "
            "Message Content Intent (Developer Portal > your app > Bot), then start again "
            "(or set DISCORD_MESSAGE_CONTENT=off to run without message content)"
        ) from None
    except discord.DiscordServerError as error:
        raise StartupError(
            f"Discord is failing (HTTP {error.status} from {where}): try again in a few minutes"
        ) from None
    except aiohttp.ClientConnectorDNSError:
        raise StartupError(
            f"cannot reach Discord: the address {where} cannot be looked up (no internet?): "
            + retry
        ) from None
    except aiohttp.ClientConnectorError as error:
        # asyncio's strerror is "Connect call failed (...)"; the errno says why in plain words.
        code = error.os_error.errno
        reason = os.strerror(code) if code else "the connection failed"
        raise StartupError(
            f"cannot reach Discord at {error.host}:{error.port} ({reason}): " + retry
        ) from None
    except (aiohttp.ClientConnectionError, TimeoutError):
        raise StartupError(f"cannot reach Discord: {where} did not answer: " + retry) from None


async def register_csv(settings: Settings, command: str, file: str, guild_id: int) -> int:
    """import-orgs, import-members, import-questions, export-orgs, export-members: on a migrated
    database."""
    from bot.membership import imports
    from bot.prompts import bank

    # The migration's progress lines would only bury the result the operator is after.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    data = _read_input(file) if command.startswith("import-") else b""
    db = connect_database(settings)
    try:
        with _database_errors(settings):
            await db.migrate()
            community_name = await _community_name(db, guild_id)
            if command.startswith("export-") and community_name is None:
                # Most likely a mistyped id: an empty file and exit 0 would hide it.
                raise StartupError(
                    f"--guild {guild_id}: unknown server: "
                    f"{database_label(settings.database_url)} has no community with this id"
                )
            register_files = imports.Imports(db)
            if command == "export-orgs":
                _write_output(file, await register_files.export_organisations(guild_id))
                return 0
            if command == "export-members":
                _write_output(file, await register_files.export_members(guild_id))
                left = await register_files.members_left_out(guild_id)
                if left:
                    people = (
                        "1 member who left the server is"
                        if left == 1
                        else (f"{left} members who left the server are")
                    )
                    print(
                        f"copbot: {people} kept in the register but not exported",
                        file=sys.stderr,
                    )
                return 0
            apply, what = {
                # The words of /org import, /profile import and /prompt import.
                "import-orgs": (register_files.import_organisations, "Organisations"),
                "import-members": (register_files.import_members, "Members"),
                "import-questions": (bank.QuestionBank(db).import_questions, "Questions"),
            }[command]
            if community_name is None:
                # A community may be set up from files before the bot joins its server: the
                # import registers it, in the import's own transaction (nothing if rejected).
                community_name = f"Community {guild_id}"
            try:
                result = await apply(guild_id, community_name, data, actor_id=None)
            except imports.ImportRejected as rejected:
                say(rejected.problem, error=True)
                for error in rejected.errors:
                    print(plain_text(error.describe()), file=sys.stderr)
                return 2
            except BadInput as error:
                say(error, error=True)
                return 2
            say(f"imported into {community_name}. {result.summary(what)}")
            return 0
    finally:
        await db.dispose()


async def export(settings: Settings, args: argparse.Namespace) -> int:
    """``copbot export KIND``: streamed to a file or standard output, a row count on standard
    error while it runs (when that is a terminal), one line at the end."""
    from pathlib import Path

    from bot.communities import Communities
    from bot.errors import CopbotError, NotFound
    from bot.exports.progress import RowProgress
    from bot.exports.request import ExportKind, ExportRequest, FileFormat, NameMode
    from bot.exports.service import Exports
    from bot.periods import Period, parse_day

    logging.getLogger("alembic").setLevel(logging.WARNING)
    file_format = FileFormat(args.format)
    to_stdout = args.out == "-"
    try:
        request = ExportRequest(
            community_id=args.guild,
            kind=ExportKind(args.kind),
            file_format=file_format,
            period=Period(
                None if args.since is None else parse_day(args.since, "--since"),
                None if args.until is None else parse_day(args.until, "--until"),
            ),
            names=NameMode(args.names),
        )
        streams = Exports.can_stream(request)
    except BadInput as error:
        raise StartupError(str(error)) from None
    if to_stdout and not streams:
        raise StartupError(
            f"{request.kind} as {file_format}: give a file with --out (it cannot go to stdout)"
        )
    progress: RowProgress | None = None
    db = connect_database(settings)
    try:
        with _database_errors(settings):
            await db.migrate()
            exports = Exports(db, Communities(db))
            if sys.stderr.isatty():
                total = await exports.expected_rows(request)
                progress = RowProgress(0.5, lambda rows: _draw_progress(rows, total))
            target = sys.stdout.buffer if to_stdout else Path(args.out)
            try:
                result = await exports.write(
                    request, target, actor_id=None, on_rows=progress.add if progress else None
                )
            except NotFound:
                raise StartupError(
                    f"--guild {args.guild}: unknown server: "
                    f"{database_label(settings.database_url)} has no community with this id"
                ) from None
            except CopbotError as error:
                raise StartupError(str(error)) from None
            except OSError as error:
                raise StartupError(f"cannot write {args.out}: {error.strerror or error}") from None
            finally:
                if progress is not None and progress.shown:
                    sys.stderr.write("\r\033[K")  # the row count's line, cleared
                    sys.stderr.flush()
    finally:
        await db.dispose()
    where = "standard output" if to_stdout else args.out
    print(f"copbot: exported {result.rows} rows of {request.kind} to {where}", file=sys.stderr)
    return 0


async def report(settings: Settings, args: argparse.Namespace) -> int:
    """``copbot report``: the insights report of one community, as ``/insights report`` makes
    it, to a file or standard output."""
    from datetime import UTC, datetime
    from pathlib import Path

    from bot.communities import Communities
    from bot.errors import CopbotError
    from bot.insights.service import Insights
    from bot.periods import Period, Span, parse_day, span_period, today_in

    logging.getLogger("alembic").setLevel(logging.WARNING)
    typed = args.since is not None or args.until is not None
    if typed and args.period is not None:
        raise StartupError("give --period, or --since and --until, not both")
    try:
        days = Period(
            None if args.since is None else parse_day(args.since, "--since"),
            None if args.until is None else parse_day(args.until, "--until"),
        )
    except BadInput as error:
        raise StartupError(str(error)) from None
    db = connect_database(settings)
    try:
        with _database_errors(settings):
            await db.migrate()
            communities = Communities(db)
            community = await communities.find(args.guild)
            if community is None:
                raise StartupError(
                    f"--guild {args.guild}: unknown server: "
                    f"{database_label(settings.database_url)} has no community with this id"
                )
            period = (
                days
                if typed
                else span_period(
                    Span(args.period or "30d"), today_in(community.timezone, datetime.now(UTC))
                )
            )
            try:
                page = await Insights(db, communities).report(
                    args.guild, period, made_by="the command line"
                )
            except CopbotError as error:
                raise StartupError(str(error)) from None
    finally:
        await db.dispose()
    data = page.encode()
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        try:
            await asyncio.to_thread(Path(args.out).write_bytes, data)
        except OSError as error:
            raise StartupError(f"cannot write {args.out}: {error.strerror or error}") from None
    where = "standard output" if args.out == "-" else args.out
    print(f"copbot: the insights of {period.describe()} written to {where}", file=sys.stderr)
    return 0


def _draw_progress(rows: int, total: int | None) -> None:
    from bot.exports.progress import progress_text

    sys.stderr.write(f"\rcopbot: {progress_text(rows, total, bar_width=30)}")
    sys.stderr.flush()


async def _community_name(db: Database, guild_id: int) -> str | None:
    """The community's name, or None if the bot never saw the server; reads only."""
    from storage.communities import get_community

    async with db.session() as session:
        community = await get_community(session, guild_id)
        return None if community is None else community.name


def _read_input(file: str) -> bytes:
    from bot.membership.imports import MAX_IMPORT_BYTES

    try:
        if file == "-":
            return sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
        with open(file, "rb") as source:
            # One byte over the limit is enough for the import to say the file is too large.
            return source.read(MAX_IMPORT_BYTES + 1)
    except OSError as error:
        raise StartupError(f"cannot read {file}: {error.strerror or error}") from None


def _write_output(file: str, text: str) -> None:
    from bot.membership.csv_io import csv_bytes

    if file == "-":
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
        return
    try:
        with open(file, "wb") as target:
            target.write(csv_bytes(text))  # with a byte-order mark: Excel then reads accents
    except OSError as error:
        raise StartupError(f"cannot write {file}: {error.strerror or error}") from None
    print(f"copbot: wrote {file}", file=sys.stderr)


def _close_on_sigterm(bot: discord.Client) -> None:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # not on Windows
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))


@contextlib.contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    try:
        yield
    except (OperationalError, DBAPIError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        if isinstance(error, OSError) and error.errno:
            # asyncio's wording ("Connect call failed (...)") says less than the errno does.
            reason = os.strerror(error.errno)
            if sqlite_path(settings.database_url) is not None:
                reason = f"the file cannot be created or written ({reason})"
        remedy = _database_remedy(settings.database_url, error, reason)
        raise StartupError(
            f"DATABASE_URL: cannot use {database_location(settings.database_url)}: {reason}"
            + (f": {remedy}" if remedy else "")
        ) from None


def _database_remedy(url: str, error: BaseException, reason: str) -> str:
    """What to do about a database that cannot be opened; empty when there is nothing to add."""
    path = sqlite_path(url)
    if path is not None:
        if isinstance(error, OSError):
            return "set DATABASE_URL to a SQLite file in a folder you can write to"
        if "unable to open database file" in reason:
            return (
                f"copbot must be able to create and write files in {path.parent}: "
                "set DATABASE_URL to a SQLite file in a folder you can write to"
            )
        return ""
    if isinstance(error, OSError):
        return "check that PostgreSQL is running at that host and port, or correct DATABASE_URL"
    from asyncpg import exceptions as postgres

    cause = getattr(getattr(error, "orig", None), "__cause__", None)
    if isinstance(cause, postgres.InvalidCatalogNameError):
        return "create that database (createdb NAME) or correct the name in DATABASE_URL"
    if isinstance(cause, postgres.InvalidAuthorizationSpecificationError):
        return "correct the user or password in DATABASE_URL"
    return ""
