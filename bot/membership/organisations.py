"""Organisations as a service (``bot.organisations``): the register of organisations, their own
membership of the CoP and who speaks for them. Plain values in and out; every change is
audited. No Discord here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BadInput
from bot.membership import fields
from bot.membership.names import name_key, similar_names
from bot.membership.register import Register, find_organisation
from bot.membership.values import CopStatusRecord, Member, Organisation
from bot.membership.vocabulary import CopStatus, Level, Stakeholder
from storage import audit, members, organisations
from storage.communities import ensure_community
from storage.contributions import register_changed
from storage.db import Database
from storage.types import utc_now

# Typed in an edit to empty an optional field (country, website, description).
CLEAR = "-"

AUTOCOMPLETE_LIMIT = 25


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusPeriod:
    status: CopStatus
    started_at: datetime
    ended_at: datetime | None  # None: the current status


@dataclass(frozen=True)
class Representative:
    user_id: int
    display_name: str
    primary: bool
    since: datetime


@dataclass(frozen=True)
class OrganisationProfile:
    """Everything ``/org show`` tells about an organisation."""

    organisation: Organisation
    history: list[StatusPeriod]  # oldest first
    representatives: list[Representative]  # the primary first
    member_names: list[str]  # people who belong to it and are in the server, by name

    @property
    def status(self) -> StatusPeriod | None:
        return self.history[-1] if self.history and self.history[-1].ended_at is None else None


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    status: CopStatus | None
    member_count: int


@dataclass(frozen=True)
class OrganisationPage:
    rows: list[OrganisationRow]
    total: int  # matching the filters, on every page


@dataclass(frozen=True)
class Edit:
    organisation: Organisation
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after)


@dataclass(frozen=True)
class StatusChange:
    organisation: Organisation
    previous: StatusPeriod | None
    current: StatusPeriod
    changed: bool  # False: it already had that status; nothing was recorded


@dataclass(frozen=True)
class RepresentativeChange:
    organisation: Organisation
    user_id: int
    action: str  # "added", "made primary", "unchanged", "removed"
    replaced_primary: Representative | None = None
    # The organisation the person belongs to, when it is not this one (worth a word to the
    # moderator: someone usually speaks for their own organisation).
    belongs_elsewhere: Organisation | None = None
    belongs_nowhere: bool = False


@dataclass(frozen=True)
class Join:
    organisation: Organisation
    left: Organisation | None
    already: bool = False


# --- helpers ------------------------------------------------------------------------------------


def _period(record: CopStatusRecord) -> StatusPeriod:
    return StatusPeriod(record.status, record.started_at, record.ended_at)


async def _check_name_is_free(
    session: AsyncSession,
    community_id: int,
    name: str,
    *,
    distinct: bool,
    renaming: Organisation | None = None,
) -> None:
    """Refuse a name another organisation already has (by key), and near-duplicates unless the
    moderator said the organisation is a distinct one.

    A mistaken duplicate cannot be deleted (there is no ``/org delete``) and splits every figure
    per organisation in two, so refusing costs a moderator one retype while creating costs a
    lasting clean-up.
    """
    key = name_key(name)
    if renaming is not None and key == renaming.name_key:
        return  # a new spelling of its own name
    same = await organisations.organisation_by_key(session, community_id, key)
    if same is not None and (renaming is None or same.id != renaming.id):
        raise BadInput(
            f"There is already an organisation called **{same.name}**: names are compared "
            "ignoring case, accents and spacing.",
            f"Members join it with `/org join name:{same.name}`; moderators change it with "
            "`/org edit`.",
        )
    if distinct:
        return
    others = [
        existing
        for existing in await organisations.organisation_names(session, community_id)
        if renaming is None or name_key(existing) != renaming.name_key
    ]
    close = similar_names(name, others)
    if close:
        listed = ", ".join(f"**{c}**" for c in close)
        raise BadInput(
            f"**{name}** looks like {listed}, which already "
            f"{'exists' if len(close) == 1 else 'exist'}. Did you mean "
            f"{'it' if len(close) == 1 else 'one of them'}?",
            "If so, use the existing one (`/org join`, `/org edit`). If this is a different "
            "organisation, run the command again with `distinct:True`.",
        )


def _optional_text(
    given: dict[str, Any],
    name: str,
    text: str | None,
    validate: Callable[[str], Any],
    *,
    clearable: bool,
) -> None:
    if text is None:
        return
    if clearable and text.strip() == CLEAR:
        given[name] = None
    elif text.strip():
        given[name] = validate(text)


def _check_transition(name: str, previous: StatusPeriod | None, wanted: CopStatus) -> None:
    was = previous.status if previous is not None else None
    if wanted == CopStatus.LAPSED and was != CopStatus.MEMBER:
        now = "has only applied" if was == CopStatus.APPLICANT else "has never been admitted"
        raise BadInput(
            f"**{name}** is not a member of the CoP ({now}), so its membership cannot lapse.",
            "Only a member organisation can lapse; `/org show` tells its status.",
        )
    if wanted == CopStatus.APPLICANT and was == CopStatus.MEMBER:
        raise BadInput(
            f"**{name}** is already a member of the CoP; it cannot become an applicant.",
            "If its membership ended, record that with `/org lapse` first.",
        )


async def _audit_representative(
    session: AsyncSession,
    community_id: int,
    actor_id: int,
    organisation: Organisation,
    member: Member,
    what: str,
    *,
    primary: bool | None = None,
    replaced_primary_user_id: int | None = None,
) -> None:
    # An ended representation is recorded without the details only an added one has.
    detail = (
        {}
        if primary is None
        else {"primary": primary, "replaced_primary_user_id": replaced_primary_user_id}
    )
    await audit.record_audit(
        session,
        community_id,
        actor_id,
        f"organisation.representative.{what}",
        organisation_id=organisation.id,
        user_id=member.user_id,
        **detail,
    )


# --- the service --------------------------------------------------------------------------------


class Organisations:
    """The register of organisations, their own membership of the CoP and who speaks for them."""

    def __init__(self, db: Database, register: Register) -> None:
        self.db = db
        self.register = register

    @asynccontextmanager
    async def _name_claimed(self, community_id: int, name: str | None) -> AsyncIterator[None]:
        """Turn the loss of a race for ``name`` (a new organisation's, or a new name) into the
        answer the check before it gives.

        Two moderators may both find a name free and both write it; the database's unique key
        lets one through, and the other hears that the name is taken, as if it had been all
        along.
        """
        try:
            yield
        except IntegrityError:
            if name is not None:
                async with self.db.session() as session:
                    await _check_name_is_free(session, community_id, name, distinct=True)
            raise  # not the name after all

    # --- the register of organisations ------------------------------------------------------

    async def create_organisation(
        self,
        community_id: int,
        community_name: str,
        *,
        actor_id: int,
        name: str,
        stakeholder: str,
        level: str,
        country: str | None = None,
        website: str | None = None,
        description: str | None = None,
        distinct: bool = False,
    ) -> Organisation:
        """A new organisation; every field is validated before anything is written."""
        clean_name = fields.organisation_name(name)
        clean_stakeholder = fields.stakeholder(stakeholder).value
        clean_level = fields.level(level).value
        clean_country = fields.country(country)
        clean_website = fields.website(website)
        clean_description = fields.description(description)
        async with (
            self._name_claimed(community_id, clean_name),
            self.db.transaction() as session,
        ):
            await ensure_community(session, community_id, community_name)
            await _check_name_is_free(session, community_id, clean_name, distinct=distinct)
            organisation = await organisations.create_organisation(
                session,
                community_id=community_id,
                name=clean_name,
                name_key=name_key(clean_name),
                stakeholder=clean_stakeholder,
                level=clean_level,
                country=clean_country,
                website=clean_website,
                description=clean_description,
                created_by=actor_id,
            )
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "organisation.create",
                organisation_id=organisation.id,
                name=clean_name,
                stakeholder=clean_stakeholder,
                level=clean_level,
                country=clean_country,
                website=clean_website,
                description=clean_description,
            )
            return organisation

    async def edit_organisation(
        self,
        community_id: int,
        *,
        actor_id: int,
        name: str,
        new_name: str | None = None,
        stakeholder: str | None = None,
        level: str | None = None,
        country: str | None = None,
        website: str | None = None,
        description: str | None = None,
        distinct: bool = False,
    ) -> Edit:
        """Change some fields; ``-`` empties country, website or description."""
        # Only the fields given are validated and changed; the others keep their value.
        given: dict[str, Any] = {}
        _optional_text(given, "name", new_name, fields.organisation_name, clearable=False)
        _optional_text(
            given,
            "stakeholder",
            stakeholder,
            lambda t: fields.stakeholder(t).value,
            clearable=False,
        )
        _optional_text(given, "level", level, lambda t: fields.level(t).value, clearable=False)
        _optional_text(given, "country", country, fields.country, clearable=True)
        _optional_text(given, "website", website, fields.website, clearable=True)
        _optional_text(given, "description", description, fields.description, clearable=True)
        if not given:
            raise BadInput(
                "Say what to change: give at least one of new_name, stakeholder, level, "
                "country, website or description.",
                f"To empty country, website or description, give `{CLEAR}`.",
            )
        async with (
            self._name_claimed(community_id, given.get("name")),
            self.db.transaction() as session,
        ):
            organisation = await find_organisation(session, community_id, name)
            changes = {
                key: (getattr(organisation, key), value)
                for key, value in given.items()
                if getattr(organisation, key) != value
            }
            if not changes:
                raise BadInput(
                    f"**{organisation.name}** already has those values; nothing was changed.",
                    "Give the values that should be different.",
                )
            if "name" in changes:
                await _check_name_is_free(
                    session, community_id, given["name"], distinct=distinct, renaming=organisation
                )
                changes["name_key"] = (organisation.name_key, name_key(given["name"]))
            wanted = replace(organisation, **{key: after for key, (_, after) in changes.items()})
            edited = await organisations.update_organisation(session, wanted)
            await register_changed(session, community_id)
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "organisation.edit",
                organisation_id=organisation.id,
                changes={key: {"before": b, "after": a} for key, (b, a) in changes.items()},
            )
        changes.pop("name_key", None)
        return Edit(edited, changes)

    async def organisation_profile(self, community_id: int, name: str) -> OrganisationProfile:
        async with self.db.session() as session:
            organisation = await find_organisation(session, community_id, name)
            history = [
                _period(record)
                for record in await organisations.cop_status_history(session, organisation.id)
            ]
            representatives = [
                Representative(member.user_id, member.display_name, row.is_primary, row.started_at)
                for row, member in await organisations.current_representatives(
                    session, organisation.id
                )
            ]
            people = [
                member
                for member in await members.current_members_of(session, organisation.id)
                if member.left_at is None
            ]
            return OrganisationProfile(
                organisation, history, representatives, [member.display_name for member in people]
            )

    async def list_organisations(
        self,
        community_id: int,
        *,
        stakeholder: Stakeholder | None,
        level: Level | None,
        offset: int,
        limit: int,
    ) -> OrganisationPage:
        async with self.db.session() as session:
            found, total = await organisations.list_organisations(
                session,
                community_id,
                stakeholder=stakeholder.value if stakeholder else None,
                level=level.value if level else None,
                offset=offset,
                limit=limit,
            )
            ids = [organisation.id for organisation in found]
            statuses = await organisations.current_cop_statuses(session, ids)
            counts = await members.count_present_members(session, ids)
            rows = [
                OrganisationRow(
                    organisation,
                    statuses[organisation.id].status if organisation.id in statuses else None,
                    counts.get(organisation.id, 0),
                )
                for organisation in found
            ]
            return OrganisationPage(rows, total)

    async def suggest_organisation_names(
        self, community_id: int, typed: str, *, limit: int = AUTOCOMPLETE_LIMIT
    ) -> list[str]:
        """Names for autocomplete: those starting with what was typed, then containing it, then
        similar (so a typo still finds the organisation). Only a suggestion: commands
        validate."""
        async with self.db.session() as session:
            names = await organisations.organisation_names(session, community_id)
        wanted = name_key(typed)
        if not wanted:
            return names[:limit]
        keyed = [(name_key(name), name) for name in names]
        starts = [name for key, name in keyed if key.startswith(wanted)]
        contains = [name for key, name in keyed if wanted in key and name not in starts]
        close = [name for name in similar_names(typed, names, limit=limit) if name not in starts]
        return list(dict.fromkeys(starts + contains + close))[:limit]

    # --- people joining and leaving ---------------------------------------------------------

    async def join(
        self,
        community_id: int,
        community_name: str,
        *,
        user_id: int,
        display_name: str,
        organisation_name: str,
    ) -> Join:
        """Belong to an organisation; the previous one, if any, is left (its history kept)."""
        async with self.db.session() as session:
            organisation = await find_organisation(session, community_id, organisation_name)
            member = await members.get_member(session, community_id, user_id)
            current = (
                await members.current_membership(session, member.id) if member is not None else None
            )
            if current is not None and current[1].id == organisation.id:
                return Join(organisation, None, already=True)
        joined, left = await self.register.join_organisation(
            community_id,
            community_name,
            user_id=user_id,
            display_name=display_name,
            organisation_name=organisation.name,
        )
        return Join(joined, left)

    async def leave(self, community_id: int, *, user_id: int) -> Organisation:
        left = await self.register.leave_organisation(community_id, user_id=user_id)
        if left is None:
            raise BadInput(
                "You do not belong to an organisation here, so there is nothing to leave.",
                "To belong to one, use `/org join`.",
            )
        return left

    # --- the organisation as a member of the CoP --------------------------------------------

    async def change_cop_status(
        self,
        community_id: int,
        *,
        actor_id: int,
        name: str,
        status: CopStatus,
    ) -> StatusChange:
        """Admit (member), record an application (applicant) or lapse (lapsed), from now.

        Allowed: none/lapsed -> applicant; none/applicant/lapsed -> member; member -> lapsed.
        The status it already has is a no-op, answered as such; the rest is refused with the
        reason.
        """
        async with self.db.transaction() as session:
            organisation = await find_organisation(session, community_id, name)
            record = await organisations.current_cop_status(session, organisation.id)
            previous = _period(record) if record is not None else None
            if previous is not None and previous.status == status:
                return StatusChange(organisation, previous, previous, changed=False)
            _check_transition(organisation.name, previous, status)
            started = await organisations.set_cop_status(
                session, organisation.id, status, at=utc_now(), changed_by=actor_id
            )
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "organisation.cop_status",
                organisation_id=organisation.id,
                status=status.value,
                previous=previous.status.value if previous else None,
            )
            return StatusChange(organisation, previous, _period(started), changed=True)

    async def change_representative(
        self,
        community_id: int,
        community_name: str,
        *,
        actor_id: int,
        name: str,
        user_id: int,
        display_name: str,
        primary: bool | None,
        remove: bool,
    ) -> RepresentativeChange:
        """Record that a person speaks for an organisation (``primary`` replaces the previous
        primary), or end that with ``remove``. Ending keeps the row with its dates."""
        if remove and primary:
            raise BadInput(
                "Give either `primary:True` or `remove:True`, not both.",
                "To end a representation, give only `remove:True`.",
            )
        now = utc_now()
        async with self.db.transaction() as session:
            await ensure_community(session, community_id, community_name)
            organisation = await find_organisation(session, community_id, name)
            member = await members.ensure_member(session, community_id, user_id, display_name)
            current = await organisations.current_representatives(session, organisation.id)
            mine = next((row for row, person in current if person.id == member.id), None)
            if remove:
                if mine is None:
                    raise BadInput(
                        f"**{display_name}** does not speak for **{organisation.name}**; "
                        "nothing to remove.",
                        "`/org show` lists its representatives.",
                    )
                await organisations.end_representative(session, organisation.id, member.id, at=now)
                await _audit_representative(
                    session, community_id, actor_id, organisation, member, "remove"
                )
                return RepresentativeChange(organisation, user_id, "removed")
            if mine is not None and (primary is None or primary == mine.is_primary):
                return RepresentativeChange(organisation, user_id, "unchanged")
            if mine is not None and mine.is_primary and primary is False:
                raise BadInput(
                    f"**{display_name}** is the primary representative of **{organisation.name}**.",
                    "To change that, name the new primary with `primary:True`, or end this "
                    "representation with `remove:True`.",
                )
            replaced = next(
                (
                    Representative(person.user_id, person.display_name, True, row.started_at)
                    for row, person in current
                    if row.is_primary and person.id != member.id
                ),
                None,
            )
            await organisations.add_representative(
                session, organisation.id, member.id, primary=bool(primary), at=now
            )
            belongs = await members.current_membership(session, member.id)
            await _audit_representative(
                session,
                community_id,
                actor_id,
                organisation,
                member,
                "add",
                primary=bool(primary),
                replaced_primary_user_id=replaced.user_id if primary and replaced else None,
            )
            return RepresentativeChange(
                organisation,
                user_id,
                "made primary" if mine is not None else "added",
                replaced_primary=replaced if primary else None,
                belongs_elsewhere=(
                    belongs[1] if belongs is not None and belongs[1].id != organisation.id else None
                ),
                belongs_nowhere=belongs is None,
            )
