"""Importing and exporting the member register as CSV (``bot.imports``). No Discord here.

An import is all or nothing: every row is checked first (the cells by ``csv_io``, then what
depends on the register, such as whether a named organisation exists); only a file without a
single error is applied, in one transaction, so a failure midway leaves nothing behind. One
audit event records the import and its counts.

Exports write the import columns, so an export re-imports as it is. The member export holds the
people still in the register's present (``left_at`` unset): the CSV has no column to say that
someone left, and re-importing a departed person must not make them look present. Those who left
stay in the database with their history; :meth:`Imports.members_left_out` says how many were
left out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions.privacy import forgotten_among
from bot.errors import BadInput
from bot.membership import csv_io
from bot.membership.csv_io import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MEMBER_COLUMNS,
    ORGANISATION_COLUMNS,
    MemberRow,
    OrganisationRow,
    RowError,
)
from bot.membership.names import name_key, similar_names
from bot.membership.values import Member, Organisation
from bot.membership.vocabulary import CopStatus
from storage import audit, members, organisations
from storage.communities import ensure_community
from storage.contributions import register_changed
from storage.db import Database
from storage.types import utc_now

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "ImportRejected",
    "ImportResult",
    "Imports",
]

# Discord shows at most 2000 characters; the summary keeps well inside that.
_SHOWN_ERRORS = 15
_MESSAGE_BUDGET = 1800
_ERROR_LINE_MAX = 160


class ImportRejected(BadInput):
    """The file has errors; nothing was imported. ``errors`` lists every one of them."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        count = len(errors)
        problem = (
            f"Nothing was imported: the file has {count} {'problem' if count == 1 else 'problems'}."
        )
        super().__init__(problem, _summary(errors))


def _summary(errors: list[RowError]) -> str:
    """The first errors, one per line, then "and N more", within Discord's message size."""
    lines: list[str] = []
    used = 0
    for error in errors[:_SHOWN_ERRORS]:
        line = error.describe()
        if len(line) > _ERROR_LINE_MAX:
            line = line[: _ERROR_LINE_MAX - 1] + "…"
        if used + len(line) + 1 > _MESSAGE_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
    if len(errors) > len(lines):
        lines.append(f"and {len(errors) - len(lines)} more.")
    lines.append("Correct the file and import it again; rows are checked all together.")
    return "\n".join(lines)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    # People whose organisation, stakeholder group or level changed: the caller announces them
    # (``member_profile_changed``) so role sync can follow.
    profile_changed: tuple[int, ...] = field(default=(), repr=False)

    def describe(self) -> str:
        """The counts, in the words Discord and the command line both use."""
        return f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged"

    def summary(self, what: str) -> str:
        """One sentence for an import of ``what`` ("Organisations", "Members", "Questions"):
        the same in ``/org import`` and ``copbot import-orgs``."""
        return f"{what}: {self.describe()}."


def _since(day: date | None, now: datetime) -> datetime:
    return now if day is None else datetime.combine(day, time(), tzinfo=UTC)


# --- checks and updates within an import's transaction -------------------------------------------


async def _update_organisation(
    session: AsyncSession, organisation: Organisation, row: OrganisationRow
) -> bool:
    """Apply the row's given values (an empty cell keeps the value); True if anything changed."""
    wanted = replace(
        organisation,
        name=row.name,
        stakeholder=row.stakeholder.value,
        level=row.level.value,
        country=row.country if row.country is not None else organisation.country,
        website=row.website if row.website is not None else organisation.website,
        description=row.description if row.description is not None else organisation.description,
    )
    if wanted == organisation:
        return False
    await organisations.update_organisation(session, wanted)
    return True


async def _apply_cop_status(
    session: AsyncSession,
    organisation: Organisation,
    row: OrganisationRow,
    current: CopStatus | None,
    now: datetime,
    actor_id: int | None,
) -> bool:
    """Start the row's CoP status if it differs from the current one; True if it did."""
    if row.cop_status is None or row.cop_status == current:
        return False
    await organisations.set_cop_status(
        session,
        organisation.id,
        row.cop_status,
        at=_since(row.cop_since, now),
        changed_by=actor_id,
    )
    return True


def _not_in_server(user_id: int, register_only: bool) -> str:
    if register_only:
        return (
            f"user {user_id} is not in the server as far as the register knows (the bot records "
            "who is there while it runs); check the id, or import the file with `/profile "
            "import` in Discord."
        )
    return (
        f"nobody in this server has the user id {user_id}; only people in the server can be "
        "imported. Check the id (in Discord: right-click the person › Copy User ID)."
    )


def _unknown_organisation(name: str, existing: list[str]) -> str:
    close = similar_names(name, existing)
    hint = (
        " Did you mean " + ", ".join(f"**{c}**" for c in close) + "?"
        if close
        else " Import the organisations first (`/org import` or `copbot import-orgs`), "
        "or create it with `/org create`."
    )
    return f"there is no organisation called **{name}** here.{hint}"


async def _update_member(
    session: AsyncSession, member: Member, row: MemberRow
) -> tuple[bool, bool]:
    """Apply the row's given values (an empty cell keeps the value); (anything changed,
    stakeholder group or level changed)."""
    stakeholder = row.stakeholder.value if row.stakeholder else member.stakeholder
    level = row.level.value if row.level else member.level
    country = row.country if row.country is not None else member.country
    expertise = row.expertise if row.expertise is not None else member.expertise
    renamed = row.display_name is not None and row.display_name != member.display_name
    if row.display_name is not None and renamed:
        await members.rename_member(session, member.id, row.display_name)
    described = (stakeholder, level, country, expertise) != (
        member.stakeholder,
        member.level,
        member.country,
        member.expertise,
    )
    if described:
        await members.set_member_details(
            session,
            member.id,
            stakeholder=stakeholder,
            level=level,
            country=country,
            expertise=expertise,
        )
    role_facts = (stakeholder, level) != (member.stakeholder, member.level)
    return renamed or described, role_facts


# --- the service ---------------------------------------------------------------------------------


class Imports:
    """The register as CSV: imports (all or nothing) and exports of members and organisations."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def _one_transaction(self) -> AsyncIterator[AsyncSession]:
        """The import's one transaction: it commits when the block ends; on any error nothing
        is applied.

        A unique constraint can still fail if someone changed the register between the checks
        and the writes (two imports at once, or a command meanwhile): then nothing was applied
        either.
        """
        try:
            async with self.db.transaction() as session:
                yield session
        except IntegrityError:
            raise BadInput(
                "The register changed while the file was being imported; nothing was imported.",
                "Import the file again.",
            ) from None

    async def import_organisations(
        self,
        community_id: int,
        community_name: str,
        data: bytes,
        *,
        actor_id: int | None,
    ) -> ImportResult:
        """Create the organisations of the file that are new; update those that exist (same
        name, ignoring case, accents and spacing). Raises ImportRejected with every error,
        changing nothing, unless the whole file is valid."""
        now = utc_now()
        rows, errors = csv_io.parse_organisations(data, today=now.date())
        if errors and not rows:
            raise ImportRejected(errors)
        async with self._one_transaction() as session:
            await ensure_community(session, community_id, community_name)
            existing, _ = await organisations.list_organisations(session, community_id)
            by_key = {organisation.name_key: organisation for organisation in existing}
            statuses = await organisations.current_cop_statuses(session, [o.id for o in existing])
            for row in rows:
                current = by_key.get(row.key)
                status = statuses.get(current.id) if current is not None else None
                if (
                    status is not None
                    and row.cop_status is not None
                    and row.cop_status != status.status
                    and row.cop_since is not None
                    and _since(row.cop_since, now) < status.started_at
                ):
                    errors.append(
                        RowError(
                            row.line,
                            "cop_since",
                            f"{row.cop_since.isoformat()} is before the current status "
                            f"({status.status.value} since "
                            f"{status.started_at.date().isoformat()}); "
                            "a new status starts after the one it ends.",
                        )
                    )
            if errors:
                raise ImportRejected(sorted(errors, key=lambda error: error.line))

            created = updated = unchanged = 0
            for row in rows:
                organisation = by_key.get(row.key)
                if organisation is None:
                    organisation = await organisations.create_organisation(
                        session,
                        community_id=community_id,
                        name=row.name,
                        name_key=row.key,
                        stakeholder=row.stakeholder.value,
                        level=row.level.value,
                        country=row.country,
                        website=row.website,
                        description=row.description,
                        created_by=actor_id,
                    )
                    by_key[row.key] = organisation
                    await _apply_cop_status(session, organisation, row, None, now, actor_id)
                    created += 1
                    continue
                changed = await _update_organisation(session, organisation, row)
                status = statuses.get(organisation.id)
                changed_status = await _apply_cop_status(
                    session, organisation, row, status.status if status else None, now, actor_id
                )
                if changed or changed_status:
                    updated += 1
                else:
                    unchanged += 1
            await register_changed(session, community_id)
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "organisation.import",
                rows=len(rows),
                created=created,
                updated=updated,
                unchanged=unchanged,
            )
        return ImportResult(created, updated, unchanged)

    async def import_members(
        self,
        community_id: int,
        community_name: str,
        data: bytes,
        *,
        actor_id: int | None,
        in_server: Collection[int] | None = None,
    ) -> ImportResult:
        """Register the people of the file, or update those already registered.

        Every row must be a person in the server: ``in_server`` holds the user ids of the
        people (not bots) Discord lists in it now. Without it (the command line, which has no
        Discord connection) the register's own record of who is present stands in: the bot
        records joins and leaves while it runs and catches up at start-up, so a row for someone
        it never saw in the server, or saw leave, is refused. A row for someone who asked to be
        forgotten here is refused too: the register keeps nothing about them unless they give
        it themselves.

        The organisations named must exist already (import organisations first). A change of
        organisation ends the old membership and starts a new one, as ``/org join`` does:
        history is kept, never overwritten. Raises ImportRejected with every error, changing
        nothing, unless the whole file is valid.
        """
        now = utc_now()
        rows, errors = csv_io.parse_members(data)
        if errors and not rows:
            raise ImportRejected(errors)
        async with self._one_transaction() as session:
            await ensure_community(session, community_id, community_name)
            existing_organisations, _ = await organisations.list_organisations(
                session, community_id
            )
            organisation_by_key = {o.name_key: o for o in existing_organisations}
            known = {
                member.user_id: member
                for member in await members.list_members(session, community_id, include_left=True)
            }
            present = (
                set(in_server)
                if in_server is not None
                else {user_id for user_id, member in known.items() if member.left_at is None}
            )
            forgotten = await forgotten_among(session, community_id, [row.user_id for row in rows])
            for row in rows:
                if row.user_id in forgotten:
                    errors.append(
                        RowError(
                            row.line,
                            "user_id",
                            f"user {row.user_id} asked to be forgotten here, so the register "
                            "keeps nothing about them; remove the row (they can set a profile "
                            "themselves).",
                        )
                    )
                elif row.user_id not in present:
                    errors.append(
                        RowError(
                            row.line, "user_id", _not_in_server(row.user_id, in_server is None)
                        )
                    )
                if row.display_name is None and row.user_id not in known:
                    errors.append(
                        RowError(
                            row.line,
                            "display_name",
                            f"user {row.user_id} is not in the register yet; give their name.",
                        )
                    )
                if row.organisation is not None and name_key(row.organisation) not in (
                    organisation_by_key
                ):
                    errors.append(
                        RowError(
                            row.line,
                            "organisation",
                            _unknown_organisation(
                                row.organisation, [o.name for o in existing_organisations]
                            ),
                        )
                    )
            if errors:
                raise ImportRejected(sorted(errors, key=lambda error: error.line))

            current_organisation = await members.current_organisation_ids(session, community_id)
            created = updated = unchanged = 0
            profile_changed: list[int] = []
            for row in rows:
                member = known.get(row.user_id)
                is_new = member is None
                if member is None:
                    assert row.display_name is not None  # checked above
                    member = await members.ensure_member(
                        session, community_id, row.user_id, row.display_name
                    )
                changed, profile = await _update_member(session, member, row)
                if row.organisation is not None:
                    organisation = organisation_by_key[name_key(row.organisation)]
                    if current_organisation.get(member.id) != organisation.id:
                        await members.start_membership(session, member.id, organisation.id, now)
                        current_organisation[member.id] = organisation.id
                        changed = profile = True
                if profile:
                    profile_changed.append(row.user_id)
                if is_new:
                    created += 1
                elif changed:
                    updated += 1
                else:
                    unchanged += 1
            await register_changed(session, community_id)
            await audit.record_audit(
                session,
                community_id,
                actor_id,
                "member.import",
                rows=len(rows),
                created=created,
                updated=updated,
                unchanged=unchanged,
            )
        return ImportResult(created, updated, unchanged, tuple(profile_changed))

    # --- exports --------------------------------------------------------------------------------

    async def export_organisations(self, community_id: int) -> str:
        """Every organisation of the community as CSV text (ORGANISATION_COLUMNS), by name."""
        async with self.db.session() as session:
            found, _ = await organisations.list_organisations(session, community_id)
            statuses = await organisations.current_cop_statuses(session, [o.id for o in found])
        rows = []
        for organisation in found:
            status = statuses.get(organisation.id)
            rows.append(
                {
                    "name": organisation.name,
                    "stakeholder": organisation.stakeholder,
                    "level": organisation.level,
                    "country": organisation.country,
                    "website": organisation.website,
                    "description": organisation.description,
                    "cop_status": status.status.value if status else None,
                    "cop_since": status.started_at.date().isoformat() if status else None,
                }
            )
        return csv_io.write_csv(ORGANISATION_COLUMNS, rows)

    async def export_members(self, community_id: int) -> str:
        """The community's present members as CSV text (MEMBER_COLUMNS), by name.

        Members who left the server are not included (see the module's docstring)."""
        async with self.db.session() as session:
            present = await members.list_members(session, community_id)
            found, _ = await organisations.list_organisations(session, community_id)
            current_organisation = await members.current_organisation_ids(session, community_id)
        organisation_names = {o.id: o.name for o in found}
        present.sort(key=lambda member: (member.display_name.casefold(), member.user_id))
        rows = []
        for member in present:
            organisation_id = current_organisation.get(member.id)
            rows.append(
                {
                    "user_id": str(member.user_id),
                    "display_name": member.display_name,
                    "organisation": organisation_names.get(organisation_id)
                    if organisation_id is not None
                    else None,
                    "stakeholder": member.stakeholder,
                    "level": member.level,
                    "country": member.country,
                    "expertise": ", ".join(member.expertise),
                }
            )
        return csv_io.write_csv(MEMBER_COLUMNS, rows)

    async def members_left_out(self, community_id: int) -> int:
        """How many registered people :meth:`export_members` leaves out because they left."""
        async with self.db.session() as session:
            everyone = await members.list_members(session, community_id, include_left=True)
        return sum(member.left_at is not None for member in everyone)
