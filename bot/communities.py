"""Community settings as a service (``bot.communities``): validation and changes, with an audit
trail. No Discord here."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput, NotFound
from bot.scheduling.when import iana_timezones
from storage import audit, communities
from storage.db import Database
from storage.models import Community as CommunityRow

MIN_GROUP_FLOOR = 3
"""The smallest minimum group size: a figure about one or two people names them."""
MIN_GROUP_CEILING = 100


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    """One server's settings, as commands and schedules read them."""

    guild_id: int
    name: str
    timezone: str
    moderator_role_id: int | None
    coordinator_role_id: int | None
    review_channel_id: int | None
    min_group: int = MIN_GROUP_FLOOR
    """Group figures over fewer people are shown as "fewer than N" (DESIGN section 8)."""

    @classmethod
    def of(cls, row: CommunityRow) -> CommunitySettings:
        return cls(
            guild_id=row.id,
            name=row.name,
            timezone=row.timezone,
            moderator_role_id=row.moderator_role_id,
            coordinator_role_id=row.coordinator_role_id,
            review_channel_id=row.review_channel_id,
            min_group=row.min_group,
        )


@dataclass(frozen=True)
class StaffRoles:
    moderator_role_id: int | None
    coordinator_role_id: int | None


def known_timezones() -> tuple[str, ...]:
    """The one list of zones (the schedules' parser's): real IANA zones, not the host's own."""
    return iana_timezones()


def validate_timezone(name: str) -> str:
    """The IANA name as zoneinfo spells it, or BadInput with the closest names."""
    cleaned = name.strip().replace(" ", "_")
    by_lower = {zone.lower(): zone for zone in known_timezones()}
    zone = by_lower.get(cleaned.lower())
    if zone is not None:
        try:
            ZoneInfo(zone)
        except ZoneInfoNotFoundError:  # pragma: no cover - listed but not loadable
            zone = None
    if zone is None:
        close = difflib.get_close_matches(cleaned, known_timezones(), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        raise BadInput(
            f"`{name[:60]}` is not a time zone I know.{hint}",
            "Use an IANA name such as `Europe/Amsterdam`, `Africa/Accra` or `UTC`; "
            "the list offers them as you type.",
        )
    return zone


def suggest_timezones(typed: str, limit: int = 25) -> list[str]:
    """Time zones containing what was typed, best first, for autocomplete."""
    needle = typed.strip().lower().replace(" ", "_")
    if not needle:
        return ["UTC", "Europe/Amsterdam", "Europe/London", "Africa/Accra", "America/New_York"][
            :limit
        ]
    starts = [z for z in known_timezones() if z.lower().startswith(needle)]
    parts = [z for z in known_timezones() if needle in z.lower() and z not in starts]
    return (starts + parts)[:limit]


class Communities:
    """Each server's settings: read (made on first use), and changed with an audit record."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def settings(self, guild_id: int, guild_name: str) -> CommunitySettings:
        async with self.db.transaction() as session:
            community = await communities.ensure_community(session, guild_id, guild_name)
            return CommunitySettings.of(community)

    async def find(self, guild_id: int) -> CommunitySettings | None:
        """A server's settings, or None if the bot has never seen it (nothing is made)."""
        async with self.db.session() as session:
            community = await communities.get_community(session, guild_id)
            return None if community is None else CommunitySettings.of(community)

    async def export_key(self, guild_id: int) -> bytes:
        """The server's secret key for export pseudonyms (``bot.exports.pseudonyms``): made on
        first use, then the same for ever, so exports of any date join. NotFound for a server
        the bot has never seen (no community row is made for an id alone)."""
        async with self.db.transaction() as session:
            try:
                return await communities.export_key(session, guild_id)
            except LookupError:
                raise NotFound(
                    f"copbot knows no server with id {guild_id}.",
                    "Check the id: it is the server's id (Developer Mode, Copy Server ID).",
                ) from None

    async def set_staff_roles(
        self,
        guild_id: int,
        guild_name: str,
        *,
        actor_id: int,
        roles: StaffRoles,
        change_moderator: bool,
        change_coordinator: bool,
    ) -> CommunitySettings:
        """Set the moderator and/or coordinator role; the role not being changed keeps its value."""
        if not (change_moderator or change_coordinator):
            raise BadInput(
                "Give a moderator role, a coordinator role, or both.",
                "For example: `/settings roles moderator:@Moderators coordinator:@Coordinators`.",
            )
        async with self.db.transaction() as session:
            community = await communities.ensure_community(session, guild_id, guild_name)
            before = StaffRoles(community.moderator_role_id, community.coordinator_role_id)
            after = StaffRoles(
                roles.moderator_role_id if change_moderator else before.moderator_role_id,
                roles.coordinator_role_id if change_coordinator else before.coordinator_role_id,
            )
            await communities.set_staff_roles(
                session,
                community,
                moderator_role_id=after.moderator_role_id,
                coordinator_role_id=after.coordinator_role_id,
            )
            await audit.record_audit(
                session,
                guild_id,
                actor_id,
                "settings.roles",
                moderator_role_id=after.moderator_role_id,
                coordinator_role_id=after.coordinator_role_id,
                previous_moderator_role_id=before.moderator_role_id,
                previous_coordinator_role_id=before.coordinator_role_id,
            )
            return CommunitySettings.of(community)

    async def set_timezone(
        self, guild_id: int, guild_name: str, *, actor_id: int, timezone: str
    ) -> CommunitySettings:
        zone = validate_timezone(timezone)
        async with self.db.transaction() as session:
            community = await communities.ensure_community(session, guild_id, guild_name)
            previous = community.timezone
            await communities.set_timezone(session, community, zone)
            await audit.record_audit(
                session, guild_id, actor_id, "settings.timezone", timezone=zone, previous=previous
            )
            return CommunitySettings.of(community)

    async def set_min_group(
        self, guild_id: int, guild_name: str, *, actor_id: int, size: int
    ) -> CommunitySettings:
        """The minimum group size of figures and exports: from 3 (never lower) to 100."""
        if not MIN_GROUP_FLOOR <= size <= MIN_GROUP_CEILING:
            raise BadInput(
                f"The minimum group size must be between {MIN_GROUP_FLOOR} and "
                f"{MIN_GROUP_CEILING}, not {size}.",
                f"A figure about fewer than {MIN_GROUP_FLOOR} people would name them; "
                "nothing was changed.",
            )
        async with self.db.transaction() as session:
            community = await communities.ensure_community(session, guild_id, guild_name)
            previous = community.min_group
            await communities.set_min_group(session, community, size)
            await audit.record_audit(
                session, guild_id, actor_id, "settings.min_group", size=size, previous=previous
            )
            return CommunitySettings.of(community)

    async def set_review_channel(
        self, guild_id: int, guild_name: str, *, actor_id: int, channel_id: int | None
    ) -> CommunitySettings:
        """Where submitted questions wait for review (None: only in ``/prompt list``)."""
        async with self.db.transaction() as session:
            community = await communities.ensure_community(session, guild_id, guild_name)
            previous = community.review_channel_id
            await communities.set_review_channel(session, community, channel_id)
            await audit.record_audit(
                session,
                guild_id,
                actor_id,
                "settings.review_channel",
                channel_id=channel_id,
                previous=previous,
            )
            return CommunitySettings.of(community)
