"""/profile through the real bot and the sandbox: setting at once and step by step, bad input
that changes nothing, autocomplete, and showing one's own and other members' profiles.

Both commands are open to every member of the server, so there is no "wrong role" inside it;
the wrong-role case for this issue's moderator command is in test_rolesync.py.
"""

from __future__ import annotations

from typing import Any

from storage.audit import recent_audit
from tests.e2e.harness import Harness, forget_option_limits
from tests.e2e.helpers import add_organisations, history_of, stored_member


def profile_changes(harness: Harness) -> list[tuple[int, int]]:
    """Record every member_profile_changed the bot dispatches."""
    seen: list[tuple[int, int]] = []

    async def on_member_profile_changed(guild: Any, user_id: int) -> None:
        seen.append((guild.id, user_id))

    harness.bot.add_listener(on_member_profile_changed)
    return seen


async def test_a_member_sets_the_whole_profile_in_one_command(harness: Harness) -> None:
    await add_organisations(harness, "IRC WASH", "WaterAid")
    changes = profile_changes(harness)
    member = harness.plain_member
    itx = await harness.sandbox.slash(
        member,
        harness.general,
        "profile set",
        organisation="irc wash",
        stakeholder="research",
        level="national",
        country="Ghana",
        expertise="sanitation, monitoring , finance",
    )
    assert itx.ephemeral
    text = itx.text()
    assert "Profile saved" in text
    assert "IRC WASH" in text and "Research" in text and "National" in text
    assert "sanitation, monitoring, finance" in text
    stored = await stored_member(harness, member.id)
    assert (stored.stakeholder, stored.level, stored.country) == ("research", "national", "Ghana")
    assert stored.expertise == ("sanitation", "monitoring", "finance")
    assert await history_of(harness, member.id) == [("IRC WASH", True)]
    await harness.sandbox.wait_until(lambda: bool(changes))
    assert changes == [(harness.community.guild.id, member.id)]
    async with harness.db.session() as session:
        actions = {event.action for event in await recent_audit(session, member.guild.id)}
    assert {"profile.set", "organisation.join"} <= actions


async def test_step_by_step_each_call_changes_only_what_it_gives(harness: Harness) -> None:
    await add_organisations(harness, "WaterAid")
    member = harness.plain_member
    itx = await harness.sandbox.slash(member, harness.general, "profile set", stakeholder="donor")
    assert "Profile saved" in itx.text()
    assert "Still to set: organisation, level, country, expertise" in itx.text()
    await harness.sandbox.slash(member, harness.general, "profile set", level="local")
    await harness.sandbox.slash(member, harness.general, "profile set", organisation="WaterAid")
    itx = await harness.sandbox.slash(member, harness.general, "profile set", country="Kenya")
    stored = await stored_member(harness, member.id)
    assert (stored.stakeholder, stored.level, stored.country) == ("donor", "local", "Kenya")
    assert await history_of(harness, member.id) == [("WaterAid", True)]
    assert "Still to set: expertise" in itx.text()


async def test_without_options_the_command_says_what_can_be_set(harness: Harness) -> None:
    member = harness.plain_member
    itx = await harness.sandbox.slash(member, harness.general, "profile set")
    assert itx.ephemeral
    assert "Your profile is empty" in itx.text()
    assert "`organisation`, `stakeholder`, `level`, `country` or `expertise`" in itx.text()
    assert await stored_member(harness, member.id) is None or (
        (await stored_member(harness, member.id)).stakeholder is None
    )

    await harness.sandbox.slash(member, harness.general, "profile set", level="intermediate")
    itx = await harness.sandbox.slash(member, harness.general, "profile set")
    assert "Your profile" in itx.text() and "Intermediate" in itx.text()
    assert "Each call changes only the options you give" in itx.text()


async def test_changing_organisation_keeps_the_old_one_as_history(harness: Harness) -> None:
    await add_organisations(harness, "WaterAid", "Akvo")
    member = harness.plain_member
    await harness.sandbox.slash(member, harness.general, "profile set", organisation="WaterAid")
    itx = await harness.sandbox.slash(member, harness.general, "profile set", organisation="Akvo")
    assert "Your membership of **WaterAid** has ended" in itx.text()
    assert await history_of(harness, member.id) == [("WaterAid", False), ("Akvo", True)]
    itx = await harness.sandbox.slash(member, harness.general, "profile show")
    text = itx.text()
    assert "Organisation: **Akvo**, since <t:" in text
    assert "Earlier organisations: WaterAid: <t:" in text


async def test_an_unknown_organisation_is_refused_with_a_suggestion(harness: Harness) -> None:
    await add_organisations(harness, "WaterAid")
    changes = profile_changes(harness)
    member = harness.plain_member
    itx = await harness.sandbox.slash(
        member, harness.general, "profile set", organisation="Water Aid", level="local"
    )
    assert itx.ephemeral
    assert "There is no organisation called **Water Aid** here." in itx.text()
    assert "Did you mean **WaterAid**?" in itx.text()
    stored = await stored_member(harness, member.id)
    assert stored is None or stored.level is None  # the good option was not applied either
    assert changes == []


async def test_an_over_long_country_changes_nothing(harness: Harness) -> None:
    member = harness.plain_member
    forget_option_limits(harness.sandbox)  # over-long text reaches the bot's own checks
    itx = await harness.sandbox.slash(
        member, harness.general, "profile set", country="x" * 61, stakeholder="research"
    )
    assert itx.ephemeral
    assert "That is 61 characters for `country`; the most is 60." in itx.text()
    stored = await stored_member(harness, member.id)
    assert stored is None or (stored.country, stored.stakeholder) == (None, None)


async def test_eleven_expertise_tags_change_nothing(harness: Harness) -> None:
    member = harness.plain_member
    await harness.sandbox.slash(member, harness.general, "profile set", expertise="water")
    tags = ", ".join(f"topic {i}" for i in range(11))
    itx = await harness.sandbox.slash(member, harness.general, "profile set", expertise=tags)
    assert "11 expertise tags is too many; the limit is 10." in itx.text()
    assert (await stored_member(harness, member.id)).expertise == ("water",)


async def test_several_bad_options_are_named_together(harness: Harness) -> None:
    member = harness.plain_member
    itx = await harness.sandbox.slash(
        member,
        harness.general,
        "profile set",
        organisation="Nowhere",
        expertise=",".join(str(i) for i in range(12)),
    )
    text = itx.text()
    assert "2 options need fixing; nothing was changed." in text
    assert "Nowhere" in text and "12 expertise tags" in text


async def test_organisation_autocomplete_offers_at_most_25_matches(harness: Harness) -> None:
    await add_organisations(harness, "WaterAid", "Water.org", "Akvo", "Eau Vive")
    await add_organisations(harness, *(f"Utility {i:02}" for i in range(30)))
    member = harness.plain_member
    itx = await harness.sandbox.autocomplete(
        member, harness.general, "profile set", focused="organisation", organisation="water"
    )
    assert [choice["value"] for choice in itx.choices] == ["Water.org", "WaterAid"]  # by name
    itx = await harness.sandbox.autocomplete(
        member, harness.general, "profile set", focused="organisation", organisation="vive"
    )
    assert [choice["value"] for choice in itx.choices] == ["Eau Vive"]
    itx = await harness.sandbox.autocomplete(
        member, harness.general, "profile set", focused="organisation", organisation=""
    )
    assert len(itx.choices) == 25


async def test_members_see_each_others_profiles(harness: Harness) -> None:
    await add_organisations(harness, "SNV")
    lena = harness.community.member("lena.vogel")
    await harness.sandbox.slash(
        lena, harness.general, "profile set", organisation="SNV", stakeholder="civil society"
    )
    viewer = harness.community.member("tom.becker")
    itx = await harness.sandbox.slash(viewer, harness.general, "profile show", member=lena)
    assert itx.ephemeral
    text = itx.text()
    assert "Profile of Lena Vogel" in text
    assert "**SNV**" in text and "Civil society" in text
    assert "Level: not set" in text
    assert "Belongs to the CoP: On their own" in text
    assert "Still to set" not in text  # hints are for the owner only


async def test_a_member_without_a_profile_is_shown_kindly(harness: Harness) -> None:
    viewer = harness.plain_member
    other = harness.community.member("tom.becker")
    itx = await harness.sandbox.slash(viewer, harness.general, "profile show", member=other)
    assert itx.ephemeral
    assert "Tom Becker has not set a profile yet; they are a member all the same." in itx.text()
    assert "/profile set" in itx.text()
    itx = await harness.sandbox.slash(other, harness.general, "profile show")
    assert "You have not set a profile yet" in itx.text()


async def test_bots_have_no_profile(harness: Harness) -> None:
    bot_member = harness.community.guild.get_member(harness.community.bot.user.id)
    itx = await harness.sandbox.slash(
        harness.plain_member, harness.general, "profile show", member=bot_member
    )
    assert "Bots are not members of the community" in itx.text()


async def test_the_group_leaves_room_for_more_subcommands(harness: Harness) -> None:
    [profile] = [c for c in harness.sandbox.commands() if c["name"] == "profile"]
    names = {option["name"] for option in profile["options"]}
    assert {"set", "show"} <= names
    assert len(names) < 25
