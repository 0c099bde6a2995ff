"""/settings rolesync through the real bot and the sandbox: roles made, given per profile, moved on
a profile change, left alone when off, and nothing changed without Manage Roles."""

from __future__ import annotations

from bot.sandbox import Member, Role
from bot.sandbox.permissions import P
from storage.audit import recent_audit
from storage.communities import get_community
from storage.synced_roles import synced_roles
from tests.e2e.harness import Harness
from tests.e2e.helpers import add_organisations

SYNCED_PREFIXES = ("Stakeholder: ", "Level: ", "Org: ")


def synced_in_sandbox(harness: Harness) -> dict[str, Role]:
    return {
        role.name: role
        for role in harness.community.guild.roles
        if role.name.startswith(SYNCED_PREFIXES)
    }


def role_names(member: Member) -> set[str]:
    return {role.name for role in member.roles}


async def set_profile(harness: Harness, member: Member, **options: str) -> None:
    itx = await harness.sandbox.slash(member, harness.general, "profile set", **options)
    assert "Profile saved" in itx.text(), itx.text()


async def rolesync(harness: Harness, member: Member, **options: object):
    itx = await harness.sandbox.slash(member, harness.general, "settings rolesync", **options)
    if itx.deferred:
        await itx.wait_for_followup()
    return itx


async def test_on_creates_the_roles_and_gives_them_per_profile(harness: Harness) -> None:
    await harness.set_staff_roles()
    lena = harness.community.member("lena.vogel")
    tom = harness.community.member("tom.becker")
    await set_profile(harness, lena, stakeholder="civil society", level="local")
    await set_profile(harness, tom, level="national")

    itx = await rolesync(harness, harness.moderator, mode="on")
    assert itx.ephemeral
    text = itx.text()
    assert "Role sync is on" in text
    assert "Roles created: 12; reused: 0" in text
    assert "Members whose roles changed: 2" in text
    made = synced_in_sandbox(harness)
    assert len(made) == 12 and not any(name.startswith("Org: ") for name in made)
    assert all(role.permissions == 0 for role in made.values())  # labels, no permissions
    assert role_names(lena) >= {"Stakeholder: Civil society", "Level: Local"}
    assert role_names(tom) & set(made) == {"Level: National"}
    assert role_names(harness.plain_member) & set(made) == set()  # no profile, no role

    guild_id = harness.community.guild.id
    async with harness.db.session() as session:
        community = await get_community(session, guild_id)
        remembered = {row.role_id for row in await synced_roles(session, guild_id)}
        actions = [event.action for event in await recent_audit(session, guild_id)]
    assert community.rolesync and not community.rolesync_organisations
    assert remembered == {role.id for role in made.values()}
    assert "settings.rolesync" in actions

    # Again: the remembered roles are reused, none is made twice.
    itx = await rolesync(harness, harness.moderator, mode="on")
    assert "Roles created: 0; reused: 12" in itx.text()
    assert len(synced_in_sandbox(harness)) == 12


async def test_a_profile_change_moves_the_members_roles(harness: Harness) -> None:
    await harness.set_staff_roles()
    lena = harness.community.member("lena.vogel")
    await set_profile(harness, lena, stakeholder="research", level="national")
    await rolesync(harness, harness.moderator, mode="on")
    assert {"Stakeholder: Research", "Level: National"} <= role_names(lena)

    await set_profile(harness, lena, stakeholder="government")
    # The role given and the role taken are two calls to Discord: wait for both.
    await harness.sandbox.wait_until(
        lambda: (
            "Stakeholder: Government" in role_names(lena)
            and "Stakeholder: Research" not in role_names(lena)
        )
    )
    assert "Level: National" in role_names(lena)


async def test_roles_the_bot_did_not_make_are_left_alone(harness: Harness) -> None:
    await harness.set_staff_roles()
    moderator = harness.moderator
    await set_profile(harness, moderator, stakeholder="donor")
    await rolesync(harness, harness.moderator, mode="on")
    await set_profile(harness, moderator, stakeholder="other")
    await harness.sandbox.wait_until(lambda: "Stakeholder: Other" in role_names(moderator))
    assert "Moderators" in role_names(moderator)


async def test_organisation_roles_only_when_asked(harness: Harness) -> None:
    await harness.set_staff_roles()
    await add_organisations(harness, "WaterAid", "Akvo")
    tendai = harness.community.member("tendai.moyo")
    await set_profile(harness, tendai, organisation="WaterAid")

    itx = await rolesync(harness, harness.moderator, mode="on", organisations=True)
    assert "and their organisation" in itx.text()
    made = synced_in_sandbox(harness)
    assert "Org: WaterAid" in made and "Org: Akvo" not in made  # Akvo has no members
    assert "Org: WaterAid" in role_names(tendai)

    await set_profile(harness, tendai, organisation="Akvo")
    await harness.sandbox.wait_until(
        lambda: (
            "Org: Akvo" in role_names(tendai)
            and "Org: WaterAid" not in role_names(tendai)
            and "Org: WaterAid" not in synced_in_sandbox(harness)
        )  # stands for nobody now: removed
    )

    # Left out on a second "on", the organisation setting stays as it was.
    await rolesync(harness, harness.moderator, mode="on")
    assert "Org: Akvo" in synced_in_sandbox(harness)


async def test_off_stops_syncing_and_keeps_the_roles(harness: Harness) -> None:
    await harness.set_staff_roles()
    lena = harness.community.member("lena.vogel")
    await set_profile(harness, lena, level="local")
    await rolesync(harness, harness.moderator, mode="on")
    itx = await rolesync(harness, harness.moderator, mode="off")
    assert itx.ephemeral
    assert "Role sync is off" in itx.text() and "The 12 roles I made stay" in itx.text()
    assert len(synced_in_sandbox(harness)) == 12

    await set_profile(harness, lena, level="national")
    tom = harness.community.member("tom.becker")
    await set_profile(harness, tom, level="national")  # a later event: the first is processed
    assert "Level: Local" in role_names(lena)
    assert "Level: National" not in role_names(lena)
    async with harness.db.session() as session:
        community = await get_community(session, harness.community.guild.id)
    assert not community.rolesync

    # On again: the same roles, brought up to date.
    itx = await rolesync(harness, harness.moderator, mode="on")
    assert "Roles created: 0; reused: 12" in itx.text()
    assert "Level: National" in role_names(lena) and "Level: Local" not in role_names(lena)


async def test_a_returning_member_gets_their_roles_back(harness: Harness) -> None:
    await harness.set_staff_roles()
    lena = harness.community.member("lena.vogel")
    await set_profile(harness, lena, stakeholder="research")
    await rolesync(harness, harness.moderator, mode="on")
    guild = harness.community.guild
    guild.remove_member(lena)
    back = guild.add_member(lena.user)  # Discord gives a returning member no roles
    await harness.sandbox.wait_until(lambda: "Stakeholder: Research" in role_names(back))


async def test_a_member_who_is_not_a_moderator_is_refused(harness: Harness) -> None:
    await harness.set_staff_roles()
    itx = await rolesync(harness, harness.plain_member, mode="on")
    assert itx.ephemeral and "Only moderators can use this command." in itx.text()
    assert synced_in_sandbox(harness) == {}
    async with harness.db.session() as session:
        community = await get_community(session, harness.community.guild.id)
    assert not community.rolesync


async def test_without_manage_roles_it_says_so_and_changes_nothing(harness: Harness) -> None:
    await harness.set_staff_roles()
    guild = harness.community.guild
    [bot_role] = [role for role in guild.roles if role.bot_id == harness.community.bot.user.id]
    # GUILD_ROLE_UPDATE: the running bot learns it lost the permission
    guild.update_role(bot_role, permissions=bot_role.permissions & ~P.MANAGE_ROLES)
    roles_before = [role.id for role in guild.roles]

    itx = await rolesync(harness, harness.moderator, mode="on")
    assert itx.ephemeral
    text = itx.text()
    assert "I do not have the **Manage Roles** permission" in text
    assert f"my role **{bot_role.name}**" in text and "Nothing was changed." in text
    assert [role.id for role in guild.roles] == roles_before
    async with harness.db.session() as session:
        community = await get_community(session, guild.id)
        actions = [event.action for event in await recent_audit(session, guild.id)]
    assert not community.rolesync
    assert "settings.rolesync" not in actions


async def test_a_synced_role_above_the_bot_is_explained(harness: Harness) -> None:
    await harness.set_staff_roles()
    await rolesync(harness, harness.moderator, mode="on")
    guild = harness.community.guild
    [bot_role] = [role for role in guild.roles if role.bot_id == harness.community.bot.user.id]
    research = synced_in_sandbox(harness)["Stakeholder: Research"]
    # An administrator dragged it above the bot: it takes the bot role's place, which moves
    # down one; the running bot hears GUILD_ROLE_UPDATE for every role that moved.
    guild.update_role(research, position=bot_role.position)
    itx = await rolesync(harness, harness.moderator, mode="on")
    assert "**Stakeholder: Research**" in itx.text()
    assert f"drag my role **{bot_role.name}** above them" in itx.text()
