"""/privacy forget and optout on SQLite and PostgreSQL: after forget, no table holds the person's
user id, in any BigInteger column, JSON column or text; other people's rows stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import BigInteger, select

from bot.contributions import privacy
from bot.contributions.optouts import OptOuts
from bot.contributions.values import NOBODY, Attribution, ContributionRow, ReactionRow
from bot.errors import BadInput
from bot.membership.names import name_key
from bot.membership.vocabulary import Level
from bot.platforms.values import (
    CopyChange,
    DeliveryState,
    Direction,
    Relation,
    ShareKind,
    ShareTarget,
)
from storage import (
    audit,
    cafes,
    contributions,
    members,
    organisations,
    platforms,
    prompts,
    schedules,
)
from storage.communities import ensure_community
from storage.db import Database
from storage.models import (
    AuditEvent,
    CafeRole,
    Contribution,
    NoteKind,
    Organisation,
    PlatformDelivery,
    PlatformShare,
    PromptPost,
    QuestionStatus,
    Reaction,
    metadata,
)
from tests.storage.helpers import rows_mentioning, rows_naming

GUILD = 222_333_444_555_666_777
FORGOTTEN = 333_444_555_666_777_888
OTHER = 444_555_666_777_888_999
MODERATOR = 555_666_777_888_999_000
OTHER_SERVER = 666_777_888_999_000_111
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

# Every BigInteger column, and whether it can hold a person's user id. A new column must be
# added here: if it can hold a user id, forget must clear it (and this test shows it does).
BIGINT_COLUMNS: dict[str, bool] = {
    "community.id": False,
    "community.moderator_role_id": False,
    "community.coordinator_role_id": False,
    "synced_role.community_id": False,
    "synced_role.role_id": False,
    "member.community_id": False,
    "member.user_id": True,
    "organisation.community_id": False,
    "organisation.created_by": True,
    "organisation_cop_status.changed_by": True,
    "contribution.message_id": False,
    "contribution.community_id": False,
    "contribution.channel_id": False,
    "contribution.parent_channel_id": False,
    "contribution.author_id": True,
    "contribution.reply_to_author_id": True,
    "contribution.reply_to_message_id": False,  # a message id; cleared when it is theirs
    "reaction.community_id": False,
    "reaction.channel_id": False,
    "reaction.message_id": False,
    "reaction.user_id": True,
    "reaction.target_author_id": True,
    "tracked_channel.community_id": False,
    "tracked_channel.channel_id": False,
    "tracked_channel.added_by": True,
    "audit_event.community_id": False,
    "audit_event.actor_id": True,
    "schedule.community_id": False,
    "schedule.target_id": False,  # the id of the row a schedule acts on
    "schedule.created_by": True,
    "cafe.community_id": False,
    "cafe.channel_id": False,
    "cafe.signup_message_id": False,
    "cafe.progress_message_id": False,
    "cafe.reflection_thread_id": False,
    "cafe.created_by": True,
    "cafe_participant.user_id": True,
    "cafe_seat.user_id": True,
    "cafe_table.thread_id": False,
    "cafe_note.author_id": True,  # the note stays, by "a participant"
    "cafe_note.message_id": False,
    "cafe_note.added_by": True,
    "community.review_channel_id": False,
    "question.community_id": False,
    "question.author_id": True,  # the question stays in the bank, without its author
    "question.reviewed_by": True,
    "question.review_channel_id": False,
    "question.review_message_id": False,
    "prompt_schedule.community_id": False,
    "prompt_schedule.channel_id": False,
    "prompt_schedule.created_by": True,
    "prompt_post.community_id": False,
    "prompt_post.channel_id": False,
    "prompt_post.message_id": False,
    "prompt_post.thread_id": False,
    "prompt_post.posted_by": True,
    "platform.community_id": False,
    "platform.category_id": False,
    "platform.place_id": False,
    "platform.inbox_channel_id": False,
    "platform.created_by": True,
    "platform_invite.created_by": True,
    "platform_link.invited_by": True,
    "platform_link.joined_by": True,
    "platform_link.ended_by": True,
    "platform_share.community_id": False,
    "platform_share.author_id": True,  # the share stays, without text, by "a participant"
    "platform_share.source_channel_id": False,
    "platform_share.source_message_id": False,
    "platform_share.shared_by": True,
    "platform_delivery.channel_id": False,  # the bot's copies in other servers
    "platform_delivery.message_id": False,
    "platform_delivery.thread_id": False,
    "platform_response.message_id": False,  # no author is kept for a response
    "interaction_claim.interaction_id": False,  # which process handled an interaction
}


def test_every_biginteger_column_is_accounted_for() -> None:
    found = {
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, BigInteger)
    }
    assert found == set(BIGINT_COLUMNS), (
        "A BigInteger column was added or removed: say in BIGINT_COLUMNS whether it can hold a "
        "user id, and if it can, make /privacy forget clear it."
    )


def contribution(message_id: int, author_id: int, **fields: Any) -> ContributionRow:
    return ContributionRow(
        message_id=message_id,
        community_id=GUILD,
        channel_id=7001,
        author_id=author_id,
        created_at=T0 + timedelta(minutes=message_id % 1000),
        characters=10,
        words=2,
        **fields,
    )


def reaction(message_id: int, user_id: int, target: int, emoji: str = "👍") -> ReactionRow:
    return ReactionRow(
        community_id=GUILD,
        channel_id=7001,
        message_id=message_id,
        user_id=user_id,
        target_author_id=target,
        emoji=emoji,
        created_at=T0,
    )


def service(db: Database, optouts: OptOuts | None = None) -> privacy.Privacy:
    return privacy.Privacy(db, optouts or OptOuts())


async def seed(db: Database) -> None:
    """The forgotten person everywhere a user id can be, next to other people's data."""
    async with db.session() as session:
        await ensure_community(session, GUILD, "Water CoP")
        forgotten = await members.ensure_member(session, GUILD, FORGOTTEN, "Nkosi Dlamini")
        await members.set_member_details(
            session,
            forgotten.id,
            stakeholder=None,
            level=None,
            country="South Africa",
            expertise=["sanitation"],
        )
        other = await members.ensure_member(session, GUILD, OTHER, "Lena Vogel")
        await session.flush()
        assert forgotten.id is not None and other.id is not None
        made = await organisations.create_organisation(
            session,
            community_id=GUILD,
            name="WaterAid",
            name_key=name_key("WaterAid"),
            stakeholder="civil society",
            level="national",
            created_by=FORGOTTEN,
        )
        await session.flush()
        assert made.id is not None
        await members.start_membership(session, forgotten.id, made.id, T0)
        await members.start_membership(session, other.id, made.id, T0)
        await organisations.set_cop_status(session, made.id, "member", at=T0, changed_by=FORGOTTEN)
        await organisations.add_representative(session, made.id, forgotten.id, primary=True, at=T0)
        await contributions.add_tracked_channel(
            session, GUILD, 7001, is_category=False, added_by=FORGOTTEN
        )
        await schedules.create_schedule(
            session,
            community_id=GUILD,
            kind="prompt.post",
            when_text="every monday at 09:00",
            timezone="UTC",
            created_by=FORGOTTEN,
        )
        await contributions.store_contributions(
            session,
            [
                contribution(9001, FORGOTTEN, is_question=True),
                contribution(
                    9002,
                    OTHER,
                    is_reply=True,
                    reply_to_author_id=FORGOTTEN,
                    reply_to_message_id=9001,
                ),
                contribution(9003, OTHER),
                contribution(9004, FORGOTTEN, is_reply=True, reply_to_author_id=OTHER),
            ],
            attributions=[Attribution(organisation_id=made.id), NOBODY, NOBODY, NOBODY],
        )
        await contributions.store_reactions(
            session,
            [
                reaction(9001, OTHER, FORGOTTEN),  # to the forgotten person's message
                reaction(9003, FORGOTTEN, OTHER),  # by the forgotten person
                reaction(9003, MODERATOR, OTHER),  # nothing to do with them
                reaction(8999, OTHER, FORGOTTEN),  # to a message of theirs not in the log
            ],
        )
        await audit.record_audit(session, GUILD, FORGOTTEN, "profile.set", country="South Africa")
        await audit.record_audit(
            session, GUILD, FORGOTTEN, "organisation.create", organisation_id=made.id
        )
        await audit.record_audit(
            session,
            GUILD,
            MODERATOR,
            "organisation.representative.add",
            organisation_id=made.id,
            user_id=FORGOTTEN,
            note=f"asked by <@{FORGOTTEN}>",
            nested={"people": [FORGOTTEN, OTHER]},
        )
        await audit.record_audit(session, GUILD, MODERATOR, "settings.timezone", timezone="UTC")
        await seed_cafe(session)
        await seed_prompts(session)
        await seed_platforms(session)
        await session.commit()


async def seed_platforms(session: Any) -> None:
    """A platform the forgotten person made, invited to, linked and unlinked, and a message of
    theirs they shared across the link, its copy out in the other server."""
    here = await platforms.add_platform(
        session, community_id=GUILD, name="Water CoP", name_key="water cop",
        level=Level.NATIONAL, category_id=None, created_by=FORGOTTEN, at=T0,
    )  # fmt: skip
    await ensure_community(session, OTHER_SERVER, "Kisumu District")
    there = await platforms.add_platform(
        session, community_id=OTHER_SERVER, name="Kisumu", name_key="kisumu",
        level=Level.INTERMEDIATE, category_id=None, created_by=OTHER, at=T0,
    )  # fmt: skip
    await platforms.add_invite(
        session, platform_id=here.id, code_hash="0" * 64, relation=Relation.CHILD,
        created_by=FORGOTTEN, at=T0, expires_at=T0 + timedelta(days=1),
    )  # fmt: skip
    ended = await platforms.add_link(
        session, upper_id=here.id, lower_id=there.id, peer=False, invited_by=FORGOTTEN,
        joined_by=OTHER, at=T0,
    )  # fmt: skip
    await platforms.end_link(session, ended.id, at=T0, by=FORGOTTEN, reason="test")
    link = await platforms.add_link(
        session, upper_id=here.id, lower_id=there.id, peer=False, invited_by=OTHER,
        joined_by=FORGOTTEN, at=T0,
    )  # fmt: skip
    share = await platforms.add_share(
        session, community_id=GUILD, origin_platform_id=here.id, kind=ShareKind.MESSAGE,
        target=ShareTarget.DOWN, source_key="message:9001", text="Budget KM in every project",
        credit="Nkosi Dlamini", author_id=FORGOTTEN, source_channel_id=7001,
        source_message_id=9001, shared_by=FORGOTTEN, shared_at=T0,
    )  # fmt: skip
    await platforms.add_delivery(
        session, share_id=share.id, source_key="message:9001", link_id=link.id,
        target_platform_id=there.id, direction=Direction.DOWN, at=T0,
    )  # fmt: skip
    (delivery,) = await platforms.deliveries_of_share(session, share.id)
    await platforms.update_delivery(
        session, delivery.id, state=DeliveryState.DONE, channel_id=8001, message_id=8002,
        thread_id=8002, sent_at=T0,
    )  # fmt: skip


async def seed_prompts(session: Any) -> None:
    """A question the forgotten person submitted and reviewed, scheduled and posted."""
    question = await prompts.add_question(
        session,
        community_id=GUILD,
        text="Who pays for knowledge management?",
        text_key="who pays for knowledge management",
        theme="Funding",
        theme_key="funding",
        status=QuestionStatus.APPROVED,
        author_id=FORGOTTEN,
        show_author=True,
        reviewed_by=FORGOTTEN,
    )
    schedule = await schedules.create_schedule(
        session,
        community_id=GUILD,
        kind="prompt.post",
        when_text="daily 09:00",
        timezone="UTC",
    )
    prompt_schedule = await prompts.add_prompt_schedule(
        session,
        community_id=GUILD,
        schedule_id=schedule.id,
        channel_id=7001,
        theme="Funding",
        theme_key="funding",
        created_by=FORGOTTEN,
    )
    await prompts.add_post(
        session,
        community_id=GUILD,
        question_id=question.id,
        prompt_schedule_id=prompt_schedule.id,
        theme_key="funding",
        channel_id=7001,
        message_id=9100,
        posted_by=FORGOTTEN,
    )


async def seed_cafe(session: Any) -> None:
    """A café the forgotten person created, sat in, noted at and marked an insight in."""
    cafe = await cafes.create_cafe(
        session,
        community_id=GUILD,
        title="Funding KM",
        questions=["Who pays?"],
        rounds=1,
        round_minutes=20,
        channel_id=7001,
        created_by=FORGOTTEN,
    )
    assert cafe.id is not None
    for user_id in (FORGOTTEN, OTHER):
        await cafes.save_participant(session, cafe.id, user_id, role=CafeRole.TRAVELLER)
    await cafes.seat_round(session, cafe.id, 1, [(1, [(FORGOTTEN, False), (OTHER, False)])])
    await cafes.add_note(
        session,
        cafe_id=cafe.id,
        round_number=1,
        table_number=1,
        author_id=FORGOTTEN,
        added_by=FORGOTTEN,
        text="Budget KM in every project",
    )
    await cafes.add_note(
        session,
        cafe_id=cafe.id,
        round_number=1,
        table_number=1,
        kind=NoteKind.INSIGHT,
        author_id=OTHER,
        added_by=FORGOTTEN,
        text="Donors fund tools, not time",
        message_id=9003,
    )
    await cafes.add_note(  # their own message, marked for the harvest by someone else
        session,
        cafe_id=cafe.id,
        round_number=1,
        table_number=1,
        kind=NoteKind.INSIGHT,
        author_id=FORGOTTEN,
        added_by=OTHER,
        text="Utilities share less than NGOs",
        message_id=9001,
        jump_url="https://discord.com/channels/1/7001/9001",
    )


FORGOTTEN_NAMES = ("Nkosi Dlamini", "Nkosi", "Dlamini")


async def test_seeded_data_mentions_the_person_everywhere(db: Database) -> None:
    await seed(db)
    places = set(await rows_mentioning(db, FORGOTTEN))
    assert {name for name, holds in BIGINT_COLUMNS.items() if holds} <= places
    assert "audit_event.detail" in places
    assert "member.display_name" in await rows_naming(db, FORGOTTEN_NAMES)


async def test_forget_leaves_nothing_about_the_person_in_any_table(db: Database) -> None:
    await seed(db)
    optouts = OptOuts()
    done = await service(db, optouts).forget(GUILD, user_id=FORGOTTEN, keep_texts=True)

    assert await rows_mentioning(db, FORGOTTEN) == []
    assert await rows_naming(db, FORGOTTEN_NAMES) == []
    assert (done.deleted.messages, done.deleted.reactions, done.had_profile) == (2, 1, True)
    assert done.texts == privacy.WrittenTexts(notes=1, harvest_items=1, questions=1)
    assert done.texts_kept
    async with db.session() as session:
        cafe = (await cafes.list_cafes(session, GUILD))[0]
        kept = await cafes.notes_of(session, cafe.id or 0)
        seats = await cafes.seats_of(session, cafe.id or 0)
    # Their words stay, without author, and without the link to their message on Discord.
    assert [(n.text, n.author_id, n.added_by, n.message_id, n.jump_url) for n in kept] == [
        ("Budget KM in every project", None, None, None, None),
        ("Donors fund tools, not time", OTHER, None, 9003, None),
        ("Utilities share less than NGOs", None, OTHER, None, None),
    ]
    assert [s.user_id for s in seats] == [OTHER]
    async with db.session() as session:
        (question,) = (await prompts.list_questions(session, GUILD))[0]
    assert (question.text, question.author_id, question.show_author) == (
        "Who pays for knowledge management?",
        None,
        False,
    )
    assert optouts.is_opted_out(GUILD, FORGOTTEN)
    async with db.session() as session:
        assert await members.get_member(session, GUILD, FORGOTTEN) is None
        # Other people's data stays: their messages, their organisation, their membership.
        kept = {
            row.message_id: row
            for row in (await session.execute(select(Contribution))).scalars().all()
        }
        assert set(kept) == {9002, 9003}
        assert kept[9002].is_reply and kept[9002].reply_to_author_id is None
        assert kept[9002].reply_to_message_id is None
        reactions = (await session.execute(select(Reaction))).scalars().all()
        assert [(r.message_id, r.user_id) for r in reactions] == [(9003, MODERATOR)]
        [organisation] = (await session.execute(select(Organisation))).scalars().all()
        assert organisation.name == "WaterAid" and organisation.created_by is None
        other = await members.get_member(session, GUILD, OTHER)
        assert other is not None and other.id is not None
        assert await members.current_membership(session, other.id) is not None
        events = {event.action: event for event in await audit.recent_audit(session, GUILD)}
    # What they did about themself is gone; what they did for the community stays, unnamed.
    assert "profile.set" not in events
    assert events["organisation.create"].actor_id is None
    assert events["organisation.create"].detail["actor"] == "a forgotten member"
    detail = events["organisation.representative.add"].detail
    assert detail["user_id"] is None and detail["nested"]["people"] == [None, OTHER]
    assert events["organisation.representative.add"].actor_id == MODERATOR
    assert events["settings.timezone"].detail == {"timezone": "UTC"}
    forget_event = events["privacy.forget"]
    assert forget_event.actor_id is None
    assert forget_event.detail["deleted_messages"] == 2
    async with db.session() as session:
        (share,) = await session.execute(select(PlatformShare))
        (delivery,) = await session.execute(select(PlatformDelivery))
    # Their share stays as the platform's record, without text or name; its copy in the other
    # server is to be edited to match.
    assert (share[0].text, share[0].credit, share[0].author_id) == (None, "a participant", None)
    assert delivery[0].change == CopyChange.EDIT


async def test_the_forgotten_are_recognised_only_by_hashing_their_id(db: Database) -> None:
    await seed(db)
    await service(db).forget(GUILD, user_id=FORGOTTEN, keep_texts=True)
    after_restart = OptOuts()  # what a restarted bot knows: only the markers and their key
    await after_restart.load(db)
    assert [
        user for user in (OTHER, FORGOTTEN, MODERATOR) if after_restart.is_forgotten(GUILD, user)
    ] == [FORGOTTEN]
    assert after_restart.is_opted_out(GUILD, FORGOTTEN)
    assert not after_restart.is_forgotten(GUILD + 1, FORGOTTEN)
    report = await service(db).report(GUILD, FORGOTTEN)
    assert report.choice.forgotten and report.profile is None
    assert not any(report.counts.values())

    with pytest.raises(BadInput, match="forgotten here already"):
        await service(db).check_can_forget(GUILD, FORGOTTEN)
    with pytest.raises(BadInput, match="asked to be forgotten"):
        await service(db).check_can_opt_out(GUILD, FORGOTTEN)

    optouts = OptOuts()
    optouts.opt_out(GUILD, FORGOTTEN)
    assert await service(db, optouts).opt_in(GUILD, user_id=FORGOTTEN) is True
    assert not optouts.is_opted_out(GUILD, FORGOTTEN)
    reloaded = OptOuts()
    await reloaded.load(db)
    assert not reloaded.is_opted_out(GUILD, FORGOTTEN)
    assert await rows_mentioning(db, FORGOTTEN) == ["audit_event.actor_id"]  # the opt-in


async def test_optout_deletes_the_log_but_keeps_the_profile(db: Database) -> None:
    await seed(db)
    optouts = OptOuts()
    deleted = await service(db, optouts).opt_out(
        GUILD, "Water CoP", user_id=FORGOTTEN, display_name="Nkosi Dlamini"
    )
    assert (deleted.messages, deleted.reactions) == (2, 1)
    assert optouts.is_opted_out(GUILD, FORGOTTEN)
    async with db.session() as session:
        member = await members.get_member(session, GUILD, FORGOTTEN)
        assert member is not None and member.opted_out_at is not None
        assert member.country == "South Africa"
        assert await contributions.contributions_by_kind(session, GUILD, FORGOTTEN) == {
            "messages": 0,
            "reply": 0,
            "answer": 0,
            "question": 0,
            "resource": 0,
            "thread_start": 0,
            "reactions": 0,
        }
        log_mentions = (
            await session.execute(
                select(Contribution).where(Contribution.reply_to_author_id == FORGOTTEN)
            )
        ).all() + (
            await session.execute(select(Reaction).where(Reaction.target_author_id == FORGOTTEN))
        ).all()
        assert log_mentions == []
        [event] = [
            e for e in await audit.recent_audit(session, GUILD) if e.action == "privacy.optout"
        ]
    assert event.actor_id == FORGOTTEN
    assert event.detail == {"deleted_messages": 2, "deleted_reactions": 1}

    with pytest.raises(BadInput, match="already opted out"):
        await service(db, optouts).opt_out(
            GUILD, "Water CoP", user_id=FORGOTTEN, display_name="Nkosi Dlamini"
        )
    assert optouts.is_opted_out(GUILD, FORGOTTEN)
    assert await service(db, optouts).opt_in(GUILD, user_id=FORGOTTEN) is False
    assert not optouts.is_opted_out(GUILD, FORGOTTEN)
    with pytest.raises(BadInput, match="not opted out"):
        await service(db, optouts).opt_in(GUILD, user_id=FORGOTTEN)


async def test_forget_someone_who_never_had_a_profile(db: Database) -> None:
    async with db.session() as session:
        await ensure_community(session, GUILD, "Water CoP")
        await contributions.store_contributions(session, [contribution(9101, FORGOTTEN)])
        await session.commit()
    done = await service(db).forget(GUILD, user_id=FORGOTTEN, keep_texts=False)
    assert (done.deleted.messages, done.had_profile) == (1, False)
    assert await rows_mentioning(db, FORGOTTEN) == []
    async with db.session() as session:
        assert (await session.execute(select(AuditEvent))).scalars().one().action == (
            "privacy.forget"
        )


async def test_forget_with_texts_deletes_their_notes_harvest_items_and_questions(
    db: Database,
) -> None:
    await seed(db)
    async with db.session() as session:
        other_question = await prompts.add_question(
            session,
            community_id=GUILD,
            text="What did you learn this month?",
            text_key="what did you learn this month",
            theme="Learning",
            theme_key="learning",
            status=QuestionStatus.APPROVED,
            author_id=OTHER,
            reviewed_by=FORGOTTEN,
        )
        await session.commit()
    report = await service(db).report(GUILD, FORGOTTEN)
    assert report.texts == privacy.WrittenTexts(notes=1, harvest_items=1, questions=1)

    done = await service(db).forget(GUILD, user_id=FORGOTTEN, keep_texts=False)
    assert not done.texts_kept and done.texts.total == 3
    assert await rows_mentioning(db, FORGOTTEN) == []
    assert await rows_naming(db, FORGOTTEN_NAMES) == []
    async with db.session() as session:
        cafe = (await cafes.list_cafes(session, GUILD))[0]
        kept = await cafes.notes_of(session, cafe.id or 0)
        questions, _ = await prompts.list_questions(session, GUILD)
        posts = (await session.execute(select(PromptPost))).scalars().all()
        events = {event.action: event for event in await audit.recent_audit(session, GUILD)}
    # Only what others wrote stays: the harvest item they marked, the question they reviewed.
    assert [(n.text, n.author_id, n.added_by) for n in kept] == [
        ("Donors fund tools, not time", OTHER, None)
    ]
    assert [(q.id, q.author_id, q.reviewed_by) for q in questions] == [
        (other_question.id, OTHER, None)
    ]
    assert posts == []  # the post of their question went with it
    assert events["privacy.forget"].detail["texts_deleted"] == 3
    assert events["privacy.forget"].detail["texts_kept"] == 0
