"""Queries of the question bank, prompt schedules and posts, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import prompts as queries
from storage.communities import ensure_community
from storage.db import Database
from storage.models import FiringStatus, PromptSchedule, QuestionStatus
from storage.schedules import claim_firing, create_schedule, firings_of, get_schedule

GUILD = 501
OTHER = 502
ALICE = 9001
BOB = 9002
T0 = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)


async def add(
    db: Database,
    text: str,
    theme: str = "Funding",
    *,
    community_id: int = GUILD,
    status: QuestionStatus = QuestionStatus.APPROVED,
    author_id: int | None = ALICE,
    reviewed_by: int | None = None,
    show_author: bool = False,
) -> int:
    async with db.session() as session:
        await ensure_community(session, community_id, f"CoP {community_id}")
        question = await queries.add_question(
            session,
            community_id=community_id,
            text=text,
            text_key=text.lower(),
            theme=theme,
            theme_key=theme.strip().lower(),
            status=status,
            author_id=author_id,
            reviewed_by=reviewed_by,
            show_author=show_author,
        )
        await session.commit()
        assert question.id is not None
        return question.id


async def add_schedule(
    db: Database, *, community_id: int = GUILD, theme: str = "Funding", created_by: int = ALICE
) -> PromptSchedule:
    async with db.session() as session:
        await ensure_community(session, community_id, f"CoP {community_id}")
        schedule = await create_schedule(
            session,
            community_id=community_id,
            kind="prompt.post",
            when_text="daily 09:00",
            timezone="Europe/Amsterdam",
            created_by=created_by,
        )
        assert schedule.id is not None
        prompt_schedule = await queries.add_prompt_schedule(
            session,
            community_id=community_id,
            schedule_id=schedule.id,
            channel_id=42,
            theme=theme,
            theme_key=theme.lower(),
            created_by=created_by,
        )
        await session.commit()
        return prompt_schedule


async def add_post(
    db: Database,
    question_id: int,
    *,
    cycle: int = 1,
    theme_key: str = "funding",
    community_id: int = GUILD,
    thread_id: int | None = None,
    prompt_schedule_id: int | None = None,
    posted_at: datetime = T0,
    posted_by: int | None = None,
) -> int:
    async with db.session() as session:
        post = await queries.add_post(
            session,
            community_id=community_id,
            question_id=question_id,
            prompt_schedule_id=prompt_schedule_id,
            theme_key=theme_key,
            cycle=cycle,
            channel_id=42,
            message_id=question_id * 10,
            thread_id=thread_id,
            posted_at=posted_at,
            posted_by=posted_by,
        )
        await session.commit()
        assert post.id is not None
        return post.id


async def test_every_query_sees_only_its_own_community(db: Database) -> None:
    ours = await add(db, "How do you fund knowledge work?")
    theirs = await add(db, "How do you fund knowledge work?", community_id=OTHER)
    await add_post(db, theirs, community_id=OTHER, thread_id=77)
    async with db.session() as session:
        assert await queries.get_question(session, GUILD, theirs) is None
        assert (await queries.get_question(session, OTHER, theirs)) is not None
        found = await queries.question_by_key(session, GUILD, "how do you fund knowledge work?")
        assert found is not None and found.id == ours
        assert await queries.question_by_key(session, GUILD, "no such question") is None
        listed, total = await queries.list_questions(session, GUILD)
        assert [q.id for q in listed] == [ours] and total == 1
        assert await queries.approved_question_ids(session, GUILD, "funding") == [ours]
        assert await queries.current_cycle(session, GUILD, "funding") == (1, set())
        assert await queries.last_posted_by_theme(session, GUILD) == {}
        assert await queries.posts_of(session, GUILD) == []
        keyed = await queries.questions_by_keys(session, GUILD, ["how do you fund knowledge work?"])
        assert [q.id for q in keyed.values()] == [ours]


async def test_list_questions_pages_oldest_first_and_filters(db: Database) -> None:
    ids = []
    for n in range(12):
        theme = "Funding" if n % 2 == 0 else "Tools"
        status = QuestionStatus.PENDING if n % 3 == 0 else QuestionStatus.APPROVED
        ids.append(await add(db, f"Question number {n}?", theme, status=status))
    async with db.session() as session:
        first, total = await queries.list_questions(session, GUILD, offset=0, limit=5)
        second, _ = await queries.list_questions(session, GUILD, offset=5, limit=5)
        last, _ = await queries.list_questions(session, GUILD, offset=10, limit=5)
        assert total == 12
        assert [q.id for q in first + second + last] == ids
        assert len(last) == 2
        funding, total = await queries.list_questions(session, GUILD, theme_key="funding")
        assert total == 6 and [q.id for q in funding] == ids[0::2]
        pending, total = await queries.list_questions(session, GUILD, status=QuestionStatus.PENDING)
        assert total == 4 and [q.id for q in pending] == [ids[0], ids[3], ids[6], ids[9]]
        both, total = await queries.list_questions(
            session, GUILD, theme_key="tools", status=QuestionStatus.PENDING, limit=1
        )
        assert total == 2 and [q.id for q in both] == [ids[3]]
        beyond, total = await queries.list_questions(session, GUILD, offset=40, limit=5)
        assert beyond == [] and total == 12


async def test_approved_ids_and_themes_count_only_approved_questions(db: Database) -> None:
    approved = await add(db, "Who pays for learning?")
    await add(db, "Pending one?", status=QuestionStatus.PENDING)
    await add(db, "Rejected one?", status=QuestionStatus.REJECTED)
    await add(db, "Retired one?", status=QuestionStatus.RETIRED)
    await add(db, "Only pending here?", "Tools", status=QuestionStatus.PENDING)
    async with db.session() as session:
        assert await queries.approved_question_ids(session, GUILD, "funding") == [approved]
        assert await queries.approved_question_ids(session, GUILD, "tools") == []
        assert await queries.themes(session, GUILD) == [
            ("funding", "Funding", 1),
            ("tools", "Tools", 0),
        ]
        assert await queries.themes(session, OTHER) == []


async def test_a_theme_shows_the_spelling_it_was_first_given(db: Database) -> None:
    # Two spellings of one theme key can only meet through a race; the first one wins, not the
    # one that sorts first ("FUNDING" < "Funding" byte-wise).
    await add(db, "First in the theme?", "Funding")
    await add(db, "Second in the theme?", "FUNDING")
    async with db.session() as session:
        assert await queries.themes(session, GUILD) == [("funding", "Funding", 2)]


async def test_current_cycle_and_the_theme_posted_last(db: Database) -> None:
    one = await add(db, "One?")
    two = await add(db, "Two?")
    tool = await add(db, "A tool?", "Tools")
    async with db.session() as session:
        assert await queries.current_cycle(session, GUILD, "funding") == (1, set())
    await add_post(db, one, cycle=1, posted_at=T0)
    await add_post(db, two, cycle=1, posted_at=T0 + timedelta(days=1))
    await add_post(db, tool, cycle=1, theme_key="tools", posted_at=T0 + timedelta(days=2))
    async with db.session() as session:
        assert await queries.current_cycle(session, GUILD, "funding") == (1, {one, two})
    await add_post(db, two, cycle=2, posted_at=T0 + timedelta(days=3))
    async with db.session() as session:
        assert await queries.current_cycle(session, GUILD, "funding") == (2, {two})
        assert await queries.current_cycle(session, GUILD, "tools") == (1, {tool})
        assert await queries.last_posted_by_theme(session, GUILD) == {
            "funding": T0 + timedelta(days=3),
            "tools": T0 + timedelta(days=2),
        }


async def test_recent_skips_are_newest_first_and_per_schedule(db: Database) -> None:
    first = await add_schedule(db)
    second = await add_schedule(db, theme="Tools")
    async with db.session() as session:
        for day in range(5):
            await claim_firing(
                session,
                first.schedule_id,
                T0 + timedelta(days=day),
                claimed_by="p",
                status=FiringStatus.SKIPPED,
                note=f"skip {day}",
            )
        await claim_firing(session, first.schedule_id, T0 + timedelta(days=9), claimed_by="p")
        await claim_firing(
            session, second.schedule_id, T0, claimed_by="p", status=FiringStatus.DONE
        )
        await session.commit()
    async with db.session() as session:
        skips = await queries.recent_skips(session, [first.schedule_id, second.schedule_id])
        assert await queries.recent_skips(session, []) == {}
    assert list(skips) == [first.schedule_id]
    assert [f.note for f in skips[first.schedule_id]] == ["skip 4", "skip 3", "skip 2"]


async def test_deleting_a_schedule_keeps_its_posts_unlinked(db: Database) -> None:
    question = await add(db, "Kept?")
    doomed = await add_schedule(db)
    kept = await add_schedule(db, theme="Tools")
    post = await add_post(db, question, prompt_schedule_id=doomed.id, thread_id=555)
    other_post = await add_post(db, question, prompt_schedule_id=kept.id, cycle=2)
    async with db.session() as session:
        await claim_firing(session, doomed.schedule_id, T0, claimed_by="p")
        await session.commit()
    async with db.session() as session:
        await queries.delete_prompt_schedule(session, doomed)
        await session.commit()
    async with db.session() as session:
        assert await queries.get_prompt_schedule(session, GUILD, doomed.id or 0) is None
        assert await get_schedule(session, doomed.schedule_id) is None
        assert await firings_of(session, doomed.schedule_id) == []
        assert await queries.prompt_schedule_of(session, kept.schedule_id) is not None
        posts = {p.id: p for p in await queries.posts_of(session, GUILD)}
        assert set(posts) == {post, other_post}
        assert posts[post].prompt_schedule_id is None and posts[post].thread_id == 555
        assert posts[other_post].prompt_schedule_id == kept.id
        listed = await queries.list_prompt_schedules(session, GUILD)
        assert [p.id for p, _ in listed] == [kept.id]


async def test_prompt_schedules_are_found_only_in_their_community(db: Database) -> None:
    ours = await add_schedule(db)
    theirs = await add_schedule(db, community_id=OTHER)
    async with db.session() as session:
        assert await queries.get_prompt_schedule(session, GUILD, theirs.id or 0) is None
        found = await queries.get_prompt_schedule(session, GUILD, ours.id or 0)
        assert found is not None and found[1].id == ours.schedule_id
        assert [p.id for p, _ in await queries.list_prompt_schedules(session, OTHER)] == [theirs.id]


async def test_prompt_threads_map_each_thread_to_its_question_author(db: Database) -> None:
    by_alice = await add(db, "Alice asks?", author_id=ALICE)
    anonymous = await add(db, "Nobody asks?", author_id=None)
    elsewhere = await add(db, "Other server?", community_id=OTHER, author_id=BOB)
    await add_post(db, by_alice, thread_id=1001)
    await add_post(db, anonymous, thread_id=1002)
    await add_post(db, by_alice, cycle=2, thread_id=None)  # posted without a thread
    await add_post(db, elsewhere, community_id=OTHER, thread_id=1003)
    async with db.session() as session:
        assert await queries.prompt_threads(session) == {1001: ALICE, 1002: None, 1003: BOB}


async def test_forgetting_an_author_keeps_the_questions_without_the_name(db: Database) -> None:
    asked = await add(db, "Alice asks?", author_id=ALICE, show_author=True)
    reviewed = await add(db, "Bob asks?", author_id=BOB, reviewed_by=ALICE, show_author=True)
    elsewhere = await add(db, "Alice elsewhere?", community_id=OTHER, show_author=True)
    schedule = await add_schedule(db, created_by=ALICE)
    await add_post(db, asked, posted_by=ALICE, prompt_schedule_id=schedule.id)
    async with db.session() as session:
        assert await queries.has_question_traces(session, GUILD, ALICE)
        assert await queries.has_question_traces(session, GUILD, BOB)
        assert not await queries.has_question_traces(session, GUILD, 12345)
        await queries.forget_question_author(session, GUILD, ALICE)
        await session.commit()
    async with db.session() as session:
        assert not await queries.has_question_traces(session, GUILD, ALICE)
        assert await queries.has_question_traces(session, OTHER, ALICE)  # another community
        first = await queries.get_question(session, GUILD, asked)
        second = await queries.get_question(session, GUILD, reviewed)
        other = await queries.get_question(session, OTHER, elsewhere)
        assert first is not None and (first.author_id, first.show_author) == (None, False)
        assert first.text == "Alice asks?" and first.status == QuestionStatus.APPROVED
        assert second is not None and (second.author_id, second.reviewed_by) == (BOB, None)
        assert second.show_author  # Bob's own choice stays
        assert other is not None and (other.author_id, other.show_author) == (ALICE, True)
        [post] = await queries.posts_of(session, GUILD)
        assert post.posted_by is None and post.question_id == asked
        found = await queries.get_prompt_schedule(session, GUILD, schedule.id or 0)
        assert found is not None and found[0].created_by is None
