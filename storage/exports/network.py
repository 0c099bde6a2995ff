"""The queries behind the ``network`` export: who replied to whom in a period, between people and
between organisations, aggregated in the database.

Every query counts the same replies (:func:`_reply_conditions`): replies of one community
posted in [start, end) that name the person replied to, neither end opted out of the log, and
nobody replying to themself. So a person's ``replies_sent`` is the sum of their edges' weights,
and an organisation's people are counted over exactly the replies its edges are made of.

The rows are plain tuples, in the order each function's docstring gives; names, pseudonyms and
the suppression of small organisations are the builder's (``bot.exports.network``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    distinct,
    func,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import NamedFromClause
from sqlmodel import col

from storage.exports import stream_batches
from storage.models import Contribution, Member, Organisation
from storage.types import table_of


def _reply_conditions(
    community_id: int, start: datetime | None, end: datetime | None
) -> list[SQLColumnExpression[bool]]:
    """The replies (rows of ``Contribution``) the network is made of."""
    opted_out = select(col(Member.user_id)).where(
        col(Member.community_id) == community_id, col(Member.opted_out_at).is_not(None)
    )
    author, replied_to = col(Contribution.author_id), col(Contribution.reply_to_author_id)
    conditions = [
        col(Contribution.community_id) == community_id,
        col(Contribution.is_reply),
        replied_to.is_not(None),
        author != replied_to,
        author.not_in(opted_out),
        replied_to.not_in(opted_out),
    ]
    if start is not None:
        conditions.append(col(Contribution.created_at) >= start)
    if end is not None:
        conditions.append(col(Contribution.created_at) < end)
    return conditions


def _replied_to_message(community_id: int) -> tuple[NamedFromClause, ColumnElement[bool]]:
    """The ``contribution`` table again, as the message a reply answers, and the join condition
    to it (a reply whose message is not logged finds no row)."""
    message = table_of(Contribution).alias("replied_to_message")
    on = and_(
        message.c.message_id == col(Contribution.reply_to_message_id),
        message.c.community_id == community_id,
    )
    return message, on


def _organisation_people(community_id: int, start: datetime | None, end: datetime | None) -> CTE:
    """``(organisation_id, people)``: how many distinct people each organisation had at either
    end of the period's replies. The author counts for the organisation the reply was posted
    from; the person replied to, for the one their replied-to message was posted from."""
    conditions = _reply_conditions(community_id, start, end)
    message, on = _replied_to_message(community_id)
    authors: Select[int | None, int] = select(
        col(Contribution.organisation_id).label("organisation_id"),
        col(Contribution.author_id).label("user_id"),
    ).where(*conditions, col(Contribution.organisation_id).is_not(None))
    replied_to = (
        select(
            message.c.organisation_id.label("organisation_id"),
            col(Contribution.reply_to_author_id).label("user_id"),
        )
        .select_from(Contribution)
        .join(message, on)
        .where(*conditions, message.c.organisation_id.is_not(None))
    )
    # UNION, not UNION ALL: one person at both ends, or in many replies, is one person.
    pairs = union(authors, replied_to).subquery("organisation_person")
    return (
        select(pairs.c.organisation_id, func.count().label("people"))
        .group_by(pairs.c.organisation_id)
        .cte("organisation_people")
    )


async def people_edge_batches(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """``(author_id, reply_to_author_id, replies, first_reply_at, last_reply_at)``: one row per
    pair of people, in the order of their first reply."""
    author, replied_to = col(Contribution.author_id), col(Contribution.reply_to_author_id)
    first = func.min(col(Contribution.created_at))
    statement = (
        select(author, replied_to, func.count(), first, func.max(col(Contribution.created_at)))
        .where(*_reply_conditions(community_id, start, end))
        .group_by(author, replied_to)
        .order_by(first, author, replied_to)
    )
    async for batch in stream_batches(session, statement):
        yield batch


async def people_node_batches(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """``(user_id, organisation, stakeholder, level, replies_sent, replies_received)``: one row
    per person at either end of a reply. The organisation, stakeholder group and level are
    those of the person's latest contribution before the period's end (a person only replied
    to in the period may have posted nothing in it)."""
    replies = (
        select(col(Contribution.author_id), col(Contribution.reply_to_author_id))
        .where(*_reply_conditions(community_id, start, end))
        .cte("replies")
    )
    sent = (
        select(replies.c.author_id.label("user_id"), func.count().label("replies"))
        .group_by(replies.c.author_id)
        .subquery("sent")
    )
    received = (
        select(replies.c.reply_to_author_id.label("user_id"), func.count().label("replies"))
        .group_by(replies.c.reply_to_author_id)
        .subquery("received")
    )
    people = union(
        select(replies.c.author_id.label("user_id")),
        select(replies.c.reply_to_author_id.label("user_id")),
    ).subquery("people")
    newest_first = func.row_number().over(
        partition_by=col(Contribution.author_id),
        order_by=(col(Contribution.created_at).desc(), col(Contribution.message_id).desc()),
    )
    latest_conditions = [
        col(Contribution.community_id) == community_id,
        col(Contribution.author_id).in_(select(people.c.user_id)),
    ]
    if end is not None:
        latest_conditions.append(col(Contribution.created_at) < end)
    latest = (
        select(
            col(Contribution.author_id).label("user_id"),
            col(Contribution.organisation_id),
            col(Contribution.stakeholder),
            col(Contribution.level),
            newest_first.label("newest_first"),
        )
        .where(*latest_conditions)
        .subquery("latest")
    )
    statement = (
        select(
            people.c.user_id,
            col(Organisation.name),
            latest.c.stakeholder,
            latest.c.level,
            func.coalesce(sent.c.replies, 0),
            func.coalesce(received.c.replies, 0),
        )
        .select_from(people)
        .outerjoin(sent, sent.c.user_id == people.c.user_id)
        .outerjoin(received, received.c.user_id == people.c.user_id)
        .outerjoin(latest, and_(latest.c.user_id == people.c.user_id, latest.c.newest_first == 1))
        .outerjoin(Organisation, col(Organisation.id) == latest.c.organisation_id)
        .order_by(people.c.user_id)
    )
    async for batch in stream_batches(session, statement):
        yield batch


async def organisation_node_batches(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """``(name, stakeholder, level, people)``: one row per organisation with people at either
    end of the period's replies (:func:`_organisation_people`), by name."""
    people = _organisation_people(community_id, start, end)
    statement = (
        select(
            col(Organisation.name),
            col(Organisation.stakeholder),
            col(Organisation.level),
            people.c.people,
        )
        .join(people, people.c.organisation_id == col(Organisation.id))
        .where(col(Organisation.community_id) == community_id)
        .order_by(col(Organisation.name_key))
    )
    async for batch in stream_batches(session, statement):
        yield batch


async def organisation_edge_batches(
    session: AsyncSession, community_id: int, start: datetime | None, end: datetime | None
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """``(source, target, replies, people_source, people_target, source_people,
    target_people)``: one row per pair of organisations (names; one organisation twice for
    replies within it), from the reply's organisation to that of the message it answers; the
    distinct people replying and replied to along it; and each organisation's people in all
    (:func:`_organisation_people`, the same count as the node rows'), by which the builder
    leaves small organisations out. Replies to a message not logged, or with no organisation
    at either end, are not counted."""
    message, on = _replied_to_message(community_id)
    organisations = table_of(Organisation)
    source, target = organisations.alias("source"), organisations.alias("target")
    people = _organisation_people(community_id, start, end)
    source_people, target_people = people.alias("source_people"), people.alias("target_people")
    statement = (
        select(
            source.c.name,
            target.c.name,
            func.count(),
            func.count(distinct(col(Contribution.author_id))),
            func.count(distinct(col(Contribution.reply_to_author_id))),
            source_people.c.people,
            target_people.c.people,
        )
        .select_from(Contribution)
        .join(message, on)
        .join(source, source.c.id == col(Contribution.organisation_id))
        .join(target, target.c.id == message.c.organisation_id)
        .join(source_people, source_people.c.organisation_id == source.c.id)
        .join(target_people, target_people.c.organisation_id == target.c.id)
        .where(*_reply_conditions(community_id, start, end))
        .group_by(
            source.c.id,
            source.c.name,
            source.c.name_key,
            target.c.id,
            target.c.name,
            target.c.name_key,
            source_people.c.people,
            target_people.c.people,
        )
        .order_by(source.c.name_key, target.c.name_key)
    )
    async for batch in stream_batches(session, statement):
        yield batch
