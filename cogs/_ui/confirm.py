"""Asking before a change: an ephemeral message with one or more ways to confirm and Cancel.

A confirmation belongs to the person who asked: nobody else can press its buttons, and it
expires. Each has a fresh nonce in its custom_ids, so a click names one confirmation only. A click
on one this process never showed (it expired, or the bot restarted meanwhile) reaches no view;
the cog's ``on_interaction`` listener passes it to :meth:`Confirmations.answer_gone`, which
answers it instead of letting it fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import discord

from bot.errors import CopbotError
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.tree import claim_interaction, send_ephemeral
from cogs._ui.views import CopbotView

# How long a click on a confirmation this process does not hold waits before it is answered as
# expired: long enough for a process that holds it live to claim the click.
GONE_ANSWER_AFTER = 0.5


class ConfirmationState(Enum):
    LIVE = "live"
    ANSWERED = "answered"
    EXPIRED = "expired"


# What pressing a confirm button does, given that click; its embed replaces the question.
Act = Callable[[discord.Interaction[Any]], Awaitable[discord.Embed]]


@dataclass(frozen=True)
class ConfirmChoice:
    """One way to confirm: its button's label, and what pressing it does."""

    label: str
    act: Act


def expiry_footer(timeout: float) -> str:
    """The footer of a question that a confirmation with this timeout answers."""
    return f"Only you can answer; this expires in about {max(1, round(timeout / 60))} min."


@dataclass
class Confirmations:
    """The confirmations one slash group showed in this process, by nonce.

    ``prefix`` starts every custom_id of theirs; ``group`` is the slash group their words name
    (``/privacy forget``); ``others`` is who a refused click came from, as the refusal says it.
    """

    prefix: str
    group: str
    others: str
    states: dict[str, ConfirmationState] = field(default_factory=dict)

    def view(
        self,
        origin: discord.Interaction[Any],
        *,
        command: str,
        choices: Sequence[ConfirmChoice],
        timeout: float,
    ) -> ConfirmView:
        return ConfirmView(self, origin, command=command, choices=choices, timeout=timeout)

    async def answer_gone(self, interaction: discord.Interaction[Any]) -> None:
        """Answer a click on one of ours that no view holds (expired, or shown before a restart).

        Clicks on anything else, and on live confirmations, are left to their views.
        """
        if interaction.type is not discord.InteractionType.component:
            return
        data: Mapping[str, object] = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith(self.prefix):
            return
        nonce = custom_id.rsplit(":", 1)[-1]
        # A live view answers its own clicks (and refuses other people's). An answered one lost
        # its buttons; a second click racing that edit needs no answer of ours either.
        if self.states.get(nonce) in (ConfirmationState.LIVE, ConfirmationState.ANSWERED):
            return
        # Another process holding the same shard (an overlapping deploy) may show it live: its
        # view claims the click first, and this process leaves it alone.
        await asyncio.sleep(GONE_ANSWER_AFTER)
        if not await claim_interaction(interaction):
            return
        await interaction.response.edit_message(
            embed=make_embed(
                "This confirmation expired",
                f"Nothing was changed. Run the `/{self.group}` command again if you still want to.",
                tone=Tone.INFO,
            ),
            view=None,
        )


class ConfirmView(CopbotView):
    """The buttons of one confirmation: a danger button per choice, then Cancel."""

    def __init__(
        self,
        confirmations: Confirmations,
        origin: discord.Interaction[Any],
        *,
        command: str,
        choices: Sequence[ConfirmChoice],
        timeout: float,
    ) -> None:
        super().__init__(timeout=timeout)
        self.confirmations = confirmations
        self.origin = origin
        self.owner_id = origin.user.id
        self.command = command
        # A fresh nonce per confirmation: the custom_ids name this view and no other.
        self.nonce = secrets.token_hex(8)
        confirmations.states[self.nonce] = ConfirmationState.LIVE
        prefix = confirmations.prefix
        for index, choice in enumerate(choices):
            button: discord.ui.Button[ConfirmView] = discord.ui.Button(
                label=choice.label,
                style=discord.ButtonStyle.danger,
                custom_id=f"{prefix}confirm{index}:{self.nonce}",
            )
            button.callback = functools.partial(self._confirm, choice.act)  # type: ignore[method-assign]
            self.add_item(button)
        cancel: discord.ui.Button[ConfirmView] = discord.ui.Button(
            label="Cancel",
            style=discord.ButtonStyle.secondary,
            custom_id=f"{prefix}cancel:{self.nonce}",
        )
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(cancel)

    @property
    def _command_line(self) -> str:
        return f"`/{self.confirmations.group} {self.command}`"

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(
            interaction,
            embed=make_embed(
                "That did not work",
                f"This confirmation belongs to {self.confirmations.others}. Nothing was "
                f"changed.\nRun {self._command_line} yourself if you mean to.",
                tone=Tone.WARNING,
            ),
        )
        return False

    def _close(self) -> None:
        self.stop()
        self.confirmations.states[self.nonce] = ConfirmationState.ANSWERED

    # Typed as discord.py types a button's callback (any client): they are assigned to one.
    async def _confirm(self, act: Act, interaction: discord.Interaction[Any]) -> None:
        self._close()
        # What it changes (deleting a long log, telling other servers) may take longer than
        # Discord's 3 seconds.
        await interaction.response.defer()
        try:
            embed = await act(interaction)
        except CopbotError as problem:
            embed = make_embed("That did not work", problem.user_message, tone=Tone.WARNING)
        await interaction.edit_original_response(embed=embed, view=None)

    async def _cancel(self, interaction: discord.Interaction[Any]) -> None:
        self._close()
        await interaction.response.edit_message(
            embed=make_embed("Cancelled", "Nothing was changed.", tone=Tone.INFO), view=None
        )

    async def on_timeout(self) -> None:
        self.confirmations.states[self.nonce] = ConfirmationState.EXPIRED
        embed = make_embed(
            "This confirmation expired",
            f"Nothing was changed. Run {self._command_line} again if you still want to.",
            tone=Tone.INFO,
        )
        # The person may have dismissed the message; the buttons are dead either way.
        with contextlib.suppress(discord.HTTPException):
            await self.origin.edit_original_response(embed=embed, view=None)
