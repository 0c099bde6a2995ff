"""The prompt buttons and modal: Approve / Reject under a submitted question in the review
channel (with a modal for the reason), and the page buttons of ``/prompt list``. Dynamic
items: the question, page and filters are in the custom_id, so they work after a restart."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.permissions import Access, check_access
from bot.prompts.rules import theme_key
from bot.prompts.values import Question, QuestionStatus
from bot.text import neutralise_mentions, shorten
from cogs._ui.embeds import Tone, make_embed
from cogs._ui.interaction import GuildInteraction
from cogs._ui.pagination import PageButton, PageWindow, page_buttons
from cogs._ui.tree import send_ephemeral
from cogs._ui.views import CopbotModal, CopbotView, DynamicButton

if TYPE_CHECKING:
    from bot.client import CopBot

log = logging.getLogger(__name__)

STATUS_CODES = {status.value: status for status in QuestionStatus}
PAGE_SIZE = 10
NO_PINGS = discord.AllowedMentions.none()


def member_name(guild: discord.Guild, user_id: int | None) -> str | None:
    member = guild.get_member(user_id) if user_id is not None else None
    return None if member is None else member.display_name


def review_embed(question: Question, author: str | None) -> discord.Embed:
    state = {
        QuestionStatus.PENDING: ("Waiting for review", Tone.INFO),
        QuestionStatus.APPROVED: ("Approved", Tone.SUCCESS),
        QuestionStatus.REJECTED: ("Rejected", Tone.WARNING),
        QuestionStatus.RETIRED: ("Retired", Tone.WARNING),
    }[question.status]
    fields = [
        ("Theme", question.theme),
        ("Submitted by", author or "someone no longer known"),
        ("Credit when posted", "yes" if question.show_author else "no"),
    ]
    if question.reviewed_by is not None and question.status != QuestionStatus.PENDING:
        fields.append(("Reviewed by", f"<@{question.reviewed_by}>"))
    if question.reject_reason:
        fields.append(("Reason", question.reject_reason))
    return make_embed(
        f"Question #{question.id} · {state[0]}",
        question.text,
        fields=fields,
        tone=state[1],
        inline=True,
    )


class ReviewButton(
    DynamicButton, template=r"copbot:prompt:(?P<question>\d{1,12}):(?P<decision>approve|reject)"
):
    def __init__(self, question_id: int, decision: str) -> None:
        approve = decision == "approve"
        super().__init__(
            discord.ui.Button(
                label="Approve" if approve else "Reject",
                style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                custom_id=f"copbot:prompt:{question_id}:{decision}",
            )
        )
        self.question_id = question_id
        self.decision = decision
        self.opens_modal = decision == "reject"  # the reason's form

    @classmethod
    def from_match(cls, match: re.Match[str]) -> ReviewButton:
        return cls(int(match["question"]), match["decision"])

    async def pressed(self, interaction: discord.Interaction[Any]) -> None:
        # The review card is posted in a server's review channel only: pressed there.
        if self.decision == "approve":
            await review_by_button(
                cast(GuildInteraction, interaction), self.question_id, approve=True
            )
        else:
            await check_access(interaction, Access.MODERATOR)
            await interaction.response.send_modal(RejectModal(self.question_id))


def review_view(question_id: int) -> CopbotView:
    view = CopbotView(timeout=None)
    view.add_item(ReviewButton(question_id, "approve"))
    view.add_item(ReviewButton(question_id, "reject"))
    return view


class RejectModal(CopbotModal, title="Reject the question"):
    reason: discord.ui.TextInput[RejectModal] = discord.ui.TextInput(
        label="Why? (the submitter is told)",
        custom_id="reason",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=300,
        placeholder="e.g. We asked something close to this last month.",
    )

    def __init__(self, question_id: int) -> None:
        super().__init__(custom_id=f"copbot:prompt:{question_id}:rejectmodal", timeout=900)
        self.question_id = question_id

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        # Opened from the review card's Reject button, in a server.
        await review_by_button(
            cast(GuildInteraction, interaction),
            self.question_id,
            approve=False,
            reason=self.reason.value or None,
        )


class QuestionPageButton(
    PageButton,
    template=(
        r"copbot:prompt:list:(?P<page>\d{1,6}):(?P<status>[a-z]*):(?P<theme>.*)"
        r":(?P<direction>prev|next)"
    ),
):
    """Previous / Next under ``/prompt list``: the page and filters live in the custom_id."""

    @classmethod
    def leading_to(
        cls,
        page: int,
        direction: str,
        disabled: bool,
        *,
        status: QuestionStatus | None,
        theme: str | None,
    ) -> QuestionPageButton:
        custom_id = (
            f"copbot:prompt:list:{max(page, 0)}:{status.value if status else ''}:"
            f"{theme or ''}:{direction}"
        )
        return cls(custom_id, direction=direction, disabled=disabled)

    async def show_page(self, interaction: discord.Interaction[Any], match: re.Match[str]) -> None:
        # Under /prompt list's answer, which only comes in a server.
        guild_id = cast(GuildInteraction, interaction).guild_id
        status = STATUS_CODES.get(match["status"]) if match["status"] else None
        if status in (QuestionStatus.PENDING, QuestionStatus.REJECTED):
            await check_access(interaction, Access.MODERATOR)  # as /prompt list checks
        embed, view = await question_listing(
            interaction.client,
            guild_id,
            match["theme"] or None,
            status,
            int(match["page"]),
        )
        await interaction.response.edit_message(embed=embed, view=view)


# --- reviewing a submitted question (the buttons, and /prompt approve and reject) ---------------


async def review_by_button(
    interaction: GuildInteraction,
    question_id: int,
    *,
    approve: bool,
    reason: str | None = None,
) -> None:
    await check_access(interaction, Access.MODERATOR)
    question = await record_review(interaction, question_id, approve=approve, reason=reason)
    await send_ephemeral(
        interaction,
        f"Question #{question.id} is {'approved' if approve else 'rejected'}.",
    )
    # The button is on the card: edit that very message. (Its id may not be recorded yet when
    # a moderator clicks the moment it appears.)
    await announce_review(interaction, question, card=interaction.message)


async def record_review(
    interaction: GuildInteraction,
    question_id: int,
    *,
    approve: bool,
    reason: str | None,
) -> Question:
    """Record the decision. The caller answers, then :func:`announce_review`: the review
    card and the submitter's message wait on Discord's rate limits, the answer may not."""
    return await interaction.client.question_bank.review(
        interaction.guild.id,
        question_id,
        reviewer_id=interaction.user.id,
        approve=approve,
        reason=reason,
    )


async def announce_review(
    interaction: GuildInteraction, question: Question, *, card: discord.Message | None = None
) -> None:
    """The decision on the review card, and to the submitter."""
    await update_review_message(interaction.guild, question, card=card)
    await tell_submitter(interaction.client, interaction.guild, question)


async def update_review_message(
    guild: discord.Guild, question: Question, *, card: discord.Message | None = None
) -> None:
    """Show the question's state on its review card: ``card`` when the caller has it, else the
    card recorded for the question."""
    target: discord.Message | discord.PartialMessage | None = card
    if target is None:
        if question.review_channel_id is None or question.review_message_id is None:
            return
        channel = guild.get_channel(question.review_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        target = channel.get_partial_message(question.review_message_id)
    try:
        pending = question.status == QuestionStatus.PENDING
        await target.edit(
            embed=review_embed(question, member_name(guild, question.author_id)),
            view=review_view(question.id) if pending else None,
        )
    except discord.HTTPException as error:
        log.warning("could not update the review card of question %s: %s", question.id, error)


async def tell_submitter(bot: CopBot, guild: discord.Guild, question: Question) -> None:
    """A direct message to the submitter, when they accept them (a closed DM is fine)."""
    if question.author_id is None or question.author_id == question.reviewed_by:
        return
    if question.status == QuestionStatus.APPROVED:
        text = (
            f"Your question for {guild.name} was approved and joins the rotation of "
            f"**{question.theme}**:\n> {neutralise_mentions(question.text)}"
        )
    else:
        why = f"\nReason: {question.reject_reason}" if question.reject_reason else ""
        text = (
            f"Your question for {guild.name} was not taken up:\n"
            f"> {neutralise_mentions(question.text)}{why}"
        )
    await send_to(bot, question.author_id, text, about=f"question {question.id}")


async def send_to(bot: CopBot, user_id: int, text: str, *, about: str) -> None:
    """A direct message; people who do not accept them are simply not told."""
    try:
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        await user.send(text, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        log.info("could not tell user %s about %s", user_id, about)


# --- the bank, page by page (/prompt list and its page buttons) --------------------------------


async def question_listing(
    bot: CopBot,
    guild_id: int,
    theme: str | None,
    status: QuestionStatus | None,
    page: int,
) -> tuple[discord.Embed, discord.ui.View | None]:
    requested = max(page, 1)
    listing = await bot.question_bank.list_questions(
        guild_id,
        theme=theme,
        status=status,
        offset=(requested - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    window = PageWindow.of(requested, size=PAGE_SIZE, total=listing.total)
    if window.number != requested:
        listing = await bot.question_bank.list_questions(
            guild_id,
            theme=theme,
            status=status,
            offset=window.offset,
            limit=PAGE_SIZE,
        )
    lines = [
        f"**#{q.id}** [{q.theme}] {shorten(discord.utils.escape_markdown(q.text), 180)}"
        + ("" if q.status == QuestionStatus.APPROVED else f" · *{q.status}*")
        for q in listing.questions
    ]
    shown_theme = theme
    if theme is not None:  # as the bank spells it, not as typed
        key = theme_key(theme)
        known = {t.key: t.name for t in await bot.question_bank.themes(guild_id)}
        shown_theme = known.get(key, theme)
    filters = [f for f in (shown_theme, status.value if status else None) if f]
    title = "Question bank" + (f" ({', '.join(filters)})" if filters else "")
    description = "\n".join(lines) or (
        "No question matches."
        if filters
        else "The bank is empty: `/prompt add` or `/prompt submit`."
    )
    embed = make_embed(
        title,
        description,
        footer=f"{window.label} · {listing.total} question{'' if listing.total == 1 else 's'}",
    )
    view = page_buttons(
        window,
        lambda target, direction, disabled: QuestionPageButton.leading_to(
            target, direction, disabled, status=status, theme=theme
        ),
    )
    return embed, view
