"""Every interaction is answered within Discord's three seconds, whatever its handler waits on
(cogs/_ui/answers.py): commands, buttons and forms of every cog, while the database's one writer is
busy for longer than that. The sandbox enforces the deadline as Discord does (10062 after 3 s)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.sandbox import Member, SandboxInteraction
from bot.sandbox.interactions import message_text
from storage import organisations
from storage.app_state import set_state
from storage.models import QuestionStatus
from tests.e2e.harness import Harness
from tests.e2e.helpers import (
    answered,
    cafe_cmd,
    card_of,
    create_cafe,
    custom_ids,
    notes,
    only_cafe,
    people,
    ready,
    review_channel,
    sign_up,
    stored_question,
    submit,
    table_threads,
)

HELD_FOR = 3.5  # seconds: longer than Discord waits for an answer
WAIT = 15.0


@asynccontextmanager
async def writer_held(harness: Harness) -> AsyncIterator[asyncio.Event]:
    """The database's write lock held for HELD_FOR seconds (a long write: a burst of others, an
    import). Yields once it is held; the event is set when it is let go."""
    held, released = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with harness.db.transaction() as session:
            await set_state(session, "test:held", "a long write")
            held.set()
            await asyncio.sleep(HELD_FOR)
        released.set()

    holder = asyncio.create_task(hold())
    await held.wait()
    try:
        yield released
    finally:
        await holder


def newcomer(harness: Harness, name: str) -> Member:
    return harness.community.guild.add_member(harness.sandbox.create_user(name))


async def final_text(itx: SandboxInteraction) -> str:
    """The answer the person reads: the follow-up when the bot deferred."""
    if itx.deferred:
        return message_text(await itx.wait_for_followup(timeout=WAIT))
    return itx.text()


def answered_privately(itx: SandboxInteraction) -> bool:
    answer = itx.followups[0] if itx.deferred and itx.followups else itx.original
    return answer is not None and answer.ephemeral


async def test_commands_buttons_and_forms_of_every_cog_are_answered_in_time_behind_a_held_write(
    harness: Harness,
) -> None:
    review = review_channel(harness)
    await ready(harness, review_channel=review)
    submitter = newcomer(harness, "submitter")
    to_approve = await submit(harness, submitter, "How do we fund upkeep of rural water points?")
    to_reject = await submit(harness, submitter, "Who keeps the spare parts?")
    approve_card = card_of(review, to_approve)
    reject_card = card_of(review, to_reject)
    # The reason's form opens at once, before the database is busy (a form is a first answer).
    opened = await harness.sandbox.click(
        harness.moderator, reject_card, custom_ids(reject_card)["Reject"]
    )
    assert opened.modal is not None
    profiler, asker = newcomer(harness, "profiler"), newcomer(harness, "asker")
    sandbox, general, moderator = harness.sandbox, harness.general, harness.moderator

    async with writer_held(harness) as released:
        answers = await asyncio.gather(
            sandbox.slash(
                moderator,
                general,
                "org create",
                name="Akvo",
                stakeholder="private sector",
                level="national",
                timeout=WAIT,
            ),
            sandbox.slash(profiler, general, "profile set", country="Kenya", timeout=WAIT),
            sandbox.slash(
                asker,
                general,
                "prompt submit",
                text="What did the drought teach us?",
                theme="Climate",
                timeout=WAIT,
            ),
            sandbox.click(
                moderator, approve_card, custom_ids(approve_card)["Approve"], timeout=WAIT
            ),
            sandbox.submit_modal(moderator, opened, {"reason": "Asked last month."}, timeout=WAIT),
        )
        # All were answered (or deferred) while the write was still held.
        assert not released.is_set()
    created, profiled, submitted, approved, rejected = answers
    for itx in answers:
        assert itx.acknowledged, itx
    assert "Organisation created: Akvo" in await final_text(created)
    assert "Profile saved" in await final_text(profiled)
    assert "waits for a moderator's review" in await final_text(submitted)
    assert f"Question #{to_approve} is approved" in await final_text(approved)
    assert f"Question #{to_reject} is rejected" in await final_text(rejected)
    for itx in answers:
        assert answered_privately(itx), itx
        assert "did not work" not in itx.text() and "Sorry" not in itx.text(), itx.text()
    await harness.handled()

    # Everything was saved once the write was let go.
    async with harness.db.session() as session:
        names = await organisations.organisation_names(session, harness.community.guild.id)
    assert "Akvo" in names
    assert (await stored_question(harness, to_approve)).status == QuestionStatus.APPROVED
    assert (await stored_question(harness, to_reject)).status == QuestionStatus.REJECTED
    # The buttons' own messages were edited as usual: the review cards show the decisions.
    assert "Approved" in message_text(card_of(review, to_approve))
    assert "Asked last month." in message_text(card_of(review, to_reject))


async def test_a_quick_answer_is_the_only_answer(harness: Harness) -> None:
    """No defer comes after an answer given in time: one answer, not deferred."""
    itx = await harness.sandbox.slash(harness.plain_member, harness.general, "profile show")
    await asyncio.sleep(2.0)  # past the moment the watch would defer
    assert itx.response_type == 4 and not itx.followups, itx


async def test_cafe_notes_forms_and_harvest_marks_behind_a_held_write(harness: Harness) -> None:
    await harness.set_staff_roles()
    await create_cafe(harness, questions="What matters?", rounds=1, tables=2)
    await sign_up(harness, people(harness, 8))
    assert "has started" in await answered(await cafe_cmd(harness, harness.moderator, "start"))
    first, second = table_threads(harness, 1)
    guild = harness.community.guild
    speaker = guild.get_member(first.messages[0].mentions[0].id)
    noter = guild.get_member(first.messages[0].mentions[1].id)
    host = guild.get_member(second.messages[0].mentions[0].id)
    assert speaker is not None and noter is not None and host is not None
    said = await harness.sandbox.send_message(speaker, first, "Budget 5% of projects for KM")
    briefing = second.messages[0]
    opened = await harness.sandbox.click(
        host, briefing, custom_ids(briefing)["Add to tablecloth"], timeout=WAIT
    )
    assert opened.modal is not None

    async with writer_held(harness) as released:
        answers = await asyncio.gather(
            cafe_cmd(harness, noter, "note", channel=first, text="Budget KM in projects"),
            harness.sandbox.submit_modal(host, opened, {"note": "Tools, not time"}, timeout=WAIT),
            harness.sandbox.context_menu(harness.moderator, said, "Add to harvest", timeout=WAIT),
            cafe_cmd(harness, harness.moderator, "extend", minutes=5),
        )
        assert not released.is_set()
    noted, formed, marked, extended = answers
    assert "Added to the tablecloth of table 1" in await final_text(noted)
    assert "Added to the tablecloth of table 2" in await final_text(formed)
    assert "Marked for the harvest" in await final_text(marked)
    assert "now ends" in await final_text(extended)
    for itx in answers:
        assert answered_privately(itx), itx
    cafe = await only_cafe(harness)
    kept = {note.text for note in await notes(harness, cafe.id or 0)}
    assert {"Budget KM in projects", "Tools, not time", "Budget 5% of projects for KM"} <= kept
