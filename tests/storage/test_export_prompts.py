"""The prompts export read back on both databases: the question bank, each post of the period
with its answers counted in the query (opted-out answerers left out, answers after the period
kept), the schedules, and nothing of another community."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.exports.cells import local_text
from bot.exports.naming import Namer
from bot.exports.prompts import post_rows, question_rows, schedule_rows
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope, Reader
from bot.exports.tables import Row
from bot.prompts.values import QuestionStatus
from bot.scheduling.values import MisfirePolicy
from storage import contributions as log_queries
from storage import prompts as prompt_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.exports.prompts import post_batches, question_batches, schedule_batches
from storage.members import ensure_member, set_name_visible, set_opted_out
from storage.types import row_id, utc_now
from tests.storage.helpers import ALICE, BOB, CHANNEL, GUILD, THREAD, contribution

CAROL = 920_000_000_000_000_003
OTHER_GUILD = 900_000_000_000_000_002
OTHER_CHANNEL, OTHER_THREAD = 910_000_000_000_000_011, 910_000_000_000_000_012
ZONE = "Europe/Amsterdam"
KEY = bytes(range(32))
# The period: 6 May 2024 in UTC. Its posts go out at 09:00 in Amsterdam (07:00 UTC).
START = datetime(2024, 5, 6, tzinfo=UTC)
END = START + timedelta(days=1)
DUE = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)
POSTED = DUE + timedelta(seconds=4)
BY_HAND = DUE + timedelta(hours=3)
EARLIER = DUE - timedelta(days=7)
# Message ids: the posts' messages, then the answers.
SCHEDULED_MESSAGE, HAND_MESSAGE, EARLIER_MESSAGE, OTHER_MESSAGE = (
    930_000_000_000_000_001,
    930_000_000_000_000_002,
    930_000_000_000_000_003,
    930_000_000_000_000_004,
)
ANSWER = 940_000_000_000_000_000


@dataclass(frozen=True)
class Seeded:
    funding: int
    tools: int
    pending: int
    other_question: int
    schedule: int
    other_schedule: int
    scheduled_post: int
    hand_post: int
    earlier_post: int
    seeded_from: datetime
    seeded_until: datetime


async def _question(
    session: AsyncSession, community_id: int, text: str, theme: str, **kw: Any
) -> int:
    question = await prompt_queries.add_question(
        session,
        community_id=community_id,
        text=text,
        text_key=text.lower(),
        theme=theme,
        theme_key=theme.lower(),
        status=kw.get("status", QuestionStatus.APPROVED),
        author_id=kw.get("author_id", ALICE),
    )
    return question.id


async def _schedule(
    session: AsyncSession, community_id: int, channel_id: int, when_text: str
) -> int:
    prompt_schedule, _ = await prompt_queries.create_prompt_schedule(
        session,
        kind="prompt.post",
        community_id=community_id,
        channel_id=channel_id,
        theme="Funding",
        theme_key="funding",
        make_thread=True,
        when_text=when_text,
        timezone=ZONE,
        misfire_policy=MisfirePolicy.LATE,
        grace_seconds=3600,
        created_by=ALICE,
        created_at=datetime(2024, 4, 1, 12, 0, tzinfo=UTC),
    )
    return prompt_schedule.id


async def seed(db: Database) -> Seeded:
    seeded_from = utc_now()
    async with db.transaction() as session:
        for guild_id in (GUILD, OTHER_GUILD):
            await ensure_community(session, guild_id, f"CoP {guild_id}")
        alice = await ensure_member(session, GUILD, ALICE, "Alice Mwangi")
        await ensure_member(session, GUILD, BOB, "Bob Otieno")
        carol = await ensure_member(session, GUILD, CAROL, "Carol Njeri")
        await set_name_visible(session, alice.id, True)
        await set_opted_out(session, carol.id, START)
        # Bob opted out elsewhere: that must not hide his answers here.
        bob_elsewhere = await ensure_member(session, OTHER_GUILD, BOB, "Bob Otieno")
        await set_opted_out(session, bob_elsewhere.id, START)

        funding = await _question(session, GUILD, "How do you fund knowledge work?", "Funding")
        tools = await _question(session, GUILD, "=Which tools help you share?", "Tools")
        pending = await _question(
            session, GUILD, "Who reads our reports?", "Funding", status=QuestionStatus.PENDING
        )
        other_question = await _question(session, OTHER_GUILD, "Their question?", "Funding")
        schedule = await _schedule(session, GUILD, CHANNEL, "every monday 09:00")
        other_schedule = await _schedule(session, OTHER_GUILD, OTHER_CHANNEL, "daily 10:00")

        scheduled = await prompt_queries.add_post(
            session,
            community_id=GUILD,
            question_id=funding,
            prompt_schedule_id=schedule,
            theme_key="funding",
            cycle=2,
            channel_id=CHANNEL,
            scheduled_for=DUE,
            posted_at=POSTED,
            message_id=SCHEDULED_MESSAGE,
        )
        await prompt_queries.finish_post(session, scheduled.id, THREAD)
        # By hand, without a thread, never finished, and never answered.
        hand = await prompt_queries.add_post(
            session,
            community_id=GUILD,
            question_id=tools,
            prompt_schedule_id=None,
            theme_key="tools",
            channel_id=CHANNEL,
            make_thread=False,
            posted_by=ALICE,
            posted_at=BY_HAND,
            message_id=HAND_MESSAGE,
        )
        earlier = await prompt_queries.add_post(
            session,
            community_id=GUILD,
            question_id=funding,
            prompt_schedule_id=schedule,
            theme_key="funding",
            channel_id=CHANNEL,
            scheduled_for=EARLIER,
            posted_at=EARLIER,
            message_id=EARLIER_MESSAGE,
        )
        await prompt_queries.finish_post(session, earlier.id, None)
        theirs = await prompt_queries.add_post(
            session,
            community_id=OTHER_GUILD,
            question_id=other_question,
            prompt_schedule_id=other_schedule,
            theme_key="funding",
            channel_id=OTHER_CHANNEL,
            scheduled_for=DUE,
            posted_at=POSTED,
            message_id=OTHER_MESSAGE,
        )
        await prompt_queries.finish_post(session, theirs.id, OTHER_THREAD)

        minute = timedelta(minutes=1)
        await log_queries.store_contributions(
            session,
            [
                # Carol (opted out) answered first: neither counted nor the first answer.
                contribution(ANSWER + 1, CAROL, channel_id=THREAD, created_at=POSTED + 5 * minute),
                contribution(
                    ANSWER + 2,
                    ALICE,
                    channel_id=THREAD,
                    parent_channel_id=CHANNEL,
                    created_at=POSTED + timedelta(minutes=12, seconds=30),
                ),
                contribution(
                    ANSWER + 3,
                    BOB,
                    channel_id=THREAD,
                    parent_channel_id=CHANNEL,
                    created_at=POSTED + 20 * minute,
                ),
                # A reply to the post in its channel, after the period: still an answer.
                contribution(
                    ANSWER + 4,
                    ALICE,
                    channel_id=CHANNEL,
                    created_at=END + timedelta(hours=2),
                    is_reply=True,
                    reply_to_message_id=SCHEDULED_MESSAGE,
                ),
                # In the channel, not a reply to any post: not an answer.
                contribution(ANSWER + 5, BOB, channel_id=CHANNEL, created_at=BY_HAND + minute),
                # The earlier post's answer (outside the period).
                contribution(
                    ANSWER + 6,
                    BOB,
                    created_at=EARLIER + minute,
                    is_reply=True,
                    reply_to_message_id=EARLIER_MESSAGE,
                ),
                # The other community's answer in its own thread.
                contribution(
                    ANSWER + 7,
                    BOB,
                    community_id=OTHER_GUILD,
                    channel_id=OTHER_THREAD,
                    created_at=POSTED + minute,
                ),
            ],
        )
    return Seeded(
        funding=funding,
        tools=tools,
        pending=pending,
        other_question=other_question,
        schedule=schedule,
        other_schedule=other_schedule,
        scheduled_post=row_id(scheduled),
        hand_post=row_id(hand),
        earlier_post=row_id(earlier),
        seeded_from=seeded_from,
        seeded_until=utc_now(),
    )


def scope(
    mode: NameMode = NameMode.PSEUDONYMOUS,
    start: datetime | None = START,
    end: datetime | None = END,
) -> ExportScope:
    namer = Namer(KEY, mode, visible_names={ALICE: "Alice Mwangi"}, absent={CAROL})
    return ExportScope(GUILD, start, end, ZONE, namer)


async def stored_rows(
    db: Database, reader: Reader, start: datetime | None = START, end: datetime | None = END
) -> list[Sequence[Any]]:
    async with db.session() as session:
        return [row async for batch in reader(session, GUILD, start, end) for row in batch]


async def built(
    db: Database,
    reader: Reader,
    builder: Any,
    export_scope: ExportScope | None = None,
) -> list[Row]:
    export_scope = export_scope or scope()
    stored = await stored_rows(db, reader, export_scope.start, export_scope.end)
    return [tuple(row) for row in builder(stored, export_scope)]


async def test_posts_count_answers_without_opted_out_people(db: Database) -> None:
    seeded = await seed(db)
    rows = await built(db, post_batches, post_rows)
    first_answer = POSTED + timedelta(minutes=12, seconds=30)
    bank = Namer(KEY, NameMode.PSEUDONYMOUS, visible_names={}, absent=set())
    assert rows == [
        (
            str(seeded.scheduled_post),
            str(seeded.funding),
            "Funding",
            2,
            str(CHANNEL),
            str(THREAD),
            str(seeded.schedule),
            None,
            DUE,
            "2024-05-06T09:00:00+02:00",
            POSTED,
            "2024-05-06T09:00:04+02:00",
            True,
            3,
            2,
            first_answer,
            "2024-05-06T09:12:34+02:00",
            12.5,
        ),
        (
            str(seeded.hand_post),
            str(seeded.tools),
            "Tools",
            1,
            str(CHANNEL),
            None,
            None,
            bank.pseudonym(ALICE),
            None,
            None,
            BY_HAND,
            "2024-05-06T12:00:00+02:00",
            False,
            0,
            0,
            None,
            None,
            None,
        ),
    ]


async def test_the_period_cuts_posts_and_counts_but_not_the_bank(db: Database) -> None:
    seeded = await seed(db)
    everything = await built(db, post_batches, post_rows, scope(start=None, end=None))
    assert [row[0] for row in everything] == [
        str(seeded.earlier_post),
        str(seeded.scheduled_post),
        str(seeded.hand_post),
    ]
    earlier = everything[0]
    assert earlier[5] is None and earlier[12] is True  # finished without a thread
    assert earlier[13:] == (1, 1, EARLIER + timedelta(minutes=1), "2024-04-29T09:01:00+02:00", 1.0)

    questions = await built(db, question_batches, question_rows)
    assert [(row[0], row[6]) for row in questions] == [
        (str(seeded.funding), 1),
        (str(seeded.tools), 1),
        (str(seeded.pending), 0),
    ]
    all_time = await built(db, question_batches, question_rows, scope(start=None, end=None))
    assert [row[6] for row in all_time] == [2, 1, 0]
    schedules = await built(db, schedule_batches, schedule_rows)
    assert [row[-1] for row in schedules] == [1]
    schedules = await built(db, schedule_batches, schedule_rows, scope(start=None, end=None))
    assert [row[-1] for row in schedules] == [2]
    nothing = await built(db, post_batches, post_rows, scope(start=END, end=None))
    assert nothing == []


async def test_questions_are_the_whole_bank_with_the_text_of_those_posted(db: Database) -> None:
    seeded = await seed(db)
    rows = await built(db, question_batches, question_rows)
    expected = [
        (str(seeded.funding), "Funding", "How do you fund knowledge work?", "approved", 1),
        (str(seeded.tools), "Tools", "=Which tools help you share?", "approved", 1),
        # written for the moderators only: its text stays out until it is approved
        (str(seeded.pending), "Funding", None, "pending", 0),
    ]
    assert [(row[0], row[1], row[2], row[3], row[6]) for row in rows] == expected
    for row in rows:
        created_at = row[4]
        assert isinstance(created_at, datetime)
        assert seeded.seeded_from <= created_at <= seeded.seeded_until
        assert row[5] == local_text(created_at, ZONE)


async def test_schedules_hold_their_when(db: Database) -> None:
    seeded = await seed(db)
    rows = await built(db, schedule_batches, schedule_rows)
    assert rows == [
        (
            str(seeded.schedule),
            "Funding",
            str(CHANNEL),
            True,
            "every monday 09:00",
            ZONE,
            False,
            datetime(2024, 4, 1, 12, 0, tzinfo=UTC),
            "2024-04-01T14:00:00+02:00",
            1,
        )
    ]


async def test_nothing_of_another_community_and_no_discord_id_of_a_person(db: Database) -> None:
    seeded = await seed(db)
    everything = scope(start=None, end=None)
    tables = [
        await built(db, reader, builder, everything)
        for reader, builder in (
            (question_batches, question_rows),
            (post_batches, post_rows),
            (schedule_batches, schedule_rows),
        )
    ]
    questions, posts, schedules = tables
    assert str(seeded.other_question) not in {row[0] for row in questions}
    assert "Their question?" not in {row[2] for row in questions}
    assert str(OTHER_CHANNEL) not in {row[4] for row in posts}
    assert str(seeded.other_schedule) not in {row[0] for row in schedules}
    forbidden = {ALICE, BOB, CAROL} | {ANSWER + n for n in range(1, 8)}
    forbidden |= {SCHEDULED_MESSAGE, HAND_MESSAGE, EARLIER_MESSAGE, OTHER_MESSAGE}
    for row in (row for table in tables for row in table):
        for cell in row:
            assert not any(str(discord_id) in str(cell) for discord_id in forbidden), cell


async def test_visible_names_only_for_people_who_chose_it(db: Database) -> None:
    seeded = await seed(db)
    async with db.transaction() as session:
        # Carol (opted out) posted one by hand too: the post stays, her name does not.
        carols = await prompt_queries.add_post(
            session,
            community_id=GUILD,
            question_id=seeded.pending,
            prompt_schedule_id=None,
            theme_key="funding",
            channel_id=CHANNEL,
            posted_by=CAROL,
            posted_at=BY_HAND + timedelta(hours=1),
        )
    rows = await built(db, post_batches, post_rows, scope(NameMode.VISIBLE))
    assert [(row[0], row[7]) for row in rows] == [
        (str(seeded.scheduled_post), None),
        (str(seeded.hand_post), "Alice Mwangi"),
        (str(carols.id), None),
    ]
    assert rows[2][13:] == (0, 0, None, None, None)  # no message recorded: nothing answers it
    hidden = await built(db, post_batches, post_rows)
    assert hidden[1][7] == scope().namer.pseudonym(ALICE)
