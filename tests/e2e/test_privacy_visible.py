"""/privacy visible through the real bot and the sandbox: a member's consent to be named in
coordinators' exports, turned on and off, shown in /privacy show, audited, and refused to someone
who opted out (they are in no export at all)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import col

from bot.sandbox import Member
from bot.sandbox.interactions import SandboxInteraction
from storage.audit import recent_audit
from storage.models import Member as MemberRow
from tests.e2e.harness import Harness
from tests.e2e.helpers import (
    audit_actions,
    confirm,
    database_rows,
    register_caught_up,
    stored_member,
)


async def visible(harness: Harness, member: Member, choice: str) -> SandboxInteraction:
    return await harness.sandbox.slash(member, harness.general, "privacy visible", choice=choice)


async def show(harness: Harness, member: Member) -> str:
    return (await harness.sandbox.slash(member, harness.general, "privacy show")).text()


async def last_event(harness: Harness) -> Any:
    async with harness.db.session() as session:
        return (await recent_audit(session, harness.community.guild.id))[0]


def tom(harness: Harness) -> Member:
    return harness.community.member("tom.becker")


async def test_on_names_the_member_and_off_hides_them_again(harness: Harness) -> None:
    person = tom(harness)
    await register_caught_up(harness)
    assert (await stored_member(harness, person.id)).name_visible is False  # the default

    on = await visible(harness, person, "on")
    assert on.ephemeral
    assert "Coordinators' exports show your display name instead of a pseudonym" in on.text()
    assert (await stored_member(harness, person.id)).name_visible is True
    event = await last_event(harness)
    assert (event.action, event.actor_id) == ("privacy.visible", person.id)
    assert event.detail["visible"] is True and event.detail["previous"] is False

    off = await visible(harness, person, "off")
    assert off.ephemeral
    assert "Coordinators' exports show a pseudonym" in off.text()
    assert (await stored_member(harness, person.id)).name_visible is False
    event = await last_event(harness)
    assert event.action == "privacy.visible"
    assert event.detail["visible"] is False and event.detail["previous"] is True


async def test_the_choice_is_shown_in_privacy_show(harness: Harness) -> None:
    person = tom(harness)
    await register_caught_up(harness)
    before = await show(harness, person)
    assert "Your name in exports" in before and "A pseudonym (the default)" in before

    await visible(harness, person, "on")
    shown = await show(harness, person)
    assert "Visible: Coordinators' exports show your display name" in shown
    assert "A pseudonym (the default)" not in shown

    await visible(harness, person, "off")
    assert "A pseudonym (the default)" in await show(harness, person)


async def test_someone_not_in_the_register_yet_is_registered(harness: Harness) -> None:
    person = tom(harness)
    await register_caught_up(harness)
    # As if they joined while the bot was away and the register had not caught up yet.
    async with harness.db.transaction() as session:
        await session.execute(delete(MemberRow).where(col(MemberRow.user_id) == person.id))
    assert await stored_member(harness, person.id) is None

    on = await visible(harness, person, "on")
    assert "instead of a pseudonym" in on.text()
    row = await stored_member(harness, person.id)
    assert row is not None and row.name_visible is True
    assert row.display_name == person.display_name
    assert (await audit_actions(harness))[0] == "privacy.visible"


async def test_a_member_who_opted_out_is_refused_and_nothing_changes(harness: Harness) -> None:
    person = tom(harness)
    await register_caught_up(harness)
    ask = await harness.sandbox.slash(person, harness.general, "privacy optout")
    assert ask.original is not None
    assert await confirm(harness, person, ask.original) == "You are opted out"
    before = await database_rows(harness)

    for choice in ("on", "off"):
        refused = await visible(harness, person, choice)
        assert refused.ephemeral
        assert "You have opted out, so you are not in any export" in refused.text()
        assert "/privacy optin" in refused.text()
    assert await database_rows(harness) == before  # no consent stored, no audit event
    assert (await stored_member(harness, person.id)).name_visible is False
    assert (await audit_actions(harness))[0] == "privacy.optout"
    assert "You are in no export" in await show(harness, person)

    # Logged again, they may choose.
    await harness.sandbox.slash(person, harness.general, "privacy optin")
    assert "instead of a pseudonym" in (await visible(harness, person, "on")).text()
    assert (await stored_member(harness, person.id)).name_visible is True
