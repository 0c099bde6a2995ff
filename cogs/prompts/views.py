"""The prompt buttons and modal: Approve / Reject under a submitted question in the review
channel (with a modal for the reason), and the page buttons of ``/prompt list``. Dynamic
items: the question, page and filters are in the custom_id, so they work after a restart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.embeds import Tone, make_embed
from bot.pagination import PageButton
from bot.permissions import Access, check_access
from bot.tree import CopbotModal, CopbotView, DynamicButton
from storage.models import Question, QuestionStatus

if TYPE_CHECKING:
    from bot.client import CopBot
    from cogs.prompts import Prompts

STATUS_CODES = {status.value: status for status in QuestionStatus}


def prompts_cog(bot: CopBot) -> Prompts:
    cog = bot.get_cog("Prompts")
    if cog is None:
        raise RuntimeError("the prompts cog is not loaded")
    return cog  # type: ignore[return-value]


def review_embed(question: Question, author: str | None) -> discord.Embed:
    state = {
        QuestionStatus.PENDING: ("Waiting for review", Tone.INFO),
        QuestionStatus.APPROVED: ("Approved", Tone.SUCCESS),
        QuestionStatus.REJECTED: ("Rejected", Tone.WARNING),
        QuestionStatus.RETIRED: ("Retired", Tone.WARNING),
    }[QuestionStatus(question.status)]
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
        cog = prompts_cog(interaction.client)
        if self.decision == "approve":
            await cog.review_by_button(interaction, self.question_id, approve=True)
        else:
            await cog.check_reviewer(interaction)
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
        await prompts_cog(interaction.client).review_by_button(
            interaction, self.question_id, approve=False, reason=self.reason.value or None
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
        assert interaction.guild_id is not None
        status = STATUS_CODES.get(match["status"]) if match["status"] else None
        if status in (QuestionStatus.PENDING, QuestionStatus.REJECTED):
            await check_access(interaction, Access.MODERATOR)  # as /prompt list checks
        embed, view = await prompts_cog(interaction.client).question_listing(
            interaction.guild_id, match["theme"] or None, status, int(match["page"])
        )
        await interaction.response.edit_message(embed=embed, view=view)
