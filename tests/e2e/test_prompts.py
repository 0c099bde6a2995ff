"""/prompt through the real bot and the sandbox: the bank, review, schedules and posts."""

from __future__ import annotations

from bot.prompts.values import Question, QuestionStatus
from storage import prompts as queries
from tests.e2e.harness import Harness
from tests.e2e.helpers import custom_ids, prompt


async def stored(harness: Harness, question_id: int) -> Question | None:
    async with harness.db.session() as session:
        return await queries.get_question(session, harness.community.guild.id, question_id)


async def add(harness: Harness, text: str, theme: str = "funding") -> int:
    itx = await prompt(harness, harness.moderator, "add", text=text, theme=theme)
    assert "Added question #" in itx.text(), itx.text()
    return int(itx.text().split("#")[1].split()[0])


async def test_submit_review_by_button_and_the_submitter_is_told(harness: Harness) -> None:
    await harness.set_staff_roles()
    review = harness.community.channels["general"]
    saved = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings review-channel", channel=review
    )
    assert "Review channel saved" in saved.text()
    member = harness.plain_member
    itx = await prompt(
        harness,
        member,
        "submit",
        text="Which resource centre helped you most this year, and how?",
        theme="Resource centres",
        credit=True,
    )
    assert "waits for a moderator's review" in itx.text()
    question_id = int(itx.text().split("#")[1].split()[0])
    question = await stored(harness, question_id)
    assert question is not None and question.status == QuestionStatus.PENDING
    card = review.messages[-1]
    assert custom_ids(card) == {
        "Approve": f"copbot:prompt:{question_id}:approve",
        "Reject": f"copbot:prompt:{question_id}:reject",
    }
    refused = await harness.sandbox.click(member, card, custom_ids(card)["Approve"])
    assert "Moderators" in refused.text()
    approved = await harness.sandbox.click(harness.moderator, card, custom_ids(card)["Approve"])
    await harness.handled()
    assert "is approved" in approved.text()
    assert (await stored(harness, question_id)).status == QuestionStatus.APPROVED  # type: ignore[union-attr]
    assert custom_ids(review.messages[-1] if review.messages[-1].id == card.id else card) == {}
    dm = [m for c in harness.sandbox._dm_channels.values() for m in c.messages]
    assert any("was approved" in m.content for m in dm)
