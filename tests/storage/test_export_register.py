"""The register's exports read back on both databases: the ``members`` export (who was in the
server in the period, with their organisation at its end) and the ``organisations`` export (the
register at the end of the period, and the CoP status and representative histories), one
community's rows only, people who opted out absent, names only for those who chose it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.exports import members as members_export
from bot.exports import organisations as organisations_export
from bot.exports.cells import Cell, local_text
from bot.exports.naming import Namer
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope, TableSource
from bot.membership.names import name_key
from bot.membership.vocabulary import CopStatus
from bot.periods import Period
from storage import members as member_queries
from storage import organisations as organisation_queries
from storage.communities import ensure_community, set_timezone
from storage.db import Database
from storage.exports.people import export_people
from storage.types import utc_now
from tests.storage.helpers import ALICE, BOB, GUILD

CAROL, DAN, ERIN, FRED = (920_000_000_000_000_003 + n for n in range(4))
OTHER_GUILD = 900_000_000_000_000_002
ZONE = "Europe/Amsterdam"
KEY = b"register export storage test key"
# May 2024 in Amsterdam: [30 April 22:00 UTC, 31 May 22:00 UTC)
START, END = Period(date(2024, 5, 1), date(2024, 5, 31)).bounds(ZONE)


def at(month: int, day: int) -> datetime:
    return datetime(2024, month, day, 9, 0, tzinfo=UTC)


ALICE_MOVES = at(6, 10)  # from WaterAid to IRC, after the period


@dataclass(frozen=True)
class Seeded:
    created_from: datetime
    created_until: datetime


async def seed(db: Database) -> Seeded:
    created_from = utc_now()
    async with db.transaction() as session:
        community = await ensure_community(session, GUILD, "Water CoP")
        await set_timezone(session, community, ZONE)

        async def person(user_id: int, name: str, joined: datetime | None) -> int:
            if joined is None:
                return (await member_queries.ensure_member(session, GUILD, user_id, name)).id
            found = await member_queries.mark_present(session, GUILD, user_id, name, joined)
            return found.id

        alice = await person(ALICE, "Alice Mwangi", at(3, 1))
        bob = await person(BOB, "Bob Otieno", at(1, 10))
        carol = await person(CAROL, "Carol Njeri", at(2, 1))
        dan = await person(DAN, "Dan Kamau", at(1, 5))
        erin = await person(ERIN, "Erin Wanjiru", at(6, 5))
        fred = await person(FRED, "Fred Ouma", None)
        await member_queries.mark_left(session, GUILD, BOB, at(5, 20))
        await member_queries.mark_left(session, GUILD, DAN, at(4, 15))
        await member_queries.set_name_visible(session, alice, True)
        await member_queries.set_name_visible(session, erin, True)
        await member_queries.set_name_visible(session, carol, True)
        await member_queries.set_opted_out(session, carol, at(2, 2))
        for member_id, stakeholder, level, country in (
            (alice, "civil society", "national", "Kenya"),
            (bob, "research", "international", "Uganda"),
        ):
            await member_queries.set_member_details(
                session,
                member_id,
                stakeholder=stakeholder,
                level=level,
                country=country,
                expertise=["sanitation"],
            )

        wateraid = await organisation_queries.create_organisation(
            session,
            community_id=GUILD,
            name="WaterAid",
            name_key=name_key("WaterAid"),
            stakeholder="civil society",
            level="national",
            country="Kenya",
            website="https://www.wateraid.org",
            description="Not exported.",
            created_by=ALICE,
        )
        irc = await organisation_queries.create_organisation(
            session,
            community_id=GUILD,
            name="IRC",
            name_key=name_key("IRC"),
            stakeholder="research",
            level="international",
        )
        for member_id, organisation_id, started in (
            (alice, wateraid.id, at(3, 1)),
            (carol, wateraid.id, at(2, 1)),
            (bob, irc.id, at(2, 1)),
            (dan, irc.id, at(1, 10)),
            (fred, irc.id, at(4, 1)),
        ):
            await member_queries.start_membership(session, member_id, organisation_id, started)
        await member_queries.end_membership(session, bob, at(5, 15))
        await member_queries.start_membership(session, alice, irc.id, ALICE_MOVES)

        for status, started in (
            (CopStatus.APPLICANT, at(2, 1)),
            (CopStatus.MEMBER, at(5, 10)),
            (CopStatus.LAPSED, at(7, 1)),
        ):
            await organisation_queries.set_cop_status(
                session, wateraid.id, status, at=started, changed_by=ALICE
            )
        for organisation_id, member_id, primary, started in (
            (wateraid.id, carol, True, at(2, 1)),
            (wateraid.id, alice, False, at(3, 1)),
            (irc.id, dan, False, at(1, 10)),
            (irc.id, bob, False, at(2, 1)),
            (irc.id, fred, True, at(4, 1)),
        ):
            await organisation_queries.add_representative(
                session, organisation_id, member_id, primary=primary, at=started
            )
        await organisation_queries.end_representative(session, irc.id, dan, at=at(4, 15))

        # Another community, with Alice in it too: none of this may appear.
        await ensure_community(session, OTHER_GUILD, "Other CoP")
        elsewhere = await member_queries.mark_present(
            session, OTHER_GUILD, ALICE, "Alice Mwangi", at(1, 2)
        )
        other = await organisation_queries.create_organisation(
            session,
            community_id=OTHER_GUILD,
            name="Other Org",
            name_key=name_key("Other Org"),
            stakeholder="donor",
            level="local",
        )
        await member_queries.start_membership(session, elsewhere.id, other.id, at(1, 2))
        await organisation_queries.set_cop_status(
            session, other.id, CopStatus.MEMBER, at=at(1, 2), changed_by=None
        )
        await organisation_queries.add_representative(
            session, other.id, elsewhere.id, primary=True, at=at(1, 2)
        )
    return Seeded(created_from, utc_now())


async def scope_of(
    db: Database, mode: NameMode, start: datetime | None, end: datetime | None
) -> ExportScope:
    async with db.session() as session:
        people = await export_people(session, GUILD)
    assert people.visible_names == {ALICE: "Alice Mwangi", ERIN: "Erin Wanjiru"}
    assert people.absent == {CAROL}
    namer = Namer(KEY, mode, visible_names=people.visible_names, absent=people.absent)
    return ExportScope(GUILD, start, end, ZONE, namer)


async def built(db: Database, source: TableSource, scope: ExportScope) -> list[tuple[Cell, ...]]:
    async with db.session() as session:
        stored = [
            row
            async for batch in source.read(session, GUILD, scope.start, scope.end)
            for row in batch
        ]
    return [tuple(row) for row in source.table.checked_rows(source.build(stored, scope))]


def times(moment: datetime) -> tuple[datetime, str]:
    return moment, local_text(moment, ZONE)


def no_discord_ids(rows: list[tuple[Cell, ...]]) -> bool:
    ids = (ALICE, BOB, CAROL, DAN, ERIN, FRED, GUILD, OTHER_GUILD)
    return not any(str(i) in str(cell) for row in rows for cell in row for i in ids)


MEMBERS_SOURCE = members_export.SOURCE.tables[0]
ORGANISATIONS_SOURCE, COP_STATUS_SOURCE, REPRESENTATIVES_SOURCE = organisations_export.SOURCE.tables


async def test_the_register_of_a_period_holds_who_was_there_then(db: Database) -> None:
    await seed(db)
    scope = await scope_of(db, NameMode.VISIBLE, START, END)
    pseudonym = scope.namer.pseudonym
    rows = await built(db, MEMBERS_SOURCE, scope)
    # Fred's join time is not known: first. Carol opted out; Dan left before the period and
    # Erin joined after it. Bob's membership ended before the end; Alice moved after it.
    assert rows == [
        (pseudonym(FRED), "IRC", None, None, None, None, None, None, None, True),
        (
            pseudonym(BOB),
            None,
            "research",
            "international",
            "Uganda",
            *times(at(1, 10)),
            *times(at(5, 20)),
            False,
        ),
        (
            "Alice Mwangi",
            "WaterAid",
            "civil society",
            "national",
            "Kenya",
            *times(at(3, 1)),
            None,
            None,
            True,
        ),
    ]
    assert rows[1][6] == "2024-01-10T10:00:00+01:00" and rows[1][8] == "2024-05-20T11:00:00+02:00"
    assert no_discord_ids(rows)


async def test_the_whole_register_holds_everyone_but_those_who_opted_out(db: Database) -> None:
    await seed(db)
    scope = await scope_of(db, NameMode.PSEUDONYMOUS, None, None)
    pseudonym = scope.namer.pseudonym
    rows = await built(db, MEMBERS_SOURCE, scope)
    assert [(row[0], row[1], row[-1]) for row in rows] == [
        (pseudonym(FRED), "IRC", True),
        (pseudonym(DAN), "IRC", False),
        (pseudonym(BOB), None, False),
        (pseudonym(ALICE), "IRC", True),  # her organisation now
        (pseudonym(ERIN), None, True),  # named only in a visible-names export
    ]
    assert rows[1][7:9] == times(at(4, 15))
    assert no_discord_ids(rows)


async def test_a_membership_that_ends_at_the_end_of_the_period_is_the_one_then(
    db: Database,
) -> None:
    await seed(db)
    scope = await scope_of(db, NameMode.VISIBLE, None, ALICE_MOVES)
    rows = await built(db, MEMBERS_SOURCE, scope)
    alice = next(row for row in rows if row[0] == "Alice Mwangi")
    assert alice[1] == "WaterAid"


async def test_organisations_as_they_stood_at_the_end_of_the_period(db: Database) -> None:
    seeded = await seed(db)
    scope = await scope_of(db, NameMode.VISIBLE, START, END)
    pseudonym = scope.namer.pseudonym
    rows = await built(db, ORGANISATIONS_SOURCE, scope)
    # IRC: Fred counted (Bob's membership ended, Dan left the server, Alice came later); Fred
    # speaks for it as primary, then Bob (Dan stopped before the end).
    # WaterAid: Alice counted, Carol opted out; Carol the primary is not named.
    assert [row[:10] for row in rows] == [
        (
            "IRC",
            "research",
            "international",
            None,
            None,
            None,
            None,
            None,
            1,
            f"{pseudonym(FRED)}; {pseudonym(BOB)}",
        ),
        (
            "WaterAid",
            "civil society",
            "national",
            "Kenya",
            "https://www.wateraid.org",
            "member",
            *times(at(5, 10)),
            1,
            "Alice Mwangi",
        ),
    ]
    for row in rows:
        created = row[10]
        assert isinstance(created, datetime)
        assert seeded.created_from <= created <= seeded.created_until
        assert row[11] == local_text(created, ZONE)
    assert no_discord_ids(rows)


async def test_organisations_now(db: Database) -> None:
    await seed(db)
    scope = await scope_of(db, NameMode.PSEUDONYMOUS, None, None)
    pseudonym = scope.namer.pseudonym
    rows = await built(db, ORGANISATIONS_SOURCE, scope)
    # IRC: Fred and Alice (Bob's membership ended; Dan left the server); WaterAid lapsed, its
    # only member opted out.
    assert [row[:10] for row in rows] == [
        (
            "IRC",
            "research",
            "international",
            None,
            None,
            None,
            None,
            None,
            2,
            f"{pseudonym(FRED)}; {pseudonym(BOB)}",
        ),
        (
            "WaterAid",
            "civil society",
            "national",
            "Kenya",
            "https://www.wateraid.org",
            "lapsed",
            *times(at(7, 1)),
            0,
            pseudonym(ALICE),
        ),
    ]


async def test_the_cop_status_history_is_whole_whatever_the_period(db: Database) -> None:
    await seed(db)
    scope = await scope_of(db, NameMode.VISIBLE, START, END)
    rows = await built(db, COP_STATUS_SOURCE, scope)
    assert rows == [
        ("WaterAid", "applicant", *times(at(2, 1)), *times(at(5, 10))),
        ("WaterAid", "member", *times(at(5, 10)), *times(at(7, 1))),
        ("WaterAid", "lapsed", *times(at(7, 1)), None, None),
    ]


async def test_the_representatives_history_leaves_out_those_who_opted_out(db: Database) -> None:
    await seed(db)
    scope = await scope_of(db, NameMode.VISIBLE, START, END)
    pseudonym = scope.namer.pseudonym
    rows = await built(db, REPRESENTATIVES_SOURCE, scope)
    assert rows == [
        ("IRC", pseudonym(DAN), False, *times(at(1, 10)), *times(at(4, 15))),
        ("IRC", pseudonym(BOB), False, *times(at(2, 1)), None, None),
        ("IRC", pseudonym(FRED), True, *times(at(4, 1)), None, None),
        ("WaterAid", "Alice Mwangi", False, *times(at(3, 1)), None, None),
    ]
    assert no_discord_ids(rows)
