"""/org import and /profile import: a CSV attached to the command, all or nothing."""

from __future__ import annotations

from bot.sandbox import SandboxInteraction
from storage.members import current_membership, get_member
from storage.organisations import list_organisations
from tests.e2e.harness import Harness

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
        assert member.expertise == ["monitoring", "sanitation"]
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
