"""Organisations on SQLite and PostgreSQL: CoP status history, representatives, listings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import BadInput, NotFound
from bot.membership import organisations as service
from bot.membership.register import Register
from bot.membership.vocabulary import CopStatus, Level, Stakeholder
from storage import members, organisations
from storage.audit import recent_audit
from storage.communities import ensure_community
from storage.db import Database

GUILD = 222_333_444_555_666_777
MODERATOR = 900_000_000_000_000_001
T0 = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


def organisation_service(db: Database) -> service.Organisations:
    return service.Organisations(db, Register(db))


async def make_org(
    db: Database, name: str, stakeholder: str = "research", level: str = "national"
) -> int:
    organisation = await organisation_service(db).create_organisation(
        GUILD,
        "Water CoP",
        actor_id=MODERATOR,
        name=name,
        stakeholder=stakeholder,
        level=level,
        distinct=True,
    )
    assert organisation.id is not None
    return organisation.id


async def test_cop_status_history_is_kept_with_dates(db: Database) -> None:
    org_id = await make_org(db, "IRC WASH")
    moments = [T0, T0 + timedelta(days=30), T0 + timedelta(days=400)]
    async with db.session() as session:
        for status, moment in zip(["applicant", "member", "lapsed"], moments, strict=True):
            await organisations.set_cop_status(
                session, org_id, status, at=moment, changed_by=MODERATOR
            )
        await session.commit()
    async with db.session() as session:
        history = await organisations.cop_status_history(session, org_id)
        current = await organisations.current_cop_status(session, org_id)
    assert [(h.status, h.started_at, h.ended_at) for h in history] == [
        ("applicant", moments[0], moments[1]),
        ("member", moments[1], moments[2]),
        ("lapsed", moments[2], None),
    ]
    assert current is not None and current.status == "lapsed"
    assert all(h.changed_by == MODERATOR for h in history)


async def test_the_service_walks_applicant_member_lapsed_and_back(db: Database) -> None:
    await make_org(db, "WaterAid")

    async def to(status: CopStatus) -> service.StatusChange:
        return await organisation_service(db).change_cop_status(
            GUILD, actor_id=MODERATOR, name="wateraid", status=status
        )

    with pytest.raises(BadInput, match="never been admitted"):
        await to(CopStatus.LAPSED)
    assert (await to(CopStatus.APPLICANT)).changed
    with pytest.raises(BadInput, match="only applied"):
        await to(CopStatus.LAPSED)
    admitted = await to(CopStatus.MEMBER)
    assert admitted.changed and admitted.previous is not None
    assert admitted.previous.status == CopStatus.APPLICANT
    again = await to(CopStatus.MEMBER)
    assert not again.changed and again.current.started_at == admitted.current.started_at
    with pytest.raises(BadInput, match="already a member"):
        await to(CopStatus.APPLICANT)
    assert (await to(CopStatus.LAPSED)).changed
    readmitted = await to(CopStatus.MEMBER)
    assert readmitted.previous is not None and readmitted.previous.status == CopStatus.LAPSED

    profile = await organisation_service(db).organisation_profile(GUILD, "WATERAID")
    assert [p.status for p in profile.history] == [
        CopStatus.APPLICANT,
        CopStatus.MEMBER,
        CopStatus.LAPSED,
        CopStatus.MEMBER,
    ]
    assert profile.status is not None and profile.status.status == CopStatus.MEMBER
    for earlier, later in zip(profile.history, profile.history[1:], strict=False):
        assert earlier.ended_at == later.started_at
    async with db.session() as session:
        actions = [e.action for e in await recent_audit(session, GUILD)]
    assert actions.count("organisation.cop_status") == 4  # refusals and no-ops leave no trace


async def test_a_new_primary_replaces_the_previous_primary(db: Database) -> None:
    org_id = await make_org(db, "SNV")
    async with db.session() as session:
        await ensure_community(session, GUILD, "Water CoP")
        lena = await members.ensure_member(session, GUILD, 1, "Lena Vogel")
        emma = await members.ensure_member(session, GUILD, 2, "Emma Jansen")
        erik = await members.ensure_member(session, GUILD, 3, "Erik Larsen")
        assert lena.id and emma.id and erik.id
        await organisations.add_representative(session, org_id, lena.id, primary=True, at=T0)
        await organisations.add_representative(session, org_id, emma.id, primary=False, at=T0)
        await organisations.add_representative(
            session, org_id, erik.id, primary=True, at=T0 + timedelta(days=1)
        )
        await session.commit()
    async with db.session() as session:
        current = await organisations.current_representatives(session, org_id)
        assert [(m.display_name, r.is_primary) for r, m in current] == [
            ("Erik Larsen", True),
            ("Lena Vogel", False),
            ("Emma Jansen", False),
        ]
        assert await organisations.end_representative(
            session, org_id, lena.id, at=T0 + timedelta(days=2)
        )
        assert not await organisations.end_representative(
            session, org_id, lena.id, at=T0 + timedelta(days=3)
        )
        await session.commit()
    async with db.session() as session:
        names = [
            m.display_name for _, m in await organisations.current_representatives(session, org_id)
        ]
        assert names == ["Erik Larsen", "Emma Jansen"]
        spoken_for = await organisations.represented_by(session, erik.id)
        assert [o.name for _, o in spoken_for] == ["SNV"]


async def test_the_service_names_the_replaced_primary_and_ends_representations(
    db: Database,
) -> None:
    await make_org(db, "Akvo")

    async def represent(user_id: int, **options: object) -> service.RepresentativeChange:
        return await organisation_service(db).change_representative(
            GUILD,
            "Water CoP",
            actor_id=MODERATOR,
            name="akvo",
            user_id=user_id,
            display_name=f"Person {user_id}",
            primary=options.get("primary"),  # type: ignore[arg-type]
            remove=bool(options.get("remove", False)),
        )

    first = await represent(11, primary=True)
    assert first.action == "added" and first.replaced_primary is None and first.belongs_nowhere
    second = await represent(12, primary=True)
    assert second.replaced_primary is not None and second.replaced_primary.user_id == 11
    assert (await represent(12, primary=True)).action == "unchanged"
    with pytest.raises(BadInput, match="primary representative"):
        await represent(12, primary=False)
    assert (await represent(11, remove=True)).action == "removed"
    with pytest.raises(BadInput, match="nothing to remove"):
        await represent(11, remove=True)
    with pytest.raises(BadInput, match="not both"):
        await represent(12, primary=True, remove=True)
    profile = await organisation_service(db).organisation_profile(GUILD, "Akvo")
    assert [(r.user_id, r.primary) for r in profile.representatives] == [(12, True)]


async def test_listing_filters_pages_and_counts_present_members(db: Database) -> None:
    ids = {
        name: await make_org(db, name, stakeholder, level)
        for name, stakeholder, level in [
            ("Akvo", "private sector", "international"),
            ("IRC WASH", "research", "international"),
            ("Kenya Water Institute", "research", "national"),
            ("Ministry of Water, Uganda", "government", "national"),
            ("Water.org", "civil society", "international"),
        ]
    }
    async with db.session() as session:
        for user_id, org in [(1, "IRC WASH"), (2, "IRC WASH"), (3, "IRC WASH"), (4, "Akvo")]:
            member = await members.ensure_member(session, GUILD, user_id, f"Person {user_id}")
            assert member.id is not None
            await members.start_membership(session, member.id, ids[org], T0)
        await members.mark_left(session, GUILD, 3, T0 + timedelta(days=1))
        await organisations.set_cop_status(
            session, ids["IRC WASH"], "member", at=T0, changed_by=None
        )
        await session.commit()

    everything = await organisation_service(db).list_organisations(
        GUILD, stakeholder=None, level=None, offset=0, limit=10
    )
    assert everything.total == 5
    assert [r.organisation.name for r in everything.rows][:2] == ["Akvo", "IRC WASH"]
    irc = everything.rows[1]
    assert irc.status == CopStatus.MEMBER and irc.member_count == 2  # person 3 left the server
    assert everything.rows[0].member_count == 1 and everything.rows[0].status is None

    research = await organisation_service(db).list_organisations(
        GUILD, stakeholder=Stakeholder.RESEARCH, level=None, offset=0, limit=10
    )
    assert [r.organisation.name for r in research.rows] == ["IRC WASH", "Kenya Water Institute"]
    both = await organisation_service(db).list_organisations(
        GUILD, stakeholder=Stakeholder.RESEARCH, level=Level.NATIONAL, offset=0, limit=10
    )
    assert [r.organisation.name for r in both.rows] == ["Kenya Water Institute"]
    second_page = await organisation_service(db).list_organisations(
        GUILD, stakeholder=None, level=Level.INTERNATIONAL, offset=2, limit=2
    )
    assert second_page.total == 3
    assert [r.organisation.name for r in second_page.rows] == ["Water.org"]

    async with db.session() as session:
        assert await members.count_present_members(session, list(ids.values())) == {
            ids["IRC WASH"]: 2,
            ids["Akvo"]: 1,
        }
        statuses = await organisations.current_cop_statuses(session, list(ids.values()))
        assert {k: v.status for k, v in statuses.items()} == {ids["IRC WASH"]: "member"}


async def test_names_are_unique_regardless_of_case_accents_and_spacing(db: Database) -> None:
    await make_org(db, "IRC")
    for variant in [" irc", "Írc", "IRC  "]:
        with pytest.raises(BadInput, match=r"already an organisation called \*\*IRC\*\*"):
            await make_org(db, variant)
    with pytest.raises(BadInput, match=r"looks like \*\*IRC\*\*"):
        await organisation_service(db).create_organisation(
            GUILD,
            "Water CoP",
            actor_id=1,
            name="IRC WASH",
            stakeholder="research",
            level="national",
        )
    await make_org(db, "IRC WASH")  # distinct=True: a different organisation after all
    edit = await organisation_service(db).edit_organisation(
        GUILD, actor_id=1, name="irc", new_name="Írc"
    )
    assert edit.changes == {"name": ("IRC", "Írc")}  # a new spelling of the same name is fine
    with pytest.raises(BadInput, match="already an organisation called"):
        await organisation_service(db).edit_organisation(
            GUILD, actor_id=1, name="irc", new_name="irc wash"
        )
    with pytest.raises(NotFound, match="Did you mean"):
        await organisation_service(db).organisation_profile(GUILD, "IRC WAHS")
    async with db.session() as session:
        assert await organisations.organisation_names(session, GUILD) == ["Írc", "IRC WASH"]


async def test_joining_another_organisation_ends_the_first(db: Database) -> None:
    await make_org(db, "SNV")
    await make_org(db, "Akvo")
    first = await organisation_service(db).join(
        GUILD, "Water CoP", user_id=5, display_name="Tom", organisation_name="snv"
    )
    assert first.left is None and not first.already
    again = await organisation_service(db).join(
        GUILD, "Water CoP", user_id=5, display_name="Tom", organisation_name="SNV"
    )
    assert again.already
    moved = await organisation_service(db).join(
        GUILD, "Water CoP", user_id=5, display_name="Tom", organisation_name="AKVO"
    )
    assert moved.left is not None and moved.left.name == "SNV"
    assert (await organisation_service(db).leave(GUILD, user_id=5)).name == "Akvo"
    with pytest.raises(BadInput, match="nothing to leave"):
        await organisation_service(db).leave(GUILD, user_id=5)
    async with db.session() as session:
        member = await members.get_member(session, GUILD, 5)
        assert member is not None and member.id is not None
        history = await members.membership_history(session, member.id)
    assert [(o.name, m.ended_at is not None) for m, o in history] == [
        ("SNV", True),
        ("Akvo", True),
    ]


async def test_suggestions_prefer_names_starting_with_what_was_typed(db: Database) -> None:
    for name in ["Agua para Todos", "Aguaconsult", "WaterAid", "Water.org", "Eau Vive"]:
        await make_org(db, name)
    assert await organisation_service(db).suggest_organisation_names(GUILD, "agua") == [
        "Agua para Todos",
        "Aguaconsult",
    ]
    suggest = organisation_service(db).suggest_organisation_names
    assert (await suggest(GUILD, "vive")) == ["Eau Vive"]
    assert (await suggest(GUILD, "watteraid"))[0] == "WaterAid"
    assert len(await organisation_service(db).suggest_organisation_names(GUILD, "")) == 5


async def test_creations_of_one_name_at_once_give_one_organisation_and_clear_refusals(
    db: Database,
) -> None:
    # All check that the name is free before any inserts: the losers must hear that the name
    # is taken, not meet the database's unique constraint.
    await make_org(db, "IRC WASH")  # the community exists: its creation does not serialise them
    spellings = ["Aguasan", "aguasan", "AGUASAN", "Aguasán", " aguasan ", "aGuasan"]
    outcomes = await asyncio.gather(
        *(make_org(db, name) for name in spellings), return_exceptions=True
    )
    created = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, BadInput)]
    assert len(created) == 1 and len(refused) == len(spellings) - 1, outcomes
    assert all("There is already an organisation called" in r.problem for r in refused)
    async with db.session() as session:
        names = await organisations.organisation_names(session, GUILD)
    assert len(names) == 2 and "IRC WASH" in names
