"""The insights' queries (storage/insights.py) on SQLite and PostgreSQL, over rows written with
the storage writers: who is present, what each person did, the reply edges, messages per local
day, questions and their answers, and café seats and tablecloths. Another community's rows (the
same conversation seeded there too) are never counted, the period's start is in and its end out,
self-replies make no edge and opted-out people's answers count for no question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from bot.contributions.values import NOBODY, Attribution, ContributionRow, ReactionRow
from bot.insights.values import Activity, Asked, Person, QuestionAsked, Reply, Seat, TableNotes
from bot.prompts.values import QuestionStatus
from storage import cafes as cafe_queries
from storage import contributions as log_queries
from storage import prompts as prompt_queries
from storage.communities import ensure_community
from storage.db import Database
from storage.insights import (
    activity_by_person,
    cafe_seats,
    cafe_table_notes,
    daily_messages_by_stakeholder,
    latest_cafe_id,
    present_people,
    questions_asked,
    reply_edges,
)
from storage.members import (
    ensure_member,
    mark_left,
    mark_present,
    set_member_details,
    set_opted_out,
    start_membership,
)
from storage.models import Cafe as CafeRow
from storage.models import CafeNote as NoteRow
from storage.models import NoteKind
from storage.organisations import create_organisation
from tests.storage.helpers import ALICE, BOB, CHANNEL, GUILD, contribution

OTHER_GUILD = GUILD + 1
CAROL, DAVE, ERIN, FRED, GINA = (920_000_000_000_000_000 + n for n in range(3, 8))
CIVIL, GOVERNMENT = "civil society", "government"
WATERAID, MINISTRY = "WaterAid", "Ministry of Water"
# Each community's messages are its base + n (n as in MESSAGES).
MESSAGE_BASE = {GUILD: 950_000_000_000_000_000, OTHER_GUILD: 960_000_000_000_000_000}

START = datetime(2024, 5, 1, tzinfo=UTC)  # 09:00 in Tokyo
END = datetime(2024, 5, 4, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
BEFORE = datetime(2024, 1, 1, tzinfo=UTC)

# (n, author, posted at, (n, author) of the message replied to, kinds); the author's stakeholder
# group is recorded on the message (Fred has none).
Message = tuple[int, int, datetime, tuple[int, int | None] | None, dict[str, bool]]
MESSAGES: list[Message] = [
    (0, ALICE, START - 4 * HOUR, None, {"is_question": True}),  # before the period
    (1, ALICE, START, None, {"is_question": True, "is_resource": True}),  # the start is in
    (2, BOB, START + HOUR, (1, ALICE), {"is_answer": True}),
    (3, FRED, START + 2 * HOUR, (1, ALICE), {}),
    (4, ALICE, START + 3 * HOUR, (1, ALICE), {}),  # to herself
    (5, CAROL, START + 4 * HOUR, (1, ALICE), {}),  # she opted out later
    (6, BOB, START + 23.5 * HOUR, (3, FRED), {}),  # 08:30 on 2 May in Tokyo
    (7, GINA, START + DAY + 10 * HOUR, (1, ALICE), {"is_answer": True}),
    (8, BOB, START + DAY + 11 * HOUR, (1, ALICE), {}),
    (9, FRED, START + DAY + 12 * HOUR, (5, None), {}),  # to Carol, whose id was not kept
    (10, ALICE, END - 9 * HOUR - timedelta(minutes=1), None, {"is_question": True}),
    (11, ALICE, END - 9 * HOUR, None, {}),  # midnight in Tokyo: 4 May there
    (12, BOB, END, (1, ALICE), {}),  # the end is out (and still answers message 1)
    (13, BOB, START - timedelta(minutes=1), (0, ALICE), {}),
    (15, CAROL, START + DAY + 9 * HOUR, None, {"is_question": True}),
    (16, ALICE, START + DAY + 9.5 * HOUR, (15, CAROL), {}),
]
STAKEHOLDERS = {ALICE: CIVIL, CAROL: CIVIL, BOB: GOVERNMENT, GINA: GOVERNMENT}


def message_id(guild_id: int, n: int) -> int:
    return MESSAGE_BASE[guild_id] + n


async def seed(db: Database, guild_id: int = GUILD) -> None:
    """The community's people, organisations, conversation and reactions."""
    async with db.transaction() as session:
        await ensure_community(session, guild_id, "Water CoP")
        wateraid = await create_organisation(
            session,
            community_id=guild_id,
            name=WATERAID,
            name_key=WATERAID.casefold(),
            stakeholder=CIVIL,
            level="national",
        )
        ministry = await create_organisation(
            session,
            community_id=guild_id,
            name=MINISTRY,
            name_key=MINISTRY.casefold(),
            stakeholder=GOVERNMENT,
            level="national",
        )
        # Alice, Bob and Gina since January (Gina leaves during the period, Bob moves to the
        # ministry on its second day); Carol opted out; Dave left before; Erin came at its end;
        # Fred's arrival is not known.
        members: dict[int, int] = {}
        for user_id, name in (
            (ALICE, "Alice"),
            (BOB, "Bob"),
            (CAROL, "Carol"),
            (DAVE, "Dave"),
            (GINA, "Gina"),
        ):
            members[user_id] = (await mark_present(session, guild_id, user_id, name, BEFORE)).id
        members[ERIN] = (await mark_present(session, guild_id, ERIN, "Erin", END)).id
        members[FRED] = (await ensure_member(session, guild_id, FRED, "Fred")).id
        await mark_left(session, guild_id, DAVE, datetime(2024, 4, 1, tzinfo=UTC))
        await mark_left(session, guild_id, GINA, START + 2 * DAY)
        await set_opted_out(session, members[CAROL], END + DAY)
        for user_id, stakeholder, level in (
            (ALICE, CIVIL, "national"),
            (BOB, GOVERNMENT, "local"),
            (GINA, GOVERNMENT, None),
        ):
            await set_member_details(
                session,
                members[user_id],
                stakeholder=stakeholder,
                level=level,
                country=None,
                expertise=(),
            )
        for user_id in (ALICE, BOB, DAVE):
            await start_membership(session, members[user_id], wateraid.id, BEFORE)
        await start_membership(session, members[BOB], ministry.id, START + DAY)

        rows, attributions = [], []
        for n, author, posted_at, reply_to, kinds in MESSAGES:
            replied: dict[str, Any] = {}
            if reply_to is not None:
                replied = {
                    "is_reply": True,
                    "reply_to_message_id": message_id(guild_id, reply_to[0]),
                    "reply_to_author_id": reply_to[1],
                }
            rows.append(
                contribution(
                    message_id(guild_id, n),
                    author,
                    community_id=guild_id,
                    created_at=posted_at,
                    **replied,
                    **kinds,
                )
            )
            recorded = STAKEHOLDERS.get(author)
            attributions.append(NOBODY if recorded is None else Attribution(None, recorded))
        await log_queries.store_contributions(session, rows, attributions=attributions)

        def reacted(n: int, user: int, target: int | None, at: datetime, emoji: str) -> ReactionRow:
            return ReactionRow(guild_id, CHANNEL, message_id(guild_id, n), user, target, emoji, at)

        await log_queries.store_reactions(
            session,
            [
                reacted(1, BOB, ALICE, START + HOUR / 2, "👍"),
                reacted(1, BOB, ALICE, START + HOUR / 2, "🎉"),
                reacted(1, ALICE, ALICE, START + HOUR, "👍"),  # her own message
                reacted(1, FRED, ALICE, END, "👍"),  # the end is out
                reacted(3, GINA, FRED, START + 3 * HOUR, "👍"),
                reacted(9, BOB, None, START + DAY + 13 * HOUR, "👍"),  # whose: not known
            ],
        )


# --- people -------------------------------------------------------------------------------------


async def test_present_people_with_their_organisation_at_the_end_of_the_period(
    db: Database,
) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)
    async with db.session() as session:
        in_period = await present_people(session, GUILD, START, END)
        first_hour = await present_people(session, GUILD, START, START + HOUR)
        moved_at_end = await present_people(session, GUILD, START, START + DAY)
        always = await present_people(session, GUILD, None, None)
    alice = Person(ALICE, WATERAID, CIVIL, "national")
    # Carol opted out, Dave left in April, Erin joined at the end (out); Gina left during it.
    assert in_period == [
        alice,
        Person(BOB, MINISTRY, GOVERNMENT, "local"),
        Person(FRED),
        Person(GINA, None, GOVERNMENT),
    ]
    # Bob's move to the ministry at START + DAY is not yet in force at an end of START + DAY.
    assert (
        first_hour
        == moved_at_end
        == [
            alice,
            Person(BOB, WATERAID, GOVERNMENT, "local"),
            Person(FRED),
            Person(GINA, None, GOVERNMENT),
        ]
    )
    # Without a period: everyone ever present but Carol; Dave's WaterAid membership is open.
    assert always == [
        alice,
        Person(BOB, MINISTRY, GOVERNMENT, "local"),
        Person(DAVE, WATERAID),
        Person(ERIN),
        Person(FRED),
        Person(GINA, None, GOVERNMENT),
    ]


# --- cafés --------------------------------------------------------------------------------------

# The held café's table threads: round 1 tables 1 and 2, round 2 table 1 (table 2 has none).
T11, T12, T21 = 970_000_000_000_000_011, 970_000_000_000_000_012, 970_000_000_000_000_021
CAFE_STARTS = START + DAY
NOTED = CAFE_STARTS + HOUR / 2


@dataclass(frozen=True)
class Cafes:
    held: int
    """Started on the period's second day: seats, threads, posts and notes."""
    twin: int
    """Set for the same moment as ``held``, one seat, no notes."""
    earlier: int
    """No start time, created before the period."""
    later: int
    """Set for after the period, nobody seated yet."""
    elsewhere: int
    """Another community's café at the same moment as ``held``."""


async def seed_cafes(db: Database) -> Cafes:
    async with db.transaction() as session:
        for guild_id in (GUILD, OTHER_GUILD):
            await ensure_community(session, guild_id, "Water CoP")

        async def new_cafe(guild_id: int, starts_at: datetime | None) -> int:
            made = await cafe_queries.create_cafe(
                session,
                community_id=guild_id,
                title="Funding KM",
                questions=["What works?", "What gets in the way?"],
                rounds=2,
                round_minutes=20,
                channel_id=CHANNEL,
                starts_at=starts_at,
            )
            return made.id

        async def note(
            cafe_id: int, at: tuple[int, int], kind: NoteKind, author: int | None, when: datetime
        ) -> None:
            written = await cafe_queries.add_note(
                session,
                cafe_id=cafe_id,
                round_number=at[0],
                table_number=at[1],
                kind=kind,
                author_id=author,
                text="words",
            )
            await session.execute(
                update(NoteRow).where(col(NoteRow.id) == written.id).values(created_at=when)
            )

        held = await new_cafe(GUILD, CAFE_STARTS)
        await cafe_queries.seat_round(
            session,
            held,
            1,
            [(1, [(ALICE, True), (BOB, False)]), (2, [(FRED, True), (CAROL, False)])],
        )
        await cafe_queries.seat_round(
            session,
            held,
            2,
            [(1, [(BOB, True), (FRED, False)]), (2, [(ALICE, True), (GINA, False)])],
        )
        threads = {(1, 1): T11, (1, 2): T12, (2, 1): T21}
        for table in await cafe_queries.tables_of(session, held):
            thread = threads.get((table.round_number, table.table_number))
            await cafe_queries.set_table_thread(session, table.id, thread)
        await note(held, (1, 1), NoteKind.NOTE, ALICE, NOTED)
        await note(held, (1, 1), NoteKind.INSIGHT, BOB, NOTED)
        await note(held, (1, 1), NoteKind.NOTE, BOB, NOTED)
        await note(held, (1, 2), NoteKind.NOTE, CAROL, NOTED)  # she opted out
        await note(held, (2, 1), NoteKind.NOTE, None, NOTED)  # someone forgotten
        await note(held, (2, 1), NoteKind.INSIGHT, FRED, NOTED)
        await note(held, (2, 2), NoteKind.NOTE, ALICE, END + HOUR)  # written after the period

        twin = await new_cafe(GUILD, CAFE_STARTS)
        await cafe_queries.seat_round(session, twin, 1, [(1, [(GINA, True)])])
        earlier = await new_cafe(GUILD, None)
        await cafe_queries.seat_round(session, earlier, 1, [(1, [(ALICE, True)])])
        await note(earlier, (1, 1), NoteKind.NOTE, ALICE, START - 5 * DAY)
        later = await new_cafe(GUILD, END + 10 * DAY)
        elsewhere = await new_cafe(OTHER_GUILD, CAFE_STARTS)
        await cafe_queries.seat_round(session, elsewhere, 1, [(1, [(BOB, True)])])
        await note(elsewhere, (1, 1), NoteKind.NOTE, ALICE, NOTED)
        await session.execute(update(CafeRow).values(created_at=START - 7 * DAY))
        await session.execute(
            update(CafeRow).where(col(CafeRow.id) == earlier).values(created_at=START - 5 * DAY)
        )

        # Bob posts twice at his round-1 table and once at a table he did not sit at; Alice once
        # at hers; Fred once at his round-2 table; in another community a message in a thread
        # with the same id as Bob's table must not count.
        posted = CAFE_STARTS + timedelta(minutes=10)
        await log_queries.store_contributions(
            session,
            [
                contribution(980_000_000_000_000_001, BOB, channel_id=T11, created_at=posted),
                contribution(980_000_000_000_000_002, BOB, channel_id=T11, created_at=posted),
                contribution(980_000_000_000_000_003, ALICE, channel_id=T11, created_at=posted),
                contribution(980_000_000_000_000_004, FRED, channel_id=T21, created_at=posted),
                contribution(980_000_000_000_000_005, BOB, channel_id=T12, created_at=posted),
                contribution(
                    980_000_000_000_000_006,
                    BOB,
                    community_id=OTHER_GUILD,
                    channel_id=T11,
                    created_at=posted,
                ),
            ],
        )
    return Cafes(held, twin, earlier, later, elsewhere)


async def test_activity_counts_what_each_person_gave_and_received_in_the_period(
    db: Database,
) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)
    await seed_cafes(db)
    async with db.session() as session:
        activity = await activity_by_person(session, GUILD, START, END)
        first_day = await activity_by_person(session, GUILD, START, START + DAY)
    # Messages 1-11, 15 and 16 are in the period (0 and 13 before, 12 at its end), and the
    # café posts: Alice 1, 4, 10, 11, 16 + one at her table; Bob 2, 6, 8 + three in threads;
    # Fred 3, 9 + one; Carol 5, 15; Gina 7. A reply to oneself (4) is no reply; Fred's reply
    # to a message whose author was not kept (9) is one. Received replies: Alice 2, 3, 5, 7, 8
    # (not her own 4); Fred 6; Carol 16. Reactions: Bob's two to Alice (hers to herself and
    # Fred's at the end left out), Gina's to Fred. Notes in the period: Alice's note, Bob's
    # note and harvest item, Carol's note, Fred's harvest item (Alice's of the other community's
    # café and the one she wrote after the period left out; the forgotten one has nobody).
    assert activity == {
        ALICE: Activity(
            messages=6, replies=1, resources=1, notes=1, replies_received=5, reactions_received=2
        ),
        BOB: Activity(messages=6, replies=3, answers=1, notes=1, harvest_items=1),
        CAROL: Activity(messages=2, replies=1, notes=1, replies_received=1),
        FRED: Activity(
            messages=3, replies=2, harvest_items=1, replies_received=1, reactions_received=1
        ),
        GINA: Activity(messages=1, replies=1, answers=1),
    }
    # The first day: messages 1-6 and the reactions of that day; the café was on the second.
    assert first_day == {
        ALICE: Activity(messages=2, resources=1, replies_received=3, reactions_received=2),
        BOB: Activity(messages=2, replies=2, answers=1),
        CAROL: Activity(messages=1, replies=1),
        FRED: Activity(messages=1, replies=1, replies_received=1, reactions_received=1),
    }


async def test_reply_edges_one_per_pair_without_self_replies(db: Database) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)
    async with db.session() as session:
        edges = await reply_edges(session, GUILD, START, END)
        first_day = await reply_edges(session, GUILD, START, START + DAY)
        ever = await reply_edges(session, GUILD, None, None)
    # Alice's reply to herself (4) and Fred's to someone not kept (9) are no edges; Bob's at the
    # end (12) and before the start (13) are out of the period.
    assert edges == [
        Reply(ALICE, CAROL, 1),
        Reply(BOB, ALICE, 2),
        Reply(BOB, FRED, 1),
        Reply(CAROL, ALICE, 1),
        Reply(FRED, ALICE, 1),
        Reply(GINA, ALICE, 1),
    ]
    assert first_day == [
        Reply(BOB, ALICE, 1),
        Reply(BOB, FRED, 1),
        Reply(CAROL, ALICE, 1),
        Reply(FRED, ALICE, 1),
    ]
    assert ever[1] == Reply(BOB, ALICE, 4) and len(ever) == 6


async def test_messages_per_local_day_and_stakeholder_group(db: Database) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)
    civil, government = CIVIL, GOVERNMENT
    async with db.session() as session:
        tokyo = await daily_messages_by_stakeholder(session, GUILD, START, END, "Asia/Tokyo")
        utc = await daily_messages_by_stakeholder(session, GUILD, START, END, "UTC")
        new_york = await daily_messages_by_stakeholder(
            session, GUILD, START, END, "America/New_York"
        )
    # Tokyo is UTC+9: Bob's 23:30 UTC reply (6) is on 2 May there, Alice's 15:00 UTC message
    # (11) on 4 May; 14:59 UTC (10) is still 3 May.
    assert tokyo == [
        (date(2024, 5, 1), None, 1),
        (date(2024, 5, 1), civil, 3),
        (date(2024, 5, 1), government, 1),
        (date(2024, 5, 2), None, 1),
        (date(2024, 5, 2), civil, 2),
        (date(2024, 5, 2), government, 3),
        (date(2024, 5, 3), civil, 1),
        (date(2024, 5, 4), civil, 1),
    ]
    assert utc == [
        (date(2024, 5, 1), None, 1),
        (date(2024, 5, 1), civil, 3),
        (date(2024, 5, 1), government, 2),
        (date(2024, 5, 2), None, 1),
        (date(2024, 5, 2), civil, 2),
        (date(2024, 5, 2), government, 2),
        (date(2024, 5, 3), civil, 2),
    ]
    # New York is UTC-4 in May: the first four messages fall on 30 April there.
    assert new_york == [
        (date(2024, 4, 30), None, 1),
        (date(2024, 4, 30), civil, 2),
        (date(2024, 4, 30), government, 1),
        (date(2024, 5, 1), civil, 1),
        (date(2024, 5, 1), government, 1),
        (date(2024, 5, 2), None, 1),
        (date(2024, 5, 2), civil, 2),
        (date(2024, 5, 2), government, 2),
        (date(2024, 5, 3), civil, 2),
    ]


# --- questions ------------------------------------------------------------------------------------

PROMPT_MESSAGE, PROMPT_THREAD = 990_000_000_000_000_001, 990_000_000_000_000_002
PROMPT_POSTED = START + 2 * HOUR


async def seed_prompts(db: Database) -> int:
    """A prompt post of the period (its id returned) with answers, one of another community at
    the same time and one before the period; and a stray reply from another community to this
    one's question 1."""
    async with db.transaction() as session:
        posts: list[int] = []
        for guild_id, posted_at, post_message, thread in (
            (GUILD, PROMPT_POSTED, PROMPT_MESSAGE, PROMPT_THREAD),
            (OTHER_GUILD, PROMPT_POSTED, PROMPT_MESSAGE + 10, PROMPT_THREAD + 10),
            (GUILD, START - DAY, PROMPT_MESSAGE + 20, PROMPT_THREAD + 20),
        ):
            question = await prompt_queries.add_question(
                session,
                community_id=guild_id,
                text=f"How do you fund knowledge work? {posted_at}",
                text_key=f"how do you fund knowledge work? {posted_at}",
                theme="Funding",
                theme_key="funding",
                status=QuestionStatus.APPROVED,
                author_id=None,
            )
            post = await prompt_queries.add_post(
                session,
                community_id=guild_id,
                question_id=question.id,
                prompt_schedule_id=None,
                theme_key="funding",
                channel_id=CHANNEL,
                posted_at=posted_at,
                message_id=post_message,
            )
            await prompt_queries.finish_post(session, post.id, thread)
            posts.append(post.id)
        answer = 995_000_000_000_000_000
        minute = timedelta(minutes=1)

        def in_thread(n: int, author: int, at: datetime, **fields: Any) -> ContributionRow:
            where = {"channel_id": PROMPT_THREAD, **fields}
            return contribution(answer + n, author, created_at=at, **where)

        def replying(n: int, author: int, to: int, at: datetime, **fields: Any) -> ContributionRow:
            return contribution(
                answer + n,
                author,
                is_reply=True,
                reply_to_message_id=to,
                created_at=at,
                **fields,
            )

        await log_queries.store_contributions(
            session,
            [
                # Carol (opted out) answers first: neither counted nor the first answer.
                in_thread(1, CAROL, PROMPT_POSTED + 10 * minute),
                replying(2, BOB, PROMPT_MESSAGE, PROMPT_POSTED + 30 * minute),
                in_thread(3, ALICE, PROMPT_POSTED + HOUR),
                in_thread(4, ALICE, END + DAY),  # after the period: an answer all the same
                # In another community: its own post's thread, and a reply to message 1 here.
                in_thread(
                    5,
                    GINA,
                    PROMPT_POSTED + minute,
                    community_id=OTHER_GUILD,
                    channel_id=PROMPT_THREAD + 10,
                ),
                replying(
                    6,
                    GINA,
                    message_id(GUILD, 1),
                    START + minute,
                    community_id=OTHER_GUILD,
                    reply_to_author_id=ALICE,
                ),
            ],
        )
    return posts[0]


async def test_questions_with_their_answers_counted(db: Database) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)
    post = await seed_prompts(db)
    async with db.session() as session:
        asked = await questions_asked(session, GUILD, START, END)
        first_hour = await questions_asked(session, GUILD, START, START + HOUR)
    # Question 1 is answered by 2 (Bob), 3 (Fred), 7 (Gina), 8 (Bob) and 12 (Bob, after the
    # period): 5 answers by 3 people, the first at START + 1h; Alice's own reply (4), Carol's
    # (she opted out: 5) and the other community's stray reply are not answers. Question 10
    # has none; Carol's question (15) is left out with her; question 0 was asked before.
    # The prompt: Bob's reply and Alice's two thread messages (one after the period).
    assert asked == [
        QuestionAsked(Asked.QUESTION, message_id(GUILD, 1), START, START + HOUR, 5, 3),
        QuestionAsked(
            Asked.PROMPT, post, PROMPT_POSTED, PROMPT_POSTED + timedelta(minutes=30), 3, 2
        ),
        QuestionAsked(Asked.QUESTION, message_id(GUILD, 10), MESSAGES[10][2], None, 0, 0),
    ]
    assert first_hour == [asked[0]]


# --- cafés ----------------------------------------------------------------------------------------


def held_seats(cafe_id: int) -> list[Seat]:
    # Bob's two posts and Alice's one at table 1 of round 1, Fred's at table 1 of round 2;
    # Bob's post at a table he was not seated at counts for no seat.
    return [
        Seat(cafe_id, 1, 1, ALICE, True, 1),
        Seat(cafe_id, 1, 1, BOB, False, 2),
        Seat(cafe_id, 1, 2, FRED, True, 0),
        Seat(cafe_id, 1, 2, CAROL, False, 0),
        Seat(cafe_id, 2, 1, BOB, True, 0),
        Seat(cafe_id, 2, 1, FRED, False, 1),
        Seat(cafe_id, 2, 2, ALICE, True, 0),
        Seat(cafe_id, 2, 2, GINA, False, 0),
    ]


async def test_cafe_seats_of_the_period_or_of_one_cafe(db: Database) -> None:
    await seed(db)
    cafes = await seed_cafes(db)
    async with db.session() as session:
        in_period = await cafe_seats(session, GUILD, START, END)
        held = await cafe_seats(session, GUILD, END, None, cafe_id=cafes.held)
        earlier = await cafe_seats(session, GUILD, START, END, cafe_id=cafes.earlier)
        not_ours = await cafe_seats(session, GUILD, None, None, cafe_id=cafes.elsewhere)
        from_the_start = await cafe_seats(session, GUILD, CAFE_STARTS, CAFE_STARTS + HOUR)
        before_the_start = await cafe_seats(session, GUILD, START, CAFE_STARTS)
    twin = [Seat(cafes.twin, 1, 1, GINA, True, 0)]
    assert in_period == from_the_start == held_seats(cafes.held) + twin
    # One café, whatever the period: not its twin set for the same moment.
    assert held == held_seats(cafes.held)
    assert earlier == [Seat(cafes.earlier, 1, 1, ALICE, True, 0)]
    assert not_ours == [] and before_the_start == []


async def test_cafe_table_notes_every_table_seated(db: Database) -> None:
    await seed(db)  # Carol opts out
    cafes = await seed_cafes(db)
    async with db.session() as session:
        in_period = await cafe_table_notes(session, GUILD, START, END)
        held = await cafe_table_notes(session, GUILD, None, START, cafe_id=cafes.held)
        earlier = await cafe_table_notes(session, GUILD, START, END, cafe_id=cafes.earlier)
        not_ours = await cafe_table_notes(session, GUILD, None, None, cafe_id=cafes.elsewhere)
    # Table 1 of round 1: Alice's note, Bob's note and harvest item; table 2: only Carol's,
    # who opted out; round 2: the forgotten person's note and Fred's item at table 1, Alice's
    # note (written after the period, but the café's) at table 2.
    expected = [
        TableNotes(cafes.held, 1, 1, 3),
        TableNotes(cafes.held, 1, 2, 0),
        TableNotes(cafes.held, 2, 1, 2),
        TableNotes(cafes.held, 2, 2, 1),
    ]
    assert in_period == [*expected, TableNotes(cafes.twin, 1, 1, 0)]
    assert held == expected
    assert earlier == [TableNotes(cafes.earlier, 1, 1, 1)]
    assert not_ours == []


async def test_latest_cafe_is_the_most_recent_with_seats(db: Database) -> None:
    cafes = await seed_cafes(db)
    async with db.session() as session:
        # The later café has nobody seated; the twin and the held café start at the same
        # moment, the twin made last.
        assert await latest_cafe_id(session, GUILD) == cafes.twin
        assert await latest_cafe_id(session, OTHER_GUILD) == cafes.elsewhere
        assert await latest_cafe_id(session, GUILD + 2) is None
