"""/org import and /profile import: a CSV attached to the command, all or nothing."""

from __future__ import annotations

from bot.sandbox import SandboxInteraction
from storage.members import current_membership, get_member, list_members
from storage.organisations import list_organisations
from tests.e2e.harness import Harness
from tests.e2e.helpers import register_caught_up

ORGANISATIONS = (
    "name,stakeholder,level,country,cop_status\n"
    "IRC WASH,civil society,international,Netherlands,member\n"
    "Ministry of Water,government,national,Ghana,\n"
    "Kumasi Water Board,utility or service provider,local,Ghana,applicant\n"
)


async def organisation_names(harness: Harness) -> list[str]:
    async with harness.db.session() as session:
        found, _ = await list_organisations(session, harness.community.guild.id)
    return [organisation.name for organisation in found]


async def answered(itx: SandboxInteraction) -> str:
    """The text of a deferred answer, once its follow-up has come."""
    if itx.deferred:
        await itx.wait_for_followup()
    return itx.text()


async def import_organisations(harness: Harness, text: str, member=None, filename="orgs.csv"):
    await harness.set_staff_roles()
    return await harness.sandbox.slash(
        member or harness.moderator,
        harness.general,
        "org import",
        file=(filename, text.encode()),
    )


async def test_a_moderator_imports_organisations(harness: Harness) -> None:
    itx = await import_organisations(harness, ORGANISATIONS)
    assert "Organisations: 3 added, 0 updated, 0 unchanged" in await answered(itx)
    assert itx.ephemeral
    assert await organisation_names(harness) == [
        "IRC WASH",
        "Kumasi Water Board",
        "Ministry of Water",
    ]
    again = await import_organisations(harness, ORGANISATIONS)
    assert "Organisations: 0 added, 0 updated, 3 unchanged" in await answered(again)


async def test_an_import_is_answered_while_a_large_file_downloads(harness: Harness) -> None:
    """Reading the file waits on Discord's attachment server, longer than the three seconds
    an answer may take: the bot answers "thinking" first."""
    harness.sandbox.attachment_latency = harness.sandbox.interaction_deadline + 0.5
    itx = await import_organisations(harness, ORGANISATIONS)
    assert "Organisations: 3 added" in await answered(itx)


async def test_a_bad_row_in_the_middle_imports_nothing(harness: Harness) -> None:
    broken = ORGANISATIONS.replace("government,national", "government,regional")
    itx = await import_organisations(harness, broken)
    text = await answered(itx)
    assert "Nothing was imported" in text
    assert "line 3, column level" in text and "`regional` is not a level" in text
    assert await organisation_names(harness) == []


async def test_members_cannot_import(harness: Harness) -> None:
    itx = await import_organisations(harness, ORGANISATIONS, member=harness.plain_member)
    assert itx.ephemeral and "Only moderators can use this command." in itx.text()
    assert await organisation_names(harness) == []


async def test_a_file_that_is_not_csv_is_refused(harness: Harness) -> None:
    itx = await import_organisations(harness, "not a table", filename="orgs.pdf")
    assert "`orgs.pdf` is not a CSV file." in itx.text()
    assert await organisation_names(harness) == []


async def test_profiles_are_imported_with_their_organisation(harness: Harness) -> None:
    await answered(await import_organisations(harness, ORGANISATIONS))
    await register_caught_up(harness)  # the row below updates the person the bot registered
    person = harness.plain_member
    rows = (
        "user_id,organisation,stakeholder,level,expertise\n"
        f'{person.id},IRC WASH,research,international,"monitoring, sanitation"\n'
    )
    itx = await harness.sandbox.slash(
        harness.moderator, harness.general, "profile import", file=("people.csv", rows.encode())
    )
    # present members are registered when the bot starts, so the import updates the row
    assert "Members: 0 added, 1 updated, 0 unchanged" in await answered(itx)
    async with harness.db.session() as session:
        member = await get_member(session, harness.community.guild.id, person.id)
        assert member is not None and member.id is not None
        assert (member.stakeholder, member.level) == ("research", "international")
        assert member.expertise == ("monitoring", "sanitation")
        current = await current_membership(session, member.id)
    assert current is not None and current[1].name == "IRC WASH"
    shown = await harness.sandbox.slash(person, harness.general, "profile show")
    assert "IRC WASH" in shown.text()


async def test_a_profile_import_naming_an_unknown_organisation_changes_nothing(
    harness: Harness,
) -> None:
    await answered(await import_organisations(harness, ORGANISATIONS))
    first, second = harness.plain_member, harness.community.members[-1]
    rows = f"user_id,organisation\n{first.id},IRC WASH\n{second.id},IRC WASHH\n"
    itx = await harness.sandbox.slash(
        harness.moderator, harness.general, "profile import", file=("people.csv", rows.encode())
    )
    text = await answered(itx)
    assert "Nothing was imported" in text and "line 3, column organisation" in text
    assert "IRC WASH" in text  # did you mean
    async with harness.db.session() as session:
        member = await get_member(session, harness.community.guild.id, first.id)
        assert (
            member is None
            or member.id is None
            or await current_membership(session, member.id) is None
        )


async def test_members_cannot_import_profiles(harness: Harness) -> None:
    await harness.set_staff_roles()
    rows = f"user_id,country\n{harness.plain_member.id},Ghana\n"
    itx = await harness.sandbox.slash(
        harness.plain_member, harness.general, "profile import", file=("people.csv", rows.encode())
    )
    assert itx.ephemeral and "Only moderators can use this command." in itx.text()
    async with harness.db.session() as session:
        member = await get_member(session, harness.community.guild.id, harness.plain_member.id)
    assert member is None or member.country is None


async def import_profiles(harness: Harness, rows: str) -> str:
    itx = await harness.sandbox.slash(
        harness.moderator, harness.general, "profile import", file=("people.csv", rows.encode())
    )
    return await answered(itx)


async def registered_ids(harness: Harness) -> set[int]:
    async with harness.db.session() as session:
        found = await list_members(session, harness.community.guild.id, include_left=True)
    return {member.user_id for member in found}


async def test_a_profile_import_naming_someone_not_in_the_server_imports_nothing(
    harness: Harness,
) -> None:
    await harness.set_staff_roles()
    present = harness.plain_member
    ghost = 987_654_321_098_765_432  # nobody in the server has this id
    assert harness.community.guild.get_member(ghost) is None
    await register_caught_up(harness)  # the start-up catch-up must not change "before"
    before = await registered_ids(harness)
    rows = f"user_id,display_name,country\n{present.id},,Ghana\n{ghost},Ghost,Ghana\n"
    text = await import_profiles(harness, rows)
    assert "Nothing was imported" in text
    assert f"line 3, column user_id: nobody in this server has the user id {ghost}" in text
    assert "line 2" not in text
    assert await registered_ids(harness) == before
    async with harness.db.session() as session:
        kept = await get_member(session, harness.community.guild.id, present.id)
    assert kept is None or kept.country is None

    # Without the ghost's row, the same file goes in.
    text = await import_profiles(harness, f"user_id,country\n{present.id},Ghana\n")
    assert "Members: 0 added, 1 updated, 0 unchanged" in text, text
    async with harness.db.session() as session:
        kept = await get_member(session, harness.community.guild.id, present.id)
    assert kept is not None and kept.country == "Ghana"
    assert await registered_ids(harness) == before


async def test_a_profile_import_for_someone_who_asked_to_be_forgotten_imports_nothing(
    harness: Harness,
) -> None:
    from cogs.privacy import KEEP_TEXTS_LABEL
    from tests.e2e.helpers import confirm

    await harness.set_staff_roles()
    person = harness.plain_member
    ask = await harness.sandbox.slash(person, harness.general, "privacy forget")
    assert ask.original is not None
    assert await confirm(harness, person, ask.original, KEEP_TEXTS_LABEL) == "You are forgotten"
    text = await import_profiles(harness, f"user_id,display_name\n{person.id},Someone\n")
    assert "Nothing was imported" in text
    assert f"user {person.id} asked to be forgotten here" in text
    assert person.id not in await registered_ids(harness)


async def test_a_cafe_host_must_be_in_the_server(harness: Harness) -> None:
    """The same shape as an import row for a stranger: /cafe host takes a user and writes their
    id. Discord resolves the option to a user who is not a member; nothing is written."""
    from storage import cafes
    from tests.e2e.helpers import cafe_cmd, create_cafe

    await harness.set_staff_roles()
    cafe = await create_cafe(harness)
    outsider = harness.sandbox.create_user("visitor", global_name="Visitor")
    itx = await cafe_cmd(harness, harness.moderator, "host", member=outsider)
    assert itx.ephemeral and "is not a valid" in itx.text(), itx.text()
    async with harness.db.session() as session:
        assert await cafes.present_participants(session, cafe.id or 0) == []
