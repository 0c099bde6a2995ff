"""Queries for organisations: the register, their CoP membership status and representatives.

Reads return frozen values (``bot.membership.values``); changes are named functions that take
ids.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.membership import values
from bot.membership.vocabulary import CopStatus
from storage.models import (
    Member,
    Organisation,
    OrganisationCopStatus,
    OrganisationRepresentative,
)
from storage.models.membership import (
    cop_status_value,
    member_value,
    organisation_value,
    representation_value,
)
from storage.types import utc_now


async def create_organisation(
    session: AsyncSession,
    *,
    community_id: int,
    name: str,
    name_key: str,
    stakeholder: str,
    level: str,
    country: str | None = None,
    website: str | None = None,
    description: str | None = None,
    created_by: int | None = None,
) -> values.Organisation:
    organisation = Organisation(
        community_id=community_id,
        name=name,
        name_key=name_key,
        stakeholder=stakeholder,
        level=level,
        country=country,
        website=website,
        description=description,
        created_by=created_by,
    )
    session.add(organisation)
    await session.flush()
    return organisation_value(organisation)


async def organisation_by_key(
    session: AsyncSession, community_id: int, name_key: str
) -> values.Organisation | None:
    statement = select(Organisation).where(
        col(Organisation.community_id) == community_id, col(Organisation.name_key) == name_key
    )
    row = (await session.execute(statement)).scalars().first()
    return None if row is None else organisation_value(row)


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
) -> tuple[list[values.Organisation], int]:
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
    found = [organisation_value(row) for row in (await session.execute(statement)).scalars()]
    return found, total


async def update_organisation(
    session: AsyncSession, wanted: values.Organisation
) -> values.Organisation:
    """Store the organisation's details as ``wanted`` holds them (its name, stakeholder group,
    level, country, website and description): the caller changes the value, this writes it."""
    organisation = await session.get(Organisation, wanted.id)
    if organisation is None:
        raise LookupError(f"no organisation with id {wanted.id}")
    organisation.name = wanted.name
    organisation.name_key = wanted.name_key
    organisation.stakeholder = wanted.stakeholder
    organisation.level = wanted.level
    organisation.country = wanted.country
    organisation.website = wanted.website
    organisation.description = wanted.description
    organisation.updated_at = utc_now()
    await session.flush()
    return organisation_value(organisation)


# --- the organisation as a member of the CoP ----------------------------------------------------


async def _current_cop_status_row(
    session: AsyncSession, organisation_id: int
) -> OrganisationCopStatus | None:
    statement = select(OrganisationCopStatus).where(
        col(OrganisationCopStatus.organisation_id) == organisation_id,
        col(OrganisationCopStatus.ended_at).is_(None),
    )
    return (await session.execute(statement)).scalars().first()


async def current_cop_status(
    session: AsyncSession, organisation_id: int
) -> values.CopStatusRecord | None:
    row = await _current_cop_status_row(session, organisation_id)
    return None if row is None else cop_status_value(row)


async def cop_status_history(
    session: AsyncSession, organisation_id: int
) -> list[values.CopStatusRecord]:
    statement = (
        select(OrganisationCopStatus)
        .where(col(OrganisationCopStatus.organisation_id) == organisation_id)
        .order_by(col(OrganisationCopStatus.started_at), col(OrganisationCopStatus.id))
    )
    return [cop_status_value(row) for row in (await session.execute(statement)).scalars()]


async def set_cop_status(
    session: AsyncSession,
    organisation_id: int,
    status: CopStatus,
    *,
    at: datetime,
    changed_by: int | None,
) -> values.CopStatusRecord:
    """End the current status (if any) and start ``status`` at ``at``."""
    current = await _current_cop_status_row(session, organisation_id)
    if current is not None:
        current.ended_at = at
        session.add(current)
        await session.flush()
    row = OrganisationCopStatus(
        organisation_id=organisation_id, status=status, started_at=at, changed_by=changed_by
    )
    session.add(row)
    await session.flush()
    return cop_status_value(row)


async def current_cop_statuses(
    session: AsyncSession, organisation_ids: list[int]
) -> dict[int, values.CopStatusRecord]:
    """The open CoP status of each organisation that has one (for listings: one query)."""
    if not organisation_ids:
        return {}
    statement = select(OrganisationCopStatus).where(
        col(OrganisationCopStatus.organisation_id).in_(organisation_ids),
        col(OrganisationCopStatus.ended_at).is_(None),
    )
    return {
        row.organisation_id: cop_status_value(row)
        for row in (await session.execute(statement)).scalars()
    }


# --- representatives ----------------------------------------------------------------------------


async def _current_representative_rows(
    session: AsyncSession, organisation_id: int
) -> list[tuple[OrganisationRepresentative, Member]]:
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


async def current_representatives(
    session: AsyncSession, organisation_id: int
) -> list[tuple[values.Representation, values.Member]]:
    """Who speaks for the organisation now; the primary first."""
    return [
        (representation_value(representative), member_value(member))
        for representative, member in await _current_representative_rows(session, organisation_id)
    ]


async def add_representative(
    session: AsyncSession,
    organisation_id: int,
    member_id: int,
    *,
    primary: bool,
    at: datetime,
) -> values.Representation:
    """Record (or update) a representative; a new primary replaces the previous primary."""
    current = await _current_representative_rows(session, organisation_id)
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
            return representation_value(representative)
    row = OrganisationRepresentative(
        organisation_id=organisation_id, member_id=member_id, is_primary=primary, started_at=at
    )
    session.add(row)
    await session.flush()
    return representation_value(row)


async def end_representative(
    session: AsyncSession, organisation_id: int, member_id: int, *, at: datetime
) -> bool:
    for representative, _ in await _current_representative_rows(session, organisation_id):
        if representative.member_id == member_id:
            representative.ended_at = at
            session.add(representative)
            await session.flush()
            return True
    return False


async def represented_by(
    session: AsyncSession, member_id: int
) -> list[tuple[values.Representation, values.Organisation]]:
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
    return [
        (representation_value(row[0]), organisation_value(row[1]))
        for row in (await session.execute(statement)).all()
    ]
