"""/privacy through the real bot and the sandbox: show, opt out and in, forget, and the
confirmation that only its owner can answer, that can be cancelled, and that expires."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.client import COGS
from bot.contributions.values import ContributionRow, ReactionRow
from bot.sandbox import Member, Message
from bot.sandbox.interactions import SandboxInteraction
from cogs.privacy import DELETE_TEXTS_LABEL, KEEP_TEXTS_LABEL
from storage import cafes, contributions, members, prompts
from storage.models import NoteKind, PromptPost, QuestionStatus
from tests.e2e.harness import Harness
from tests.e2e.helpers import add_organisations, audit_actions, buttons, click, confirm, eventually
from tests.storage.helpers import rows_mentioning, rows_naming

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


async def privacy(harness: Harness, member: Member, sub: str) -> SandboxInteraction:
    return await harness.sandbox.slash(member, harness.general, f"privacy {sub}")


async def log_some(harness: Harness, author: Member, other: Member) -> None:
    """What the contribution listeners would have logged: two messages and a reaction by
    ``author``, a reply and a reaction to them by ``other``, and a message of ``other``."""
    guild_id = harness.community.guild.id
    channel_id = harness.general.id

    def row(message_id: int, author_id: int, **kinds: Any) -> ContributionRow:
        return ContributionRow(
            message_id=message_id,
            community_id=guild_id,
            channel_id=channel_id,
            author_id=author_id,
            created_at=T0,
            **kinds,
        )

    def reaction(message_id: int, user_id: int, target: int) -> ReactionRow:
        return ReactionRow(
            community_id=guild_id,
            channel_id=channel_id,
            message_id=message_id,
            user_id=user_id,
            target_author_id=target,
            emoji="👍",
            created_at=T0,
        )

    async with harness.db.session() as session:
        await contributions.store_contributions(
            session,
            [
                row(1001, author.id, is_resource=True),
                row(1002, author.id),
                row(
                    1003,
                    other.id,
                    is_reply=True,
                    reply_to_author_id=author.id,
                    reply_to_message_id=1001,
                ),
                row(1004, other.id),
            ],
        )
        await contributions.store_reactions(
            session, [reaction(1004, author.id, other.id), reaction(1001, other.id, author.id)]
        )
        await session.commit()


async def counts(harness: Harness, member: Member) -> dict[str, int]:
    async with harness.db.session() as session:
        return await contributions.contributions_by_kind(
            session, harness.community.guild.id, member.id
        )


async def stored(harness: Harness, member: Member) -> Any:
    async with harness.db.session() as session:
        return await members.get_member(session, harness.community.guild.id, member.id)


def people(harness: Harness) -> tuple[Member, Member]:
    return harness.community.member("tom.becker"), harness.community.member("lena.vogel")


async def registered(harness: Harness, member: Member) -> None:
    """The register (cogs.members) has caught up with the server at start-up."""
    await eventually(lambda: _has_row(harness, member), interval=0.02, attempts=250)


async def _has_row(harness: Harness, member: Member) -> bool:
    return await stored(harness, member) is not None


# --- show ---------------------------------------------------------------------------------------


async def test_show_for_a_member_who_never_had_a_profile(harness: Harness) -> None:
    tom, _ = people(harness)
    await registered(harness, tom)
    itx = await privacy(harness, tom, "show")
    assert itx.ephemeral
    text = itx.text()
    assert "What the bot keeps about Tom Becker" in text
    assert "Nothing: no message or reaction of yours is in the log." in text
    assert "Not set; the register knows only your display name." in text
    assert "Logged (the default)" in text
    assert "Message text is not stored" in text and "/privacy forget" in text
    assert "What is computed about you" in text and "/insights me" in text


async def test_show_with_a_profile_and_a_log(harness: Harness) -> None:
    tom, lena = people(harness)
    await add_organisations(harness, "WaterAid", "SNV")
    await harness.sandbox.slash(tom, harness.general, "profile set", organisation="SNV")
    await harness.sandbox.slash(
        tom, harness.general, "profile set", organisation="WaterAid", country="Ghana"
    )
    await log_some(harness, tom, lena)
    text = (await privacy(harness, tom, "show")).text()
    assert "messages: 2" in text and "resources shared: 1" in text and "reactions: 1" in text
    assert "replies: 0" in text
    assert "**WaterAid**" in text and "SNV" in text  # the organisation and its history
    assert "Profile: Country: Ghana" in text
    assert "Logged (the default)" in text


# --- opting out ---------------------------------------------------------------------------------


async def test_optout_after_confirmation_deletes_the_log_and_keeps_the_profile(
    harness: Harness,
) -> None:
    tom, lena = people(harness)
    guild_id = harness.community.guild.id
    await add_organisations(harness, "WaterAid")
    await harness.sandbox.slash(tom, harness.general, "profile set", organisation="WaterAid")
    await log_some(harness, tom, lena)

    ask = await privacy(harness, tom, "optout")
    assert ask.ephemeral and "Stop logging you?" in ask.text()
    message = ask.original
    assert message is not None and set(buttons(message)) == {"Confirm", "Cancel"}
    assert (await counts(harness, tom))["messages"] == 2  # nothing happens before Confirm

    # Someone else's click is refused and changes nothing; the confirmation stays usable.
    refused = await click(harness, lena, message, "Confirm")
    assert refused.ephemeral and "belongs to someone else" in refused.text()
    assert (await counts(harness, tom))["messages"] == 2
    assert not harness.bot.optouts.is_opted_out(guild_id, tom.id)

    assert await confirm(harness, tom, message) == "You are opted out"
    assert "2 messages and 1 reactions" in message.embeds[0]["description"]
    assert buttons(message) == {}
    assert not any((await counts(harness, tom)).values())
    assert harness.bot.optouts.is_opted_out(guild_id, tom.id)
    row = await stored(harness, tom)
    assert row.opted_out_at is not None
    async with harness.db.session() as session:
        reply = await contributions.get_contribution(session, 1003)
    assert reply is not None and reply.reply_to_author_id is None  # lena's reply stays, unlinked
    assert (await counts(harness, lena))["messages"] == 2
    assert "privacy.optout" in await audit_actions(harness)

    shown = (await privacy(harness, tom, "show")).text()
    assert "Opted out since" in shown and "**WaterAid**" in shown  # the profile stays

    again = await privacy(harness, tom, "optout")
    assert "already opted out" in again.text() and buttons(again.original) == {}

    optin = await privacy(harness, tom, "optin")
    assert optin.ephemeral and "You are logged again" in optin.text()
    assert not harness.bot.optouts.is_opted_out(guild_id, tom.id)
    assert (await stored(harness, tom)).opted_out_at is None
    assert not any((await counts(harness, tom)).values())  # nothing old comes back
    assert (await audit_actions(harness))[0] == "privacy.optin"

    refused_optin = await privacy(harness, tom, "optin")
    assert "You are not opted out" in refused_optin.text()
    assert (await audit_actions(harness))[0] == "privacy.optin"  # no second event


async def test_cancel_changes_nothing(harness: Harness) -> None:
    tom, lena = people(harness)
    await log_some(harness, tom, lena)
    before = await audit_actions(harness)
    ask = await privacy(harness, tom, "optout")
    assert ask.original is not None
    answer = await click(harness, tom, ask.original, "Cancel")
    assert answer.response_type == 7
    assert "Cancelled" in ask.original.embeds[0]["title"] and buttons(ask.original) == {}
    assert (await counts(harness, tom))["messages"] == 2
    assert not harness.bot.optouts.is_opted_out(harness.community.guild.id, tom.id)
    assert await audit_actions(harness) == before


async def test_a_confirmation_expires_and_changes_nothing(harness: Harness) -> None:
    tom, lena = people(harness)
    await registered(harness, tom)  # so that the end can tell "kept" from "not there yet"
    await log_some(harness, tom, lena)
    harness.bot.get_cog("Privacy").confirm_timeout = 0.3
    ask = await privacy(harness, tom, "forget")
    assert ask.original is not None
    await eventually(lambda: _expired(ask.original), interval=0.02, attempts=250)
    assert buttons(ask.original) == {}  # nothing left to click
    assert (await counts(harness, tom))["messages"] == 2
    assert await stored(harness, tom) is not None


async def _expired(message: Message) -> bool:
    return "expired" in message.embeds[0]["title"]


async def test_a_click_after_a_restart_is_answered_and_changes_nothing(harness: Harness) -> None:
    tom, lena = people(harness)
    await log_some(harness, tom, lena)
    ask = await privacy(harness, tom, "optout")
    assert ask.original is not None
    await harness.restart_bot()
    answer = await click(harness, tom, ask.original, "Confirm")
    assert answer.acknowledged
    assert "This confirmation expired" in ask.original.embeds[0]["title"]
    assert (await counts(harness, tom))["messages"] == 2
    assert not harness.bot.optouts.is_opted_out(harness.community.guild.id, tom.id)


@pytest.mark.skipif(
    "cogs.contributions" not in COGS,
    reason="needs the contribution listeners: cogs.contributions is not yet in bot.client.COGS",
)
async def test_a_message_after_opting_out_is_not_logged(harness: Harness) -> None:
    tom, lena = people(harness)
    await registered(harness, tom)
    ask = await privacy(harness, tom, "optout")
    assert ask.original is not None
    assert await confirm(harness, tom, ask.original) == "You are opted out"
    hidden = await harness.sandbox.send_message(tom, harness.general, "a thought of mine")
    seen = await harness.sandbox.send_message(lena, harness.general, "and one of mine")

    async def logged(message: Message) -> bool:
        async with harness.db.session() as session:
            return await contributions.get_contribution(session, message.id) is not None

    # the listener and writer did run
    await eventually(lambda: logged(seen), interval=0.02, attempts=250)
    assert not await logged(hidden)
    await harness.sandbox.add_reaction(tom, seen, "👍")
    await asyncio.sleep(1.0)  # longer than the writer's flush interval
    assert not any((await counts(harness, tom)).values())


# --- forgetting ---------------------------------------------------------------------------------


async def test_forget_leaves_nothing_about_the_person_in_any_table(harness: Harness) -> None:
    tom, lena = people(harness)
    guild_id = harness.community.guild.id
    await add_organisations(harness, "WaterAid")
    await harness.sandbox.slash(
        tom, harness.general, "profile set", organisation="WaterAid", expertise="sanitation"
    )
    await log_some(harness, tom, lena)
    await privacy(harness, tom, "optout")  # an unanswered confirmation changes nothing
    ask = await privacy(harness, tom, "forget")
    assert "Forget you?" in ask.text() and "a participant" in ask.text()
    assert ask.original is not None
    refused = await click(harness, lena, ask.original, KEEP_TEXTS_LABEL)
    assert "belongs to someone else" in refused.text()
    assert await stored(harness, tom) is not None

    assert await confirm(harness, tom, ask.original, KEEP_TEXTS_LABEL) == "You are forgotten"
    assert await rows_mentioning(harness.db, tom.id) == []
    assert harness.bot.optouts.is_opted_out(guild_id, tom.id)
    assert (await counts(harness, lena))["messages"] == 2
    assert (await audit_actions(harness))[0] == "privacy.forget"

    shown = (await privacy(harness, tom, "show")).text()
    assert "You asked to be forgotten" in shown
    again = await privacy(harness, tom, "forget")
    assert "forgotten here already" in again.text() and buttons(again.original) == {}
    optout = await privacy(harness, tom, "optout")
    assert "asked to be forgotten" in optout.text()

    # After a restart the bot knows them again only by the keyed hashes it loads at start-up:
    # from the first event on, and the member register does not take them back.
    await harness.restart_bot()
    assert await _dropped(harness, tom)
    later = await harness.sandbox.send_message(tom, harness.general, "back again")
    await harness.sandbox.send_message(harness.plain_member, harness.general, "hello")
    await harness.bot.contribution_writer.flush()
    assert await rows_mentioning(harness.db, tom.id) == []
    async with harness.db.session() as session:
        assert await contributions.get_contribution(session, later.id) is None


async def _dropped(harness: Harness, member: Member) -> bool:
    return harness.bot.optouts.is_opted_out(harness.community.guild.id, member.id)


async def test_forget_a_member_who_never_had_a_profile_then_opt_in(harness: Harness) -> None:
    tom, _ = people(harness)
    await registered(harness, tom)
    ask = await privacy(harness, tom, "forget")
    assert ask.original is not None
    assert "You have no tablecloth note, harvest item or question here" in ask.text()
    assert await confirm(harness, tom, ask.original, DELETE_TEXTS_LABEL) == "You are forgotten"
    assert await rows_mentioning(harness.db, tom.id) == []

    optin = await privacy(harness, tom, "optin")
    assert "You are logged again" in optin.text()
    assert not harness.bot.optouts.is_opted_out(harness.community.guild.id, tom.id)
    assert "Logged (the default)" in (await privacy(harness, tom, "show")).text()


# --- what forgetting keeps: the person's choice -------------------------------------------------


async def seed_texts(harness: Harness, author: Member, other: Member) -> int:
    """A tablecloth note by ``author``, a message of theirs ``other`` marked for the harvest, a
    note of ``other``'s, and a question ``author`` submitted that was posted. The café's id."""
    guild_id = harness.community.guild.id
    async with harness.db.session() as session:
        cafe = await cafes.create_cafe(
            session,
            community_id=guild_id,
            title="Funding KM",
            questions=["Who pays?"],
            rounds=1,
            round_minutes=20,
            channel_id=harness.general.id,
            created_by=author.id,
        )
        assert cafe.id is not None
        for author_id, added_by, kind, text in (
            (author.id, author.id, NoteKind.NOTE, "Budget KM in every project"),
            (author.id, other.id, NoteKind.INSIGHT, "Utilities share less than NGOs"),
            (other.id, other.id, NoteKind.NOTE, "Donors fund tools, not time"),
        ):
            await cafes.add_note(
                session,
                cafe_id=cafe.id,
                round_number=1,
                table_number=1,
                kind=kind,
                author_id=author_id,
                added_by=added_by,
                text=text,
            )
        question = await prompts.add_question(
            session,
            community_id=guild_id,
            text="Who pays for knowledge management?",
            text_key="who pays for knowledge management",
            theme="Funding",
            theme_key="funding",
            status=QuestionStatus.APPROVED,
            author_id=author.id,
            show_author=True,
        )
        await prompts.add_post(
            session,
            community_id=guild_id,
            question_id=question.id,
            prompt_schedule_id=None,
            theme_key="funding",
            channel_id=harness.general.id,
            message_id=9100,
        )
        await session.commit()
    return cafe.id


async def texts_left(harness: Harness, cafe_id: int) -> tuple[list[Any], list[str], int]:
    async with harness.db.session() as session:
        notes = [(n.text, n.author_id) for n in await cafes.notes_of(session, cafe_id)]
        questions, _ = await prompts.list_questions(session, harness.community.guild.id)
        posts = (await session.execute(select(PromptPost))).scalars().all()
    return notes, [q.text for q in questions], len(posts)


async def ask_to_forget(harness: Harness, tom: Member) -> Message:
    shown = (await privacy(harness, tom, "show")).text()
    assert (
        "1 tablecloth note, 1 message marked for the harvest, 1 question submitted, kept word for "
        "word with your name" in shown
    )
    assert "shared record" in shown  # and why
    ask = await privacy(harness, tom, "forget")
    assert ask.original is not None
    assert set(buttons(ask.original)) == {KEEP_TEXTS_LABEL, DELETE_TEXTS_LABEL, "Cancel"}
    assert "You wrote 1 tablecloth note, 1 message marked for the harvest" in ask.text()
    return ask.original


def names_of(member: Member) -> tuple[str, ...]:
    return (member.display_name, member.user.name)


async def test_forget_keeping_texts_leaves_them_without_id_or_name(harness: Harness) -> None:
    tom, lena = people(harness)
    await registered(harness, tom)
    cafe_id = await seed_texts(harness, tom, lena)
    message = await ask_to_forget(harness, tom)

    assert await confirm(harness, tom, message, KEEP_TEXTS_LABEL) == "You are forgotten"
    description = message.embeds[0]["description"]
    assert "Kept without your name: 1 tablecloth note, 1 message marked for the harvest, " in (
        description
    )
    assert await rows_mentioning(harness.db, tom.id) == []
    assert await rows_naming(harness.db, names_of(tom)) == []
    notes, questions, posts = await texts_left(harness, cafe_id)
    assert notes == [
        ("Budget KM in every project", None),
        ("Utilities share less than NGOs", None),
        ("Donors fund tools, not time", lena.id),
    ]
    assert (questions, posts) == (["Who pays for knowledge management?"], 1)
    shown = (await privacy(harness, tom, "show")).text()
    assert "without any name: nothing links it to you any more" in shown


async def test_forget_deleting_texts_deletes_them_too(harness: Harness) -> None:
    tom, lena = people(harness)
    await registered(harness, tom)
    cafe_id = await seed_texts(harness, tom, lena)
    message = await ask_to_forget(harness, tom)

    assert await confirm(harness, tom, message, DELETE_TEXTS_LABEL) == "You are forgotten"
    assert "Deleted too: 1 tablecloth note" in message.embeds[0]["description"]
    assert await rows_mentioning(harness.db, tom.id) == []
    assert await rows_naming(harness.db, names_of(tom)) == []
    notes, questions, posts = await texts_left(harness, cafe_id)
    assert notes == [("Donors fund tools, not time", lena.id)]  # lena's words stay
    assert (questions, posts) == ([], 0)
