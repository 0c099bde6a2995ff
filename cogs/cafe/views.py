"""The café's buttons and modal: Join / Leave / Host a table on the sign-up message; Add to
tablecloth and Call the facilitator in table threads. They are dynamic items (the café and table
are in the custom_id), so they keep working after a restart without any view held in memory."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from bot.cafe import text
from bot.cafe.service import describe_state
from bot.embeds import Tone, make_embed
from bot.errors import NotFound
from bot.tree import CopbotModal, CopbotView, DynamicButton
from storage.models import Cafe, CafeState

if TYPE_CHECKING:
    from bot.client import CopBot
    from cogs.cafe import CafeCog

log = logging.getLogger(__name__)

SIGNUP_ACTIONS = {
    "join": ("Join", discord.ButtonStyle.success),
    "leave": ("Leave", discord.ButtonStyle.secondary),
    "host": ("Host a table", discord.ButtonStyle.primary),
}


def cafe_cog(bot: CopBot) -> CafeCog:
    cog = bot.get_cog("Cafe")
    if cog is None:
        raise RuntimeError("the café cog is not loaded")
    return cog  # type: ignore[return-value]


# --- the sign-up message -------------------------------------------------------------------------


def signup_embed(cafe: Cafe, participants: int, hosts: int) -> discord.Embed:
    if cafe.starts_at is not None:
        when = f"Starts {discord.utils.format_dt(cafe.starts_at, 'F')}."
    elif cafe.repeat_when is not None:
        when = f"Repeats: `{cafe.repeat_when}`."
    else:
        when = "A moderator starts it with `/cafe start`."
    rounds = (
        f"{text.plural(cafe.rounds, 'round')} of {text.format_minutes(cafe.round_minutes)}; "
        "hosts stay at their table, travellers move to a new table each round."
    )
    # The questions go in the description: six of them can be longer than a field holds.
    description = (
        f"{text.questions_text(cafe.questions)}\n\n{when}\n{rounds}\n\n"
        f"**{text.format_seat_summary(participants, hosts)}**\nState: {describe_state(cafe)}"
    )
    return make_embed(
        f"World Café: {cafe.title}",
        description,
        fields=[("Café etiquette", text.etiquette_text())],
        tone=Tone.INFO,
        footer=f"Café #{cafe.id} · sign up with the buttons or /cafe join",
    )


class SignupButton(
    DynamicButton, template=r"copbot:cafe:(?P<cafe>\d{1,12}):(?P<action>join|leave|host)"
):
    def __init__(self, cafe_id: int, action: str) -> None:
        label, style = SIGNUP_ACTIONS[action]
        super().__init__(
            discord.ui.Button(label=label, style=style, custom_id=f"copbot:cafe:{cafe_id}:{action}")
        )
        self.cafe_id = cafe_id
        self.action = action

    @classmethod
    def from_match(cls, match: re.Match[str]) -> SignupButton:
        return cls(int(match["cafe"]), match["action"])

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await cafe_cog(interaction.client).sign_up_by_button(interaction, self.cafe_id, self.action)


def signup_view(cafe_id: int, *, open_for_signup: bool = True) -> CopbotView | None:
    if not open_for_signup:
        return None
    view = CopbotView(timeout=None)
    for action in SIGNUP_ACTIONS:
        view.add_item(SignupButton(cafe_id, action))
    return view


async def post_signup(bot: CopBot, channel: discord.abc.Messageable, cafe: Cafe) -> discord.Message:
    assert cafe.id is not None
    service = cafe_cog(bot).service
    participants, hosts = await service.counts(cafe.id)
    view = signup_view(cafe.id)
    assert view is not None
    message = await channel.send(
        embed=signup_embed(cafe, participants, hosts),
        view=view,
        nonce=f"c{cafe.id}signup",
        allowed_mentions=discord.AllowedMentions.none(),
    )
    await service.update(cafe.id, signup_message_id=message.id)
    return message


class SignupRefresher:
    """Keeps each café's sign-up message up to date, one edit at a time per café.

    Clicks on Join are answered first and the message is edited after, in the background:
    edits wait on Discord's rate limits, and a click whose answer waited on them would fail
    after Discord's three seconds. A burst of clicks makes one edit at a time, each showing
    the counts when it starts, and one more if anyone clicked meanwhile: the last edit always
    shows the last click, which two edits racing could not promise.
    """

    def __init__(self, bot: CopBot) -> None:
        self.bot = bot
        self._running: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()

    def request(self, cafe_id: int) -> asyncio.Task[None]:
        """Edit the message soon; returns the task that will have done it."""
        task = self._running.get(cafe_id)
        if task is not None and not task.done():
            self._again.add(cafe_id)  # the running edit may have read the counts already
            return task
        task = self.bot.run_in_background(self._edit(cafe_id), f"café {cafe_id} sign-up message")
        self._running[cafe_id] = task
        return task

    async def refresh(self, cafe_id: int) -> None:
        """Edit the message and return once it shows the café as it is now."""
        await asyncio.shield(self.request(cafe_id))

    async def _edit(self, cafe_id: int) -> None:
        try:
            while True:
                self._again.discard(cafe_id)
                try:
                    await refresh_signup(self.bot, cafe_id)
                except Exception:
                    # Nobody waits on this edit to report it; the next one puts the counts right.
                    log.exception("café %s: could not update the sign-up message", cafe_id)
                if cafe_id not in self._again:
                    return
        finally:
            self._running.pop(cafe_id, None)


async def refresh_signup(bot: CopBot, cafe_id: int) -> None:
    """Bring the sign-up message's counts and state up to date (buttons go when it closes)."""
    service = cafe_cog(bot).service
    cafe = await service.get(cafe_id)
    if cafe is None or cafe.signup_message_id is None:
        return
    channel = bot.get_channel(cafe.channel_id)
    if not isinstance(channel, discord.TextChannel):
        return
    participants, hosts = await service.counts(cafe_id)
    still_open = cafe.state in (CafeState.OPEN, CafeState.RUNNING)
    try:
        await channel.get_partial_message(cafe.signup_message_id).edit(
            embed=signup_embed(cafe, participants, hosts),
            view=signup_view(cafe_id, open_for_signup=still_open),
        )
    except discord.NotFound:
        await service.update(cafe_id, signup_message_id=None)


# --- a table's buttons -------------------------------------------------------------------------


class TableButton(DynamicButton, template=r"(?!)"):
    """A button of one table in one round: ``copbot:cafe:<café>:<action>:<table row>``. A
    subclass names its action in its template and sets the button's looks."""

    action: ClassVar[str]
    label: ClassVar[str]
    emoji: ClassVar[str]
    style: ClassVar[discord.ButtonStyle]

    def __init__(self, cafe_id: int, table_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label,
                emoji=self.emoji,
                style=self.style,
                custom_id=f"copbot:cafe:{cafe_id}:{self.action}:{table_id}",
            )
        )
        self.cafe_id = cafe_id
        self.table_id = table_id

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        return cls(int(match["cafe"]), int(match["table"]))


class TableclothButton(
    TableButton, template=r"copbot:cafe:(?P<cafe>\d{1,12}):note:(?P<table>\d{1,12})"
):
    action, label, emoji, style = "note", "Add to tablecloth", "📝", discord.ButtonStyle.primary
    opens_modal = True

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_modal(NoteModal(self.cafe_id, self.table_id))


class FacilitatorButton(
    TableButton, template=r"copbot:cafe:(?P<cafe>\d{1,12}):call:(?P<table>\d{1,12})"
):
    """A table calls whoever runs the café (as a breakout room calls its host)."""

    action, label, emoji = "call", "Call the facilitator", "🙋"
    style = discord.ButtonStyle.secondary

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        cog = cafe_cog(interaction.client)
        found = await cog.service.table_by_id(self.cafe_id, self.table_id)
        if found is None:
            raise NotFound("That café table no longer exists.")
        await cog.call_facilitator(interaction, *found)


def tablecloth_view(cafe_id: int, table_id: int) -> CopbotView:
    """The button under a round's closing message: the tablecloth, once more."""
    view = CopbotView(timeout=None)
    view.add_item(TableclothButton(cafe_id, table_id))
    return view


def table_view(cafe_id: int, table_id: int) -> CopbotView:
    """The buttons under a table's briefing: the tablecloth, and a call for the facilitator."""
    view = CopbotView(timeout=None)
    view.add_item(TableclothButton(cafe_id, table_id))
    view.add_item(FacilitatorButton(cafe_id, table_id))
    return view


class NoteModal(CopbotModal, title="Add to the tablecloth"):
    note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
        label="What should the table remember?",
        custom_id="note",
        style=discord.TextStyle.paragraph,
        placeholder="An idea, a question, a disagreement: a few lines the next round can use.",
        min_length=1,
        max_length=1000,
    )

    def __init__(self, cafe_id: int, table_id: int) -> None:
        super().__init__(custom_id=f"copbot:cafe:{cafe_id}:notemodal:{table_id}", timeout=900)
        self.cafe_id = cafe_id
        self.table_id = table_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        cog = cafe_cog(interaction.client)
        found = await cog.service.table_by_id(self.cafe_id, self.table_id)
        if found is None:
            raise NotFound("That café table no longer exists.")
        cafe, table = found
        await cog.add_note(interaction, cafe, table, self.note.value)
