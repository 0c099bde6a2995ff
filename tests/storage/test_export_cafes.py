"""The ``cafes`` export read back on SQLite and PostgreSQL: each reader with its builder, over
cafés seeded with the café queries. Only this community's cafés of the period, their rounds,
seats with the contributions made at each table, notes without those of absent or forgotten
authors, and names only for people who chose them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from bot.cafe.values import Cafe, CafeRole, NoteKind
from bot.exports.cafes import cafe_rows, note_rows, round_rows, seat_rows
from bot.exports.naming import Namer
from bot.exports.request import NameMode
from bot.exports.sources import Builder, ExportScope, Reader
from storage import cafes
from storage.communities import ensure_community
from storage.contributions import store_contributions
from storage.db import Database
from storage.exports.cafes import cafe_batches, note_batches, round_batches, seat_batches
from storage.models import Cafe as CafeRow
from storage.models import CafeNote as NoteRow
from tests.storage.helpers import CHANNEL, GUILD, contribution

OTHER_GUILD = 900_000_000_000_000_002
ANNA, BEN, CLARA, DAAN, EVA = (930_000_000_000_000_000 + n for n in range(1, 6))
# The table threads of round 1 (tables 1 and 2) and round 2 (table 1; table 2 has none).
T11, T12, T21 = 940_000_000_000_000_011, 940_000_000_000_000_012, 940_000_000_000_000_021
KEY = bytes(range(32))
ZONE = "Europe/Amsterdam"
# 13:00 UTC on Monday 6 May 2024: 15:00 in Amsterdam (summer time).
START = datetime(2024, 5, 6, 13, 0, tzinfo=UTC)
CREATED = START - timedelta(days=7)
ENDED = START + timedelta(hours=1)
NOTED = START + timedelta(minutes=12)
QUESTIONS = ["What works?", "What gets in the way?"]


@dataclass(frozen=True)
class Seeded:
    held: int
    """The café of the week of START: rounds, seats, threads, contributions and notes."""
    earlier: int
    """Created in April, without a start time."""
    later: int
    """Set to start at the end of May."""
    elsewhere: int
    """Another community's café, at START too."""


def scope(
    start: datetime | None = None,
    end: datetime | None = None,
    mode: NameMode = NameMode.PSEUDONYMOUS,
) -> ExportScope:
    """Anna chose to be named; Clara opted out."""
    namer = Namer(KEY, mode, visible_names={ANNA: "Anna de Vries"}, absent={CLARA})
    return ExportScope(GUILD, start, end, ZONE, namer)


def pseudonym(user_id: int) -> str:
    return scope().namer.pseudonym(user_id)


async def new_cafe(session: Any, community_id: int = GUILD, **fields: Any) -> Cafe:
    values: dict[str, Any] = {
        "community_id": community_id,
        "title": "Funding KM",
        "questions": QUESTIONS,
        "rounds": 2,
        "round_minutes": 20,
        "channel_id": CHANNEL,
    }
    return await cafes.create_cafe(session, **{**values, **fields})


async def seed(db: Database) -> Seeded:
    async with db.transaction() as session:
        await ensure_community(session, GUILD, "Water CoP")
        await ensure_community(session, OTHER_GUILD, "Soil CoP")
        held = await new_cafe(session, starts_at=START)
        await cafes.save_participant(session, held.id, ANNA, role=CafeRole.HOST, host_table=1)
        for traveller in (BEN, CLARA, DAAN, EVA):
            await cafes.save_participant(session, held.id, traveller, role=CafeRole.TRAVELLER)
        left = await cafes.get_participant(session, held.id, DAAN)
        assert left is not None
        await cafes.mark_left(session, left)
        held = await cafes.begin_round(
            session, held, round_number=1, tables=2, started_at=START, ends_at=START
        )
        await cafes.seat_round(
            session,
            held.id,
            1,
            [(1, [(ANNA, True), (BEN, False)]), (2, [(CLARA, True), (EVA, False)])],
        )
        await cafes.seat_round(
            session, held.id, 2, [(1, [(BEN, True), (EVA, False)]), (2, [(ANNA, True)])]
        )
        threads = {(1, 1): T11, (1, 2): T12, (2, 1): T21}
        for table in await cafes.tables_of(session, held.id):
            thread = threads.get((table.round_number, table.table_number))
            await cafes.set_table_thread(session, table.id, thread)
        held = await cafes.move_to_harvest(session, held)
        await cafes.close_cafe(session, held, ended_at=ENDED)
        notes = [
            (1, 1, NoteKind.NOTE, ANNA, "Water data should be open."),
            (1, 1, NoteKind.INSIGHT, BEN, "Shared data beats reports"),
            (1, 2, NoteKind.NOTE, CLARA, "Clara's words"),  # she opted out
            (2, 1, NoteKind.NOTE, None, "Words of someone forgotten"),
        ]
        for round_number, table_number, kind, author, text in notes:
            await cafes.add_note(
                session,
                cafe_id=held.id,
                round_number=round_number,
                table_number=table_number,
                kind=kind,
                author_id=author,
                text=text,
            )
        # Ben posts twice at his table of round 1 and once elsewhere; Anna once at hers; Eva
        # once at her table of round 2; Clara (absent) once at hers; in another community a
        # message in a thread with the same id must not count.
        await store_contributions(
            session,
            [
                contribution(1, BEN, channel_id=T11, parent_channel_id=CHANNEL),
                contribution(2, BEN, channel_id=T11, parent_channel_id=CHANNEL),
                contribution(3, BEN, channel_id=CHANNEL),
                contribution(4, ANNA, channel_id=T11, parent_channel_id=CHANNEL),
                contribution(5, EVA, channel_id=T21, parent_channel_id=CHANNEL),
                contribution(6, CLARA, channel_id=T12, parent_channel_id=CHANNEL),
                contribution(7, BEN, community_id=OTHER_GUILD, channel_id=T11),
            ],
        )
        elsewhere = await new_cafe(session, OTHER_GUILD, starts_at=START)
        await cafes.save_participant(session, elsewhere.id, BEN, role=CafeRole.HOST)
        await cafes.seat_round(session, elsewhere.id, 1, [(1, [(BEN, True)])])
        await cafes.add_note(
            session,
            cafe_id=elsewhere.id,
            round_number=1,
            table_number=1,
            text="Soil",
            author_id=BEN,
        )
        earlier = await new_cafe(session, title="April")
        await cafes.seat_round(session, earlier.id, 1, [(1, [(EVA, True)])])
        await cafes.add_note(
            session, cafe_id=earlier.id, round_number=1, table_number=1, text="Early", author_id=EVA
        )
        later = await new_cafe(session, title="Late May", starts_at=START + timedelta(days=14))
        # Creation times are the clock's: set them, and the notes', to known moments.
        created = {held.id: CREATED, earlier.id: datetime(2024, 4, 2, 8, 0, tzinfo=UTC)}
        created[later.id] = created[elsewhere.id] = CREATED
        for cafe_id, moment in created.items():
            await session.execute(
                update(CafeRow).where(col(CafeRow.id) == cafe_id).values(created_at=moment)
            )
        await session.execute(update(NoteRow).values(created_at=NOTED))
    return Seeded(held.id, earlier.id, later.id, elsewhere.id)


async def built(
    db: Database, reader: Reader, builder: Builder, scope: ExportScope
) -> list[Sequence[Any]]:
    async with db.session() as session:
        stored = [
            row async for batch in reader(session, GUILD, scope.start, scope.end) for row in batch
        ]
    return list(builder(stored, scope))


async def test_cafes_of_the_community_with_sign_ups_counted_without_the_absent(
    db: Database,
) -> None:
    seeded = await seed(db)
    rows = await built(db, cafe_batches, cafe_rows, scope())
    # Signed up and not left: Anna (host), Ben, Eva; Clara opted out, Daan left.
    assert rows[0] == (
        str(seeded.held),
        "Funding KM",
        "closed",
        None,
        2,
        20,
        2,
        str(CHANNEL),
        START,
        "2024-05-06T15:00:00+02:00",
        ENDED,
        "2024-05-06T16:00:00+02:00",
        3,
        1,
        CREATED,
        "2024-04-29T15:00:00+02:00",
    )
    assert [(row[0], row[1], row[12], row[14]) for row in rows[1:]] == [
        (str(seeded.earlier), "April", 0, datetime(2024, 4, 2, 8, 0, tzinfo=UTC)),
        (str(seeded.later), "Late May", 0, CREATED),
    ]


async def test_the_period_is_when_a_cafe_starts_or_else_when_it_was_created(
    db: Database,
) -> None:
    seeded = await seed(db)

    async def cafes_between(start: datetime | None, end: datetime | None) -> list[Any]:
        return [row[0] for row in await built(db, cafe_batches, cafe_rows, scope(start, end))]

    may = datetime(2024, 5, 1, tzinfo=UTC)
    assert await cafes_between(None, None) == [
        str(seeded.held),
        str(seeded.earlier),
        str(seeded.later),
    ]
    assert await cafes_between(may, may + timedelta(days=7)) == [str(seeded.held)]
    assert await cafes_between(START, START + timedelta(seconds=1)) == [str(seeded.held)]
    assert await cafes_between(may, START) == []  # the end is exclusive
    assert await cafes_between(None, may) == [str(seeded.earlier)]
    assert await cafes_between(START + timedelta(days=1), None) == [str(seeded.later)]
    week = scope(may, may + timedelta(days=7))
    for reader, builder in (
        (round_batches, round_rows),
        (seat_batches, seat_rows),
        (note_batches, note_rows),
    ):
        rows = await built(db, reader, builder, week)
        assert rows and {row[0] for row in rows} == {str(seeded.held)}, reader


async def test_rounds_with_their_question_tables_and_people_seated(db: Database) -> None:
    seeded = await seed(db)
    rows = await built(db, round_batches, round_rows, scope())
    # Round 1: Anna hosts, Ben and Eva travel (Clara, a host, opted out and is not counted).
    assert rows == [
        (str(seeded.held), 1, "What works?", 2, 3, 1),
        (str(seeded.held), 2, "What gets in the way?", 2, 3, 2),
        (str(seeded.earlier), 1, "What works?", 1, 1, 1),
        (str(seeded.earlier), 2, "What gets in the way?", 0, 0, 0),
        (str(seeded.later), 1, "What works?", 0, 0, 0),
        (str(seeded.later), 2, "What gets in the way?", 0, 0, 0),
    ]


async def test_seats_count_the_contributions_made_in_the_tables_thread(db: Database) -> None:
    seeded = await seed(db)
    rows = await built(db, seat_batches, seat_rows, scope())
    held = str(seeded.held)
    assert rows == [
        (held, 1, 1, pseudonym(ANNA), "host", str(T11), 1),
        (held, 1, 1, pseudonym(BEN), "traveller", str(T11), 2),
        (held, 1, 2, pseudonym(EVA), "traveller", str(T12), 0),
        (held, 2, 1, pseudonym(BEN), "host", str(T21), 0),
        (held, 2, 1, pseudonym(EVA), "traveller", str(T21), 1),
        (held, 2, 2, pseudonym(ANNA), "host", None, 0),
        (str(seeded.earlier), 1, 1, pseudonym(EVA), "host", None, 0),
    ]
    visible = await built(db, seat_batches, seat_rows, scope(mode=NameMode.VISIBLE))
    assert [row[3] for row in visible] == [
        "Anna de Vries",
        pseudonym(BEN),
        pseudonym(EVA),
        pseudonym(BEN),
        pseudonym(EVA),
        "Anna de Vries",
        pseudonym(EVA),
    ]


async def test_notes_without_those_of_absent_or_forgotten_authors(db: Database) -> None:
    seeded = await seed(db)
    rows = await built(db, note_batches, note_rows, scope(mode=NameMode.VISIBLE))
    local = "2024-05-06T15:12:00+02:00"
    assert rows == [
        (
            str(seeded.held),
            1,
            1,
            "note",
            "Anna de Vries",
            "Water data should be open.",
            NOTED,
            local,
        ),
        (
            str(seeded.held),
            1,
            1,
            "harvest",
            pseudonym(BEN),
            "Shared data beats reports",
            NOTED,
            local,
        ),
        (str(seeded.earlier), 1, 1, "note", pseudonym(EVA), "Early", NOTED, local),
    ]
    hidden = await built(db, note_batches, note_rows, scope())
    assert [row[4] for row in hidden] == [pseudonym(ANNA), pseudonym(BEN), pseudonym(EVA)]


async def test_another_communitys_cafe_appears_in_no_table(db: Database) -> None:
    seeded = await seed(db)
    for reader, builder in (
        (cafe_batches, cafe_rows),
        (round_batches, round_rows),
        (seat_batches, seat_rows),
        (note_batches, note_rows),
    ):
        rows = await built(db, reader, builder, scope())
        assert str(seeded.elsewhere) not in {row[0] for row in rows}, reader
        assert "Soil" not in {cell for row in rows for cell in row}
