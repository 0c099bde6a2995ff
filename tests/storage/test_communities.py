from __future__ import annotations

import asyncio

from bot.communities import Communities, StaffRoles
from storage.audit import recent_audit
from storage.communities import ensure_community, get_community
from storage.db import Database

GUILD = 111_222_333_444_555_666


async def test_ensure_community_creates_once_and_follows_the_name(db: Database) -> None:
    async with db.session() as session:
        await ensure_community(session, GUILD, "Water CoP")
        await session.commit()
    async with db.session() as session:
        community = await ensure_community(session, GUILD, "Water & Sanitation CoP")
        await session.commit()
        assert community.name == "Water & Sanitation CoP"
        assert community.timezone == "UTC"


async def test_concurrent_first_sight_makes_one_community(db: Database) -> None:
    async def see() -> None:
        async with db.session() as session:
            await ensure_community(session, GUILD, "Water CoP")
            await session.commit()

    await asyncio.gather(*(see() for _ in range(5)))
    async with db.session() as session:
        assert await get_community(session, GUILD) is not None


async def test_staff_roles_change_one_at_a_time_and_are_audited(db: Database) -> None:
    await Communities(db).set_staff_roles(
        GUILD,
        "Water CoP",
        actor_id=7,
        roles=StaffRoles(10, 20),
        change_moderator=True,
        change_coordinator=True,
    )
    community = await Communities(db).set_staff_roles(
        GUILD,
        "Water CoP",
        actor_id=8,
        roles=StaffRoles(None, 30),
        change_moderator=False,
        change_coordinator=True,
    )
    assert (community.moderator_role_id, community.coordinator_role_id) == (10, 30)
    async with db.session() as session:
        events = await recent_audit(session, GUILD)
    assert [event.action for event in events] == ["settings.roles", "settings.roles"]
    assert events[0].actor_id == 8
    assert events[0].detail["previous_coordinator_role_id"] == 20


async def test_timezone_is_stored_with_its_canonical_name(db: Database) -> None:
    community = await Communities(db).set_timezone(
        GUILD, "Water CoP", actor_id=7, timezone="europe/amsterdam"
    )
    assert community.timezone == "Europe/Amsterdam"
    async with db.session() as session:
        stored = await get_community(session, GUILD)
        assert stored is not None and stored.timezone == "Europe/Amsterdam"
