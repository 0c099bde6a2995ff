"""Members on SQLite and PostgreSQL: organisation history, presence across leave and return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.errors import BadInput, NotFound
from bot.membership import profiles
from bot.membership.names import name_key
from bot.membership.register import Register
from storage import members, organisations
from storage.audit import recent_audit
from storage.communities import ensure_community
from storage.db import Database
from storage.models import OrganisationMembership
from storage.types import utc_now

GUILD = 222_333_444_555_666_777
USER = 333_444_555_666_777_888
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)


def profile_service(db: Database) -> profiles.Profiles:
    return profiles.Profiles(db, Register(db))


async def make_organisations(db: Database, *names: str) -> None:
    async with db.session() as session:
        await ensure_community(session, GUILD, "Water CoP")
        for name in names:
            await organisations.create_organisation(
                session,
                community_id=GUILD,
                name=name,
                name_key=name_key(name),
                stakeholder="civil society",
                level="national",
            )
        await session.commit()


async def set_profile(db: Database, at: datetime | None = None, **given: str) -> profiles.Profile:
    update = await profile_service(db).set_profile(
        GUILD,
        "Water CoP",
        user_id=USER,
        display_name="Nkosi Dlamini",
        given=profiles.ProfileInput(**given),
        at=at,
    )
    return update.profile


async def member_id(db: Database) -> int:
    async with db.session() as session:
        member = await members.get_member(session, GUILD, USER)
        assert member is not None and member.id is not None
        return member.id


async def test_changing_organisation_ends_the_old_membership_and_keeps_it(db: Database) -> None:
    await make_organisations(db, "WaterAid", "IRC WASH")
    await set_profile(db, at=T0, organisation="wateraid")
    profile = await set_profile(db, at=T1, organisation="IRC WASH")

    assert profile.organisation == "IRC WASH"
    assert profile.organisation_since == T1
    assert [(p.name, p.started_at, p.ended_at) for p in profile.earlier_organisations] == [
        ("WaterAid", T0, T1)
    ]
    mid = await member_id(db)
    async with db.session() as session:
        history = await members.membership_history(session, mid)
        assert [(o.name, m.started_at, m.ended_at) for m, o in history] == [
            ("WaterAid", T0, T1),
            ("IRC WASH", T1, None),
        ]
        before = await members.organisation_at(session, mid, T0 - timedelta(days=1))
        during_first = await members.organisation_at(session, mid, T1 - timedelta(seconds=1))
        at_change = await members.organisation_at(session, mid, T1)
        after = await members.organisation_at(session, mid, T1 + timedelta(days=30))
    assert before is None
    assert during_first is not None and during_first.name == "WaterAid"
    assert at_change is not None and at_change.name == "IRC WASH"
    assert after is not None and after.name == "IRC WASH"


async def test_the_same_organisation_again_is_not_a_change(db: Database) -> None:
    await make_organisations(db, "WaterAid")
    await set_profile(db, at=T0, organisation="WaterAid")
    update = await profile_service(db).set_profile(
        GUILD,
        "Water CoP",
        user_id=USER,
        display_name="Nkosi Dlamini",
        given=profiles.ProfileInput(organisation=" wateraid "),
        at=T1,
    )
    assert update.changed == ()
    async with db.session() as session:
        assert len(await members.membership_history(session, await member_id(db))) == 1


async def test_the_open_membership_index_refuses_two_open_memberships(db: Database) -> None:
    await make_organisations(db, "WaterAid", "IRC WASH")
    await set_profile(db, at=T0, organisation="WaterAid")
    mid = await member_id(db)
    async with db.session() as session:
        other = await organisations.organisation_by_key(session, GUILD, "irc wash")
        assert other is not None and other.id is not None
        session.add(OrganisationMembership(member_id=mid, organisation_id=other.id, started_at=T1))
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_a_profile_is_set_step_by_step(db: Database) -> None:
    await set_profile(db, stakeholder="research")
    await set_profile(db, level="National")
    profile = await set_profile(db, country=" Ghana ", expertise="sanitation, Finance, finance")
    assert (profile.stakeholder, profile.level) == ("research", "national")
    assert profile.country == "Ghana"
    assert profile.expertise == ("sanitation", "Finance")
    assert profile.unset_fields == ("organisation",)
    async with db.session() as session:
        actions = [event.action for event in await recent_audit(session, GUILD)]
    assert actions == ["profile.set"] * 3


async def test_bad_input_changes_nothing_and_names_every_problem(db: Database) -> None:
    await make_organisations(db, "WaterAid")
    await set_profile(db, stakeholder="research")
    with pytest.raises(BadInput) as caught:
        await set_profile(
            db,
            organisation="WaterAidd International",
            level="local",
            country="x" * 61,
            expertise=",".join(f"tag{i}" for i in range(11)),
        )
    message = caught.value.user_message
    assert "3 options need fixing" in message
    assert "country" in message and "11 expertise tags" in message
    assert "no organisation called" in message
    profile = await profile_service(db).profile_of(GUILD, USER)
    assert profile is not None
    assert (profile.level, profile.country, profile.expertise, profile.organisation) == (
        None,
        None,
        (),
        None,
    )


async def test_an_unknown_organisation_alone_is_not_found_with_a_suggestion(db: Database) -> None:
    await make_organisations(db, "WaterAid")
    with pytest.raises(NotFound) as caught:
        await set_profile(db, organisation="Water Aid")
    assert "Did you mean **WaterAid**?" in caught.value.user_message
    assert await profile_service(db).profile_of(GUILD, USER) is None


async def test_presence_and_history_survive_leaving_and_returning(db: Database) -> None:
    await make_organisations(db, "WaterAid")
    person = profiles.PresentPerson(USER, "Nkosi Dlamini", T0)
    assert await profile_service(db).register_arrival(GUILD, "Water CoP", person) == "joined"
    await set_profile(db, at=T0, organisation="WaterAid", level="local")

    left_at = T1
    assert await profile_service(db).register_departure(GUILD, USER, at=left_at)
    assert not await profile_service(db).register_departure(GUILD, USER, at=left_at)  # once only
    async with db.session() as session:
        gone = await members.get_member(session, GUILD, USER)
        assert gone is not None and gone.left_at == left_at  # kept, marked left
        assert [m.user_id for m in await members.list_members(session, GUILD)] == []
    left_profile = await profile_service(db).profile_of(GUILD, USER)
    assert left_profile is not None and not left_profile.present

    back = profiles.PresentPerson(USER, "Nkosi D.", T1 + timedelta(days=3))
    assert await profile_service(db).register_arrival(GUILD, "Water CoP", back) == "returned"
    profile = await profile_service(db).profile_of(GUILD, USER)
    assert profile is not None and profile.present
    assert profile.display_name == "Nkosi D."
    assert profile.organisation == "WaterAid" and profile.level == "local"
    async with db.session() as session:
        row = await members.get_member(session, GUILD, USER)
        assert row is not None
        assert row.joined_at == T1 + timedelta(days=3) and row.left_at is None


async def test_a_departure_from_an_older_list_leaves_a_newer_event_alone(db: Database) -> None:
    person = profiles.PresentPerson(USER, "Nkosi Dlamini", T0)
    await profile_service(db).register_arrival(GUILD, "Water CoP", person)
    concluded_from = utc_now()  # a member list without them, taken now...
    await profile_service(db).register_departure(GUILD, USER)  # ...they left (the event)
    back = profiles.PresentPerson(USER, "Nkosi Dlamini", T1)
    await profile_service(db).register_arrival(GUILD, "Water CoP", back)  # and came straight back
    stale = await profile_service(db).register_departure(
        GUILD, USER, unless_changed_after=concluded_from
    )
    assert not stale
    profile = await profile_service(db).profile_of(GUILD, USER)
    assert profile is not None and profile.present
    # Nothing newer than the list: the departure holds.
    later = utc_now()
    assert await profile_service(db).register_departure(GUILD, USER, unless_changed_after=later)


async def test_reconcile_marks_the_missing_as_left_only_with_a_complete_list(
    db: Database,
) -> None:
    stays = profiles.PresentPerson(1, "Stays", T0)
    goes = profiles.PresentPerson(2, "Goes", T0)
    new = profiles.PresentPerson(3, "New", T1)
    for person in (stays, goes):
        await profile_service(db).register_arrival(GUILD, "Water CoP", person)

    partial = await profile_service(db).reconcile_presence(
        GUILD, "Water CoP", [stays], complete=False, listed_at=utc_now()
    )
    assert partial.departed == ()

    report = await profile_service(db).reconcile_presence(
        GUILD, "Water CoP", [stays, new], complete=True, listed_at=utc_now(), at=T1
    )
    assert (report.arrived, report.returned, report.departed) == ((3,), (), (2,))
    async with db.session() as session:
        present = [m.user_id for m in await members.list_members(session, GUILD)]
        everyone = await members.list_members(session, GUILD, include_left=True)
    assert sorted(present) == [1, 3]
    assert {m.user_id: m.left_at for m in everyone}[2] == T1

    again = await profile_service(db).reconcile_presence(
        GUILD, "Water CoP", [stays, new, goes], complete=True, listed_at=utc_now()
    )
    assert again.returned == (2,) and not again.departed


async def test_reconcile_leaves_alone_what_changed_after_the_list_was_taken(
    db: Database,
) -> None:
    listed_at = utc_now()
    # Joined (by a listener) after the list was taken: absent from the list, yet not gone.
    late = profiles.PresentPerson(4, "Late", T1)
    await profile_service(db).register_arrival(GUILD, "Water CoP", late)
    report = await profile_service(db).reconcile_presence(
        GUILD, "Water CoP", [], complete=True, listed_at=listed_at
    )
    assert report.departed == ()
    async with db.session() as session:
        assert [m.user_id for m in await members.list_members(session, GUILD)] == [4]


async def test_a_departure_read_before_a_return_does_not_overwrite_it(db: Database) -> None:
    """A catch-up concludes "left" from what it read; a join written by another transaction
    after that read and before its write is newer news and stays."""
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Water CoP")
        await members.mark_present(session, GUILD, 7, "Tom", T0)
    concluded_at = utc_now()
    async with db.transaction() as catch_up:
        seen = await members.get_member(catch_up, GUILD, 7)
        assert seen is not None and seen.left_at is None
        async with db.transaction() as events:  # he leaves and comes straight back
            assert await members.mark_left(events, GUILD, 7, utc_now())
            await members.mark_present(events, GUILD, 7, "Tom", utc_now())
        changed = await members.mark_left(
            catch_up, GUILD, 7, utc_now(), unless_changed_after=concluded_at
        )
    assert not changed
    async with db.session() as session:
        now = await members.get_member(session, GUILD, 7)
    assert now is not None and now.left_at is None


async def test_a_leave_event_written_after_the_return_does_not_undo_it(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Water CoP")
        await members.mark_present(session, GUILD, 8, "Ana", T0)
    left_event_at = T0 + timedelta(hours=1)
    async with db.transaction() as session:  # the first leave, then the return, are written
        await members.mark_left(session, GUILD, 8, left_event_at)
        await members.mark_present(session, GUILD, 8, "Ana", T0 + timedelta(hours=2))
    async with db.transaction() as session:  # a second leave event that arrived before it
        changed = await members.mark_left(
            session, GUILD, 8, utc_now(), unless_joined_after=left_event_at
        )
    assert not changed
    async with db.session() as session:
        ana = await members.get_member(session, GUILD, 8)
    assert ana is not None and ana.left_at is None
