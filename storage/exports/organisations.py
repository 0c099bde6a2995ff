"""The organisations of one community as the ``organisations`` export reads them: the register
at the end of the period (CoP status, members, representatives), and the two histories whole."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.exports import BATCH_ROWS, batches_of, stream_batches
from storage.members import open_at_end
from storage.models import (
    Member,
    Organisation,
    OrganisationCopStatus,
    OrganisationMembership,
    OrganisationRepresentative,
)
from storage.types import row_id

# The columns of the representatives' history, in the order its rows carry them.
REPRESENTATIVE_COLUMNS = [
    col(Organisation.name),
    col(Member.user_id),
    col(OrganisationRepresentative.is_primary),
    col(OrganisationRepresentative.started_at),
    col(OrganisationRepresentative.ended_at),
]


async def organisation_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """Rows ``(name, stakeholder, level, country, website, cop_status, cop_status_since,
    member_user_ids, representative_user_ids, created_at)``, one per organisation of
    ``community_id`` by name. The status, the members (people in the server then) and the
    representatives (primary first) are those in force at the end of the period; the user ids
    are handed out so that the export leaves out the people who opted out. Four queries, however
    many organisations: a community has hundreds at most, so they are read whole."""
    organisations = (
        (
            await session.execute(
                select(Organisation)
                .where(col(Organisation.community_id) == community_id)
                .order_by(col(Organisation.name_key), col(Organisation.id))
            )
        )
        .scalars()
        .all()
    )

    statuses: dict[int, tuple[str | None, datetime | None]] = {}
    status_rows = await session.execute(
        select(
            col(OrganisationCopStatus.organisation_id),
            col(OrganisationCopStatus.status),
            col(OrganisationCopStatus.started_at),
        )
        .join(Organisation, col(Organisation.id) == col(OrganisationCopStatus.organisation_id))
        .where(
            col(Organisation.community_id) == community_id,
            open_at_end(OrganisationCopStatus.started_at, OrganisationCopStatus.ended_at, end),
        )
        # the latest start last, so it wins should imported history ever overlap
        .order_by(col(OrganisationCopStatus.started_at), col(OrganisationCopStatus.id))
    )
    for organisation_id, status, started_at in status_rows:
        statuses[organisation_id] = (status, started_at)

    members: dict[int, list[int]] = {}
    in_server_at_end = (
        [col(Member.left_at).is_(None)]
        if end is None
        else [
            or_(col(Member.joined_at).is_(None), col(Member.joined_at) < end),
            or_(col(Member.left_at).is_(None), col(Member.left_at) >= end),
        ]
    )
    member_rows = await session.execute(
        select(col(OrganisationMembership.organisation_id), col(Member.user_id))
        .join(Member, col(Member.id) == col(OrganisationMembership.member_id))
        .where(
            col(Member.community_id) == community_id,
            open_at_end(OrganisationMembership.started_at, OrganisationMembership.ended_at, end),
            *in_server_at_end,
        )
        .order_by(col(OrganisationMembership.organisation_id), col(Member.id))
    )
    for organisation_id, user_id in member_rows:
        members.setdefault(organisation_id, []).append(user_id)

    representatives: dict[int, list[int]] = {}
    representative_rows = await session.execute(
        select(col(OrganisationRepresentative.organisation_id), col(Member.user_id))
        .join(Member, col(Member.id) == col(OrganisationRepresentative.member_id))
        .where(
            col(Member.community_id) == community_id,
            open_at_end(
                OrganisationRepresentative.started_at, OrganisationRepresentative.ended_at, end
            ),
        )
        .order_by(
            col(OrganisationRepresentative.organisation_id),
            col(OrganisationRepresentative.is_primary).desc(),
            col(OrganisationRepresentative.started_at),
            col(OrganisationRepresentative.id),
        )
    )
    for organisation_id, user_id in representative_rows:
        representatives.setdefault(organisation_id, []).append(user_id)

    rows: list[tuple[Any, ...]] = []
    for organisation in organisations:
        organisation_id = row_id(organisation)
        cop_status, cop_status_since = statuses.get(organisation_id, (None, None))
        rows.append(
            (
                organisation.name,
                organisation.stakeholder,
                organisation.level,
                organisation.country,
                organisation.website,
                cop_status,
                cop_status_since,
                tuple(members.get(organisation_id, ())),
                tuple(representatives.get(organisation_id, ())),
                organisation.created_at,
            )
        )
    async for batch in batches_of(rows):
        yield batch


async def cop_status_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """Rows ``(organisation name, status, started_at, ended_at)``: every CoP status the
    organisations of ``community_id`` ever had, by organisation name and oldest first. A
    history, so not cut by the period (``start`` and ``end`` are not used)."""
    statement = (
        select(
            col(Organisation.name),
            col(OrganisationCopStatus.status),
            col(OrganisationCopStatus.started_at),
            col(OrganisationCopStatus.ended_at),
        )
        .join(Organisation, col(Organisation.id) == col(OrganisationCopStatus.organisation_id))
        .where(col(Organisation.community_id) == community_id)
        .order_by(
            col(Organisation.name_key),
            col(Organisation.id),
            col(OrganisationCopStatus.started_at),
            col(OrganisationCopStatus.id),
        )
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch


async def representative_batches(
    session: AsyncSession,
    community_id: int,
    start: datetime | None,
    end: datetime | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """Rows ``(organisation name, user_id, is_primary, started_at, ended_at)``: everyone who
    ever spoke for an organisation of ``community_id``, by organisation name and oldest first.
    A history, so not cut by the period (``start`` and ``end`` are not used)."""
    statement = (
        select(*REPRESENTATIVE_COLUMNS)
        .join(Organisation, col(Organisation.id) == col(OrganisationRepresentative.organisation_id))
        .join(Member, col(Member.id) == col(OrganisationRepresentative.member_id))
        .where(
            col(Organisation.community_id) == community_id,
            col(Member.community_id) == community_id,
        )
        .order_by(
            col(Organisation.name_key),
            col(Organisation.id),
            col(OrganisationRepresentative.started_at),
            col(OrganisationRepresentative.id),
        )
    )
    async for batch in stream_batches(session, statement, batch_rows):
        yield batch
