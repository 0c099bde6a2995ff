"""The sandbox as its REST handlers and simulated users see it: a Protocol that ``Sandbox`` meets.

The modules above the world (``http_util``, ``rest*``, ``actors``) take the sandbox through this
interface instead of importing ``bot/sandbox/sandbox.py``, so the dependencies run one way:
models, permissions, payloads and errors at the bottom; the gateway and interactions on them;
this interface; the REST handlers and actors; and ``sandbox.py`` on top, wiring them together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from bot.sandbox.faults import Faults
from bot.sandbox.gateway import GatewaySession, SessionStarts
from bot.sandbox.holds import Holds
from bot.sandbox.interactions import SandboxInteraction
from bot.sandbox.models import Attachment, BotAccount, Channel, Guild, Member, Message, Role, User
from bot.sandbox.ratelimits import RateLimiter


class SandboxHub(Protocol):
    """The world's state, and the calls that change it and tell the connected bots."""

    # state ---------------------------------------------------------------
    users: dict[int, User]
    bots: dict[str, BotAccount]
    guilds: list[Guild]
    requests: list[tuple[str, str, int]]
    interaction_deadline: float
    attachment_latency: float
    limiter: RateLimiter
    rate_limited_count: int
    faults: Faults
    holds: Holds
    command_sync_count: int
    registered_commands: dict[tuple[int, int | None], list[dict[str, Any]]]
    attachments_by_id: dict[int, Attachment]
    interactions_by_id: dict[int, SandboxInteraction]
    session_starts: SessionStarts

    @property
    def gateway_url(self) -> str: ...

    @property
    def dm_channels(self) -> dict[tuple[int, int], Channel]: ...

    def get_guild(self, guild_id: int) -> Guild | None: ...

    def get_channel(self, channel_id: int) -> Channel | None: ...

    def dm_channel(self, bot: BotAccount, user: User) -> Channel: ...

    def bot_in(self, guild: Guild) -> list[BotAccount]: ...

    def recommended_shards(self, bot: BotAccount) -> int: ...

    def bot_by_token(self, token: str) -> BotAccount | None: ...

    def permissions_for(self, user: User, channel: Channel) -> int: ...

    def visible_threads(self, guild: Guild, bot: BotAccount) -> list[Channel]: ...

    # changes, each dispatching its gateway events ---------------------------
    def emit(
        self,
        event: str,
        build: Callable[[GatewaySession], dict[str, Any] | None],
        *,
        guild: Guild | None = None,
        channel: Channel | None = None,
        only_bot: BotAccount | None = None,
    ) -> None: ...

    def role_event(self, event: str, role: Role) -> None: ...

    def channel_event(self, event: str, channel: Channel) -> None: ...

    def thread_event(self, event: str, thread: Channel, *, newly_created: bool = False) -> None: ...

    def thread_members_event(
        self, thread: Channel, added: list[int], removed: list[int]
    ) -> None: ...

    def member_event(self, event: str, member: Member) -> None: ...

    def remove_bot_from(self, guild: Guild, bot: BotAccount) -> None: ...

    def new_message(
        self,
        channel: Channel,
        author: User,
        body: dict[str, Any],
        *,
        attachments: list[Attachment] | None = None,
        reference: Message | None = None,
        webhook_id: int | None = None,
        application_id: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        message_type: int = 0,
        ephemeral: bool = False,
        dispatch: bool = True,
        thread_reference: Channel | None = None,
    ) -> Message: ...

    def dispatch_message(self, event: str, message: Message) -> None: ...

    def apply_message_edit(
        self, message: Message, body: dict[str, Any], attachments: list[Attachment] | None = None
    ) -> Message: ...

    def remove_message(self, message: Message) -> None: ...

    def start_thread(
        self,
        parent: Channel,
        owner: User,
        name: str,
        thread_type: int,
        *,
        starter: Message | None = None,
        auto_archive_duration: int = 1440,
        invitable: bool = True,
    ) -> Channel: ...

    def remove_reactions(self, message: Message, emoji: str | None = None) -> None: ...

    def reaction_event(self, event: str, message: Message, user: User, emoji: str) -> None: ...

    def new_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        description: str | None = None,
    ) -> Attachment: ...

    # interactions and the log ----------------------------------------------
    async def wait_answer(self, itx: SandboxInteraction, timeout: float) -> SandboxInteraction: ...  # noqa: ASYNC109

    def log_commands(
        self, scope: tuple[int, int | None], commands: list[dict[str, Any]]
    ) -> None: ...

    def log_interaction(self, itx: SandboxInteraction, label: Any) -> None: ...

    def log_answer(self, itx: SandboxInteraction) -> None: ...

    def log_followup(self, itx: SandboxInteraction, message: Message) -> None: ...
