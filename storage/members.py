"""Queries for members (people in a community) and their organisation history.

Reads return frozen values (``bot.membership.values``); changes are named functions that take
ids, so that no caller writes a row it was handed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, and_, delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.membership import values
from storage.models import (
    AppState,
    Member,
    Organisation,
    OrganisationCopStatus,
    OrganisationMembership,
    OrganisationRepresentative,
    Schedule,
    TrackedChannel,
)
from storage.models.membership import member_value, membership_value, organisation_value
from storage.types import table_of, utc_now
from storage.upsert import insert_if_absent


async def _member_row(session: AsyncSession, community_id: int, user_id: int) -> Member | None:
    statement = select(Member).where(
        col(Member.community_id) == community_id, col(Member.user_id) == user_id
    )
    return (await session.execute(statement)).scalars().first()


async def _member_by_id(session: AsyncSession, member_id: int) -> Member:
    # Usually from the session's identity map: the row was read earlier in the transaction.
    member = await session.get(Member, member_id)
    if member is None:
        raise LookupError(f"no member with id {member_id}")
    return member


async def get_member(
    session: AsyncSession, community_id: int, user_id: int
) -> values.Member | None:
    row = await _member_row(session, community_id, user_id)
    return None if row is None else member_value(row)


async def _ensure_member_row(
    session: AsyncSession, community_id: int, user_id: int, display_name: str
) -> Member:
    now = utc_now()
    await insert_if_absent(
        session,
        table_of(Member),
        {
            "community_id": community_id,
            "user_id": user_id,
            "display_name": display_name[:100],
            "expertise": [],
            "created_at": now,
            "updated_at": now,
        },
        ["community_id", "user_id"],
    )
    member = await _member_row(session, community_id, user_id)
    assert member is not None  # inserted above, or there already
    await session.refresh(member)
    if display_name and member.display_name != display_name[:100]:
        member.display_name = display_name[:100]
        member.updated_at = now
    return member


async def ensure_member(
    session: AsyncSession, community_id: int, user_id: int, display_name: str
) -> values.Member:
    """The member for a user, created if absent (without touching presence)."""
    row = await _ensure_member_row(session, community_id, user_id, display_name)
    await session.flush()
    return member_value(row)


async def mark_present(
    session: AsyncSession,
    community_id: int,
    user_id: int,
    display_name: str,
    joined_at: datetime,
) -> values.Member:
    """Register a join, or restore a member who had left."""
    member = await _ensure_member_row(session, community_id, user_id, display_name)
    if member.joined_at is None or member.left_at is not None:
        member.joined_at = joined_at
    member.left_at = None
    member.updated_at = utc_now()
    await session.flush()
    return member_value(member)


async def mark_left(
    session: AsyncSession,
    community_id: int,
    user_id: int,
    left_at: datetime,
    *,
    unless_changed_after: datetime | None = None,
    unless_joined_after: datetime | None = None,
) -> bool:
    """Mark a present member as having left; True if they were present. With
    ``unless_changed_after``, a row changed after that moment is left alone; with
    ``unless_joined_after``, so is someone who (re)joined after it.

    One conditional UPDATE, not a read and then a write: a join written by another transaction
    in between (a member who left and came straight back) must not be overwritten by a
    departure concluded from what was read before it."""
    conditions = [
        col(Member.community_id) == community_id,
        col(Member.user_id) == user_id,
        col(Member.left_at).is_(None),
    ]
    if unless_changed_after is not None:
        conditions.append(col(Member.updated_at) <= unless_changed_after)
    if unless_joined_after is not None:
        conditions.append(
            or_(col(Member.joined_at).is_(None), col(Member.joined_at) <= unless_joined_after)
        )
    result = await session.execute(
        update(Member)
        .where(and_(*conditions))
        .values(left_at=left_at, updated_at=utc_now())
        # A row of this session changed here is changed in memory too.
        .execution_options(synchronize_session="fetch")
    )
    assert isinstance(result, CursorResult)
    return bool(result.rowcount)


async def rename_member(session: AsyncSession, member_id: int, display_name: str) -> None:
    member = await _member_by_id(session, member_id)
    member.display_name = display_name
    member.updated_at = utc_now()
    await session.flush()


async def set_member_details(
    session: AsyncSession,
    member_id: int,
    *,
    stakeholder: str | None,
    level: str | None,
    country: str | None,
    expertise: Sequence[str],
) -> None:
    """What the person says about themself, every field given (None empties it)."""
    member = await _member_by_id(session, member_id)
    member.stakeholder = stakeholder
    member.level = level
    member.country = country
    member.expertise = list(expertise)
    member.updated_at = utc_now()
    await session.flush()


async def set_opted_out(session: AsyncSession, member_id: int, at: datetime | None) -> None:
    """Since when the person is out of the contribution log (None: logged again)."""
    member = await _member_by_id(session, member_id)
    member.opted_out_at = at
    member.updated_at = utc_now()
    await session.flush()


async def set_name_visible(session: AsyncSession, member_id: int, visible: bool) -> values.Member:
    """Whether the person chose to be named in exports (``/privacy visible``)."""
    member = await _member_by_id(session, member_id)
    member.name_visible = visible
    member.updated_at = utc_now()
    await session.flush()
    return member_value(member)


async def list_members(
    session: AsyncSession, community_id: int, *, include_left: bool = False
) -> list[values.Member]:
    statement = select(Member).where(col(Member.community_id) == community_id)
    if not include_left:
        statement = statement.where(col(Member.left_at).is_(None))
    statement = statement.order_by(func.lower(col(Member.display_name)), col(Member.id))
    return [member_value(row) for row in (await session.execute(statement)).scalars()]


async def members_by_user_id(
    session: AsyncSession, community_id: int, user_ids: Collection[int]
) -> dict[int, values.Member]:
    if not user_ids:
        return {}
    statement = select(Member).where(
        col(Member.community_id) == community_id, col(Member.user_id).in_(list(user_ids))
    )
    return {
        member.user_id: member_value(member)
        for member in (await session.execute(statement)).scalars()
    }


# --- organisation history ---------------------------------------------------------------------


async def _current_membership_row(
    session: AsyncSession, member_id: int
) -> tuple[OrganisationMembership, Organisation] | None:
    statement = (
        select(OrganisationMembership, Organisation)
        .join(Organisation, col(Organisation.id) == col(OrganisationMembership.organisation_id))
        .where(
            col(OrganisationMembership.member_id) == member_id,
            col(OrganisationMembership.ended_at).is_(None),
        )
    )
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1])


async def current_membership(
    session: AsyncSession, member_id: int
) -> tuple[values.OrganisationMembership, values.Organisation] | None:
    current = await _current_membership_row(session, member_id)
    if current is None:
        return None
    return membership_value(current[0]), organisation_value(current[1])


async def organisation_at(
    session: AsyncSession, member_id: int, moment: datetime
) -> values.Organisation | None:
    """The organisation a member belonged to at ``moment`` (for attributing contributions)."""
    statement = (
        select(Organisation)
        .join(
            OrganisationMembership,
            col(Organisation.id) == col(OrganisationMembership.organisation_id),
        )
        .where(
            col(OrganisationMembership.member_id) == member_id,
            col(OrganisationMembership.started_at) <= moment,
            or_(
                col(OrganisationMembership.ended_at).is_(None),
                col(OrganisationMembership.ended_at) > moment,
            ),
        )
        .order_by(col(OrganisationMembership.started_at).desc())
        .limit(1)
    )
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else organisation_value(row)


async def membership_history(
    session: AsyncSession, member_id: int
) -> list[tuple[values.OrganisationMembership, values.Organisation]]:
    statement = (
        select(OrganisationMembership, Organisation)
        .join(Organisation, col(Organisation.id) == col(OrganisationMembership.organisation_id))
        .where(col(OrganisationMembership.member_id) == member_id)
        .order_by(col(OrganisationMembership.started_at), col(OrganisationMembership.id))
    )
    return [
        (membership_value(row[0]), organisation_value(row[1]))
        for row in (await session.execute(statement)).all()
    ]


async def end_membership(
    session: AsyncSession, member_id: int, at: datetime
) -> values.OrganisationMembership | None:
    """End the member's current organisation membership, if any; returns it."""
    current = await _current_membership_row(session, member_id)
    if current is None:
        return None
    membership, _ = current
    membership.ended_at = at
    session.add(membership)
    await session.flush()  # the open-row unique index must see it closed before a new one
    return membership_value(membership)


async def start_membership(
    session: AsyncSession, member_id: int, organisation_id: int, at: datetime
) -> values.OrganisationMembership:
    """Belong to ``organisation_id`` from ``at``; a different current membership ends then."""
    current = await _current_membership_row(session, member_id)
    if current is not None:
        if current[0].organisation_id == organisation_id:
            return membership_value(current[0])
        await end_membership(session, member_id, at)
    membership = OrganisationMembership(
        member_id=member_id, organisation_id=organisation_id, started_at=at
    )
    session.add(membership)
    await session.flush()
    return membership_value(membership)


async def current_members_of(session: AsyncSession, organisation_id: int) -> list[values.Member]:
    statement = (
        select(Member)
        .join(OrganisationMembership, col(Member.id) == col(OrganisationMembership.member_id))
        .where(
            col(OrganisationMembership.organisation_id) == organisation_id,
            col(OrganisationMembership.ended_at).is_(None),
        )
        .order_by(func.lower(col(Member.display_name)))
    )
    return [member_value(row) for row in (await session.execute(statement)).scalars()]


async def count_current_members(
    session: AsyncSession, organisation_ids: Collection[int]
) -> dict[int, int]:
    if not organisation_ids:
        return {}
    statement = (
        select(col(OrganisationMembership.organisation_id), func.count())
        .where(
            and_(
                col(OrganisationMembership.organisation_id).in_(list(organisation_ids)),
                col(OrganisationMembership.ended_at).is_(None),
            )
        )
        .group_by(col(OrganisationMembership.organisation_id))
    )
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def count_present_members(
    session: AsyncSession, organisation_ids: Collection[int]
) -> dict[int, int]:
    """How many people currently belong to each organisation and are still in the server."""
    if not organisation_ids:
        return {}
    statement = (
        select(col(OrganisationMembership.organisation_id), func.count())
        .join(Member, col(Member.id) == col(OrganisationMembership.member_id))
        .where(
            col(OrganisationMembership.organisation_id).in_(list(organisation_ids)),
            col(OrganisationMembership.ended_at).is_(None),
            col(Member.left_at).is_(None),
        )
        .group_by(col(OrganisationMembership.organisation_id))
    )
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def current_organisation_ids(session: AsyncSession, community_id: int) -> dict[int, int]:
    """Each member's current organisation in a community, as member id -> organisation id
    (for imports and exports: one query instead of one per person)."""
    statement = (
        select(col(OrganisationMembership.member_id), col(OrganisationMembership.organisation_id))
        .join(Member, col(Member.id) == col(OrganisationMembership.member_id))
        .where(
            col(Member.community_id) == community_id,
            col(OrganisationMembership.ended_at).is_(None),
        )
    )
    return {row[0]: row[1] for row in (await session.execute(statement)).all()}


async def opted_out_users(session: AsyncSession) -> dict[int, set[int]]:
    """Everyone who opted out of the log, by community."""
    statement = select(col(Member.community_id), col(Member.user_id)).where(
        col(Member.opted_out_at).is_not(None)
    )
    found: dict[int, set[int]] = {}
    for community_id, user_id in (await session.execute(statement)).all():
        found.setdefault(community_id, set()).add(user_id)
    return found


async def opted_out_among(
    session: AsyncSession, people: dict[int, set[int]]
) -> dict[int, set[int]]:
    """Of these people (by community), those who opted out: the writer's check at write time,
    for opt-outs another process of the deployment recorded."""
    everyone = {user_id for user_ids in people.values() for user_id in user_ids}
    if not everyone:
        return {}
    # One query for the batch: opted-out people are few, so the pairs are matched here.
    statement = select(col(Member.community_id), col(Member.user_id)).where(
        col(Member.opted_out_at).is_not(None),
        col(Member.community_id).in_(list(people)),
        col(Member.user_id).in_(everyone),
    )
    found: dict[int, set[int]] = {}
    for community_id, user_id in (await session.execute(statement)).all():
        if user_id in people.get(community_id, ()):
            found.setdefault(community_id, set()).add(user_id)
    return found


async def membership_periods(
    session: AsyncSession, member_ids: Collection[int]
) -> list[tuple[int, values.Organisation, datetime, datetime | None]]:
    """Every organisation membership of these members, as (member id, organisation, started,
    ended): the contribution writer attributes a whole batch with one query, not one per row."""
    if not member_ids:
        return []
    statement = (
        select(
            col(OrganisationMembership.member_id),
            Organisation,
            col(OrganisationMembership.started_at),
            col(OrganisationMembership.ended_at),
        )
        .join(Organisation, col(Organisation.id) == col(OrganisationMembership.organisation_id))
        .where(col(OrganisationMembership.member_id).in_(list(member_ids)))
    )
    return [
        (row[0], organisation_value(row[1]), row[2], row[3])
        for row in (await session.execute(statement)).all()
    ]


# --- privacy: forgetting a person, and the marker that keeps them unlogged ----------------------

FORGOTTEN_MARKER_PREFIX = "privacy.forgotten"
# A community's random key for those hashes: app_state "privacy.marker_key:<community id>".
MARKER_KEY_PREFIX = "privacy.marker_key"


async def forget_member(session: AsyncSession, community_id: int, user_id: int) -> bool:
    """Delete a person's register entry (profile, organisation history, representations) and
    take their user id off the rows that record them as the one who made or changed something.

    Those rows (organisations, CoP status changes, tracked channels, schedules) belong to the
    community and stay; only the name of their maker goes. True if the person had a member row.
    """
    member = await get_member(session, community_id, user_id)
    if member is not None:
        # Deleted explicitly rather than through ON DELETE CASCADE: the result must not depend
        # on whether a connection has SQLite's foreign keys turned on.
        await session.execute(
            delete(OrganisationRepresentative).where(
                col(OrganisationRepresentative.member_id) == member.id
            )
        )
        await session.execute(
            delete(OrganisationMembership).where(col(OrganisationMembership.member_id) == member.id)
        )
        await session.execute(delete(Member).where(col(Member.id) == member.id))
    community_organisations = select(col(Organisation.id)).where(
        col(Organisation.community_id) == community_id
    )
    await session.execute(
        update(Organisation)
        .where(
            col(Organisation.community_id) == community_id,
            col(Organisation.created_by) == user_id,
        )
        .values(created_by=None)
    )
    await session.execute(
        update(OrganisationCopStatus)
        .where(
            col(OrganisationCopStatus.organisation_id).in_(community_organisations),
            col(OrganisationCopStatus.changed_by) == user_id,
        )
        .values(changed_by=None)
    )
    await session.execute(
        update(TrackedChannel)
        .where(
            col(TrackedChannel.community_id) == community_id,
            col(TrackedChannel.added_by) == user_id,
        )
        .values(added_by=None)
    )
    await session.execute(
        update(Schedule)
        .where(col(Schedule.community_id) == community_id, col(Schedule.created_by) == user_id)
        .values(created_by=None)
    )
    return member is not None


def _forgotten_marker_key(community_id: int, digest: str) -> str:
    return f"{FORGOTTEN_MARKER_PREFIX}:{community_id}:{digest}"


async def add_forgotten_marker(session: AsyncSession, community_id: int, digest: str) -> None:
    await insert_if_absent(
        session,
        table_of(AppState),
        {"key": _forgotten_marker_key(community_id, digest), "value": "", "updated_at": utc_now()},
        ["key"],
    )


async def remove_forgotten_marker(session: AsyncSession, community_id: int, digest: str) -> bool:
    result = await session.execute(
        delete(AppState).where(col(AppState.key) == _forgotten_marker_key(community_id, digest))
    )
    assert isinstance(result, CursorResult)  # a DELETE's result counts its rows
    return bool(result.rowcount)


async def forgotten_markers_by_community(session: AsyncSession) -> dict[int, tuple[str, set[str]]]:
    """For every community with forgotten people: its hashing key and their markers."""
    statement = select(col(AppState.key), col(AppState.value)).where(
        col(AppState.key).startswith(f"{FORGOTTEN_MARKER_PREFIX}:")
        | col(AppState.key).startswith(f"{MARKER_KEY_PREFIX}:")
    )
    keys: dict[int, str] = {}
    markers: dict[int, set[str]] = {}
    for name, value in (await session.execute(statement)).all():
        prefix, _, rest = name.partition(":")
        if prefix == MARKER_KEY_PREFIX:
            keys[int(rest)] = value
        else:
            community, _, digest = rest.partition(":")
            markers.setdefault(int(community), set()).add(digest)
    return {c: (keys[c], digests) for c, digests in markers.items() if c in keys}


async def forgotten_markers_among(
    session: AsyncSession,
    community_ids: Collection[int],
    markers_of: Callable[[int, str], Collection[str]],
) -> dict[int, tuple[str, set[str]]]:
    """For each of these communities that has a hashing key: the key, and which of the markers
    ``markers_of(community, key)`` gives (those of the people at hand) are recorded as
    forgotten."""
    if not community_ids:
        return {}
    key_rows = await session.execute(
        select(col(AppState.key), col(AppState.value)).where(
            col(AppState.key).in_([f"{MARKER_KEY_PREFIX}:{c}" for c in community_ids])
        )
    )
    keys = {int(name.partition(":")[2]): value for name, value in key_rows.all()}
    wanted = {
        _forgotten_marker_key(community_id, marker): community_id
        for community_id, key in keys.items()
        for marker in markers_of(community_id, key)
    }
    found: dict[int, tuple[str, set[str]]] = {c: (key, set()) for c, key in keys.items()}
    if wanted:
        rows = await session.execute(select(col(AppState.key)).where(col(AppState.key).in_(wanted)))
        for name in rows.scalars():
            found[wanted[name]][1].add(name.rpartition(":")[2])
    return found


# --- the register at a moment: conditions for queries over a period [start, end) ---------------


def open_at_end(started_at: Any, ended_at: Any, end: datetime | None) -> ColumnElement[bool]:
    """A history row (``started_at``, ``ended_at``) in force at the end of the period [.., end):
    started before ``end`` and not ended before it; with no ``end`` (up to now), still open.
    A row that ended exactly at ``end`` was still in force at the period's last moment."""
    if end is None:
        return col(ended_at).is_(None)
    return and_(col(started_at) < end, or_(col(ended_at).is_(None), col(ended_at) >= end))


def present_at_some_time(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """The member was in the server at some moment of [start, end): joined before its end (or
    when is not known) and not gone before its start."""
    conditions: list[ColumnElement[bool]] = []
    if end is not None:
        conditions.append(or_(col(Member.joined_at).is_(None), col(Member.joined_at) < end))
    if start is not None:
        conditions.append(or_(col(Member.left_at).is_(None), col(Member.left_at) >= start))
    return conditions


def organisation_at_end(end: datetime | None) -> Any:
    """The name of the organisation the member of the outer query belonged to at the end of the
    period (a correlated subquery: one query for the whole register). The latest start wins,
    should imported history ever overlap."""
    return (
        select(col(Organisation.name))
        .join(
            OrganisationMembership,
            col(OrganisationMembership.organisation_id) == col(Organisation.id),
        )
        .where(
            col(OrganisationMembership.member_id) == col(Member.id),
            open_at_end(OrganisationMembership.started_at, OrganisationMembership.ended_at, end),
        )
        .order_by(col(OrganisationMembership.started_at).desc(), col(OrganisationMembership.id))
        .limit(1)
        .scalar_subquery()
    )
