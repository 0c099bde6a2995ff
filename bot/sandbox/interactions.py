"""The record of one interaction a simulated user started, and what the bot answered."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.sandbox.errors import SandboxTimeout
from bot.sandbox.models import Channel, Guild, Member, Message, User

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5

FOLLOWUP_LIFETIME = 15 * 60.0


class SandboxInteraction:
    def __init__(
        self,
        *,
        id: int,
        token: str,
        type: int,
        application_id: int,
        user: User,
        member: Member | None,
        guild: Guild | None,
        channel: Channel,
        data: dict[str, Any],
        message: Message | None = None,
    ) -> None:
        self.id = id
        self.token = token
        self.type = type
        self.application_id = application_id
        self.user = user
        self.member = member
        self.guild = guild
        self.channel = channel
        self.data = data
        self.message = message
        self.created = time.monotonic()
        self.response_type: int | None = None
        self.response_data: dict[str, Any] = {}
        self.ephemeral = False
        self.choices: list[dict[str, Any]] | None = None
        self.modal: dict[str, Any] | None = None
        self.original: Message | None = None
        self.followups: list[Message] = []
        self.answered = asyncio.Event()

    def __repr__(self) -> str:
        return f"<SandboxInteraction id={self.id} type={self.type} response={self.response_type}>"

    # state ---------------------------------------------------------------
    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def deferred(self) -> bool:
        return self.response_type in (5, 6)

    def expired_for_followups(self) -> bool:
        return time.monotonic() - self.created > FOLLOWUP_LIFETIME

    # reading what the bot answered ---------------------------------------
    @property
    def content(self) -> str:
        return self.original.content if self.original is not None else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.original.embeds if self.original is not None else []

    @property
    def components(self) -> list[dict[str, Any]]:
        if self.original is not None:
            return self.original.components
        if self.modal is not None:
            return self.modal.get("components", [])
        return []

    def messages(self) -> list[Message]:
        out = [self.original] if self.original is not None else []
        out.extend(m for m in self.followups if m is not self.original)
        return out

    def text(self) -> str:
        """The original answer and the follow-ups flattened to text, for assertions."""
        return "\n".join(message_text(m) for m in self.messages())

    async def final_text(self, timeout: float = 15.0) -> str:  # noqa: ASYNC109
        """What the person ends up reading: after a deferral ("thinking..."), the follow-up or
        the answer edited in its place."""
        deadline = time.monotonic() + timeout
        while self.response_type == 5 and not self.text():
            if time.monotonic() > deadline:
                raise SandboxTimeout(f"interaction {self.id}: deferred, then no answer")
            await asyncio.sleep(0.01)
        return self.text()

    async def wait_for_followup(self, count: int = 1, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while len(self.followups) < count:
            if time.monotonic() > deadline:
                raise SandboxTimeout(
                    f"interaction {self.id}: {len(self.followups)} follow-up(s), wanted {count}"
                )
            await asyncio.sleep(0.01)
        return self.followups[count - 1]


def message_text(message: Message) -> str:
    parts = [message.content] if message.content else []
    for embed in message.embeds:
        parts.extend(_embed_text(embed))
    for comp in message.components:
        parts.extend(_component_text(comp))
    return "\n".join(parts)


def _embed_text(embed: dict[str, Any]) -> list[str]:
    parts = []
    for key in ("title", "description"):
        if embed.get(key):
            parts.append(str(embed[key]))
    if (embed.get("author") or {}).get("name"):
        parts.append(embed["author"]["name"])
    for fld in embed.get("fields") or []:
        parts.append(f"{fld.get('name', '')}: {fld.get('value', '')}")
    if (embed.get("footer") or {}).get("text"):
        parts.append(embed["footer"]["text"])
    return parts


def _component_text(comp: dict[str, Any]) -> list[str]:
    """Components v2 carry text in text displays."""
    parts = []
    if comp.get("type") == 10 and comp.get("content"):
        parts.append(comp["content"])
    for child in comp.get("components") or []:
        parts.extend(_component_text(child))
    return parts
