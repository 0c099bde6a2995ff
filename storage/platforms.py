"""Queries for learning-alliance platforms, links, invite codes, shares, deliveries and the
responses that came back across links. Readers return the values of bot/platforms/values.py."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.membership.vocabulary import Level
from bot.platforms import values
from bot.platforms.values import (
    CopyChange,
    DeliveryState,
    Direction,
    Relation,
    ShareKind,
    ShareTarget,
)
from storage.models import (
    Community,
    Platform,
    PlatformDelivery,
    PlatformInvite,
    PlatformLink,
    PlatformResponse,
    PlatformShare,
)
from storage.types import row_id, table_of, value_of
from storage.upsert import insert_if_absent

# --- rows to values -----------------------------------------------------------------------------


def platform_value(row: Platform) -> values.Platform:
    return value_of(values.Platform, row, level=Level(row.level))


def link_value(row: PlatformLink) -> values.Link:
    return value_of(values.Link, row)


def share_value(row: PlatformShare) -> values.Share:
    return value_of(
        values.Share,
        row,
        kind=ShareKind(row.kind),
        target=ShareTarget(row.target),
        attachment_urls=tuple(row.attachment_urls or ()),
    )


def delivery_value(row: PlatformDelivery) -> values.Delivery:
    return value_of(
        values.Delivery,
        row,
        direction=Direction(row.direction),
        state=DeliveryState(row.state),
        change=CopyChange(row.change) if row.change else None,
    )


# --- platforms ----------------------------------------------------------------------------------


async def add_platform(
    session: AsyncSession,
    *,
    community_id: int,
    name: str,
    name_key: str,
    level: Level,
    category_id: int | None,
    created_by: int,
    at: datetime,
) -> values.Platform:
    row = Platform(
        community_id=community_id,
        name=name,
        name_key=name_key,
        level=level,
        category_id=category_id,
        place_id=category_id or 0,
        created_by=created_by,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return platform_value(row)


async def get_platform(session: AsyncSession, platform_id: int) -> values.Platform | None:
    row = await session.get(Platform, platform_id, populate_existing=True)
    return None if row is None else platform_value(row)


async def platforms_by_id(
    session: AsyncSession, platform_ids: Collection[int]
) -> dict[int, values.Platform]:
    if not platform_ids:
        return {}
    rows = (
        await session.execute(select(Platform).where(col(Platform.id).in_(list(platform_ids))))
    ).scalars()
    return {row_id(row): platform_value(row) for row in rows}


async def platforms_of(session: AsyncSession, community_id: int) -> list[values.Platform]:
    """A server's live platforms, oldest first."""
    rows = (
        await session.execute(
            select(Platform)
            .where(Platform.community_id == community_id, col(Platform.removed_at).is_(None))
            .order_by(col(Platform.id))
        )
    ).scalars()
    return [platform_value(row) for row in rows]


async def platform_named(
    session: AsyncSession, community_id: int, name_key: str
) -> values.Platform | None:
    row = (
        await session.execute(
            select(Platform).where(
                Platform.community_id == community_id,
                Platform.name_key == name_key,
                col(Platform.removed_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    return None if row is None else platform_value(row)


async def platform_at(
    session: AsyncSession, community_id: int, category_id: int | None
) -> values.Platform | None:
    """The live platform of a category (None: of the whole server)."""
    row = (
        await session.execute(
            select(Platform).where(
                Platform.community_id == community_id,
                Platform.place_id == (category_id or 0),
                col(Platform.removed_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    return None if row is None else platform_value(row)


async def update_platform(session: AsyncSession, platform_id: int, **changes: Any) -> None:
    """Change a platform's name, level, inbox, pause or autoshare (the keys are columns)."""
    if "category_id" in changes:
        changes["place_id"] = changes["category_id"] or 0
    await session.execute(update(Platform).where(col(Platform.id) == platform_id).values(**changes))


async def paused_inboxes(session: AsyncSession) -> set[int]:
    rows = await session.execute(select(Platform.id).where(col(Platform.inbox_paused).is_not(None)))
    return {platform_id for (platform_id,) in rows if platform_id is not None}


# --- invites ------------------------------------------------------------------------------------


async def add_invite(
    session: AsyncSession,
    *,
    platform_id: int,
    code_hash: str,
    relation: Relation,
    created_by: int,
    at: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        PlatformInvite(
            platform_id=platform_id,
            code_hash=code_hash,
            relation=relation.value,
            created_by=created_by,
            created_at=at,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def invite_by_hash(session: AsyncSession, code_hash: str) -> values.Invite | None:
    row = (
        await session.execute(select(PlatformInvite).where(PlatformInvite.code_hash == code_hash))
    ).scalar_one_or_none()
    return None if row is None else value_of(values.Invite, row, relation=Relation(row.relation))


async def use_invite(
    session: AsyncSession, invite_id: int, *, platform_id: int, at: datetime
) -> bool:
    """Spend a code: True for the one caller that spent it while it was unused and unexpired
    (two moderators racing with the same code get one True between them)."""
    result = await session.execute(
        update(PlatformInvite)
        .where(
            col(PlatformInvite.id) == invite_id,
            col(PlatformInvite.used_at).is_(None),
            col(PlatformInvite.expires_at) > at,
        )
        .values(used_at=at, used_by_platform_id=platform_id)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


# --- links --------------------------------------------------------------------------------------


async def add_link(
    session: AsyncSession,
    *,
    upper_id: int,
    lower_id: int,
    peer: bool,
    invited_by: int | None,
    joined_by: int,
    at: datetime,
) -> values.Link:
    row = PlatformLink(
        upper_id=upper_id,
        lower_id=lower_id,
        peer=peer,
        invited_by=invited_by,
        joined_by=joined_by,
        started_at=at,
    )
    session.add(row)
    await session.flush()
    return link_value(row)


async def get_link(session: AsyncSession, link_id: int) -> values.Link | None:
    row = await session.get(PlatformLink, link_id, populate_existing=True)
    return None if row is None else link_value(row)


async def live_link_between(session: AsyncSession, a: int, b: int) -> values.Link | None:
    row = (
        await session.execute(
            select(PlatformLink).where(
                col(PlatformLink.ended_at).is_(None),
                or_(
                    (col(PlatformLink.upper_id) == a) & (col(PlatformLink.lower_id) == b),
                    (col(PlatformLink.upper_id) == b) & (col(PlatformLink.lower_id) == a),
                ),
            )
        )
    ).scalar_one_or_none()
    return None if row is None else link_value(row)


async def links_of(
    session: AsyncSession,
    platform_ids: Collection[int],
    *,
    live_only: bool = True,
    since: datetime | None = None,
) -> list[values.Link]:
    """Links with an end in ``platform_ids``: live ones, or (``live_only`` False) every one, or
    those live at some time after ``since``."""
    if not platform_ids:
        return []
    ids = list(platform_ids)
    statement = select(PlatformLink).where(
        or_(col(PlatformLink.upper_id).in_(ids), col(PlatformLink.lower_id).in_(ids))
    )
    if live_only:
        statement = statement.where(col(PlatformLink.ended_at).is_(None))
    elif since is not None:
        statement = statement.where(
            or_(col(PlatformLink.ended_at).is_(None), col(PlatformLink.ended_at) > since)
        )
    rows = (await session.execute(statement.order_by(col(PlatformLink.id)))).scalars()
    return [link_value(row) for row in rows]


async def linked_servers(session: AsyncSession) -> list[tuple[int, str]]:
    """The servers (id, name) with a live platform that has a live link."""
    live = select(PlatformLink.id).where(
        col(PlatformLink.ended_at).is_(None),
        or_(
            col(PlatformLink.upper_id) == col(Platform.id),
            col(PlatformLink.lower_id) == col(Platform.id),
        ),
    )
    rows = await session.execute(
        select(Community.id, Community.name)
        .join(Platform, col(Platform.community_id) == col(Community.id))
        .where(col(Platform.removed_at).is_(None), live.exists())
        .distinct()
        .order_by(col(Community.id))
    )
    return [(community_id, name) for community_id, name in rows]


async def end_link(
    session: AsyncSession, link_id: int, *, at: datetime, by: int | None, reason: str
) -> bool:
    """End a live link; False when it had ended already. Copies not yet sent over it are
    dropped: an ended link carries nothing more."""
    result = await session.execute(
        update(PlatformLink)
        .where(col(PlatformLink.id) == link_id, col(PlatformLink.ended_at).is_(None))
        .values(ended_at=at, ended_by=by, end_reason=reason[:200])
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    await session.execute(
        update(PlatformDelivery)
        .where(
            col(PlatformDelivery.link_id) == link_id,
            col(PlatformDelivery.state) == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.DROPPED, last_error="the link ended before it was sent")
    )
    return True


# --- shares and deliveries ----------------------------------------------------------------------


async def add_share(session: AsyncSession, **fields: Any) -> values.Share:
    row = PlatformShare(**fields)
    session.add(row)
    await session.flush()
    return share_value(row)


async def platforms_holding(session: AsyncSession, source_key: str) -> set[int]:
    """The platforms a copy of this item went to, or is on its way to."""
    rows = await session.execute(
        select(PlatformDelivery.target_platform_id).where(
            PlatformDelivery.source_key == source_key,
            col(PlatformDelivery.state) != DeliveryState.DROPPED,
        )
    )
    return {platform_id for (platform_id,) in rows}


async def add_delivery(
    session: AsyncSession,
    *,
    share_id: int,
    source_key: str,
    link_id: int,
    target_platform_id: int,
    direction: Direction,
    at: datetime,
) -> None:
    session.add(
        PlatformDelivery(
            share_id=share_id,
            source_key=source_key,
            link_id=link_id,
            target_platform_id=target_platform_id,
            direction=direction,
            created_at=at,
            next_attempt_at=at,
        )
    )
    await session.flush()


_OPEN_WORK = or_(
    col(PlatformDelivery.state).in_(
        [DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.SENT]
    ),
    col(PlatformDelivery.change).is_not(None),
)


async def claim_due_deliveries(
    session: AsyncSession,
    *,
    now: datetime,
    until: datetime,
    process_id: str,
    limit: int,
    community_ids: Collection[int] | None = None,
) -> list[int]:
    """Claim up to ``limit`` deliveries with work to do now, oldest first, for ``process_id``
    until ``until``: not claimed by another process meanwhile, not waiting for a paused inbox,
    into a server this process serves (``community_ids``, None: every one)."""
    statement = (
        select(PlatformDelivery.id)
        .join(Platform, col(Platform.id) == col(PlatformDelivery.target_platform_id))
        .where(
            _OPEN_WORK,
            col(PlatformDelivery.next_attempt_at) <= now,
            or_(
                col(PlatformDelivery.claimed_until).is_(None),
                col(PlatformDelivery.claimed_until) < now,
                col(PlatformDelivery.claimed_by) == process_id,
            ),
            # A paused inbox holds new copies; changes to copies already out still go.
            or_(
                col(Platform.inbox_paused).is_(None), col(PlatformDelivery.message_id).is_not(None)
            ),
        )
        .order_by(col(PlatformDelivery.next_attempt_at), col(PlatformDelivery.id))
        # More candidates than wanted: a process claiming at the same moment takes some of them.
        .limit(limit * 3)
    )
    if community_ids is not None:
        statement = statement.where(col(Platform.community_id).in_(list(community_ids)))
    candidates = [delivery_id for (delivery_id,) in await session.execute(statement)]
    claimed: list[int] = []
    for delivery_id in candidates:
        if len(claimed) >= limit:
            break
        result = await session.execute(
            update(PlatformDelivery)
            .where(
                col(PlatformDelivery.id) == delivery_id,
                or_(
                    col(PlatformDelivery.claimed_until).is_(None),
                    col(PlatformDelivery.claimed_until) < now,
                    col(PlatformDelivery.claimed_by) == process_id,
                ),
            )
            .values(claimed_by=process_id, claimed_until=until)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(delivery_id)
    return claimed


async def next_due_at(
    session: AsyncSession, community_ids: Collection[int] | None = None
) -> datetime | None:
    """When the earliest delivery with work to do is due (None: none has work), leaving out
    new copies held by a paused inbox (they wait for a moderator, not for a time) and, given
    ``community_ids``, deliveries into servers this process does not serve. A delivery claimed
    by another process is due when its claim lapses, if not before."""
    statement = (
        select(
            func.min(
                sqlalchemy.case(
                    (
                        col(PlatformDelivery.claimed_until) > col(PlatformDelivery.next_attempt_at),
                        col(PlatformDelivery.claimed_until),
                    ),
                    else_=col(PlatformDelivery.next_attempt_at),
                )
            )
        )
        .join(Platform, col(Platform.id) == col(PlatformDelivery.target_platform_id))
        .where(
            _OPEN_WORK,
            or_(
                col(Platform.inbox_paused).is_(None), col(PlatformDelivery.message_id).is_not(None)
            ),
        )
    )
    if community_ids is not None:
        statement = statement.where(col(Platform.community_id).in_(list(community_ids)))
    return (await session.execute(statement)).scalar_one_or_none()


async def delivery_job(session: AsyncSession, delivery_id: int) -> values.DeliveryJob | None:
    delivery = await session.get(PlatformDelivery, delivery_id, populate_existing=True)
    if delivery is None:
        return None
    share = await session.get(PlatformShare, delivery.share_id, populate_existing=True)
    origin = await session.get(Platform, share.origin_platform_id) if share else None
    target = await session.get(Platform, delivery.target_platform_id)
    if share is None or origin is None or target is None:
        return None
    server = await session.get(Community, origin.community_id)
    return values.DeliveryJob(
        delivery=delivery_value(delivery),
        share=share_value(share),
        origin=platform_value(origin),
        origin_server=server.name if server is not None else "",
        target=platform_value(target),
    )


async def server_names(session: AsyncSession, community_ids: Collection[int]) -> dict[int, str]:
    if not community_ids:
        return {}
    rows = await session.execute(
        select(Community.id, Community.name).where(col(Community.id).in_(list(community_ids)))
    )
    return {community_id: name for community_id, name in rows}


async def begin_sending(session: AsyncSession, delivery_id: int, channel_id: int) -> bool:
    """Record that a copy is about to be sent, only while its link is live and its original is
    not deleted: False when either went since the delivery was claimed (nothing may be sent)."""
    live_link = select(PlatformLink.id).where(
        col(PlatformLink.id) == col(PlatformDelivery.link_id), col(PlatformLink.ended_at).is_(None)
    )
    standing_share = select(PlatformShare.id).where(
        col(PlatformShare.id) == col(PlatformDelivery.share_id),
        col(PlatformShare.deleted_at).is_(None),
    )
    result = await session.execute(
        update(PlatformDelivery)
        .where(
            col(PlatformDelivery.id) == delivery_id,
            col(PlatformDelivery.state).in_([DeliveryState.PENDING, DeliveryState.SENDING]),
            live_link.exists(),
            standing_share.exists(),
        )
        .values(state=DeliveryState.SENDING, channel_id=channel_id)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def update_delivery(session: AsyncSession, delivery_id: int, **changes: Any) -> None:
    await session.execute(
        update(PlatformDelivery).where(col(PlatformDelivery.id) == delivery_id).values(**changes)
    )


async def deliveries_of_share(session: AsyncSession, share_id: int) -> list[values.Delivery]:
    rows = (
        await session.execute(
            select(PlatformDelivery)
            .where(PlatformDelivery.share_id == share_id)
            .order_by(col(PlatformDelivery.id))
        )
    ).scalars()
    return [delivery_value(row) for row in rows]


async def waiting_for(session: AsyncSession, platform_id: int) -> int:
    """How many new copies wait for this platform's inbox."""
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(PlatformDelivery)
                .where(
                    PlatformDelivery.target_platform_id == platform_id,
                    col(PlatformDelivery.state).in_([DeliveryState.PENDING, DeliveryState.SENDING]),
                )
            )
        ).scalar_one()
    )


async def delivery_of_thread(session: AsyncSession, thread_id: int) -> values.Delivery | None:
    """The delivery whose copy's thread this is. A thread opened on a message has the message's
    id, so a response that arrives before the thread is recorded is still placed."""
    row = (
        await session.execute(
            select(PlatformDelivery)
            .where(
                or_(
                    col(PlatformDelivery.thread_id) == thread_id,
                    col(PlatformDelivery.message_id) == thread_id,
                )
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    return None if row is None else delivery_value(row)


async def copy_threads(session: AsyncSession) -> list[int]:
    """Every copy's thread for responses, opened or about to be (a thread opened on a message
    has the message's id): the contribution log treats them as answer threads."""
    rows = await session.execute(
        select(PlatformDelivery.thread_id, PlatformDelivery.message_id).where(
            or_(
                col(PlatformDelivery.thread_id).is_not(None),
                col(PlatformDelivery.message_id).is_not(None),
            )
        )
    )
    found: set[int] = set()
    for thread_id, message_id in rows:
        found.update(i for i in (thread_id, message_id) if i is not None)
    return sorted(found)


async def is_copy(session: AsyncSession, message_id: int) -> bool:
    """Whether a message is one of the bot's copies (a copy is never shared on again)."""
    found = (
        await session.execute(
            select(PlatformDelivery.id).where(PlatformDelivery.message_id == message_id).limit(1)
        )
    ).first()
    return found is not None


# --- the original's fate: forgotten authors, deleted messages -----------------------------------


async def forget_author(
    session: AsyncSession, community_id: int, author_id: int, *, credit: str, at: datetime
) -> int:
    """The author's shares lose their text, attachments and name; copies that are out are
    marked to be edited. How many copies are to be edited."""
    share_ids = [
        share_id
        for (share_id,) in await session.execute(
            select(PlatformShare.id).where(
                PlatformShare.community_id == community_id, PlatformShare.author_id == author_id
            )
        )
    ]
    if not share_ids:
        return 0
    await session.execute(
        update(PlatformShare)
        .where(col(PlatformShare.id).in_(share_ids))
        .values(text=None, attachment_urls=[], credit=credit, author_id=None)
    )
    return await _mark_copies(session, share_ids, CopyChange.EDIT, at)


async def recredit_author(
    session: AsyncSession, community_id: int, author_id: int, *, credit: str, at: datetime
) -> int:
    """The author withdrew their consent to be named: their shares name them as ``credit`` now,
    and the copies out are marked to be edited. How many copies are to be edited."""
    share_ids = [
        share_id
        for (share_id,) in await session.execute(
            select(PlatformShare.id).where(
                PlatformShare.community_id == community_id,
                PlatformShare.author_id == author_id,
                PlatformShare.credit != credit,
            )
        )
    ]
    if not share_ids:
        return 0
    await session.execute(
        update(PlatformShare).where(col(PlatformShare.id).in_(share_ids)).values(credit=credit)
    )
    return await _mark_copies(session, share_ids, CopyChange.EDIT, at)


async def forget_person(
    session: AsyncSession, community_id: int, user_id: int, *, credit: str, at: datetime
) -> int:
    """/privacy forget: :func:`forget_author`, and the person's id off every platform record of
    this community (who made a platform, an invite or a link, who shared, who unlinked); the
    records stay. How many copies are to be edited."""
    to_edit = await forget_author(session, community_id, user_id, credit=credit, at=at)
    here = select(Platform.id).where(Platform.community_id == community_id)
    await session.execute(
        update(PlatformShare)
        .where(
            col(PlatformShare.community_id) == community_id,
            col(PlatformShare.shared_by) == user_id,
        )
        .values(shared_by=None)
    )
    await session.execute(
        update(Platform)
        .where(col(Platform.community_id) == community_id, col(Platform.created_by) == user_id)
        .values(created_by=None)
    )
    await session.execute(
        update(PlatformInvite)
        .where(col(PlatformInvite.platform_id).in_(here), col(PlatformInvite.created_by) == user_id)
        .values(created_by=None)
    )
    touching = or_(col(PlatformLink.upper_id).in_(here), col(PlatformLink.lower_id).in_(here))
    for column in ("invited_by", "joined_by", "ended_by"):
        await session.execute(
            update(PlatformLink)
            .where(touching, getattr(PlatformLink, column) == user_id)
            .values({column: None})
        )
    return to_edit


async def delete_shares_of_message(
    session: AsyncSession, community_id: int, message_id: int, *, at: datetime
) -> int:
    """The original message was deleted: its shares lose their text, copies not yet out are
    dropped and copies out (or maybe out) are marked to be deleted. How many copies to delete."""
    share_ids = [
        share_id
        for (share_id,) in await session.execute(
            select(PlatformShare.id).where(
                PlatformShare.community_id == community_id,
                PlatformShare.source_message_id == message_id,
                col(PlatformShare.deleted_at).is_(None),
            )
        )
    ]
    if not share_ids:
        return 0
    await session.execute(
        update(PlatformShare)
        .where(col(PlatformShare.id).in_(share_ids))
        .values(deleted_at=at, text=None, attachment_urls=[])
    )
    await session.execute(
        update(PlatformDelivery)
        .where(
            col(PlatformDelivery.share_id).in_(share_ids),
            col(PlatformDelivery.state) == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.DROPPED, last_error="the original was deleted first")
    )
    return await _mark_copies(session, share_ids, CopyChange.DELETE, at)


async def _mark_copies(
    session: AsyncSession, share_ids: Sequence[int], change: CopyChange, at: datetime
) -> int:
    """Mark the copies that are out, or may be, for ``change`` (a deletion is never turned back
    into an edit); due at once."""
    statement = update(PlatformDelivery).where(
        col(PlatformDelivery.share_id).in_(list(share_ids)),
        col(PlatformDelivery.state).in_(
            [DeliveryState.SENDING, DeliveryState.SENT, DeliveryState.DONE]
        ),
    )
    if change is CopyChange.EDIT:
        statement = statement.where(
            or_(col(PlatformDelivery.change).is_(None), col(PlatformDelivery.change) != "delete")
        )
    result = await session.execute(
        statement.values(change=change, next_attempt_at=at, attempts=0, last_error=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- responses and flows ------------------------------------------------------------------------


async def add_response(
    session: AsyncSession,
    delivery: values.Delivery,
    link: values.Link,
    message_id: int,
    at: datetime,
) -> bool:
    """A response written in a copy's thread, once per message. It travels back the other way:
    from the platform that received the copy to the one that shared it."""
    origin = link.other(delivery.target_platform_id)
    return await insert_if_absent(
        session,
        table_of(PlatformResponse),
        {
            "delivery_id": delivery.id,
            "link_id": link.id,
            "from_platform_id": delivery.target_platform_id,
            "to_platform_id": origin,
            "direction": delivery.direction.reverse.value,
            "message_id": message_id,
            "created_at": at,
        },
        ["message_id"],
    )


async def delete_response(session: AsyncSession, message_id: int) -> None:
    await session.execute(
        delete(PlatformResponse).where(col(PlatformResponse.message_id) == message_id)
    )


async def flows(
    session: AsyncSession, link_ids: Collection[int], start: datetime, end: datetime
) -> list[values.Flow]:
    """Items that crossed the links (a copy sent) and responses that came back, in [start, end)."""
    if not link_ids:
        return []
    ids = list(link_ids)
    found: list[values.Flow] = []
    # More columns than sqlmodel's select is typed for: SQLAlchemy's own.
    items = await session.execute(
        sqlalchemy.select(
            col(PlatformDelivery.link_id),
            col(PlatformShare.origin_platform_id),
            col(PlatformDelivery.target_platform_id),
            col(PlatformDelivery.direction),
            col(PlatformDelivery.sent_at),
        )
        .join(PlatformShare, col(PlatformShare.id) == col(PlatformDelivery.share_id))
        .where(
            col(PlatformDelivery.link_id).in_(ids),
            col(PlatformDelivery.sent_at) >= start,
            col(PlatformDelivery.sent_at) < end,
        )
    )
    for link_id, origin_id, target_id, direction, sent_at in items:
        assert sent_at is not None  # the query asked for sent copies
        found.append(
            values.Flow(link_id, origin_id, target_id, Direction(direction), False, sent_at)
        )
    responses = await session.execute(
        sqlalchemy.select(
            col(PlatformResponse.link_id),
            col(PlatformResponse.from_platform_id),
            col(PlatformResponse.to_platform_id),
            col(PlatformResponse.direction),
            col(PlatformResponse.created_at),
        ).where(
            col(PlatformResponse.link_id).in_(ids),
            col(PlatformResponse.created_at) >= start,
            col(PlatformResponse.created_at) < end,
        )
    )
    for link_id, from_id, to_id, direction, created_at in responses:
        found.append(values.Flow(link_id, from_id, to_id, Direction(direction), True, created_at))
    return found
