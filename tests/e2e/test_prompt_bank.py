"""The question bank through the real bot and the sandbox: add, submit, review (by command and by
button), list, edit, retire and import, each with the right role and the wrong one, good input
and bad. Every refusal is answered privately and leaves the database as it was."""

from __future__ import annotations

from typing import Any

from bot.prompts.values import Question, QuestionStatus
from bot.sandbox import Member
from bot.sandbox.interactions import SandboxInteraction, message_text
from bot.sandbox.models import Message, walk_components
from storage import prompts as queries
from tests.e2e.harness import Harness, forget_option_limits
from tests.e2e.helpers import (
    WAIT,
    add,
    card_of,
    custom_ids,
    number_in,
    prompt,
    ready,
    review_channel,
    stored_question,
    submit,
)

FUNDING = "How do you fund knowledge management when projects only pay for implementation?"
RESOURCE = "Which resource centre helped you most this year, and how?"
REFUSED = "Only moderators can use this command."


# --- helpers ------------------------------------------------------------------------------------


async def answered(itx: SandboxInteraction) -> str:
    """The answer's text, once a deferred answer has its follow-up."""
    if itx.deferred:
        await itx.wait_for_followup(timeout=WAIT)
    return itx.text()


def refused(itx: SandboxInteraction, *words: str) -> None:
    """A private refusal that names what was wrong, not an unexpected error."""
    text = itx.text()
    assert itx.ephemeral, text
    assert "That did not work" in text, text
    for word in words:
        assert word in text, text


async def bank(harness: Harness) -> list[Question]:
    async with harness.db.session() as session:
        found, _ = await queries.list_questions(session, harness.community.guild.id)
    return found


def snapshot(questions: list[Question]) -> list[tuple[Any, ...]]:
    """What a refused command must leave as it was."""
    return [
        (q.id, q.text, q.theme, q.status, q.author_id, q.reject_reason, q.review_message_id)
        for q in questions
    ]


def button_disabled(message: Message, label: str) -> bool:
    return next(
        bool(c.get("disabled"))
        for c in walk_components(message.components)
        if c.get("type") == 2 and c.get("label") == label
    )


def dms(harness: Harness, member: Member) -> list[str]:
    channel = harness.sandbox.dm_channel(harness.community.bot, member.user)
    return [m.content for m in channel.messages]


def newcomer(harness: Harness, name: str, *, accepts_dms: bool = True) -> Member:
    user = harness.sandbox.create_user(name, accepts_dms=accepts_dms)
    return harness.community.guild.add_member(user)


# --- add and submit -----------------------------------------------------------------------------


async def test_moderators_add_approved_questions_and_members_are_refused(harness: Harness) -> None:
    await ready(harness)
    member = harness.plain_member
    itx = await prompt(harness, member, "add", text=FUNDING, theme="Funding")
    refused(itx, REFUSED)
    assert await bank(harness) == []

    itx = await prompt(
        harness, harness.moderator, "add", text=FUNDING, theme="Funding", credit=True
    )
    assert itx.ephemeral and "it is in the rotation" in itx.text()
    [question] = await bank(harness)
    assert question.id == number_in(itx.text())
    assert question.status == QuestionStatus.APPROVED
    assert question.author_id == harness.moderator.id and question.show_author
    assert question.reviewed_by == harness.moderator.id and question.theme == "Funding"


async def test_bad_text_and_themes_are_refused_and_change_nothing(harness: Harness) -> None:
    await ready(harness)
    await add(harness, FUNDING)
    before = snapshot(await bank(harness))
    forget_option_limits(harness.sandbox)  # over-long text reaches the bot's own checks
    cases = [
        ({"text": "   ", "theme": "Funding"}, "Nothing in `text` can be seen"),
        ({"text": "Why?", "theme": "Funding"}, "too short"),
        ({"text": "x" * 301 + "?", "theme": "Funding"}, "the most is 300"),
        ({"text": RESOURCE, "theme": "   "}, "Nothing in `theme` can be seen"),
        ({"text": RESOURCE, "theme": "t" * 51}, "the most is 50"),
    ]
    for options, problem in cases:
        for command, actor in (("add", harness.moderator), ("submit", harness.plain_member)):
            itx = await prompt(harness, actor, command, **options)
            refused(itx, problem)
    assert snapshot(await bank(harness)) == before


async def test_a_submission_without_a_review_channel_waits_in_the_pending_list(
    harness: Harness,
) -> None:
    await ready(harness)
    channels = harness.community.channels.values()
    posted_before = {c.id: len(c.messages) for c in channels}
    member = harness.plain_member
    question_id = await submit(harness, member, RESOURCE, "Resource centres")
    question = await stored_question(harness, question_id)
    assert question.status == QuestionStatus.PENDING and question.author_id == member.id
    assert question.review_message_id is None
    assert {c.id: len(c.messages) for c in channels} == posted_before  # no card anywhere

    pending = await prompt(harness, harness.moderator, "list", status="pending")
    assert pending.ephemeral
    assert f"#{question_id}" in pending.text() and "Resource centres" in pending.text()
    approved = await prompt(harness, harness.moderator, "list", status="approved")
    assert f"#{question_id}" not in approved.text() and "No question matches." in approved.text()

    for status in ("pending", "rejected"):
        refused(await prompt(harness, member, "list", status=status), REFUSED)
    # Without a filter, members see the rotation only: not others' waiting submissions.
    own_view = await prompt(harness, member, "list")
    assert f"#{question_id}" not in own_view.text()

    done = await prompt(harness, harness.moderator, "approve", id=question_id)
    assert f"Question #{question_id} is approved" in done.text()
    assert (await stored_question(harness, question_id)).status == QuestionStatus.APPROVED
    assert any("was approved" in text and RESOURCE in text for text in dms(harness, member))
    assert f"#{question_id}" in (await prompt(harness, member, "list")).text()


async def test_approve_by_command_edits_the_review_card_and_tells_the_submitter(
    harness: Harness,
) -> None:
    review = review_channel(harness)
    await ready(harness, review_channel=review)
    member = harness.plain_member
    question_id = await submit(harness, member, RESOURCE, "Resource centres")
    card = card_of(review, question_id)
    assert "Waiting for review" in message_text(card)
    assert set(custom_ids(card)) == {"Approve", "Reject"}
    assert (await stored_question(harness, question_id)).review_message_id == card.id

    refused(await prompt(harness, member, "approve", id=question_id), REFUSED)
    assert (await stored_question(harness, question_id)).status == QuestionStatus.PENDING

    done = await prompt(harness, harness.moderator, "approve", id=question_id)
    assert done.ephemeral and "joins the rotation" in done.text()
    question = await stored_question(harness, question_id)
    assert question.status == QuestionStatus.APPROVED
    assert question.reviewed_by == harness.moderator.id
    assert custom_ids(card) == {}  # the same message, edited
    assert "Approved" in message_text(card) and f"<@{harness.moderator.id}>" in message_text(card)
    assert [t for t in dms(harness, member) if "was approved" in t]

    # Decided questions are not decided again.
    before = snapshot(await bank(harness))
    again = await prompt(harness, harness.moderator, "reject", id=question_id, reason="late")
    refused(again, "is approved, not waiting for review")
    refused(await prompt(harness, harness.moderator, "approve", id=999_999), "no question #999999")
    assert snapshot(await bank(harness)) == before


async def test_reject_by_command_with_a_reason(harness: Harness) -> None:
    review = review_channel(harness)
    await ready(harness, review_channel=review)
    member = harness.plain_member
    question_id = await submit(harness, member, RESOURCE, "Resource centres")

    refused(await prompt(harness, member, "reject", id=question_id, reason="no"), REFUSED)
    forget_option_limits(harness.sandbox)  # over-long text reaches the bot's own checks
    too_long = await prompt(harness, harness.moderator, "reject", id=question_id, reason="r" * 301)
    refused(too_long, "the most is 300")
    assert (await stored_question(harness, question_id)).status == QuestionStatus.PENDING

    reason = "We asked something close to this last month."
    done = await prompt(harness, harness.moderator, "reject", id=question_id, reason=reason)
    assert done.ephemeral and f"Question #{question_id} is rejected." in done.text()
    question = await stored_question(harness, question_id)
    assert question.status == QuestionStatus.REJECTED and question.reject_reason == reason
    card = card_of(review, question_id)
    assert custom_ids(card) == {}
    assert "Rejected" in message_text(card) and f"Reason: {reason}" in message_text(card)
    told = [t for t in dms(harness, member) if "was not taken up" in t]
    assert told and f"Reason: {reason}" in told[0]
    refused(await prompt(harness, harness.moderator, "approve", id=question_id), "is rejected")


async def test_review_by_buttons_reject_asks_for_a_reason_in_a_modal(harness: Harness) -> None:
    review = review_channel(harness)
    await ready(harness, review_channel=review)
    member = harness.plain_member
    first = await submit(harness, member, RESOURCE, "Resource centres")
    second = await submit(harness, member, FUNDING)

    card = card_of(review, first)
    refused(await harness.sandbox.click(member, card, custom_ids(card)["Reject"]), REFUSED)
    refused(await harness.sandbox.click(member, card, custom_ids(card)["Approve"]), REFUSED)
    assert (await stored_question(harness, first)).status == QuestionStatus.PENDING

    opened = await harness.sandbox.click(harness.moderator, card, custom_ids(card)["Reject"])
    assert opened.modal is not None
    # not until submitted
    assert (await stored_question(harness, first)).status == QuestionStatus.PENDING
    reason = "Too close to question one."
    submitted = await harness.sandbox.submit_modal(
        harness.moderator, opened, {"reason": reason}, timeout=WAIT
    )
    await harness.handled()
    assert submitted.ephemeral and "is rejected" in submitted.text()
    question = await stored_question(harness, first)
    assert question.status == QuestionStatus.REJECTED and question.reject_reason == reason
    assert custom_ids(card) == {} and f"Reason: {reason}" in message_text(card)
    assert any(reason in t for t in dms(harness, member))

    other = card_of(review, second)
    clicked = await harness.sandbox.click(harness.moderator, other, custom_ids(other)["Approve"])
    await harness.handled()
    assert "is approved" in clicked.text()
    assert (await stored_question(harness, second)).status == QuestionStatus.APPROVED
    assert custom_ids(other) == {} and "Approved" in message_text(other)


async def test_an_empty_reason_in_the_modal_rejects_without_one(harness: Harness) -> None:
    review = review_channel(harness)
    await ready(harness, review_channel=review)
    question_id = await submit(harness, harness.plain_member, RESOURCE)
    card = card_of(review, question_id)
    opened = await harness.sandbox.click(harness.moderator, card, custom_ids(card)["Reject"])
    done = await harness.sandbox.submit_modal(harness.moderator, opened, {"reason": ""})
    await harness.handled()
    assert "is rejected" in done.text()
    question = await stored_question(harness, question_id)
    assert question.status == QuestionStatus.REJECTED and question.reject_reason is None
    assert "Reason" not in message_text(card)


async def test_a_submitter_who_takes_no_direct_messages_is_reviewed_all_the_same(
    harness: Harness,
) -> None:
    review = review_channel(harness)
    await ready(harness, review_channel=review)
    closed = newcomer(harness, "closed.dms", accepts_dms=False)
    approved = await submit(harness, closed, RESOURCE)
    rejected = await submit(harness, closed, FUNDING)

    done = await prompt(harness, harness.moderator, "approve", id=approved)
    assert "is approved" in done.text() and "something went wrong" not in done.text()
    card = card_of(review, rejected)
    opened = await harness.sandbox.click(harness.moderator, card, custom_ids(card)["Reject"])
    no = await harness.sandbox.submit_modal(harness.moderator, opened, {"reason": "Not now."})
    await harness.handled()
    assert "is rejected" in no.text() and "something went wrong" not in no.text()

    assert (await stored_question(harness, approved)).status == QuestionStatus.APPROVED
    assert (await stored_question(harness, rejected)).status == QuestionStatus.REJECTED
    assert dms(harness, closed) == []
    assert custom_ids(card_of(review, approved)) == {} and custom_ids(card) == {}


# --- duplicates and themes ----------------------------------------------------------------------


async def test_duplicates_are_refused_with_the_existing_id(harness: Harness) -> None:
    await ready(harness)
    original = await add(harness, "How do you fund knowledge management?")
    variants = [
        "how do you fund knowledge management?",
        "HOW  do you fund\tknowledge   management",
        "How do you fund knowledge management ? ",
        "Hów do you fünd knowledge mánagement?",
        "How do you fund knowledge management?!",
    ]
    before = snapshot(await bank(harness))
    for text in variants:
        for command, actor in (("add", harness.moderator), ("submit", harness.plain_member)):
            itx = await prompt(harness, actor, command, text=text, theme="Other theme")
            refused(itx, f"in the bank already as #{original}")
    assert snapshot(await bank(harness)) == before

    # A pending question is a duplicate too, and so is an edit into an existing text.
    waiting = await submit(harness, harness.plain_member, RESOURCE)
    refused(
        await prompt(harness, harness.moderator, "add", text=RESOURCE, theme="x"), f"#{waiting}"
    )
    before = snapshot(await bank(harness))
    clash = await prompt(harness, harness.moderator, "edit", id=waiting, text=variants[3])
    refused(clash, f"in the bank already as #{original}")
    assert snapshot(await bank(harness)) == before


async def test_themes_are_one_whatever_their_spacing_and_case_and_are_offered(
    harness: Harness,
) -> None:
    await ready(harness)
    first = await add(harness, FUNDING, theme="Funding  KM")
    second = await add(harness, RESOURCE, theme="funding km")
    third = await add(harness, "What did your utility learn from its last audit?", "Utilities")
    questions = {q.id: q for q in await bank(harness)}
    assert questions[first].theme == questions[second].theme == "Funding KM"
    assert questions[first].theme_key == questions[second].theme_key == "funding km"
    assert questions[third].theme == "Utilities"

    listed = await prompt(harness, harness.plain_member, "list", theme="FUNDING km")
    assert f"#{first}" in listed.text() and f"#{second}" in listed.text()
    assert f"#{third}" not in listed.text()

    async def offered(command: str, typed: str, actor: Member) -> list[str]:
        itx = await harness.sandbox.autocomplete(
            actor, harness.general, f"prompt {command}", focused="theme", theme=typed, timeout=WAIT
        )
        return [choice["value"] for choice in itx.choices or []]

    assert await offered("add", "fun", harness.moderator) == ["Funding KM"]
    assert await offered("submit", "", harness.plain_member) == ["Funding KM", "Utilities"]
    assert await offered("list", "KM", harness.plain_member) == ["Funding KM"]
    assert await offered("post", "util", harness.moderator) == ["Utilities"]
    assert await offered("add", "sanitation", harness.moderator) == []


# --- list ---------------------------------------------------------------------------------------


def questions_csv(rows: list[tuple[str, str]]) -> bytes:
    lines = ["text,theme", *(f'"{text}","{theme}"' for text, theme in rows)]
    return ("\n".join(lines) + "\n").encode()


async def import_file(
    harness: Harness, data: bytes, *, actor: Member | None = None, filename: str = "q.csv"
) -> SandboxInteraction:
    return await prompt(harness, actor or harness.moderator, "import", file=(filename, data))


async def test_the_list_pages_with_buttons_that_survive_a_restart(harness: Harness) -> None:
    await ready(harness)
    rows = [(f"Question number {n:02d}: what worked?", "Water supply") for n in range(1, 24)]
    rows += [(f"Sanitation question {n}: what did you try?", "Sanitation") for n in range(1, 4)]
    assert "26 added" in await answered(await import_file(harness, questions_csv(rows)))

    itx = await prompt(harness, harness.plain_member, "list", theme="water supply")
    page = itx.original
    assert page is not None and itx.ephemeral
    assert "Page 1 of 3" in message_text(page) and "23 questions" in message_text(page)
    assert "number 01" in message_text(page) and "number 11" not in message_text(page)
    assert "Sanitation" not in message_text(page)
    assert button_disabled(page, "◀ Previous") and not button_disabled(page, "Next ▶")

    next_page = custom_ids(page)["Next ▶"]
    await harness.sandbox.click(harness.plain_member, page, next_page, timeout=WAIT)
    assert "Page 2 of 3" in message_text(page) and "number 11" in message_text(page)

    await harness.restart_bot()
    next_page = custom_ids(page)["Next ▶"]
    await harness.sandbox.click(harness.plain_member, page, next_page, timeout=WAIT)
    assert "Page 3 of 3" in message_text(page) and "number 23" in message_text(page)
    assert "number 20" not in message_text(page) and not button_disabled(page, "◀ Previous")
    assert button_disabled(page, "Next ▶")
    back = custom_ids(page)["◀ Previous"]
    await harness.sandbox.click(harness.plain_member, page, back, timeout=WAIT)
    assert "Page 2 of 3" in message_text(page) and "Sanitation" not in message_text(page)

    everything = await prompt(harness, harness.plain_member, "list")
    assert "Page 1 of 3" in everything.text() and "26 questions" in everything.text()
    few = await prompt(harness, harness.plain_member, "list", theme="Sanitation")
    assert "3 questions" in few.text() and custom_ids(few.original) == {}  # type: ignore[arg-type]
    # However it is spaced, a theme is one, and its page buttons still fit Discord's custom_id.
    spaced = await prompt(harness, harness.plain_member, "list", theme=f"WATER{' ' * 30}supply")
    assert "Question bank (Water supply," in spaced.text()  # the bank's spelling, not as typed
    assert "Page 1 of 3" in spaced.text() and set(custom_ids(spaced.original)) == {  # type: ignore[arg-type]
        "◀ Previous",
        "Next ▶",
    }
    unknown = await prompt(harness, harness.plain_member, "list", theme="nothing like it")
    assert "No question matches." in unknown.text()


async def test_the_list_filters_by_status_for_moderators(harness: Harness) -> None:
    await ready(harness)
    kept = await add(harness, FUNDING)
    retired = await add(harness, "What did your utility learn from its last audit?")
    waiting = await submit(harness, harness.plain_member, RESOURCE)
    rejected = await submit(harness, harness.plain_member, "Which map of water points do you use?")
    await prompt(harness, harness.moderator, "retire", id=retired)
    await prompt(harness, harness.moderator, "reject", id=rejected)

    def shown(itx: SandboxInteraction) -> set[int]:
        return {q for q in (kept, retired, waiting, rejected) if f"**#{q}**" in itx.text()}

    moderator = harness.moderator
    assert shown(await prompt(harness, moderator, "list")) == {kept, retired, waiting, rejected}
    assert shown(await prompt(harness, moderator, "list", status="approved")) == {kept}
    assert shown(await prompt(harness, moderator, "list", status="pending")) == {waiting}
    assert shown(await prompt(harness, moderator, "list", status="rejected")) == {rejected}
    assert shown(await prompt(harness, moderator, "list", status="retired")) == {retired}
    both = await prompt(harness, moderator, "list", theme="funding", status="pending")
    assert shown(both) == {waiting} and "(Funding, pending)" in both.text()

    member = harness.plain_member
    assert shown(await prompt(harness, member, "list")) == {kept}
    assert shown(await prompt(harness, member, "list", status="approved")) == {kept}
    assert shown(await prompt(harness, member, "list", status="retired")) == {retired}


# --- edit and retire ----------------------------------------------------------------------------


async def test_editing_questions(harness: Harness) -> None:
    review = review_channel(harness)
    await ready(harness, review_channel=review)
    member = harness.plain_member
    other = newcomer(harness, "someone.else")
    mine = await submit(harness, member, RESOURCE)
    await prompt(harness, harness.moderator, "approve", id=mine)
    first_card = card_of(review, mine)
    assert custom_ids(first_card) == {}

    # Someone else's question: refused, whatever its state.
    before = snapshot(await bank(harness))
    stranger = await prompt(harness, other, "edit", id=mine, text="Which centre helped you most?")
    refused(stranger, f"Question #{mine} is not yours to edit.")
    refused(await prompt(harness, member, "edit", id=mine, text="Too short"), "too short")
    refused(await prompt(harness, member, "edit", id=424_242, text=FUNDING), "no question #424242")
    assert snapshot(await bank(harness)) == before

    # The submitter edits their approved question: it goes back to review, with a new card.
    new_text = "Which resource centre helped your organisation most this year?"
    done = await prompt(harness, member, "edit", id=mine, text=new_text)
    assert done.ephemeral and "waits for a moderator's review again" in done.text()
    question = await stored_question(harness, mine)
    assert question.status == QuestionStatus.PENDING and question.text == new_text
    second_card = card_of(review, mine)
    assert second_card.id != first_card.id and question.review_message_id == second_card.id
    assert set(custom_ids(second_card)) == {"Approve", "Reject"} and new_text in message_text(
        second_card
    )
    clicked = await harness.sandbox.click(
        harness.moderator, second_card, custom_ids(second_card)["Approve"]
    )
    await harness.handled()
    assert "is approved" in clicked.text()
    assert (await stored_question(harness, mine)).status == QuestionStatus.APPROVED

    # A moderator edits anyone's question, and it stays approved.
    cards = len(review.messages)
    tidy = "Which resource centre helped your organisation most in this year?"
    done = await prompt(harness, harness.moderator, "edit", id=mine, text=tidy)
    assert f"Question #{mine} is changed." in done.text()
    question = await stored_question(harness, mine)
    assert question.status == QuestionStatus.APPROVED and question.text == tidy
    assert len(review.messages) == cards

    # A retired question is not edited back into use.
    await prompt(harness, harness.moderator, "retire", id=mine)
    before = snapshot(await bank(harness))
    refused(await prompt(harness, harness.moderator, "edit", id=mine, text=FUNDING), "is retired")
    assert snapshot(await bank(harness)) == before


async def test_a_retired_question_is_not_posted_any_more(harness: Harness) -> None:
    await ready(harness)
    questions = harness.community.channels["questions"]
    kept = await add(harness, FUNDING, theme="Funding")
    retired = await add(harness, "Who pays for the learning in your projects?", theme="Funding")

    refused(await prompt(harness, harness.plain_member, "retire", id=retired), REFUSED)
    assert (await stored_question(harness, retired)).status == QuestionStatus.APPROVED
    done = await prompt(harness, harness.moderator, "retire", id=retired)
    assert done.ephemeral and "it will not be posted again" in done.text()
    assert (await stored_question(harness, retired)).status == QuestionStatus.RETIRED
    refused(await prompt(harness, harness.moderator, "retire", id=retired), "retired already")
    refused(await prompt(harness, harness.moderator, "retire", id=77_777), "no question #77777")

    for _ in range(3):  # across cycles: only the question still in the rotation
        post = await prompt(harness, harness.moderator, "post", theme="funding", channel=questions)
        assert f"Posted question #{kept} " in await answered(post)
    posted = [m for m in questions.messages if m.embeds]
    assert len(posted) == 3
    assert all("Who pays" not in message_text(m) for m in posted)

    await prompt(harness, harness.moderator, "retire", id=kept)
    none_left = await prompt(harness, harness.moderator, "post", theme="funding", channel=questions)
    refused(none_left, "no approved question to post")
    assert len([m for m in questions.messages if m.embeds]) == 3


# --- import -------------------------------------------------------------------------------------


async def test_an_import_with_valid_rows_adds_them_all_approved(harness: Harness) -> None:
    await ready(harness)
    await add(harness, FUNDING, theme="Funding KM")
    rows = [
        (RESOURCE, "Resource centres"),
        ("Who pays for the learning in your projects?", "funding  km"),
        ("What did your utility learn from its last audit?", "Water  Utilities"),
        ("Which tariff reform did your utility manage to pass?", "water utilities"),
    ]
    itx = await import_file(harness, questions_csv(rows))
    text = await answered(itx)
    # The words of `copbot import-questions` (ImportResult.summary).
    assert itx.ephemeral and "Questions: 4 added, 0 updated, 0 unchanged." in text
    found = {q.text: q for q in await bank(harness)}
    assert len(found) == 5
    assert {q.theme for q in found.values() if q.theme_key == "water utilities"} == {
        "Water Utilities"
    }
    assert all(q.status == QuestionStatus.APPROVED for q in found.values())
    assert found["Who pays for the learning in your projects?"].theme == "Funding KM"
    assert found[RESOURCE].reviewed_by == harness.moderator.id


async def test_an_import_with_any_bad_row_applies_nothing(harness: Harness) -> None:
    await ready(harness)
    existing = await add(harness, FUNDING)
    before = snapshot(await bank(harness))
    rows = [
        (RESOURCE, "Resource centres"),  # line 2: fine
        ("", "Funding"),  # line 3: empty
        ("y" * 301, "Funding"),  # line 4: too long
        ("which RESOURCE centre helped you most this year, and how", "Other"),  # 5: same as 2
        (FUNDING.upper(), "Funding"),  # line 6: in the bank already
        ("What did your utility learn from its last audit?", ""),  # line 7: no theme
    ]
    itx = await import_file(harness, questions_csv(rows))
    text = await answered(itx)
    assert itx.ephemeral and "Nothing was imported: the file has 5 problems." in text
    assert "line 3, column text: Nothing in the question can be seen" in text
    assert "line 4, column text: The question is 301 characters long" in text
    assert "line 5, column text: the same question as line 2." in text
    assert f"line 6, column text: already in the bank as #{existing}." in text
    assert "line 7, column theme: Nothing in the theme can be seen" in text
    assert "line 2" not in text.replace("as line 2", "")
    assert snapshot(await bank(harness)) == before


async def test_import_refusals(harness: Harness) -> None:
    await ready(harness)
    good = questions_csv([(RESOURCE, "Resource centres")])
    refused(await import_file(harness, good, actor=harness.plain_member), REFUSED)
    refused(await import_file(harness, good, filename="q.pdf"), "`q.pdf` is not a CSV file.")
    wrong_columns = await import_file(harness, b"question,topic\nWhat now, then?,x\n")
    assert "missing columns text, theme" in await answered(wrong_columns)
    assert "Nothing was imported" in wrong_columns.text()
    empty = await import_file(harness, b"")
    assert "the file is empty" in await answered(empty)
    assert await bank(harness) == []


async def test_editing_a_pending_question_updates_its_review_card(harness: Harness) -> None:
    channel = review_channel(harness)
    await ready(harness, review_channel=channel)
    member = harness.plain_member
    question_id = await submit(harness, member, "How do districts fund their data officers?")
    cards_before = len(channel.messages)
    itx = await prompt(
        harness, member, "edit", id=question_id, text="How do districts pay their data officers?"
    )
    assert f"Question #{question_id} is changed." in itx.text()
    card = card_of(channel, question_id)
    assert "pay their data officers" in message_text(card)
    assert set(custom_ids(card)) == {"Approve", "Reject"}  # still waiting for a decision
    assert len(channel.messages) == cards_before
