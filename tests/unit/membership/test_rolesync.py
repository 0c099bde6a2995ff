"""The role-sync planner: plain values in, a diff out."""

from __future__ import annotations

from bot.membership.rolesync import (
    GUILD_ROLE_LIMIT,
    MemberFacts,
    RoleKey,
    RoleKind,
    SyncedRoleFacts,
    level_key,
    organisation_key,
    plan_role_sync,
    stakeholder_key,
    wanted_roles,
)
from bot.membership.vocabulary import Level, Stakeholder

ROOM = GUILD_ROLE_LIMIT - 10


def made(wanted: dict[RoleKey, str], first_id: int = 1000) -> list[SyncedRoleFacts]:
    """Every wanted role as if the bot had made it earlier, with ids from ``first_id``."""
    return [
        SyncedRoleFacts(key, first_id + index, name)
        for index, (key, name) in enumerate(wanted.items())
    ]


def role_id(synced: list[SyncedRoleFacts], key: RoleKey) -> int:
    return next(role.role_id for role in synced if role.key == key)


def test_every_stakeholder_group_and_level_has_a_role_and_organisations_only_if_asked() -> None:
    wanted = wanted_roles()
    assert len(wanted) == len(Stakeholder) + len(Level)
    assert wanted[stakeholder_key(Stakeholder.CIVIL_SOCIETY)] == "Stakeholder: Civil society"
    assert wanted[level_key(Level.NATIONAL)] == "Level: National"
    assert all(key.kind is not RoleKind.ORGANISATION for key in wanted)

    with_orgs = wanted_roles({7: "IRC WASH", 3: "Akvo"})
    org_keys = [key for key in with_orgs if key.kind is RoleKind.ORGANISATION]
    assert org_keys == [organisation_key(3), organisation_key(7)]  # by name
    assert with_orgs[organisation_key(7)] == "Org: IRC WASH"


def test_role_names_fit_discord() -> None:
    wanted = wanted_roles({1: "x" * 100})
    assert all(len(name) <= 100 for name in wanted.values())


def test_first_sync_creates_every_role_and_grants_by_profile() -> None:
    wanted = wanted_roles({5: "WaterAid"})
    plan = plan_role_sync(
        wanted=wanted,
        synced=[],
        members=[
            MemberFacts(1, "research", "national", 5),
            MemberFacts(2, None, "local", None),
            MemberFacts(3),  # no profile: nothing to give
        ],
        held={1: [99], 2: [], 3: []},
        room=ROOM,
    )
    assert [spec.key for spec in plan.create] == list(wanted)
    assert plan.grant[1] == {
        stakeholder_key("research"),
        level_key("national"),
        organisation_key(5),
    }
    assert plan.grant[2] == {level_key("local")}
    assert 3 not in plan.grant
    assert plan.revoke == {}  # role 99 is not the bot's: never touched
    assert plan.delete == () and plan.rename == ()


def test_a_second_sync_in_step_changes_nothing() -> None:
    wanted = wanted_roles()
    synced = made(wanted)
    research, national = (
        role_id(synced, stakeholder_key("research")),
        role_id(synced, level_key("national")),
    )
    plan = plan_role_sync(
        wanted=wanted,
        synced=synced,
        members=[MemberFacts(1, "research", "national")],
        held={1: [research, national, 42]},
        room=ROOM,
    )
    assert plan.is_empty
    assert len(plan.reuse) == len(wanted)


def test_a_profile_change_moves_the_member_between_roles() -> None:
    wanted = wanted_roles()
    synced = made(wanted)
    research = role_id(synced, stakeholder_key("research"))
    government = role_id(synced, stakeholder_key("government"))
    plan = plan_role_sync(
        wanted=wanted,
        synced=synced,
        members=[MemberFacts(1, "government", None)],
        held={1: [research, 42]},
        room=ROOM,
    )
    assert plan.grant == {1: {stakeholder_key("government")}}
    assert plan.revoke == {1: {research}}
    assert government not in plan.revoke[1]
    assert plan.create == ()


def test_a_role_deleted_by_hand_is_made_again_and_given() -> None:
    wanted = wanted_roles()
    synced = [role for role in made(wanted) if role.key != level_key("local")]
    plan = plan_role_sync(
        wanted=wanted,
        synced=synced,
        members=[MemberFacts(1, None, "local")],
        held={1: []},
        room=ROOM,
    )
    assert [spec.key for spec in plan.create] == [level_key("local")]
    assert plan.grant == {1: {level_key("local")}}


def test_organisation_roles_follow_renames_and_go_when_not_wanted() -> None:
    old = wanted_roles({5: "WaterAid", 6: "Akvo"})
    synced = made(old)
    wateraid = role_id(synced, organisation_key(5))
    akvo = role_id(synced, organisation_key(6))
    now = wanted_roles({5: "WaterAid International"})  # renamed; Akvo has no members left
    plan = plan_role_sync(
        wanted=now,
        synced=synced,
        members=[MemberFacts(1, None, None, 5), MemberFacts(2)],
        held={1: [wateraid], 2: [akvo]},
        room=ROOM,
    )
    assert plan.rename == ((wateraid, "Org: WaterAid International"),)
    assert plan.delete == (akvo,)
    # Deleting a role takes it from everyone: no separate revoke for it.
    assert plan.revoke == {}
    assert plan.grant == {}


def test_turning_organisation_roles_off_removes_them() -> None:
    synced = made(wanted_roles({5: "WaterAid"}))
    wateraid = role_id(synced, organisation_key(5))
    plan = plan_role_sync(
        wanted=wanted_roles(None),
        synced=synced,
        members=[MemberFacts(1, None, None, None)],
        held={1: [wateraid]},
        room=ROOM,
    )
    assert plan.delete == (wateraid,)


def test_a_full_server_creates_what_fits_and_reports_the_rest() -> None:
    wanted = wanted_roles({1: "A", 2: "B"})
    plan = plan_role_sync(
        wanted=wanted,
        synced=[],
        members=[MemberFacts(9, "research", None, 2)],
        held={},
        room=len(wanted) - 1,
    )
    assert len(plan.create) == len(wanted) - 1
    assert [spec.key for spec in plan.not_created] == [organisation_key(2)]
    assert plan.grant[9] == {stakeholder_key("research")}  # no role for B: not granted


def test_only_the_members_given_are_planned_for() -> None:
    wanted = wanted_roles()
    synced = made(wanted)
    research = role_id(synced, stakeholder_key("research"))
    plan = plan_role_sync(
        wanted=wanted,
        synced=synced,
        members=[MemberFacts(1, "research")],
        held={1: [research], 2: [research]},  # 2 is not planned for: left alone
        room=ROOM,
    )
    assert plan.is_empty
    assert plan.members_changed == frozenset()
