"""The café's buttons and modal: Join / Leave / Host a table on the sign-up message; Add to
tablecloth and Call the facilitator in table threads. They are dynamic items (the café and table
are in the custom_id), so they keep working after a restart without any view held in memory.

What the buttons do is here too (``/cafe join``, ``leave`` and ``note`` share it); they reach the
café's runner through :func:`cafe_runner` (registered for the bot by the cog), never the
cog."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

import discord
from discord import app_commands

from bot.cafe import text
from bot.cafe.service import CafeService, check_table_in_play, describe_state
from bot.cafe.values import Cafe, CafeState, CafeTable
from bot.errors import BadInput, NotAllowed, NotFound
from bot.permissions import Access, check_access
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction, in_guild
from cogs._ui.tree import send_ephemeral
from cogs._ui.views import CopbotModal, CopbotView, DynamicButton

if TYPE_CHECKING:
    from bot.client import CopBot

log = logging.getLogger(__name__)

FACILITATOR_CALL_COOLDOWN = 120.0  # seconds: one call per table in that time reaches the channel

SIGNUP_ACTIONS = {
    "join": ("Join", discord.ButtonStyle.success),
    "leave": ("Leave", discord.ButtonStyle.secondary),
    "host": ("Host a table", discord.ButtonStyle.primary),
}


class CafeRunning(Protocol):
    """What the buttons use of the café's runner (cogs/cafe/runner.py). The cog builds it once
    and registers it for its bot (:func:`register_runner`); a Protocol here, because the runner
    imports this module and nothing here may import the runner or the cog back."""

    service: CafeService
    signups: SignupRefresher
    facilitator_called: dict[int, float]  # table row -> when (time.monotonic)

    async def call_facilitator(self, cafe: Cafe, table: CafeTable, asked_by: str) -> None: ...


# Each bot's café runner while the café cog is loaded. Weak keys: a bot that closes without
# unloading its cogs (tests start many in one process) is not kept alive by this.
_runners: weakref.WeakKeyDictionary[discord.Client, CafeRunning] = weakref.WeakKeyDictionary()


def register_runner(bot: discord.Client, runner: CafeRunning) -> None:
    _runners[bot] = runner


def forget_runner(bot: discord.Client) -> None:
    _runners.pop(bot, None)


def cafe_runner(bot: discord.Client) -> CafeRunning:
    runner = _runners.get(bot)
    if runner is None:
        raise RuntimeError("the café cog is not loaded")
    return runner


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
        await sign_up_by_button(
            in_guild(interaction), cafe_runner(interaction.client), self.cafe_id, self.action
        )


def signup_view(cafe_id: int, *, open_for_signup: bool = True) -> CopbotView | None:
    if not open_for_signup:
        return None
    view = CopbotView(timeout=None)
    for action in SIGNUP_ACTIONS:
        view.add_item(SignupButton(cafe_id, action))
    return view


async def post_signup(bot: CopBot, channel: discord.abc.Messageable, cafe: Cafe) -> discord.Message:
    service = cafe_runner(bot).service
    participants, hosts = await service.counts(cafe.id)
    view = signup_view(cafe.id)
    assert view is not None
    message = await channel.send(
        embed=signup_embed(cafe, participants, hosts),
        view=view,
        nonce=f"c{cafe.id}signup",
        allowed_mentions=discord.AllowedMentions.none(),
    )
    await service.set_signup_message(cafe.id, message.id)
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
    service = cafe_runner(bot).service
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
        await service.set_signup_message(cafe_id, None)


# --- signing up by button (and by /cafe join and /cafe leave) ---------------------------------


async def sign_up_by_button(
    interaction: GuildInteraction, runner: CafeRunning, cafe_id: int, action: str
) -> None:
    await check_access(interaction, Access.MEMBER)
    cafe = await runner.service.find(
        interaction.guild_id,
        cafe_id,
        states=(CafeState.OPEN, CafeState.RUNNING),
        doing="sign up for",
    )
    user_id = interaction.user.id
    if action == "join":
        answer = await join(runner, cafe, user_id)
    elif action == "leave":
        answer = await leave(runner, cafe, user_id)
    else:
        if cafe.state != CafeState.OPEN:
            raise BadInput(
                f"**{cafe.title}** has started: hosts are chosen before the first round.",
                "Join as a traveller instead.",
            )
        signup = await runner.service.host(cafe, user_id, table=None, actor_id=user_id)
        runner.signups.request(cafe_id)
        answer = (
            f"You host table {signup.participant.host_table} of **{cafe.title}**: you stay at "
            "your table every round, welcome the travellers and keep the tablecloth."
        )
    await send_ephemeral(interaction, answer)


async def join(runner: CafeRunning, cafe: Cafe, user_id: int) -> str:
    signup = await runner.service.join(cafe, user_id)
    if not signup.already:
        runner.signups.request(cafe.id)
    if signup.already:
        return f"You are already signed up for **{cafe.title}**."
    if cafe.state == CafeState.RUNNING:
        return (
            f"You are in **{cafe.title}**: round {cafe.current_round} is under way, so you "
            "get a seat from the next round. `/cafe status` shows where you sit."
        )
    return f"You are signed up for **{cafe.title}**. You will be told your table when it starts."


async def leave(runner: CafeRunning, cafe: Cafe, user_id: int) -> str:
    await runner.service.leave(cafe, user_id)
    runner.signups.request(cafe.id)
    if cafe.state == CafeState.RUNNING:
        return f"You have left **{cafe.title}**: you won't be seated in the coming rounds."
    return f"You have left **{cafe.title}**."


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
        runner = cafe_runner(interaction.client)
        found = await runner.service.table_by_id(self.cafe_id, self.table_id)
        if found is None:
            raise NotFound("That café table no longer exists.")
        await call_facilitator(interaction, runner, *found)


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
        runner = cafe_runner(interaction.client)
        found = await runner.service.table_by_id(self.cafe_id, self.table_id)
        if found is None:
            raise NotFound("That café table no longer exists.")
        cafe, table = found
        await add_note(interaction, runner, cafe, table, self.note.value)


# --- what a table's buttons (and /cafe note) do ------------------------------------------------


async def add_note(
    interaction: discord.Interaction[Any],
    runner: CafeRunning,
    cafe: Cafe,
    table: CafeTable,
    note_text: str,
) -> None:
    await check_access(interaction, Access.MEMBER)
    await check_at_table(interaction, runner.service, cafe, table)
    await runner.service.add_note(cafe, table, author_id=interaction.user.id, text=note_text)
    await send_ephemeral(
        interaction,
        f"Added to the tablecloth of table {table.table_number} (round {table.round_number}). "
        "The next round's travellers will read it, and it goes into the harvest.",
    )


async def call_facilitator(
    interaction: discord.Interaction[Any], runner: CafeRunning, cafe: Cafe, table: CafeTable
) -> None:
    """The table's button: the facilitator is called once, not once per impatient click."""
    await check_access(interaction, Access.MEMBER)
    await check_at_table(interaction, runner.service, cafe, table)
    check_table_in_play(cafe, table)
    now = time.monotonic()
    called = runner.facilitator_called.get(table.id)
    if called is not None and now - called < FACILITATOR_CALL_COOLDOWN:
        await send_ephemeral(
            interaction, "The facilitator was called a moment ago and knows where you are."
        )
        return
    runner.facilitator_called[table.id] = now
    # The call is a message in the café channel, which may wait on Discord's rate limit
    # for that channel longer than an answer may take.
    await interaction.response.defer(ephemeral=True, thinking=True)
    await runner.call_facilitator(cafe, table, interaction.user.display_name)
    await send_ephemeral(interaction, "The facilitator has been called to this table.")


async def check_at_table(
    interaction: discord.Interaction[Any], service: CafeService, cafe: Cafe, table: CafeTable
) -> None:
    """Seated people note for their table; moderators may note for any."""
    if interaction.guild_id != cafe.community_id:
        raise NotAllowed("That café belongs to another server.")
    view = await service.round_view(cafe.id, table.round_number)
    seated = view is not None and any(
        t.table.id == table.id and interaction.user.id in t.user_ids for t in view.tables
    )
    if seated:
        return
    try:
        await check_access(interaction, Access.MODERATOR)
    except app_commands.CheckFailure:
        raise NotAllowed(
            f"You were not seated at table {table.table_number} in round {table.round_number}.",
            "Add notes at your own table; `/cafe status` shows where you sit.",
        ) from None
