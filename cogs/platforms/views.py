"""What /platform shows: the platform and its links as embeds, the join preview, and the
confirmation (Confirm / Cancel) that joining and removing ask for.

A confirmation belongs to the moderator who asked: nobody else can press its buttons, and it
expires. A click on one this process never showed (it expired, or the bot restarted meanwhile)
is answered by the cog's listener, not left to fail.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from typing import Any, Final

import discord

from bot.errors import CopbotError
from bot.platforms.values import InvitePreview, LinkedPlatform, Platform
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.tree import send_ephemeral
from cogs._ui.views import CopbotView

CUSTOM_ID_PREFIX: Final = "platform-ask:"
CONFIRM_TIMEOUT_SECONDS: Final = 300.0
FIELD_LIMIT: Final = 1024  # characters of an embed field's value
WHAT_CROSSES: Final = (
    "Only items shared on purpose and a child's digest of group figures cross a link; "
    "no member data, no logs."
)


class ConfirmationState(Enum):
    LIVE = "live"
    ANSWERED = "answered"
    EXPIRED = "expired"


Act = Callable[[discord.Interaction[Any]], Awaitable[discord.Embed]]


class ConfirmPlatformChange(CopbotView):
    """Confirm and Cancel for one moderator's join or remove; nobody else can press them."""

    def __init__(
        self,
        origin: discord.Interaction[Any],
        *,
        command: str,
        confirm_label: str,
        act: Act,
        states: dict[str, ConfirmationState],
        timeout: float = CONFIRM_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(timeout=timeout)
        self.origin = origin
        self.owner_id = origin.user.id
        self.command = command
        self.act = act
        self.states = states
        # A fresh nonce per confirmation: the custom_ids name this view and no other.
        self.nonce = secrets.token_hex(8)
        states[self.nonce] = ConfirmationState.LIVE
        confirm: discord.ui.Button[ConfirmPlatformChange] = discord.ui.Button(
            label=confirm_label,
            style=discord.ButtonStyle.danger,
            custom_id=f"{CUSTOM_ID_PREFIX}confirm:{self.nonce}",
        )
        confirm.callback = self._confirm  # type: ignore[method-assign]
        cancel: discord.ui.Button[ConfirmPlatformChange] = discord.ui.Button(
            label="Cancel",
            style=discord.ButtonStyle.secondary,
            custom_id=f"{CUSTOM_ID_PREFIX}cancel:{self.nonce}",
        )
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(
            interaction,
            embed=make_embed(
                "That did not work",
                "This confirmation belongs to another moderator. Nothing was changed.\n"
                f"Run `/platform {self.command}` yourself if you mean to.",
                tone=Tone.WARNING,
            ),
        )
        return False

    def _close(self) -> None:
        self.stop()
        self.states[self.nonce] = ConfirmationState.ANSWERED

    async def _confirm(self, interaction: discord.Interaction[Any]) -> None:
        self._close()
        await interaction.response.defer()
        try:
            embed = await self.act(interaction)
        except CopbotError as problem:
            embed = make_embed("That did not work", problem.user_message, tone=Tone.WARNING)
        await interaction.edit_original_response(embed=embed, view=None)

    async def _cancel(self, interaction: discord.Interaction[Any]) -> None:
        self._close()
        await interaction.response.edit_message(
            embed=make_embed("Cancelled", "Nothing was changed.", tone=Tone.INFO), view=None
        )

    async def on_timeout(self) -> None:
        self.states[self.nonce] = ConfirmationState.EXPIRED
        embed = make_embed(
            "This confirmation expired",
            f"Nothing was changed. Run `/platform {self.command}` again if you still want to.",
            tone=Tone.INFO,
        )
        # The moderator may have dismissed the message; the buttons are dead either way.
        with contextlib.suppress(discord.HTTPException):
            await self.origin.edit_original_response(embed=embed, view=None)


EXPIRED_CONFIRMATION: Final = make_embed(
    "This confirmation expired",
    "Nothing was changed. Run the `/platform` command again if you still want to.",
    tone=Tone.INFO,
)


# --- what the embeds say --------------------------------------------------------------------------


def day(moment: Any) -> str:
    """A date as Discord shows it to each reader, in their own time zone."""
    return discord.utils.format_dt(moment, "D")


def link_line(item: LinkedPlatform) -> str:
    """``Name (server) — parent since <date>``, or with its end for a link of the past."""
    server = f" ({item.server_name})" if item.server_name else ""
    head = f"**{item.platform.name}**{server} — {item.relation.value}"
    if item.link.ended_at is None:
        return f"{head} since {day(item.link.started_at)}"
    return f"{head}, {day(item.link.started_at)} – {day(item.link.ended_at)}"


def joined_lines(lines: Iterable[str], limit: int = FIELD_LIMIT) -> str:
    """Lines for one embed field, cut with a count of what did not fit."""
    every = list(lines)
    kept: list[str] = []
    for index, line in enumerate(every):
        remaining = len(every) - index - 1
        # Room is kept for the "… and N more" that a later cut would add.
        reserve = len(f"\n… and {remaining} more") if remaining else 0
        if len("\n".join([*kept, line])) + reserve > limit:
            kept.append(f"… and {len(every) - index} more")
            break
        kept.append(line)
    return "\n".join(kept)


def platform_embed(
    platform: Platform,
    server_name: str,
    *,
    inbox: str,
    links: list[LinkedPlatform],
) -> discord.Embed:
    live = [link_line(item) for item in links if item.link.ended_at is None]
    ended = [link_line(item) for item in links if item.link.ended_at is not None]
    fields = [
        ("Level", platform.level.label),
        ("Where", f"{server_name}: {platform.where}"),
        ("Inbox", inbox),
        ("Harvests shared automatically", "on" if platform.autoshare_harvests else "off"),
        ("Links", joined_lines(live) if live else "None yet: `/platform invite` makes one."),
    ]
    if ended:
        fields.append(("Links of the past", joined_lines(ended)))
    return make_embed(
        f"{platform.name} · {platform.level.label} platform",
        f"Created {day(platform.created_at)}.",
        fields=fields,
        footer=WHAT_CROSSES,
    )


def join_preview_embed(preview: InvitePreview, joining: Platform) -> discord.Embed:
    other = preview.inviting
    relation = preview.relation.value
    sits = {
        "parent": "above",
        "child": "below",
        "peer": "beside",
    }[relation]
    return make_embed(
        f"Link {joining.name} to {other.name}?",
        f"**{other.name}** ({preview.inviting_server}), "
        f"{'an' if other.level.value[0] in 'aeiou' else 'a'} "
        f"{other.level.label.lower()} platform, would be linked to **{joining.name}** as its "
        f"**{relation}**: it sits {sits} this one.",
        fields=[
            ("What crosses the link", WHAT_CROSSES),
            (
                "What the link does",
                "Members and moderators can share items with the linked platform on purpose; "
                "copies arrive in its inbox with a thread for responses. Either side can end "
                "the link at any time with `/platform unlink`.",
            ),
            ("The code expires", discord.utils.format_dt(preview.expires_at, "R")),
        ],
        tone=Tone.WARNING,
        footer="Only you can answer; this expires in about 5 min.",
    )
