"""The Bot class: settings in, cogs loaded in ``setup_hook``, commands synced only when changed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.cafe.service import CafeService
from bot.claims import InteractionClaims
from bot.communities import Communities
from bot.config import Settings
from bot.contributions.optouts import OptOuts
from bot.contributions.privacy import Privacy
from bot.contributions.service import ContributionLog, SpecialThreads, Tracking
from bot.contributions.writer import ContributionWriter
from bot.exports.service import Exports
from bot.insights.digest_schedules import DigestSchedules
from bot.insights.service import Insights
from bot.membership.imports import Imports
from bot.membership.organisations import Organisations
from bot.membership.profiles import Profiles
from bot.membership.register import Register
from bot.membership.rolesync_register import RoleSyncRegister
from bot.pacing import BACKGROUND_REQUESTS_PER_SECOND, RequestPacer
from bot.platforms.deliveries import Deliveries
from bot.platforms.digest_schedules import PlatformDigests
from bot.platforms.service import Platforms
from bot.prompts.bank import QuestionBank
from bot.prompts.schedules import PromptService
from bot.scheduling.scheduler import Scheduler
from bot.sharding import ShardSlice
from cogs._ui.tree import CopbotTree, error_line, note_discord_changes
from cogs.members.role_sync import RoleSyncer
from storage.app_state import get_state, set_state
from storage.db import Database, database_unreachable

log = logging.getLogger(__name__)

# Loaded in this order by setup_hook. A feature is one extension here: a module in cogs/, or a
# package in cogs/ whose __init__ holds only ``setup`` (cogs/cafe/, cogs/prompts/).
COGS: tuple[str, ...] = (
    "cogs.community",
    "cogs.about",
    "cogs.settings",
    "cogs.members",
    "cogs.profile",
    "cogs.org",
    "cogs.privacy",
    "cogs.contributions",
    "cogs.cafe",
    "cogs.prompts",
    "cogs.exports",
    "cogs.insights",
    "cogs.platforms",
)


# How long a clean shutdown waits for listeners that are still running before cancelling them.
LISTENER_SHUTDOWN_GRACE = 10.0

# What the bot needs in a server; the invite URL asks for exactly these.
REQUIRED_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    manage_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    manage_roles=True,  # only used by the optional role sync
)


def point_discord_py_at(api_base: str, gateway_url: str) -> None:
    """Send REST and gateway traffic to a proxy (or the sandbox) instead of Discord itself.

    discord.py reads both at login: ``Route.BASE`` for every REST call (interaction callbacks and
    webhooks included) and ``DEFAULT_GATEWAY`` for the first connection; reconnects then use the
    ``resume_gateway_url`` from READY.
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


# How long start-up waits for Discord to say whose token it was given.
TOKEN_CHECK_WITHIN = 30.0


async def check_token(
    settings: Settings, token: str, *, within: float = TOKEN_CHECK_WITHIN
) -> None:
    """Ask Discord whose token this is (``GET /users/@me``) so that a refused token or an
    unreachable Discord stops start-up before anything is created.

    Raises :class:`discord.LoginFailure` for a refused token, :class:`aiohttp.ClientError` when
    Discord cannot be reached, :class:`discord.DiscordServerError` when it keeps failing, and
    :class:`TimeoutError` when it does not answer within ``within`` seconds.
    """
    if settings.discord_api_base and settings.discord_gateway_url:
        point_discord_py_at(settings.discord_api_base, settings.discord_gateway_url)
    # A client of its own: the bot's is opened by its own login, which also runs setup_hook.
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        async with asyncio.timeout(within):
            await http.static_login(token)
    finally:
        await http.close()


def default_intents(settings: Settings) -> discord.Intents:
    intents = discord.Intents.default()
    intents.members = True  # member register: joins, leaves, roles
    # Contribution log: links, attachments, lengths. Privileged: an operator who is not granted
    # it turns it off (DISCORD_MESSAGE_CONTENT=off) and gets reduced classification.
    intents.message_content = settings.discord_message_content
    return intents


class CopBot(commands.Bot):
    """The bot: settings and the database in, every service built once in ``setup_hook``,
    the extensions in ``COGS`` loaded, commands synced only when they changed.

    Events reach code in two ways. Cogs' listeners (``commands.Cog.listener``) are discord.py's
    own: each runs in a task of its own, which suits work that awaits (the database, Discord).
    Receivers (:meth:`add_receiver`) are the fast lane, for work that only hands an event on,
    which is the contribution log's case: :meth:`dispatch` calls them synchronously, in the
    order the gateway delivered the events, before discord.py's dispatch. The lane exists
    because discord.py makes a task per listener per event, and at the gateway's pace making
    and running that task costs as much as parsing the event itself; for MESSAGE_CREATE the
    task is not even made when no listener waits for messages (:meth:`dispatch`).
    """

    # The services, built once by _build_services (from setup_hook); cogs reach them here and
    # never each other.
    communities: Communities
    register: Register
    profiles: Profiles
    organisations: Organisations
    imports: Imports
    role_sync_register: RoleSyncRegister
    role_sync: RoleSyncer
    special_threads: SpecialThreads
    tracking: Tracking
    contribution_log: ContributionLog
    privacy: Privacy
    cafes: CafeService
    question_bank: QuestionBank
    prompts: PromptService
    exports: Exports
    insights: Insights
    digests: DigestSchedules
    platforms: Platforms
    deliveries: Deliveries
    platform_digests: PlatformDigests
    interaction_claims: InteractionClaims | None

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        cogs: Sequence[str] = COGS,
        intents: discord.Intents | None = None,
        process_id: str | None = None,
        **options: Any,
    ) -> None:
        self.shard_slice = ShardSlice.of(settings.shard_count, settings.shard_ids)
        if self.shard_slice.sharded:
            options.update(shard_count=self.shard_slice.count, shard_ids=list(self.shard_slice.ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents or default_intents(settings),
            tree_cls=CopbotTree,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
            **options,
        )
        note_discord_changes(self.http)  # "Nothing was changed" only when true (cogs/_ui/tree.py)
        self.settings = settings
        self.db = db
        self.cog_modules = tuple(cogs)
        self.process_id = process_id or f"{socket.gethostname()}:{os.getpid()}"
        self.scheduler = Scheduler(db, process_id=self.process_id, serves=self.shard_slice.owns)
        self.request_pacer = RequestPacer(BACKGROUND_REQUESTS_PER_SECOND * self.shard_slice.share)
        self.optouts = OptOuts()
        self.contribution_writer = ContributionWriter(db, optouts=self.optouts)
        self._receivers: dict[str, list[Callable[..., None]]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._closing: asyncio.Task[None] | None = None
        if settings.discord_api_base and settings.discord_gateway_url:
            point_discord_py_at(settings.discord_api_base, settings.discord_gateway_url)

    async def setup_hook(self) -> None:
        await self.db.migrate()
        self._build_services()
        await self.optouts.load(self.db)
        self.contribution_writer.start()
        for module in self.cog_modules:
            await self.load_extension(module)
        self.register_persistent_views()
        await self.scheduler.start()
        await self.sync_commands()
        if self.application_id is not None:
            log.info("invite URL: %s", self.invite_url())

    def _build_services(self) -> None:
        """Every domain service, once, before the cogs that use them are loaded (the
        scheduler, the opt-out list and the contribution writer are made in ``__init__`` and
        started by ``setup_hook``)."""
        self.communities = Communities(self.db)
        self.register = Register(self.db)
        self.profiles = Profiles(self.db, self.register)
        self.organisations = Organisations(self.db, self.register)
        self.imports = Imports(self.db)
        self.role_sync_register = RoleSyncRegister(self.db)
        # One syncer for the listeners and /settings: one sync per server at a time.
        self.role_sync = RoleSyncer(self.role_sync_register)
        # Which channels the contribution log reads, and which threads it always logs.
        self.special_threads = SpecialThreads()
        self.tracking = Tracking(self.special_threads)
        self.contribution_log = ContributionLog(self.db, self.tracking)
        self.privacy = Privacy(self.db, self.optouts)
        self.cafes = CafeService(self.db, self.scheduler)
        self.question_bank = QuestionBank(self.db)
        self.prompts = PromptService(self.db, self.scheduler)
        self.exports = Exports(self.db, self.communities)
        self.platforms = Platforms(self.db)
        self.insights = Insights(self.db, self.communities, self.platforms)
        self.digests = DigestSchedules(self.db, self.scheduler)
        self.deliveries = Deliveries(self.db, process_id=self.process_id)
        self.platform_digests = PlatformDigests(
            self.db, self.scheduler, self.platforms, self.insights, self.communities
        )
        # Which interactions this process handles, of those another process also receives.
        # Only on PostgreSQL: several processes need it (README), and on SQLite, one process
        # on one file, a claim would be a write, serialised with every other, before each answer.
        self.interaction_claims = (
            InteractionClaims(self.db, process_id=self.process_id)
            if self.db.dialect == "postgresql"
            else None
        )

    def invite_url(self) -> str:
        assert self.application_id is not None
        return discord.utils.oauth_url(
            self.application_id,
            permissions=REQUIRED_PERMISSIONS,
            scopes=("bot", "applications.commands"),
        )

    def register_persistent_views(self) -> None:
        """Buttons on old messages keep working after a restart.

        A cog lists ``dynamic_items`` (DynamicItem classes: state in the custom_id) and/or a
        ``persistent_views()`` method (views with ``timeout=None`` and fixed custom_ids).
        """
        for cog in self.cogs.values():
            items: Iterable[type[discord.ui.DynamicItem[Any]]] = getattr(cog, "dynamic_items", ())
            if items:
                self.add_dynamic_items(*items)
            provider = getattr(cog, "persistent_views", None)
            views: Iterable[discord.ui.View] = provider() if provider is not None else ()
            for view in views:
                self.add_view(view)

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync the command tree to Discord if it changed since the last sync. True if synced.
        Of several processes, only the one running shard 0 syncs (bot/sharding.py says why)."""
        if not self.shard_slice.syncs_commands:
            log.info("commands are synced by the process that runs shard 0, not this one")
            return False
        guild = (
            discord.Object(id=self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        )
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        key = (
            f"command_tree:{self.application_id}:{'guild:' + str(guild.id) if guild else 'global'}"
        )
        async with self.db.session() as session:
            synced = await get_state(session, key)
        if not force and synced == digest:
            log.info("commands unchanged since the last sync; not syncing")
            return False
        await self.tree.sync(guild=guild)
        async with self.db.transaction() as session:
            await set_state(session, key, digest)
        log.info(
            "synced %d commands %s", len(payload), f"to guild {guild.id}" if guild else "globally"
        )
        return True

    def add_receiver(self, event: str, receiver: Callable[..., None]) -> None:
        """Call ``receiver`` with every ``event`` (``"message"``, ``"raw_reaction_add"``, ...)
        as it is dispatched, synchronously, in the order the gateway delivered the events.

        For work that only hands an event on, such as the contribution log: discord.py runs
        each listener in a task of its own, which at the gateway's pace costs as much as
        parsing the event. A receiver must not block or await (it runs between two gateway
        events); what it raises is logged, and the other receivers and listeners still run.
        """
        self._receivers.setdefault(event, []).append(receiver)

    def remove_receiver(self, event: str, receiver: Callable[..., None]) -> None:
        """Stop calling ``receiver`` with ``event`` (a cog that is unloaded); no error if it
        was not added."""
        receivers = self._receivers.get(event, [])
        if receiver in receivers:
            receivers.remove(receiver)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Hand an event to its receivers first (synchronously, see :meth:`add_receiver`),
        then to discord.py's dispatch (listeners, ``wait_for``), which makes a task each."""
        for receiver in self._receivers.get(event_name, ()):
            try:
                receiver(*args, **kwargs)
            except Exception:
                log.exception("receiver %s of the %s event failed", receiver, event_name)
        if event_name == "message" and not self._message_listeners():
            # Only our no-op on_message would get it: spare the task discord.py makes to run
            # it, which costs well over half as much as parsing the message.
            return
        super().dispatch(event_name, *args, **kwargs)

    def _message_listeners(self) -> bool:
        """Whether a listener (a cog's, or ``wait_for``) waits for messages."""
        return bool(self.extra_events.get("on_message") or self._listeners.get("message"))

    async def on_message(self, message: discord.Message, /) -> None:
        """copbot has slash commands only: messages are not parsed for prefix commands.

        (commands.Bot would build a command context for every message; the contribution log
        receives messages in its own cog, and ``dispatch`` skips this when nobody else listens.)
        """

    async def on_ready(self) -> None:
        log.info("ready: logged in as %s, in %d servers", self.user, len(self.guilds))

    def run_in_background(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Start work that outlives the event that began it (start-up recovery, gap repair).

        The bot keeps the task (asyncio holds only a weak reference) and ``close`` lets it
        finish, or cancels it, before the database goes.
        """
        task = asyncio.create_task(work, name=f"copbot: {name}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_background_failure)
        return task

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """A listener failed. A database out of reach is no bug: one line, no traceback (the
        next event, or the next start-up's catch-up, does the work); anything else keeps
        discord.py's report with its traceback."""
        error = sys.exc_info()[1]
        if error is not None and database_unreachable(error):
            log.warning("database unreachable in %s: %s", event_method, error_line(error))
            return
        await super().on_error(event_method, *args, **kwargs)

    async def close(self) -> None:
        """Stop everything in order. A second call (a signal, then ``async with`` leaving)
        waits for the first: the caller may dispose of the database once it returns."""
        if self._closing is None:
            self._closing = asyncio.create_task(self._shut_down(), name="copbot: close")
        await asyncio.shield(self._closing)

    async def _shut_down(self) -> None:
        await self.scheduler.shutdown()
        await super().close()
        # Listeners and background work still running (a start-up catch-up, a message being
        # logged) finish first, so that what they hand the writer is written and nothing uses
        # the database after us.
        await self._finish_running_tasks()
        # After the gateway is closed no event can add to the buffer: write what it holds.
        await self.contribution_writer.stop()

    async def _finish_running_tasks(self, within: float = LISTENER_SHUTDOWN_GRACE) -> None:
        this = asyncio.current_task()
        running = [
            task
            for task in asyncio.all_tasks()
            if task is not this
            and task.get_name().startswith(("discord.py: ", "copbot: "))
            and task is not self._closing
        ]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=within)
        for task in late:
            log.warning("stopping %s: still running after %.0f s", task.get_name(), within)
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


class ShardedCopBot(CopBot, commands.AutoShardedBot):
    """The bot for one process of several (``SHARD_COUNT``): discord.py's auto-sharded client
    for the shards in ``SHARD_IDS``, which honours ``max_concurrency`` and the session start
    limit from ``GET /gateway/bot``. Everything else is :class:`CopBot`'s."""


def make_bot(settings: Settings, db: Database, **options: Any) -> CopBot:
    """The bot these settings call for: sharded when ``SHARD_COUNT`` is set."""
    kind = ShardedCopBot if settings.shard_count is not None else CopBot
    return kind(settings, db, **options)


async def start_until_ready(
    bot: CopBot, token: str, *, ready_within: float = 30
) -> asyncio.Task[None]:
    """Start the bot in a task and return it once the bot is ready (demo and tests)."""
    runner = asyncio.create_task(bot.start(token), name="copbot")
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait(
        {ready, runner}, timeout=ready_within, return_when="FIRST_COMPLETED"
    )
    if ready not in done:
        ready.cancel()
        if runner.done():
            runner.result()  # raises what stopped the bot
            raise RuntimeError("the bot stopped before it was ready")
        await bot.close()
        raise TimeoutError(f"the bot did not become ready within {ready_within:.0f} s")
    return runner


def _log_background_failure(task: asyncio.Task[None]) -> None:
    """What background work raised, logged as a listener's failure is (see CopBot.on_error)."""
    if task.cancelled() or task.exception() is None:
        return
    error = task.exception()
    assert error is not None
    if database_unreachable(error):
        log.warning("database unreachable in %s: %s", task.get_name(), error_line(error))
    else:
        log.error("%s failed", task.get_name(), exc_info=(type(error), error, error.__traceback__))
