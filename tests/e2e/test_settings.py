"""/settings through the real bot and the sandbox: right role, wrong role, bad input."""

from __future__ import annotations

from storage.audit import recent_audit
from storage.communities import get_community
from tests.e2e.harness import Harness, member_with_roles


async def stored_community(harness: Harness):
    async with harness.db.session() as session:
        return await get_community(session, harness.community.guild.id)


async def test_an_administrator_sets_the_staff_roles(harness: Harness) -> None:
    c = harness.community
    itx = await harness.sandbox.slash(
        harness.owner,
        harness.general,
        "settings roles",
        moderator=c.moderators_role,
        coordinator=c.coordinators_role,
    )
    assert itx.ephemeral
    assert "Roles saved" in itx.text()
    assert str(c.moderators_role.id) in itx.text()
    community = await stored_community(harness)
    assert community.moderator_role_id == c.moderators_role.id
    assert community.coordinator_role_id == c.coordinators_role.id
    async with harness.db.session() as session:
        [event] = await recent_audit(session, c.guild.id)
    assert (event.action, event.actor_id) == ("settings.roles", harness.owner.id)


async def test_a_member_who_is_not_a_moderator_is_refused(harness: Harness) -> None:
    itx = await harness.sandbox.slash(
        harness.plain_member,
        harness.general,
        "settings roles",
        moderator=harness.community.coordinators_role,
    )
    assert itx.ephemeral
    text = itx.text()
    assert "Only moderators can use this command." in text
    assert "/settings roles" in text  # how to fix it: no role is set yet
    community = await stored_community(harness)
    assert community is None or community.moderator_role_id is None


async def test_the_refusal_names_the_moderator_role_once_it_is_set(harness: Harness) -> None:
    await harness.set_staff_roles()
    itx = await harness.sandbox.slash(
        harness.plain_member, harness.general, "settings timezone", name="Africa/Accra"
    )
    assert f"<@&{harness.community.moderators_role.id}>" in itx.text()
    assert (await stored_community(harness)).timezone == "UTC"


async def test_a_moderator_sets_the_time_zone(harness: Harness) -> None:
    await harness.set_staff_roles()
    itx = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings timezone", name="africa/accra"
    )
    assert itx.ephemeral and "Africa/Accra" in itx.text()
    assert (await stored_community(harness)).timezone == "Africa/Accra"


async def test_an_unknown_time_zone_is_explained_and_nothing_changes(harness: Harness) -> None:
    itx = await harness.sandbox.slash(
        harness.owner, harness.general, "settings timezone", name="Europe/Amsterdm"
    )
    assert itx.ephemeral
    text = itx.text()
    assert "not a time zone I know" in text and "Europe/Amsterdam" in text
    community = await stored_community(harness)
    assert community is None or community.timezone == "UTC"


async def test_time_zone_autocomplete_offers_matching_zones(harness: Harness) -> None:
    itx = await harness.sandbox.autocomplete(
        harness.owner, harness.general, "settings timezone", focused="name", name="amster"
    )
    assert [choice["value"] for choice in itx.choices] == ["Europe/Amsterdam"]
    itx = await harness.sandbox.autocomplete(
        harness.owner, harness.general, "settings timezone", focused="name", name="a"
    )
    assert 0 < len(itx.choices) <= 25


async def test_everyone_cannot_be_a_staff_role(harness: Harness) -> None:
    everyone = harness.community.guild.everyone
    itx = await harness.sandbox.slash(
        harness.owner, harness.general, "settings roles", moderator=everyone
    )
    assert "@everyone cannot be the moderator role" in itx.text()
    community = await stored_community(harness)
    assert community is None or community.moderator_role_id is None


async def test_roles_needs_at_least_one_role(harness: Harness) -> None:
    itx = await harness.sandbox.slash(harness.owner, harness.general, "settings roles")
    assert itx.ephemeral and "Give a moderator role, a coordinator role, or both." in itx.text()


async def test_members_see_the_settings(harness: Harness) -> None:
    await harness.set_staff_roles()
    itx = await harness.sandbox.slash(harness.plain_member, harness.general, "settings show")
    text = itx.text()
    assert itx.ephemeral
    assert f"<@&{harness.community.moderators_role.id}>" in text
    assert f"<@&{harness.community.coordinators_role.id}>" in text
    assert "UTC" in text


async def test_the_review_channel_is_set_shown_and_cleared_by_moderators(harness: Harness) -> None:
    import asyncio

    from bot.sandbox.permissions import P

    await harness.set_staff_roles()
    guild = harness.community.guild
    questions = harness.community.channels["questions"]

    refused = await harness.sandbox.slash(
        harness.plain_member, harness.general, "settings review-channel", channel=questions
    )
    assert "Moderators" in refused.text()

    bot_member = guild.get_member(harness.community.bot.user.id)
    assert bot_member is not None
    guild.set_channel_overwrites(questions, {bot_member: (0, P.SEND_MESSAGES)})
    await asyncio.sleep(0.2)  # the channel update reaches the bot
    blocked = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings review-channel", channel=questions
    )
    assert "I can't post in" in blocked.text() and "choose another channel" in blocked.text()
    async with harness.db.session() as session:
        assert (await get_community(session, guild.id)).review_channel_id is None  # type: ignore[union-attr]

    general = harness.general
    saved = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings review-channel", channel=general
    )
    assert "Review channel saved" in saved.text()
    shown = await harness.sandbox.slash(harness.plain_member, harness.general, "settings show")
    assert f"<#{general.id}>" in shown.text()
    cleared = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings review-channel"
    )
    assert "No review channel" in cleared.text()
    async with harness.db.session() as session:
        assert (await get_community(session, guild.id)).review_channel_id is None  # type: ignore[union-attr]


async def test_a_coordinator_raises_the_smallest_group_never_below_three(harness: Harness) -> None:
    await harness.set_staff_roles()
    coordinator = member_with_roles(harness.community, [harness.community.coordinators_role])
    refused = await harness.sandbox.slash(
        harness.moderator, harness.general, "settings privacy", min_group=5
    )
    assert refused.ephemeral and "coordinator" in refused.text().lower()
    too_small = await harness.sandbox.slash(
        coordinator, harness.general, "settings privacy", min_group=2
    )
    assert "between 3 and 100" in too_small.text() and "nothing was changed" in too_small.text()
    assert (await stored_community(harness)).min_group == 3
    saved = await harness.sandbox.slash(
        coordinator, harness.general, "settings privacy", min_group=5
    )
    assert saved.ephemeral and "**5**" in saved.text()
    assert (await stored_community(harness)).min_group == 5
    shown = await harness.sandbox.slash(harness.plain_member, harness.general, "settings show")
    assert "fewer than 5" in shown.text()
    async with harness.db.session() as session:
        actions = [e.action for e in await recent_audit(session, harness.community.guild.id)]
    assert actions.count("settings.min_group") == 1
