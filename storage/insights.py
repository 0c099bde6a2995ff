"""The queries behind the insights (``bot/insights``): one community's people, what each did in a
period, who replied to whom, messages per local day, questions and what came of them, and café
seats and tablecloths. Every count is made by the database (GROUP BY), never one query per
person, and only the community's own rows are read; the period is [start, end) in UTC (None: open
at that side).

What counts, function by function:

- A message is a ``contribution`` row created in the period. A reply is a message with
  ``is_reply`` whose author replied to someone else (a reply to an opted-out person, whose id the
  log does not keep, is still a reply to someone else); a reply edge also needs the person
  replied to, so ``sum(edge counts into X) == replies_received(X)``.
- Tablecloth notes and harvest items count in the period in which they were written; a café's
  seats and table notes come with the café, which belongs to the period of its start (without
  one, its creation), as in the ``cafes`` export (``storage.exports.cafes``).
- A prompt post's answers are counted as the ``prompts`` export counts them
  (``storage.exports.prompts.post_batches``, called as it is): messages in its thread or replying
  to its message, whenever posted, by anyone who has not opted out.
- A member's question (``is_question``) is answered by replies to it from other people who have
  not opted out, whenever posted; questions of people who opted out are left out (they are
  absent from every figure).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Executable,
    Select,
    SQLColumnExpression,
    and_,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.insights.values import Activity, Asked, Person, QuestionAsked, Reply, Seat, TableNotes
from storage.exports import stream_batches
from storage.exports.cafes import cafes_of_period, seat_batches
from storage.exports.prompts import post_batches
from storage.members import organisation_at_end, present_at_some_time
from storage.models import (
    Cafe,
    CafeNote,
    CafeSeat,
    CafeTable,
    Contribution,
    Member,
    NoteKind,
    Reaction,
)
from storage.types import table_of, utc_now

# The columns of post_batches' rows used here (its comment lists them all).
_POST_ID, _POSTED_AT, _ANSWERS, _ANSWERERS, _FIRST_ANSWER_AT = 0, 8, 11, 12, 13


def _in_period(
    moment: Any, start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    """Conditions putting ``moment`` in [start, end)."""
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(moment >= start)
    if end is not None:
        conditions.append(moment < end)
    return conditions


def _messages(
    community_id: int, start: datetime | None, end: datetime | None
) -> list[ColumnElement[bool]]:
    """The community's contributions created in [start, end)."""
    return [
        col(Contribution.community_id) == community_id,
        *_in_period(col(Contribution.created_at), start, end),
    ]


def _opted_out(community_id: int) -> Select[int]:
    """The user ids of the community's members who opted out of the log."""
    return select(col(Member.user_id)).where(
        col(Member.community_id) == community_id, col(Member.opted_out_at).is_not(None)
    )


async def _rows(session: AsyncSession, statement: Executable) -> Sequence[Sequence[Any]]:
    """A small grouped result read whole, as plain tuples."""
    rows: Sequence[Sequence[Any]] = (await session.execute(statement)).all()
    return rows


def _reply_conditions() -> list[SQLColumnExpression[bool]]:
    """A contribution that is a reply to another, known person (an edge of the reply network)."""
    author, replied_to = col(Contribution.author_id), col(Contribution.reply_to_author_id)
    return [col(Contribution.is_reply), replied_to.is_not(None), replied_to != author]


def _counted(condition: SQLColumnExpression[bool]) -> ColumnElement[int]:
    """How many rows of the group meet ``condition`` (0 for none, on both databases)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- people and what they did -------------------------------------------------------------------


async def present_people(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> list[Person]:
    """The community's members in the server at some moment of [start, end) who have not opted
    out, each with the organisation they belonged to at the period's end and their own
    stakeholder group and level; by user id."""
    statement = (
        select(
            col(Member.user_id),
            organisation_at_end(end),
            col(Member.stakeholder),
            col(Member.level),
        )
        .where(
            col(Member.community_id) == community_id,
            col(Member.opted_out_at).is_(None),
            *present_at_some_time(start, end),
        )
        .order_by(col(Member.user_id))
    )
    return [
        Person(user_id, organisation, stakeholder, level)
        for user_id, organisation, stakeholder, level in await _rows(session, statement)
    ]


async def activity_by_person(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> dict[int, Activity]:
    """What each person did and received in [start, end), by user id: four grouped queries
    (messages by author, replies by the person replied to, café notes by author, reactions by
    the author of the message reacted to), merged. Someone who only received is there too;
    people who opted out may be (the caller keeps the people it counts)."""
    author, replied_to = col(Contribution.author_id), col(Contribution.reply_to_author_id)
    counts: dict[int, dict[str, int]] = defaultdict(dict)

    given = (
        select(
            author,
            func.count(),
            _counted(and_(col(Contribution.is_reply), replied_to.is_distinct_from(author))),
            _counted(col(Contribution.is_answer)),
            _counted(col(Contribution.is_resource)),
        )
        .where(*_messages(community_id, start, end))
        .group_by(author)
    )
    for user_id, messages, replies, answers, resources in await _rows(session, given):
        counts[user_id].update(
            messages=int(messages),
            replies=int(replies),
            answers=int(answers),
            resources=int(resources),
        )

    replies_received = (
        select(replied_to, func.count())
        .where(*_messages(community_id, start, end), *_reply_conditions())
        .group_by(replied_to)
    )
    for user_id, replies in await _rows(session, replies_received):
        counts[user_id]["replies_received"] = int(replies)

    note_author = col(CafeNote.author_id)
    notes = (
        select(
            note_author,
            _counted(col(CafeNote.kind) == NoteKind.NOTE.value),
            _counted(col(CafeNote.kind) == NoteKind.INSIGHT.value),
        )
        .join(Cafe, col(Cafe.id) == col(CafeNote.cafe_id))
        .where(
            col(Cafe.community_id) == community_id,
            note_author.is_not(None),  # a forgotten person's note
            *_in_period(col(CafeNote.created_at), start, end),
        )
        .group_by(note_author)
    )
    for user_id, tablecloth, harvest in await _rows(session, notes):
        counts[user_id].update(notes=int(tablecloth), harvest_items=int(harvest))

    target = col(Reaction.target_author_id)
    reactions = (
        select(target, func.count())
        .where(
            col(Reaction.community_id) == community_id,
            target.is_not(None),
            target != col(Reaction.user_id),
            *_in_period(col(Reaction.created_at), start, end),
        )
        .group_by(target)
    )
    for user_id, received in await _rows(session, reactions):
        counts[user_id]["reactions_received"] = int(received)

    return {user_id: Activity(**fields) for user_id, fields in sorted(counts.items())}


async def reply_edges(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> list[Reply]:
    """Who replied to whom in [start, end), and how often: one :class:`Reply` per ordered pair
    of people, self-replies left out, by source then target. Streamed from one grouped query."""
    author, replied_to = col(Contribution.author_id), col(Contribution.reply_to_author_id)
    statement = (
        select(author, replied_to, func.count())
        .where(*_messages(community_id, start, end), *_reply_conditions())
        .group_by(author, replied_to)
        .order_by(author, replied_to)
    )
    edges: list[Reply] = []
    async for batch in stream_batches(session, statement):
        rows: Sequence[Sequence[Any]] = batch
        edges.extend(Reply(source, target, int(count)) for source, target, count in rows)
    return edges


# --- messages over time ---------------------------------------------------------------------------


def _local_day_expression(session: AsyncSession, timezone: str, end: datetime | None) -> Any:
    """The local day of a contribution's ``created_at`` in ``timezone``, as the database gives
    it (a date on PostgreSQL, ``YYYY-MM-DD`` text on SQLite)."""
    created_at = col(Contribution.created_at)
    if session.get_bind().dialect.name == "postgresql":
        # timezone(zone, timestamptz) is ``created_at AT TIME ZONE zone``: the local wall time.
        return cast(func.timezone(timezone, created_at), Date)
    # SQLite has no time zones: one fixed offset, the zone's at the period's end.
    offset = ZoneInfo(timezone).utcoffset(end or utc_now())
    minutes = 0 if offset is None else int(offset / timedelta(minutes=1))
    return func.date(created_at, f"{minutes:+d} minutes")


async def daily_messages_by_stakeholder(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    timezone: str,
) -> list[tuple[date, str | None, int]]:
    """``(local day, stakeholder group, messages)`` for [start, end): messages per day in the
    community's time zone ``timezone`` (IANA) and the stakeholder group recorded on each message
    (None: none recorded); by day, then group (None first).

    On PostgreSQL the day is that of the local wall time. SQLite has no time zones, so every
    message is shifted by the zone's UTC offset at the period's end (or now, with no end): across
    a daylight-saving change a day boundary there may be an hour off.
    """
    day = _local_day_expression(session, timezone, end).label("day")
    # Grouped in an outer query over the inner one's column: PostgreSQL would not see that the
    # day expression in SELECT and in GROUP BY are one when their zone is bound twice.
    messages = (
        select(day, col(Contribution.stakeholder).label("stakeholder"))
        .where(*_messages(community_id, start, end))
        .subquery("message_day")
    )
    statement = select(messages.c.day, messages.c.stakeholder, func.count()).group_by(
        messages.c.day, messages.c.stakeholder
    )
    rows = [
        (day if isinstance(day, date) else date.fromisoformat(day), stakeholder, int(count))
        for day, stakeholder, count in await _rows(session, statement)
    ]
    # Sorted here: the databases put NULLs at different ends.
    return sorted(rows, key=lambda row: (row[0], row[1] is not None, row[1] or ""))


# --- questions ------------------------------------------------------------------------------------


async def questions_asked(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> list[QuestionAsked]:
    """The questions asked in [start, end) and what came of them, by the moment asked:

    - prompt posts made in the period, answered as the ``prompts`` export counts it (in the
      post's thread or replying to its message, by anyone who has not opted out, whenever);
    - members' messages of the period classed as questions (by people who have not opted out),
      answered by replies to them from other people who have not opted out, whenever.
    """
    asked: list[QuestionAsked] = [
        QuestionAsked(
            kind=Asked.PROMPT,
            key=row[_POST_ID],
            asked_at=row[_POSTED_AT],
            first_answer_at=row[_FIRST_ANSWER_AT],
            answers=int(row[_ANSWERS]),
            answerers=int(row[_ANSWERERS]),
        )
        async for batch in post_batches(session, community_id, start, end)
        for row in batch
    ]

    opted_out = _opted_out(community_id)
    message = table_of(Contribution)
    asked_in_period = (
        select(message.c.message_id, message.c.author_id, message.c.created_at)
        .where(
            message.c.community_id == community_id,
            message.c.is_question,
            message.c.author_id.not_in(opted_out),
            *_in_period(message.c.created_at, start, end),
        )
    )
    members_questions: dict[int, tuple[int, datetime]] = {}
    async for batch in stream_batches(session, asked_in_period):
        for message_id, author_id, created_at in batch:
            members_questions[message_id] = (author_id, created_at)
    # Their answers are looked up by the replied-to message's index, a slice of question ids at
    # a time: a join or a sub-select here let a planner without statistics (SQLite, which is
    # never ANALYZEd; PostgreSQL right after a bulk load) scan the whole log once per question.
    first_answer: dict[int, datetime] = {}
    answers: dict[int, int] = {}
    answerers: dict[int, int] = {}
    ids = list(members_questions)
    for first in range(0, len(ids), QUESTION_IDS_PER_QUERY):
        chunk = ids[first : first + QUESTION_IDS_PER_QUERY]
        # No condition on the community here: it would lead SQLite's planner to the
        # (community, time) index, a scan of the whole log per slice. A message id is Discord's,
        # unique everywhere, so only this community's messages reply to these; checked below.
        by_answerer = (
            select(
                message.c.reply_to_message_id,
                message.c.author_id,
                message.c.community_id,
                func.min(message.c.created_at),
                func.count(),
            )
            .where(
                message.c.reply_to_message_id.in_(chunk),
                message.c.author_id.not_in(opted_out),
            )
            .group_by(message.c.reply_to_message_id, message.c.author_id, message.c.community_id)
        )
        for question_id, answerer, where, answered_at, count in await _rows(session, by_answerer):
            if where != community_id:
                continue
            if answerer == members_questions[question_id][0]:
                continue  # the asker's own follow-up is no answer
            earlier = first_answer.get(question_id)
            first_answer[question_id] = (
                answered_at if earlier is None else min(earlier, answered_at)
            )
            answers[question_id] = answers.get(question_id, 0) + int(count)
            answerers[question_id] = answerers.get(question_id, 0) + 1
    asked.extend(
        QuestionAsked(
            Asked.QUESTION,
            question_id,
            asked_at,
            first_answer.get(question_id),
            answers.get(question_id, 0),
            answerers.get(question_id, 0),
        )
        for question_id, (_, asked_at) in members_questions.items()
    )
    return sorted(asked, key=lambda question: (question.asked_at, question.kind, question.key))


QUESTION_IDS_PER_QUERY = 1_000
"""Question ids per lookup of their answers (well under every database's limit of bound values)."""


# --- cafés ----------------------------------------------------------------------------------------


async def _cafe_moment(session: AsyncSession, community_id: int, cafe_id: int) -> datetime | None:
    """When the community's café ``cafe_id`` belongs (its start, else its creation); None if the
    community has no such café."""
    statement = select(func.coalesce(col(Cafe.starts_at), col(Cafe.created_at))).where(
        col(Cafe.id) == cafe_id, col(Cafe.community_id) == community_id
    )
    moment: datetime | None = (await session.execute(statement)).scalar_one_or_none()
    return moment


def _cafe_filter(cafe_id: int | None) -> Callable[[int], bool]:
    return (lambda _: True) if cafe_id is None else (lambda found: found == cafe_id)


async def cafe_seats(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    cafe_id: int | None = None,
) -> list[Seat]:
    """Every seat of the community's cafés of [start, end) (or, with ``cafe_id``, of that café
    whatever the period), with how many messages the person posted in their table's thread
    (counted by ``storage.exports.cafes.seat_batches``); by café, round, table and seating."""
    if cafe_id is not None:
        # seat_batches takes a period: the café's own moment, to the next microsecond, reads
        # that café (and any other set for the very same moment, dropped below).
        moment = await _cafe_moment(session, community_id, cafe_id)
        if moment is None:
            return []
        start, end = moment, moment + timedelta(microseconds=1)
    wanted = _cafe_filter(cafe_id)
    return [
        Seat(found, round_number, table_number, user_id, bool(is_host), int(contributions))
        async for batch in seat_batches(session, community_id, start, end)
        for found, round_number, table_number, user_id, is_host, _, contributions in batch
        if wanted(found)
    ]


async def cafe_table_notes(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    cafe_id: int | None = None,
) -> list[TableNotes]:
    """How many tablecloth notes and harvest items were written at each table of the
    community's cafés of [start, end) (or, with ``cafe_id``, of that café whatever the period);
    every table seated is there, with 0 if none. Notes of people who opted out are not counted;
    those of forgotten people (no author) are. By café, round and table."""
    if cafe_id is None:
        cafes = cafes_of_period(community_id, start, end)
    else:
        cafes = and_(col(Cafe.id) == cafe_id, col(Cafe.community_id) == community_id)
    table_key = (col(CafeTable.cafe_id), col(CafeTable.round_number), col(CafeTable.table_number))
    tables = select(*table_key).join(Cafe, col(Cafe.id) == col(CafeTable.cafe_id)).where(cafes)
    counts: dict[tuple[int, int, int], int] = {
        (found, round_number, table_number): 0
        for found, round_number, table_number in await session.execute(tables)
    }
    note_key = (col(CafeNote.cafe_id), col(CafeNote.round_number), col(CafeNote.table_number))
    author = col(CafeNote.author_id)
    notes = (
        select(*note_key, func.count())
        .join(Cafe, col(Cafe.id) == col(CafeNote.cafe_id))
        .where(cafes, or_(author.is_(None), author.not_in(_opted_out(community_id))))
        .group_by(*note_key)
    )
    for found, round_number, table_number, count in await _rows(session, notes):
        counts[(found, round_number, table_number)] = int(count)
    return [TableNotes(*key, notes) for key, notes in sorted(counts.items())]


async def latest_cafe_id(session: AsyncSession, community_id: int) -> int | None:
    """The community's most recent café (by start, else creation) that has seated anyone."""
    seated = select(col(CafeSeat.cafe_id)).where(col(CafeSeat.cafe_id) == col(Cafe.id)).exists()
    statement = (
        select(col(Cafe.id))
        .where(col(Cafe.community_id) == community_id, seated)
        .order_by(
            func.coalesce(col(Cafe.starts_at), col(Cafe.created_at)).desc(), col(Cafe.id).desc()
        )
        .limit(1)
    )
    found: int | None = (await session.execute(statement)).scalar_one_or_none()
    return found
