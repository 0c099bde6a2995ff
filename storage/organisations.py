"""Queries for organisations: the register, their CoP membership status and representatives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Member,
    Organisation,
    OrganisationCopStatus,
    OrganisationRepresentative,
)
from storage.types import utc_now


async def create_organisation(session: AsyncSession, **fields: Any) -> Organisation:
    organisation = Organisation(**fields)
    session.add(organisation)
    await session.flush()
    return organisation


async def organisation_by_key(
    session: AsyncSession, community_id: int, name_key: str
) -> Organisation | None:
    statement = select(Organisation).where(
        col(Organisation.community_id) == community_id, col(Organisation.name_key) == name_key
    )
    return (await session.execute(statement)).scalars().first()


async def organisation_names(session: AsyncSession, community_id: int) -> list[str]:
    statement = (
        select(col(Organisation.name))
        .where(col(Organisation.community_id) == community_id)
        .order_by(col(Organisation.name_key))
    )
    return list((await session.execute(statement)).scalars())


async def list_organisations(
    session: AsyncSession,
    community_id: int,
    *,
    stakeholder: str | None = None,
    level: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> tuple[list[Organisation], int]:
    """One page of organisations by name, and how many match in all."""
    where = [col(Organisation.community_id) == community_id]
    if stakeholder is not None:
        where.append(col(Organisation.stakeholder) == stakeholder)
    if level is not None:
        where.append(col(Organisation.level) == level)
    total = (
        await session.execute(select(func.count()).select_from(Organisation).where(*where))
    ).scalar_one()
    statement = (
        select(Organisation).where(*where).order_by(col(Organisation.name_key)).offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list((await session.execute(statement)).scalars()), total


async def update_organisation(
    session: AsyncSession, organisation: Organisation, **fields: Any
) -> Organisation:
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.updated_at = utc_now()
    session.add(organisation)
    return organisation


# --- the organisation as a member of the CoP ----------------------------------------------------


async def current_cop_status(
    session: AsyncSession, organisation_id: int
) -> OrganisationCopStatus | None:
    statement = select(OrganisationCopStatus).where(
        col(OrganisationCopStatus.organisation_id) == organisation_id,
        col(OrganisationCopStatus.ended_at).is_(None),
    )
    return (await session.execute(statement)).scalars().first()


async def cop_status_history(
    session: AsyncSession, organisation_id: int
) -> list[OrganisationCopStatus]:
    statement = (
        select(OrganisationCopStatus)
        .where(col(OrganisationCopStatus.organisation_id) == organisation_id)
        .order_by(col(OrganisationCopStatus.started_at), col(OrganisationCopStatus.id))
    )
    return list((await session.execute(statement)).scalars())


async def set_cop_status(
    session: AsyncSession,
    organisation_id: int,
    status: str,
    *,
    at: datetime,
    changed_by: int | None,
) -> OrganisationCopStatus:
    """End the current status (if any) and start ``status`` at ``at``."""
    current = await current_cop_status(session, organisation_id)
    if current is not None:
        current.ended_at = at
        session.add(current)
        await session.flush()
    row = OrganisationCopStatus(
        organisation_id=organisation_id, status=status, started_at=at, changed_by=changed_by
    )
    session.add(row)
    await session.flush()
    return row


# --- representatives ----------------------------------------------------------------------------


async def current_representatives(
    session: AsyncSession, organisation_id: int
) -> list[tuple[OrganisationRepresentative, Member]]:
    """Who speaks for the organisation now; the primary first."""
    statement = (
        select(OrganisationRepresentative, Member)
        .join(Member, col(Member.id) == col(OrganisationRepresentative.member_id))
        .where(
            col(OrganisationRepresentative.organisation_id) == organisation_id,
            col(OrganisationRepresentative.ended_at).is_(None),
        )
        .order_by(
            col(OrganisationRepresentative.is_primary).desc(),
            col(OrganisationRepresentative.started_at),
        )
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def add_representative(
    session: AsyncSession,
    organisation_id: int,
    member_id: int,
    *,
    primary: bool,
    at: datetime,
) -> OrganisationRepresentative:
    """Record (or update) a representative; a new primary replaces the previous primary."""
    current = await current_representatives(session, organisation_id)
    if primary:
        for representative, _ in current:
            if representative.is_primary and representative.member_id != member_id:
                representative.is_primary = False
                session.add(representative)
    for representative, _ in current:
        if representative.member_id == member_id:
            representative.is_primary = primary or representative.is_primary
            session.add(representative)
            await session.flush()
            return representative
    row = OrganisationRepresentative(
        organisation_id=organisation_id, member_id=member_id, is_primary=primary, started_at=at
    )
    session.add(row)
    await session.flush()
    return row


async def end_representative(
    session: AsyncSession, organisation_id: int, member_id: int, *, at: datetime
) -> bool:
    for representative, _ in await current_representatives(session, organisation_id):
        if representative.member_id == member_id:
            representative.ended_at = at
            session.add(representative)
            await session.flush()
            return True
    return False


async def represented_by(
    session: AsyncSession, member_id: int
) -> list[tuple[OrganisationRepresentative, Organisation]]:
    """The organisations a member currently speaks for."""
    statement = (
        select(OrganisationRepresentative, Organisation)
        .join(Organisation, col(Organisation.id) == col(OrganisationRepresentative.organisation_id))
        .where(
            col(OrganisationRepresentative.member_id) == member_id,
            col(OrganisationRepresentative.ended_at).is_(None),
        )
        .order_by(col(Organisation.name_key))
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def current_cop_statuses(
    session: AsyncSession, organisation_ids: list[int]
) -> dict[int, OrganisationCopStatus]:
    """The open CoP status row of each organisation that has one (for listings: one query)."""
    if not organisation_ids:
        return {}
    statement = select(OrganisationCopStatus).where(
        col(OrganisationCopStatus.organisation_id).in_(organisation_ids),
        col(OrganisationCopStatus.ended_at).is_(None),
    )
    return {row.organisation_id: row for row in (await session.execute(statement)).scalars()}
