"""Every interaction answered within Discord's three seconds, whatever its handler waits on.

Discord forgets an interaction that is not answered (or deferred) within three seconds of its
creation: the answer then fails with 10062 "Unknown interaction" and the person sees "The
application did not respond". A handler may wait, before it knows its answer, on a database
write queued behind a burst of others, on a café's lock, or on a Discord call slowed by rate
limits. Rather than each handler guessing whether it may be slow, the tree watches every
interaction (:func:`watch_deadline`, called where the tree starts an interaction's work: slash
commands, context menus, views, modals and dynamic buttons):

- The interaction's ``response`` becomes a :class:`TimelyResponse`, whose first answer is given
  in turns (a lock): the handler's own answer and the watch's defer never race. Whichever comes
  first is the answer; the other sees it done.
- A watch wakes :data:`ANSWER_WITHIN` seconds after Discord created the interaction. If the
  handler has neither answered nor finished by then, the watch defers: a command gets Discord's
  private "thinking…" (every first answer of this bot is private), a button or a form sent from
  a message a silent defer, after which the handler may still edit that message or send a new
  private one.
- After such a defer the handler's answer goes where it now must go: ``send_message`` becomes a
  follow-up (the first one replaces the "thinking…"), ``edit_message`` edits the message the
  button is on (``edit_original_response``) and ``defer`` does nothing. The error handler, which
  answers through ``send_ephemeral``, needs nothing more. A handler that answers in time never
  notices any of this, and one that defers by itself is not affected.
- A form (modal) can only be the first answer. Buttons that open one say so (``opens_modal``)
  and are not watched: they open it at once. Should a form come after the watch deferred all
  the same, the person is told to press again.
- Autocomplete is never watched: Discord has no defer for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

from bot.errors import CopbotError

log = logging.getLogger(__name__)

# How long after Discord created an interaction its handler may run before the bot defers and
# the answer follows. Discord allows three seconds; the defer itself must still get there under
# load (a busy event loop, a slow network).
ANSWER_WITHIN = 1.5

WATCHED = (
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
)


class TimelyResponse(discord.InteractionResponse[Any]):
    """An interaction's response whose first answer is given in turns with the watch."""

    __slots__ = ("_turn", "deferred_by_watch")

    def __init__(self, parent: discord.Interaction[Any]) -> None:
        super().__init__(parent)
        self._turn = asyncio.Lock()
        self.deferred_by_watch = False

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> Any:
        async with self._turn:
            if self.deferred_by_watch:
                return None  # deferred already, which is all the handler asked
            return await super().defer(ephemeral=ephemeral, thinking=thinking)

    async def send_message(self, content: Any = None, **options: Any) -> Any:
        async with self._turn:
            if not self.deferred_by_watch:
                return await super().send_message(content, **options)
        delete_after = options.pop("delete_after", None)
        if content is not None:
            options["content"] = content
        message = await self._parent.followup.send(wait=True, **options)
        if delete_after is not None:
            await message.delete(delay=delete_after)
        return None

    async def edit_message(self, **options: Any) -> Any:
        async with self._turn:
            if not self.deferred_by_watch:
                return await super().edit_message(**options)
        # The watch's silent defer keeps the clicked message as the original response.
        options.pop("delete_after", None)
        options.pop("suppress_embeds", None)
        await self._parent.edit_original_response(**options)
        return None

    async def send_modal(self, modal: discord.ui.Modal, /) -> Any:
        async with self._turn:
            if not self.deferred_by_watch:
                return await super().send_modal(modal)
        raise CopbotError(
            "That took me too long: Discord opens a form only as the very first answer.",
            "Press the button again.",
        )

    async def defer_for_handler(self) -> None:
        """The watch's defer, unless the handler answered first."""
        async with self._turn:
            if self.is_done():
                return
            interaction = self._parent
            if interaction.type is discord.InteractionType.application_command:
                await super().defer(ephemeral=True, thinking=True)
            elif interaction.message is not None:
                await super().defer()  # the clicked message stays the one to edit
            else:  # a form opened by a command: no message to keep
                await super().defer(ephemeral=True, thinking=True)
            self.deferred_by_watch = True


def watch_deadline(interaction: discord.Interaction[Any], *, within: float = ANSWER_WITHIN) -> None:
    """Make sure the interaction handled by the current task is answered in time (see the
    module). Call it first thing in the task discord.py runs the handler in."""
    if interaction.type not in WATCHED:
        return
    handler = asyncio.current_task()
    if handler is None or isinstance(getattr(interaction, "_cs_response", None), TimelyResponse):
        return
    response = TimelyResponse(interaction)
    # discord.py caches the response object in this slot (Interaction.response).
    interaction._cs_response = response  # type: ignore[attr-defined]
    watch = asyncio.create_task(
        _defer_when_due(interaction, response, handler, within), name="answer-in-time watch"
    )
    handler.add_done_callback(lambda _: watch.cancel())


async def _defer_when_due(
    interaction: discord.Interaction[Any],
    response: TimelyResponse,
    handler: asyncio.Task[Any],
    within: float,
) -> None:
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    # A clock behind Discord's makes the interaction look younger: never wait longer than
    # ``within``, whatever the clocks say.
    await asyncio.sleep(min(max(within - age, 0.0), within))
    if handler.done() or response.is_done():
        return
    try:
        await response.defer_for_handler()
    except discord.HTTPException as error:
        # Too late already (the event loop was starved), or Discord failed: the handler's own
        # answer meets the same fate, and the error handler logs it.
        log.warning("could not defer interaction %s in time: %s", interaction.id, error)
