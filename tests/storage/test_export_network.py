"""The network export's readers and builders on SQLite and PostgreSQL: who replied to whom in a
period, between people and between organisations, with self-replies dropped, opted-out people
absent, small organisations suppressed and another community's replies never counted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.contributions.values import NOBODY, Attribution
from bot.exports import network
from bot.exports.naming import Namer
from bot.exports.request import NameMode
from bot.exports.sources import ExportScope, TableSource
from storage import contributions as log_queries
from storage.communities import ensure_community, set_timezone
from storage.db import Database
from storage.exports.people import export_people
from storage.members import ensure_member, set_name_visible, set_opted_out
from storage.organisations import create_organisation, organisation_by_key
from tests.storage.helpers import ALICE, BOB, GUILD, contribution

KEY = b"network export test key 32 byte"
OTHER_GUILD = GUILD + 1_000  # message ids are GUILD + n (n < 100): no clash between the two
ZONE = "Europe/Amsterdam"
DAY = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)  # 11:00 in Amsterdam
START, END = DAY, DAY + timedelta(days=10)
HOUR = timedelta(hours=1)

WENDY, CAROL, DAVE = 920_000_000_000_000_003, 920_000_000_000_000_004, 920_000_000_000_000_005
MINA, MOSES, MARTA = 920_000_000_000_000_011, 920_000_000_000_000_012, 920_000_000_000_000_013
TOM, TARA = 920_000_000_000_000_021, 920_000_000_000_000_022
NAMES = {
    ALICE: "Alice Mwangi",
    BOB: "Bob Otieno",
    WENDY: "Wendy Achieng",
    CAROL: "Carol Njeri",
    DAVE: "Dave Kamau",
    MINA: "Mina Wanjiru",
    MOSES: "Moses Kiprop",
    MARTA: "Marta Chebet",
    TOM: "Tom Mutua",
    TARA: "Tara Akinyi",
}
WATERAID, MINISTRY, TINY = "WaterAid", "Ministry of Water", "Tiny Trust"
ORGANISATIONS = {
    WATERAID: ("civil society", "national"),
    MINISTRY: ("government", "national"),
    TINY: ("donor", "international"),  # two people: too small to show
}
# Where each person posts from; Dave is in no organisation, Carol opts out.
POSTS_FROM = {
    ALICE: WATERAID,
    BOB: WATERAID,
    WENDY: WATERAID,
    CAROL: WATERAID,
    MINA: MINISTRY,
    MOSES: MINISTRY,
    MARTA: MINISTRY,
    TOM: TINY,
    TARA: TINY,
}
NOT_LOGGED = 99  # a message nobody logged (posted before the bot came)

# (n, author, posted at, n of the message replied to and its author, organisation if not the
# author's usual one); the message id is the guild's id + n.
Post = tuple[int, int, datetime, tuple[int, int] | None, str | None]
POSTS: list[Post] = [
    (0, MOSES, DAY - 2 * timedelta(days=1), None, None),
    (1, ALICE, DAY, None, None),
    (2, MINA, DAY + HOUR, (1, ALICE), None),
    (3, MOSES, DAY + 2 * HOUR, (1, ALICE), None),
    (4, BOB, DAY + 3 * HOUR, (2, MINA), None),
    (5, MINA, DAY + timedelta(days=1), (1, ALICE), None),
    (6, WENDY, DAY + timedelta(days=1) + HOUR, (4, BOB), None),  # within WaterAid
    (7, MARTA, DAY + timedelta(days=1) + 2 * HOUR, None, None),
    (8, WENDY, DAY + timedelta(days=1) + 3 * HOUR, (7, MARTA), None),
    (9, TOM, DAY + timedelta(days=2), (1, ALICE), None),
    (10, TARA, DAY + timedelta(days=2) + HOUR, (9, TOM), None),
    (11, ALICE, DAY + timedelta(days=2) + 2 * HOUR, (1, ALICE), None),  # to herself
    (12, CAROL, DAY + timedelta(days=2) + 3 * HOUR, (1, ALICE), None),  # opted out
    (13, CAROL, DAY + timedelta(days=2) + 4 * HOUR, None, None),
    (14, BOB, DAY + timedelta(days=2) + 5 * HOUR, (13, CAROL), None),  # to someone opted out
    (15, DAVE, DAY + timedelta(days=3), (4, BOB), None),
    (16, BOB, DAY + timedelta(days=3) + HOUR, (NOT_LOGGED, DAVE), None),
    (17, MINA, DAY - timedelta(days=1), (0, MOSES), None),  # before the period
    (18, MARTA, END + HOUR, (6, WENDY), WATERAID),  # after the period, and after she moved
]


async def seed(db: Database, guild_id: int = GUILD) -> None:
    async with db.transaction() as session:
        community = await ensure_community(session, guild_id, "Water CoP")
        await set_timezone(session, community, ZONE)
        organisations: dict[str, Attribution] = {}
        for name, (stakeholder, level) in ORGANISATIONS.items():
            created = await create_organisation(
                session,
                community_id=guild_id,
                name=name,
                name_key=name.casefold(),
                stakeholder=stakeholder,
                level=level,
            )
            organisations[name] = Attribution(created.id, stakeholder, level)
        for user_id, display_name in NAMES.items():
            member = await ensure_member(session, guild_id, user_id, display_name)
            if user_id == ALICE:
                await set_name_visible(session, member.id, True)
            if user_id == CAROL:
                await set_opted_out(session, member.id, DAY + 3 * timedelta(days=1))
        rows, attributions = [], []
        for n, author, posted_at, reply_to, moved_to in POSTS:
            replied: dict[str, Any] = {}
            if reply_to is not None:
                replied = {
                    "is_reply": True,
                    "reply_to_message_id": guild_id + reply_to[0],
                    "reply_to_author_id": reply_to[1],
                }
            rows.append(
                contribution(
                    guild_id + n, author, community_id=guild_id, created_at=posted_at, **replied
                )
            )
            place = moved_to or POSTS_FROM.get(author)
            attributions.append(NOBODY if place is None else organisations[place])
        await log_queries.store_contributions(session, rows, attributions=attributions)


async def namer(db: Database, mode: NameMode = NameMode.PSEUDONYMOUS) -> Namer:
    async with db.session() as session:
        people = await export_people(session, GUILD)
    return Namer(KEY, mode, visible_names=people.visible_names, absent=people.absent)


async def stored_rows(
    db: Database, source: TableSource, start: datetime | None, end: datetime | None
) -> list[Sequence[Any]]:
    async with db.session() as session:
        return [row async for batch in source.read(session, GUILD, start, end) for row in batch]


async def built(
    db: Database,
    source: TableSource,
    naming: Namer,
    start: datetime | None = START,
    end: datetime | None = END,
) -> list[tuple[Any, ...]]:
    stored = await stored_rows(db, source, start, end)
    return [
        tuple(row) for row in source.build(stored, ExportScope(GUILD, start, end, ZONE, naming))
    ]


async def test_people_edges_count_the_periods_replies_between_two_people(db: Database) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)  # the same replies in another community: never counted here
    names = await namer(db)
    p = names.pseudonym
    rows = await built(db, network.PEOPLE_EDGES, names)
    local = "+02:00"
    assert rows == [
        (p(MINA), p(ALICE), 2.0, 2, DAY + HOUR, f"2024-05-01T12:00:00{local}",
         DAY + timedelta(days=1), f"2024-05-02T11:00:00{local}"),
        (p(MOSES), p(ALICE), 1.0, 1, DAY + 2 * HOUR, f"2024-05-01T13:00:00{local}",
         DAY + 2 * HOUR, f"2024-05-01T13:00:00{local}"),
        (p(BOB), p(MINA), 1.0, 1, DAY + 3 * HOUR, f"2024-05-01T14:00:00{local}",
         DAY + 3 * HOUR, f"2024-05-01T14:00:00{local}"),
        (p(WENDY), p(BOB), 1.0, 1, DAY + timedelta(days=1) + HOUR,
         f"2024-05-02T12:00:00{local}", DAY + timedelta(days=1) + HOUR,
         f"2024-05-02T12:00:00{local}"),
        (p(WENDY), p(MARTA), 1.0, 1, DAY + timedelta(days=1) + 3 * HOUR,
         f"2024-05-02T14:00:00{local}", DAY + timedelta(days=1) + 3 * HOUR,
         f"2024-05-02T14:00:00{local}"),
        (p(TOM), p(ALICE), 1.0, 1, DAY + timedelta(days=2), f"2024-05-03T11:00:00{local}",
         DAY + timedelta(days=2), f"2024-05-03T11:00:00{local}"),
        (p(TARA), p(TOM), 1.0, 1, DAY + timedelta(days=2) + HOUR,
         f"2024-05-03T12:00:00{local}", DAY + timedelta(days=2) + HOUR,
         f"2024-05-03T12:00:00{local}"),
        (p(DAVE), p(BOB), 1.0, 1, DAY + timedelta(days=3), f"2024-05-04T11:00:00{local}",
         DAY + timedelta(days=3), f"2024-05-04T11:00:00{local}"),
        (p(BOB), p(DAVE), 1.0, 1, DAY + timedelta(days=3) + HOUR,
         f"2024-05-04T12:00:00{local}", DAY + timedelta(days=3) + HOUR,
         f"2024-05-04T12:00:00{local}"),
    ]  # fmt: skip
    # Times come back aware and in UTC from both databases.
    assert all(row[4].tzinfo is not None and row[4].utcoffset() == timedelta(0) for row in rows)


async def test_self_replies_and_opted_out_people_are_left_out_by_the_query(db: Database) -> None:
    await seed(db)
    for source in (network.PEOPLE_EDGES, network.PEOPLE_NODES):
        stored = await stored_rows(db, source, START, END)
        ids = [value for row in stored for value in row if isinstance(value, int)]
        assert CAROL not in ids  # even a builder that forgot to check would not show her
    edges = await stored_rows(db, network.PEOPLE_EDGES, START, END)
    assert all(author != replied_to for author, replied_to, *_ in edges)
    assert (ALICE, ALICE) not in {(row[0], row[1]) for row in edges}


async def test_the_period_decides_which_replies_count(db: Database) -> None:
    await seed(db)
    names = await namer(db)
    p = names.pseudonym
    everything = await built(db, network.PEOPLE_EDGES, names, None, None)
    pairs = [(row[0], row[1], row[3]) for row in everything]
    # Mina's reply of the day before, and Marta's after the period, count now.
    assert pairs[0] == (p(MINA), p(MOSES), 1)
    assert pairs[-1] == (p(MARTA), p(WENDY), 1)
    assert len(pairs) == 11
    first_hours = await built(db, network.PEOPLE_EDGES, names, DAY, DAY + 20 * HOUR)
    assert [(row[0], row[1], row[3]) for row in first_hours] == [
        (p(MINA), p(ALICE), 1),  # her second reply, on the next day, is outside
        (p(MOSES), p(ALICE), 1),
        (p(BOB), p(MINA), 1),
    ]


async def test_people_nodes_are_the_people_of_the_edges_with_their_counts(
    db: Database,
) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)
    names = await namer(db)
    p = names.pseudonym
    rows = await built(db, network.PEOPLE_NODES, names)
    ngo, government, donor = "civil society", "government", "donor"
    expected = [
        (p(ALICE), p(ALICE), WATERAID, ngo, "national", 0, 4),
        (p(BOB), p(BOB), WATERAID, ngo, "national", 2, 2),
        (p(WENDY), p(WENDY), WATERAID, ngo, "national", 2, 0),
        (p(DAVE), p(DAVE), None, None, None, 1, 1),
        (p(MINA), p(MINA), MINISTRY, government, "national", 2, 1),
        (p(MOSES), p(MOSES), MINISTRY, government, "national", 1, 0),
        # Her move to WaterAid came after the period: in it she was at the ministry.
        (p(MARTA), p(MARTA), MINISTRY, government, "national", 0, 1),
        (p(TOM), p(TOM), TINY, donor, "international", 1, 1),
        (p(TARA), p(TARA), TINY, donor, "international", 1, 0),
    ]
    assert rows == sorted(expected)
    edges = await built(db, network.PEOPLE_EDGES, names)
    assert sum(row[5] for row in rows) == sum(row[3] for row in edges) == 10
    assert {row[0] for row in rows} == {row[0] for row in edges} | {row[1] for row in edges}


async def test_labels_show_names_only_of_those_who_chose_it(db: Database) -> None:
    await seed(db)
    names = await namer(db, NameMode.VISIBLE)
    rows = {row[0]: row for row in await built(db, network.PEOPLE_NODES, names)}
    alice, bob = names.pseudonym(ALICE), names.pseudonym(BOB)
    assert rows[alice][:2] == (alice, "Alice Mwangi")  # the id stays her pseudonym
    assert rows[bob][:2] == (bob, bob)
    edges = await built(db, network.PEOPLE_EDGES, names)
    assert "Alice Mwangi" not in {cell for row in edges for cell in row[:2]}
    hidden = await built(db, network.PEOPLE_NODES, await namer(db))
    assert "Alice Mwangi" not in {row[1] for row in hidden}


async def test_organisations_of_fewer_than_three_people_are_suppressed(db: Database) -> None:
    await seed(db)
    await seed(db, OTHER_GUILD)
    names = await namer(db)
    nodes = await built(db, network.ORGANISATION_NODES, names)
    # Carol (opted out) does not make WaterAid's three people four; Tiny Trust has two.
    assert nodes == [
        (MINISTRY, MINISTRY, "government", "national", 3),
        (WATERAID, WATERAID, "civil society", "national", 3),
    ]
    edges = await built(db, network.ORGANISATION_EDGES, names)
    assert edges == [
        (MINISTRY, WATERAID, 3.0, 3, 2, 1),  # Mina twice and Moses, to Alice
        (WATERAID, MINISTRY, 2.0, 2, 2, 2),  # Bob to Mina, Wendy to Marta
        (WATERAID, WATERAID, 1.0, 1, 1, 1),  # Wendy to Bob: kept, a self-loop
    ]
    # The reader counted Tiny Trust's replies; the builder left them out, with the node.
    stored = await stored_rows(db, network.ORGANISATION_EDGES, START, END)
    assert {(row[0], row[1], row[2], row[5], row[6]) for row in stored} - {
        (row[0], row[1], row[3], 3, 3) for row in edges
    } == {(TINY, WATERAID, 1, 2, 3), (TINY, TINY, 1, 2, 2)}


async def test_a_third_person_brings_an_organisation_in(db: Database) -> None:
    await seed(db)
    newcomer = 920_000_000_000_000_023
    async with db.session() as session:
        tiny = await organisation_by_key(session, GUILD, TINY.casefold())
    assert tiny is not None
    async with db.transaction() as session:
        await ensure_member(session, GUILD, newcomer, "Tess Njoroge")
        to_alice = contribution(
            GUILD + 50,
            newcomer,
            created_at=DAY + timedelta(days=4),
            is_reply=True,
            reply_to_message_id=GUILD + 1,
            reply_to_author_id=ALICE,
        )
        await log_queries.store_contributions(
            session,
            [to_alice],
            attributions=[Attribution(tiny.id, tiny.stakeholder, tiny.level)],
        )
    names = await namer(db)
    nodes = await built(db, network.ORGANISATION_NODES, names)
    assert (TINY, TINY, "donor", "international", 3) in nodes
    edges = await built(db, network.ORGANISATION_EDGES, names)
    assert (TINY, WATERAID, 2.0, 2, 2, 1) in edges and (TINY, TINY, 1.0, 1, 1, 1) in edges


async def test_a_community_without_replies_has_an_empty_network(db: Database) -> None:
    await seed(db)
    names = await namer(db)
    async with db.transaction() as session:
        await ensure_community(session, OTHER_GUILD, "Quiet CoP")
    for source in network.SOURCE.tables:
        async with db.session() as session:
            stored = [
                row
                async for batch in source.read(session, OTHER_GUILD, None, None)
                for row in batch
            ]
        assert stored == []
        assert list(source.build(stored, ExportScope(OTHER_GUILD, None, None, ZONE, names))) == []


async def test_the_period_includes_its_start_and_excludes_its_end(db: Database) -> None:
    # Replies at exactly the first and the last moment: on SQLite the log once stored a whole
    # second without ".000000", which sorted before the same moment in a query (migration 0010).
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Water CoP")
        await log_queries.store_contributions(
            session,
            [
                contribution(GUILD + 1, ALICE, created_at=START - HOUR),
                contribution(
                    GUILD + 2,
                    BOB,
                    created_at=START,
                    is_reply=True,
                    reply_to_message_id=GUILD + 1,
                    reply_to_author_id=ALICE,
                ),
                contribution(
                    GUILD + 3,
                    ALICE,
                    created_at=END,
                    is_reply=True,
                    reply_to_message_id=GUILD + 2,
                    reply_to_author_id=BOB,
                ),
            ],
        )
    names = await namer(db)
    rows = await built(db, network.PEOPLE_EDGES, names)
    assert [(row[0], row[1], row[3]) for row in rows] == [
        (names.pseudonym(BOB), names.pseudonym(ALICE), 1)
    ]
