"""The people of a community (``bot.profiles``): their profiles, and whether they are in the
server. No Discord here: plain values in and out. What role sync needs from the register is in
``bot.membership.rolesync_register``.

Joins and leaves are not written to the audit trail (it records what people did with
commands); the member row itself keeps when they joined and when they left.

A profile is what a person says about themself: organisation, stakeholder group, level, country
and expertise. Nothing in it is required: a member who never set a profile is still a member.
Changing organisation ends the old membership and starts a new one (history, not overwrites).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput, CopbotError
from bot.membership import fields
from bot.membership.register import Register, belonging_of, find_organisation
from bot.membership.values import Member
from bot.membership.vocabulary import Level, Stakeholder, parse_choice
from storage import audit, members, organisations
from storage.communities import ensure_community
from storage.contributions import register_changed
from storage.db import Database
from storage.types import utc_now

PROFILE_FIELDS: tuple[str, ...] = ("organisation", "stakeholder", "level", "country", "expertise")
# Kept short so that a profile embed stays well inside Discord's limits.
HISTORY_SHOWN = 10


# --- reading a profile --------------------------------------------------------------------------


@dataclass(frozen=True)
class PastOrganisation:
    name: str
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class Profile:
    user_id: int
    display_name: str
    organisation: str | None
    organisation_since: datetime | None
    earlier_organisations: tuple[PastOrganisation, ...]  # most recent first
    stakeholder: Stakeholder | None
    level: Level | None
    country: str | None
    expertise: tuple[str, ...]
    represents: tuple[str, ...]
    belonging: str  # bot.membership.register.Belonging.describe()
    present: bool

    @property
    def unset_fields(self) -> tuple[str, ...]:
        values = {
            "organisation": self.organisation,
            "stakeholder": self.stakeholder,
            "level": self.level,
            "country": self.country,
            "expertise": self.expertise,
        }
        return tuple(name for name in PROFILE_FIELDS if not values[name])

    @property
    def is_set(self) -> bool:
        return len(self.unset_fields) < len(PROFILE_FIELDS) or bool(self.earlier_organisations)


async def read_profile(session: AsyncSession, community_id: int, user_id: int) -> Profile | None:
    """The person's profile, or None if the register has never seen them (in the caller's
    session: privacy reports read it with the rest of what is kept about a person)."""
    member = await members.get_member(session, community_id, user_id)
    return None if member is None else await _profile_of_member(session, member)


async def _profile_of_member(session: AsyncSession, member: Member) -> Profile:
    history = await members.membership_history(session, member.id)
    current = next(((m, o) for m, o in history if m.ended_at is None), None)
    earlier = tuple(
        PastOrganisation(organisation.name, membership.started_at, membership.ended_at)
        for membership, organisation in reversed(history)
        if membership.ended_at is not None
    )
    represents = await organisations.represented_by(session, member.id)
    belonging = await belonging_of(session, member)
    return Profile(
        user_id=member.user_id,
        display_name=member.display_name,
        organisation=current[1].name if current else None,
        organisation_since=current[0].started_at if current else None,
        earlier_organisations=earlier,
        stakeholder=parse_choice(Stakeholder, member.stakeholder) if member.stakeholder else None,
        level=parse_choice(Level, member.level) if member.level else None,
        country=member.country,
        expertise=member.expertise,
        represents=tuple(organisation.name for _, organisation in represents),
        belonging=belonging.describe(),
        present=member.left_at is None,
    )


# --- changing a profile -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileInput:
    """What the person typed; None for an option they did not give."""

    organisation: str | None = None
    stakeholder: str | None = None
    level: str | None = None
    country: str | None = None
    expertise: str | None = None

    def given(self) -> tuple[str, ...]:
        return tuple(name for name in PROFILE_FIELDS if getattr(self, name) is not None)


@dataclass(frozen=True)
class ProfileUpdate:
    profile: Profile
    changed: tuple[str, ...]  # the fields whose value changed, in PROFILE_FIELDS order
    left_organisation: str | None = None

    @property
    def affects_roles(self) -> bool:
        return bool({"organisation", "stakeholder", "level"} & set(self.changed))


@dataclass
class _Checked:
    """The given options, validated; filled in only when every option is good."""

    values: dict[str, object] = field(default_factory=dict)
    problems: list[CopbotError] = field(default_factory=list)

    def check(self, name: str, validate: Callable[[str], object], text: str) -> None:
        try:
            self.values[name] = validate(text)
        except CopbotError as problem:
            self.problems.append(problem)

    def raise_if_any(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise BadInput(
                f"{len(self.problems)} options need fixing; nothing was changed.",
                "\n".join(f"• {problem.user_message}" for problem in self.problems),
            )


# --- presence: joining and leaving the server ---------------------------------------------------


@dataclass(frozen=True)
class PresentPerson:
    """Someone in the server right now (bots excluded by the caller)."""

    user_id: int
    display_name: str
    joined_at: datetime | None


@dataclass(frozen=True)
class PresenceReport:
    arrived: tuple[int, ...] = ()  # new to the register
    returned: tuple[int, ...] = ()  # had left, are back
    departed: tuple[int, ...] = ()  # were present, are gone
    renamed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.arrived or self.returned or self.departed or self.renamed)


# --- the service --------------------------------------------------------------------------------


class Profiles:
    """People in the register: their profiles, and their presence in the server."""

    def __init__(self, db: Database, register: Register) -> None:
        self.db = db
        self.register = register

    async def profile_of(self, community_id: int, user_id: int) -> Profile | None:
        """The person's profile, or None if the register has never seen them."""
        async with self.db.session() as session:
            return await read_profile(session, community_id, user_id)

    async def set_profile(
        self,
        community_id: int,
        community_name: str,
        *,
        user_id: int,
        display_name: str,
        given: ProfileInput,
        at: datetime | None = None,
    ) -> ProfileUpdate:
        """Change the given fields of a profile, all or nothing; the others keep their value.

        Every option is validated (and the organisation looked up) before anything is written,
        and every problem is reported at once. A new organisation ends the previous membership
        at ``at`` (default now).
        """
        if not given.given():
            raise BadInput(
                "Give at least one option to change.",
                "You can set " + ", ".join(f"`{name}`" for name in PROFILE_FIELDS) + ".",
            )
        moment = at or utc_now()
        checked = _Checked()
        if given.stakeholder is not None:
            checked.check("stakeholder", fields.stakeholder, given.stakeholder)
        if given.level is not None:
            checked.check("level", fields.level, given.level)
        if given.country is not None:
            checked.check("country", fields.country, given.country)
        if given.expertise is not None:
            checked.check("expertise", fields.expertise, given.expertise)
        organisation_name: str | None = None
        previous_organisation: str | None = None
        async with self.db.session() as session:
            member = await members.get_member(session, community_id, user_id)
            if member is not None:
                current = await members.current_membership(session, member.id)
                previous_organisation = current[1].name if current else None
            if given.organisation is not None:
                try:
                    tidy = fields.organisation_name(given.organisation)
                    found = await find_organisation(session, community_id, tidy)
                    organisation_name = found.name
                except CopbotError as problem:
                    checked.problems.append(problem)
        checked.raise_if_any()

        changed: list[str] = []
        left: str | None = None
        if organisation_name is not None and organisation_name != previous_organisation:
            _, left_organisation = await self.register.join_organisation(
                community_id,
                community_name,
                user_id=user_id,
                display_name=display_name,
                organisation_name=organisation_name,
                at=moment,
            )
            left = left_organisation.name if left_organisation else None
            changed.append("organisation")

        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            member = await members.ensure_member(session, community_id, user_id, display_name)
            stored_now: dict[str, object] = {
                "stakeholder": member.stakeholder,
                "level": member.level,
                "country": member.country,
                "expertise": list(member.expertise),
            }
            updates: dict[str, object] = {}
            previous: dict[str, object] = {}
            for name in ("stakeholder", "level", "country", "expertise"):
                if name not in checked.values:
                    continue
                value = checked.values[name]
                stored = str(value) if isinstance(value, (Stakeholder, Level)) else value
                if stored_now[name] != stored:
                    updates[name] = stored
                    previous[name] = stored_now[name]
            if updates:
                merged = stored_now | updates
                await members.set_member_details(
                    session,
                    member.id,
                    stakeholder=_optional_text(merged["stakeholder"]),
                    level=_optional_text(merged["level"]),
                    country=_optional_text(merged["country"]),
                    expertise=_tags(merged["expertise"]),
                )
                await register_changed(session, community_id)
                member = await members.ensure_member(session, community_id, user_id, display_name)
            changed.extend(updates)
            profile = await _profile_of_member(session, member)
            if changed:
                await audit.record_audit(
                    session,
                    community_id,
                    user_id,
                    "profile.set",
                    changed=sorted(changed, key=PROFILE_FIELDS.index),
                    organisation=organisation_name if "organisation" in changed else None,
                    previous_organisation=(
                        previous_organisation if "organisation" in changed else None
                    ),
                    **{name: updates[name] for name in updates},
                    previous=previous,
                )
        return ProfileUpdate(
            profile=profile,
            changed=tuple(sorted(changed, key=PROFILE_FIELDS.index)),
            left_organisation=left,
        )

    # --- presence: joining and leaving the server -----------------------------------------------

    async def register_arrival(
        self, community_id: int, community_name: str, person: PresentPerson
    ) -> str:
        """Register a join: "joined" for someone new, "returned" for someone who had left,
        "present" if the register already had them in the server."""
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            before = await members.get_member(session, community_id, person.user_id)
            if before is None or before.joined_at is None:
                what = "joined"
            elif before.left_at is not None:
                what = "returned"
            else:
                what = "present"
            await members.mark_present(
                session,
                community_id,
                person.user_id,
                person.display_name,
                person.joined_at or utc_now(),
            )
            return what

    async def register_departure(
        self,
        community_id: int,
        user_id: int,
        *,
        at: datetime | None = None,
        unless_changed_after: datetime | None = None,
        unless_joined_after: datetime | None = None,
    ) -> bool:
        """Mark the person as having left (the row and its history stay). True if they were
        present.

        ``unless_changed_after``: for a departure concluded from an older member list, leave
        alone a row that a join or leave event changed after that moment (the event is newer
        news). ``unless_joined_after``: for a leave event, leave alone someone who (re)joined
        after it arrived, whichever of the two reaches the database first.
        """
        async with self.db.transaction() as session:
            return await members.mark_left(
                session,
                community_id,
                user_id,
                at or utc_now(),
                unless_changed_after=unless_changed_after,
                unless_joined_after=unless_joined_after,
            )

    async def rename_member(self, community_id: int, user_id: int, display_name: str) -> bool:
        """Follow a change of display name; True if the register knew the person."""
        name = display_name[: fields.DISPLAY_NAME_MAX]
        async with self.db.transaction() as session:
            member = await members.get_member(session, community_id, user_id)
            if member is None or member.display_name == name:
                return False
            await members.rename_member(session, member.id, name)
            return True

    async def reconcile_presence(
        self,
        community_id: int,
        community_name: str,
        present: Sequence[PresentPerson],
        *,
        complete: bool,
        listed_at: datetime,
        at: datetime | None = None,
    ) -> PresenceReport:
        """Catch up with joins and leaves missed while the bot was away.

        Everyone in ``present`` (the server's member list as it was at ``listed_at``) is marked
        present; when ``complete`` (the full list was received), everyone the register has as
        present but who is not in ``present`` is marked as left at ``at`` (default now). With
        an incomplete list nobody is marked as left: a missing chunk must not look like a mass
        departure. Rows changed after ``listed_at`` are left alone: a join or leave event
        handled meanwhile is newer news than the list.
        """
        moment = at or utc_now()
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            stored = {
                member.user_id: member
                for member in await members.list_members(session, community_id, include_left=True)
            }
            arrived: list[int] = []
            returned: list[int] = []
            renamed = 0
            for person in present:
                member = stored.get(person.user_id)
                if member is not None and member.updated_at > listed_at:
                    continue
                name = person.display_name[: fields.DISPLAY_NAME_MAX]
                if member is not None and member.joined_at is not None and member.left_at is None:
                    if member.display_name != name:
                        await members.rename_member(session, member.id, name)
                        renamed += 1
                    continue
                if member is None or member.joined_at is None:
                    arrived.append(person.user_id)
                else:
                    returned.append(person.user_id)
                await members.mark_present(
                    session, community_id, person.user_id, name, person.joined_at or moment
                )
            departed: list[int] = []
            if complete:
                here = {person.user_id for person in present}
                for user_id, member in stored.items():
                    if (
                        member.left_at is None
                        and user_id not in here
                        and member.updated_at <= listed_at
                        and await members.mark_left(
                            session, community_id, user_id, moment, unless_changed_after=listed_at
                        )
                    ):
                        departed.append(user_id)
            return PresenceReport(tuple(arrived), tuple(returned), tuple(departed), renamed)


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)


def _tags(value: object) -> list[str]:
    return [str(tag) for tag in value] if isinstance(value, list) else []
