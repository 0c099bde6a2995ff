"""CSV import and export of the register, on SQLite and PostgreSQL: all rows or none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.membership import imports
from bot.membership.imports import ImportRejected, ImportResult
from storage import members, organisations
from storage.audit import recent_audit
from storage.communities import get_community
from storage.db import Database

GUILD = 111_222_333_444_555_666
OTHER_GUILD = 999_888_777_666_555_444
AMA = 123_456_789_012_345_678
KOFI = 223_456_789_012_345_678

ORGS = (
    "name,stakeholder,level,country,website,description,cop_status,cop_since\n"
    "IRC WASH,civil society,international,Netherlands,ircwash.org,"
    '"Knowledge, learning",member,2023-01-15\n'
    "Ministry of Water,government,national,Ghana,,,applicant,\n"
    "=Formula Org,research,local,,,-starts with a dash,,\n"
)
MEMBERS = (
    "user_id,display_name,organisation,stakeholder,level,country,expertise\n"
    f'{AMA},Ama Owusu,irc wash,research,local,Ghana,"sanitation, finance"\n'
    f"{KOFI},Kofi Mensah,Ministry of Water,government,national,,\n"
)


async def import_orgs(db: Database, text: str, guild: int = GUILD) -> ImportResult:
    return await imports.Imports(db).import_organisations(
        guild, "Water CoP", text.encode(), actor_id=7
    )


ESI = 333_456_789_012_345_678
# Who is in the server, as Discord would list it to /profile import.
IN_SERVER = frozenset({AMA, KOFI, ESI})


async def import_people(
    db: Database, text: str, guild: int = GUILD, in_server: frozenset[int] | None = IN_SERVER
) -> ImportResult:
    return await imports.Imports(db).import_members(
        guild, "Water CoP", text.encode(), actor_id=7, in_server=in_server
    )


async def test_a_good_file_creates_everything_with_one_audit_event(db: Database) -> None:
    result = await import_orgs(db, ORGS)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    async with db.session() as session:
        _, total = await organisations.list_organisations(session, GUILD)
        assert total == 3
        irc = await organisations.organisation_by_key(session, GUILD, "irc wash")
        assert irc is not None and irc.id is not None
        assert irc.website == "https://ircwash.org"
        assert irc.description == "Knowledge, learning"
        assert irc.created_by == 7
        status = await organisations.current_cop_status(session, irc.id)
        assert status is not None and status.status == "member"
        assert status.started_at == datetime(2023, 1, 15, tzinfo=UTC)
        formula = await organisations.organisation_by_key(session, GUILD, "=formula org")
        assert formula is not None and formula.description == "-starts with a dash"
        events = await recent_audit(session, GUILD)
        community = await get_community(session, GUILD)
    assert community is not None and community.name == "Water CoP"
    assert [(e.action, e.actor_id) for e in events] == [("organisation.import", 7)]
    assert events[0].detail == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}


async def test_a_bad_row_in_the_middle_applies_nothing(db: Database) -> None:
    text = (
        "name,stakeholder,level\n"
        "Org A,government,national\n"
        "Org B,research,local\n"
        "Org C,governmint,local\n"
        "Org D,research,local\n"
        "Org E,research,local\n"
    )
    with pytest.raises(ImportRejected) as caught:
        await import_orgs(db, text)
    assert [(e.line, e.column) for e in caught.value.errors] == [(4, "stakeholder")]
    assert "line 4, column stakeholder:" in caught.value.user_message
    async with db.session() as session:
        assert (await organisations.list_organisations(session, GUILD))[1] == 0
        assert await recent_audit(session, GUILD) == []
        assert await get_community(session, GUILD) is None


async def test_a_bad_member_row_applies_nothing(db: Database) -> None:
    await import_orgs(db, ORGS)
    text = MEMBERS + "333456789012345678,Esi,Ministry of Watr,,,,\n"
    with pytest.raises(ImportRejected) as caught:
        await import_people(db, text)
    (error,) = caught.value.errors
    assert (error.line, error.column) == (4, "organisation")
    assert "Did you mean **Ministry of Water**?" in error.problem
    async with db.session() as session:
        assert await members.list_members(session, GUILD, include_left=True) == []


async def test_cell_errors_and_register_errors_come_back_together(db: Database) -> None:
    await import_orgs(db, ORGS)
    text = f"user_id,display_name,organisation\n12,Short id,IRC WASH\n{KOFI},,Nowhere\n"
    with pytest.raises(ImportRejected) as caught:
        await import_people(db, text)
    assert [(e.line, e.column) for e in caught.value.errors] == [
        (2, "user_id"),
        (3, "display_name"),
        (3, "organisation"),
    ]
    assert "import the organisations first" in caught.value.errors[2].problem.lower()


async def test_reimport_updates_by_name_key_and_counts(db: Database) -> None:
    await import_orgs(db, ORGS)
    assert await import_orgs(db, ORGS) == ImportResult(0, 0, 3)
    changed = (
        "Name,Level,Stakeholder,Description,cop_status\n"
        "irc wash,international,civil society,New description,member\n"  # member already
        "MINISTRY OF WATER,national,government,,member\n"  # applicant -> member
        "Brand New,local,research,,\n"
    )
    result = await import_orgs(db, changed)
    assert (result.created, result.updated, result.unchanged) == (1, 2, 0)
    async with db.session() as session:
        _, total = await organisations.list_organisations(session, GUILD)
        assert total == 4
        irc = await organisations.organisation_by_key(session, GUILD, "irc wash")
        ministry = await organisations.organisation_by_key(session, GUILD, "ministry of water")
        assert irc is not None and irc.id is not None
        assert ministry is not None and ministry.id is not None
        assert irc.name == "irc wash"  # the file's spelling
        assert irc.description == "New description"
        assert irc.country == "Netherlands"  # an absent column leaves the value
        assert ministry.country == "Ghana"
        assert len(await organisations.cop_status_history(session, irc.id)) == 1
        history = await organisations.cop_status_history(session, ministry.id)
        assert [(row.status, row.ended_at is None) for row in history] == [
            ("applicant", False),
            ("member", True),
        ]


async def test_a_status_cannot_start_before_the_current_one(db: Database) -> None:
    await import_orgs(db, ORGS)
    text = (
        "name,stakeholder,level,cop_status,cop_since\nIRC WASH,research,local,lapsed,2022-12-31\n"
    )
    with pytest.raises(ImportRejected) as caught:
        await import_orgs(db, text)
    assert [(e.line, e.column) for e in caught.value.errors] == [(2, "cop_since")]
    assert "member since 2023-01-15" in caught.value.errors[0].problem


async def test_members_import_creates_updates_and_reports_profile_changes(db: Database) -> None:
    await import_orgs(db, ORGS)
    result = await import_people(db, MEMBERS)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert set(result.profile_changed) == {AMA, KOFI}
    again = await import_people(db, MEMBERS)
    assert again == ImportResult(0, 0, 2)
    # An empty cell leaves what is known; a new value replaces it.
    result = await import_people(db, f"user_id,display_name,country,level\n{AMA},,Togo,\n")
    assert result == ImportResult(0, 1, 0)
    result = await import_people(db, f"user_id,level\n{KOFI},local\n")
    assert result == ImportResult(0, 1, 0, (KOFI,))
    async with db.session() as session:
        ama = await members.get_member(session, GUILD, AMA)
        assert ama is not None and ama.id is not None
        assert (ama.display_name, ama.country, ama.level) == ("Ama Owusu", "Togo", "local")
        assert ama.expertise == ("sanitation", "finance")
        current = await members.current_membership(session, ama.id)
        assert current is not None and current[1].name == "IRC WASH"
        events = await recent_audit(session, GUILD)
    assert [e.action for e in events].count("member.import") == 4


async def test_an_organisation_change_through_import_keeps_history(db: Database) -> None:
    await import_orgs(db, ORGS)
    await import_people(db, MEMBERS)
    result = await import_people(db, f"user_id,organisation\n{AMA},Ministry of Water\n")
    assert result == ImportResult(0, 1, 0, (AMA,))
    async with db.session() as session:
        ama = await members.get_member(session, GUILD, AMA)
        assert ama is not None and ama.id is not None
        history = await members.membership_history(session, ama.id)
        assert [(org.name, row.ended_at is None) for row, org in history] == [
            ("IRC WASH", False),
            ("Ministry of Water", True),
        ]
        assert history[0][0].ended_at == history[1][0].started_at
        before = history[0][0].ended_at
        assert before is not None
        earlier = await members.organisation_at(session, ama.id, history[0][0].started_at)
        assert earlier is not None and earlier.name == "IRC WASH"


async def test_round_trip_into_a_fresh_community(db: Database) -> None:
    await import_orgs(db, ORGS)
    await import_people(db, MEMBERS + f"{ESI},ámbar,,,,,\n")
    orgs_text = await imports.Imports(db).export_organisations(GUILD)
    members_text = await imports.Imports(db).export_members(GUILD)
    assert orgs_text.splitlines()[0] == ",".join(imports.ORGANISATION_COLUMNS)
    assert "'=Formula Org" in orgs_text and "'-starts with a dash" in orgs_text
    assert f'{AMA},Ama Owusu,IRC WASH,research,local,Ghana,"sanitation, finance"' in members_text

    assert (await import_orgs(db, orgs_text, OTHER_GUILD)).created == 3
    assert (await import_people(db, members_text, OTHER_GUILD)).created == 3
    assert await imports.Imports(db).export_organisations(OTHER_GUILD) == orgs_text
    assert await imports.Imports(db).export_members(OTHER_GUILD) == members_text
    # ... and re-importing an export into its own community changes nothing.
    assert await import_orgs(db, orgs_text) == ImportResult(0, 0, 3)
    assert await import_people(db, members_text) == ImportResult(0, 0, 3)


async def test_members_who_left_are_not_exported(db: Database) -> None:
    await import_orgs(db, ORGS)
    await import_people(db, MEMBERS)
    async with db.session() as session:
        await members.mark_left(session, GUILD, KOFI, datetime.now(UTC))
        await session.commit()
    text = await imports.Imports(db).export_members(GUILD)
    assert str(AMA) in text and str(KOFI) not in text
    assert await imports.Imports(db).members_left_out(GUILD) == 1


async def test_exports_of_an_empty_community_are_headers_only(db: Database) -> None:
    assert await imports.Imports(db).export_organisations(GUILD) == (
        ",".join(imports.ORGANISATION_COLUMNS) + "\r\n"
    )
    header = ",".join(imports.MEMBER_COLUMNS) + "\r\n"
    assert await imports.Imports(db).export_members(GUILD) == header


async def test_rows_for_people_not_in_the_server_import_nothing(db: Database) -> None:
    await import_orgs(db, ORGS)
    ghost = 444_456_789_012_345_678
    text = MEMBERS + f"{ghost},Ghost,,,,,\n"
    with pytest.raises(ImportRejected) as caught:
        await import_people(db, text)
    assert [(e.line, e.column) for e in caught.value.errors] == [(4, "user_id")]
    assert f"nobody in this server has the user id {ghost}" in caught.value.user_message
    async with db.session() as session:
        assert await members.list_members(session, GUILD, include_left=True) == []


async def test_without_discord_only_people_the_register_knows_as_present_import(
    db: Database,
) -> None:
    """The command line's rule: the register's record of who is in the server stands in for
    Discord's member list."""
    await import_orgs(db, ORGS)
    with pytest.raises(ImportRejected) as caught:
        await import_people(db, MEMBERS, in_server=None)  # the register knows nobody yet
    assert [(e.line, e.column) for e in caught.value.errors] == [(2, "user_id"), (3, "user_id")]
    assert "not in the server as far as the register knows" in caught.value.user_message

    await import_people(db, MEMBERS)  # as /profile import would, with both in the server
    async with db.session() as session:
        await members.mark_left(session, GUILD, KOFI, datetime.now(UTC))
        await session.commit()
    with pytest.raises(ImportRejected) as caught:
        await import_people(db, MEMBERS, in_server=None)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "user_id")]
    result = await import_people(db, f"user_id,country\n{AMA},Togo\n", in_server=None)
    assert result == ImportResult(0, 1, 0)


async def test_rows_for_people_who_asked_to_be_forgotten_import_nothing(db: Database) -> None:
    from bot.contributions import privacy
    from bot.contributions.optouts import OptOuts

    await import_orgs(db, ORGS)
    await import_people(db, MEMBERS)
    await privacy.Privacy(db, OptOuts()).forget(GUILD, user_id=KOFI, keep_texts=True)
    with pytest.raises(ImportRejected) as caught:
        await import_people(db, MEMBERS)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "user_id")]
    assert f"user {KOFI} asked to be forgotten here" in caught.value.user_message
    async with db.session() as session:
        assert await members.get_member(session, GUILD, KOFI) is None
