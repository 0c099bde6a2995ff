"""The register's shared operations: finding an organisation, joining and leaving one, and how a
person belongs to the CoP. Commands, imports and listeners all go through these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound
from bot.membership.names import name_key, similar_names
from bot.membership.values import Member, Organisation
from bot.membership.vocabulary import CopStatus
from storage import audit, members, organisations
from storage.communities import ensure_community
from storage.contributions import register_changed
from storage.db import Database
from storage.types import utc_now


async def find_organisation(session: AsyncSession, community_id: int, name: str) -> Organisation:
    """The organisation called ``name`` (case, accents and spacing ignored), or NotFound."""
    found = await organisations.organisation_by_key(session, community_id, name_key(name))
    if found is not None:
        return found
    close = similar_names(name, await organisations.organisation_names(session, community_id))
    hint = (
        "Did you mean " + ", ".join(f"**{c}**" for c in close) + "?"
        if close
        else "See `/org list` for the organisations in this community."
    )
    raise NotFound(f"There is no organisation called **{name[:100]}** here.", hint)


class Register:
    """Joining and leaving organisations, for every path that does it (commands, profiles)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def join_organisation(
        self,
        community_id: int,
        community_name: str,
        *,
        user_id: int,
        display_name: str,
        organisation_name: str,
        at: datetime | None = None,
    ) -> tuple[Organisation, Organisation | None]:
        """Make the person a member of an organisation from ``at`` (default now).

        Returns the organisation joined and the one left, if the person changed organisation.
        The old membership is ended, never overwritten: figures keep the organisation of the
        moment.
        """
        moment = at or utc_now()
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            organisation = await find_organisation(session, community_id, organisation_name)
            member = await members.ensure_member(session, community_id, user_id, display_name)
            current = await members.current_membership(session, member.id)
            left = current[1] if current and current[1].id != organisation.id else None
            await members.start_membership(session, member.id, organisation.id, moment)
            await register_changed(session, community_id)
            if current is None or left is not None:
                await audit.record_audit(
                    session,
                    community_id,
                    user_id,
                    "organisation.join",
                    organisation_id=organisation.id,
                    left_organisation_id=left.id if left else None,
                )
            return organisation, left

    async def leave_organisation(
        self, community_id: int, *, user_id: int, at: datetime | None = None
    ) -> Organisation | None:
        """End the person's current organisation membership; returns the organisation left."""
        async with self.db.transaction() as session:
            member = await members.get_member(session, community_id, user_id)
            if member is None:
                return None
            current = await members.current_membership(session, member.id)
            if current is None:
                return None
            await members.end_membership(session, member.id, at or utc_now())
            await register_changed(session, community_id)
            await audit.record_audit(
                session, community_id, user_id, "organisation.leave", organisation_id=current[1].id
            )
            return current[1]


@dataclass(frozen=True)
class Belonging:
    """How a person belongs to the CoP: on their own, through their organisation, or both.

    On their own: they are in the community's server. Through their organisation: the
    organisation they belong to is itself a member of the CoP.
    """

    individually: bool
    through: Organisation | None

    def describe(self) -> str:
        if self.individually and self.through is not None:
            return f"on their own and through {self.through.name}"
        if self.through is not None:
            return f"through {self.through.name}"
        if self.individually:
            return "on their own"
        return "not a current member"


async def belonging_of(session: AsyncSession, member: Member) -> Belonging:
    through = None
    current = await members.current_membership(session, member.id)
    if current is not None:
        status = await organisations.current_cop_status(session, current[1].id)
        if status is not None and status.status == CopStatus.MEMBER:
            through = current[1]
    return Belonging(individually=member.left_at is None, through=through)
