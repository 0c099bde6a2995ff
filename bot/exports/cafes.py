"""The ``cafes`` export: the World Cafés of the period, their rounds, who sat at which table
(and how much they posted there), and the tablecloth notes and harvest items.

Four files, each only for the community's cafés of the period (storage.exports.cafes says which
those are). People who opted out are absent: their seats and notes are left out and the counts
leave them out too, so the files agree with each other. Notes whose author was forgotten are
left out as well. The text of notes and harvest items is exported: members wrote it to be
shared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from bot.cafe.values import CafeRole, NoteKind
from bot.exports.cells import ColumnType, time_cells
from bot.exports.sources import ExportScope, KindSource, TableSource
from bot.exports.tables import Column, Row, Table
from storage.exports.cafes import cafe_batches, note_batches, round_batches, seat_batches

ID, TEXT, INTEGER = ColumnType.ID, ColumnType.TEXT, ColumnType.INTEGER
TIMESTAMP, LOCAL = ColumnType.TIMESTAMP, ColumnType.LOCAL_TIME

CAFE = Column("cafe", ID, "The café's number in the bot.", "12")
ROUND = Column("round", INTEGER, "The round, from 1.", "2")
TABLE = Column("table", INTEGER, "The table, from 1 (numbered anew each round).", "3")

CAFES = Table(
    "cafes",
    (
        CAFE,
        Column("title", TEXT, "The café's title.", "Funding knowledge management"),
        Column(
            "state",
            TEXT,
            "Where it stands: open (taking sign-ups), running, harvest (rounds over), closed "
            "or cancelled.",
            "closed",
        ),
        Column(
            "series",
            ID,
            "For a recurring café, the number of the first café of its series (empty: not "
            "recurring).",
            "9",
        ),
        Column("rounds", INTEGER, "How many rounds it has.", "3"),
        Column("round_minutes", INTEGER, "How long a round lasts, in minutes.", "20"),
        Column(
            "tables",
            INTEGER,
            "How many tables: those in use once it started; before, as asked (empty: one table "
            "for every five people).",
            "4",
        ),
        Column(
            "channel",
            ID,
            "The channel of its sign-up and harvest (Discord's id, as text).",
            "1190000000000000001",
        ),
        Column(
            "starts_at_utc",
            TIMESTAMP,
            "When it was set to start, in UTC (empty: started by hand).",
            "2026-12-07T13:00:00Z",
        ),
        Column(
            "starts_at_local",
            LOCAL,
            "When it was set to start, in the community's time zone.",
            "2026-12-07T14:00:00+01:00",
        ),
        Column(
            "ended_at_utc",
            TIMESTAMP,
            "When it was closed or cancelled, in UTC (empty: not over).",
            "2026-12-07T14:15:00Z",
        ),
        Column(
            "ended_at_local",
            LOCAL,
            "When it was closed or cancelled, in the community's time zone.",
            "2026-12-07T15:15:00+01:00",
        ),
        Column(
            "participants",
            INTEGER,
            "How many people are signed up (those who left not counted).",
            "18",
        ),
        Column("hosts", INTEGER, "Of them, how many signed up to host a table.", "4"),
        Column("created_at_utc", TIMESTAMP, "When it was created, in UTC.", "2026-11-30T10:00:00Z"),
        Column(
            "created_at_local",
            LOCAL,
            "When it was created, in the community's time zone.",
            "2026-11-30T11:00:00+01:00",
        ),
    ),
)

CAFE_ROUNDS = Table(
    "cafe_rounds",
    (
        CAFE,
        ROUND,
        Column(
            "question",
            TEXT,
            "The question the tables talk about in this round.",
            "What gets in the way?",
        ),
        Column("tables", INTEGER, "How many tables it had (0: not seated yet).", "4"),
        Column("seated", INTEGER, "How many people were seated at its tables.", "17"),
        Column("hosts", INTEGER, "Of them, how many hosted a table.", "4"),
    ),
)

CAFE_SEATS = Table(
    "cafe_seats",
    (
        CAFE,
        ROUND,
        TABLE,
        Column(
            "member",
            TEXT,
            "Who sat there: a pseudonym, or the name of someone who chose to be named.",
            "m-3f9a1c2b7d4e",
        ),
        Column(
            "role",
            TEXT,
            "host (stays at the table all round) or traveller (moves on to another table).",
            "traveller",
        ),
        Column(
            "thread",
            ID,
            "The table's thread in that round (Discord's id, as text; empty: none opened). The "
            "contributions export names it in its channel column.",
            "1190000000000000003",
        ),
        Column(
            "contributions_at_table",
            INTEGER,
            "How many messages the person posted in the table's thread.",
            "5",
        ),
    ),
)

CAFE_NOTES = Table(
    "cafe_notes",
    (
        CAFE,
        ROUND,
        TABLE,
        Column(
            "kind",
            TEXT,
            "note (added to the table's tablecloth) or harvest (a message marked for the harvest).",
            "note",
        ),
        Column(
            "author",
            TEXT,
            "Who wrote it: a pseudonym, or the name of someone who chose to be named.",
            "m-3f9a1c2b7d4e",
        ),
        Column(
            "text",
            TEXT,
            "What it says, as written to be shared with the café.",
            "Donors fund projects, not learning.",
        ),
        Column("created_at_utc", TIMESTAMP, "When it was added, in UTC.", "2026-12-07T13:12:00Z"),
        Column(
            "created_at_local",
            LOCAL,
            "When it was added, in the community's time zone.",
            "2026-12-07T14:12:00+01:00",
        ),
    ),
)

# What a note's kind is called in the file: "harvest" is the word members see in the bot.
NOTE_KIND_NAMES = {NoteKind.NOTE: "note", NoteKind.INSIGHT: "harvest"}


def _role(is_host: bool) -> str:
    return CafeRole.HOST.value if is_host else CafeRole.TRAVELLER.value


def cafe_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`CAFES` from the stored rows (storage.exports.cafes.cafe_batches); people
    who opted out are not counted among the participants."""
    namer, timezone = scope.namer, scope.timezone
    for (
        cafe_id, title, state, series_id, repeat_when, rounds, round_minutes, tables, channel_id,
        starts_at, ended_at, created_at, signups,
    ) in stored:  # fmt: skip
        if series_id is None and repeat_when is not None:
            series_id = cafe_id  # the first café of a series names none: it is the series
        present = [role for user_id, role in signups if not namer.is_absent(user_id)]
        yield (
            str(cafe_id),
            title,
            state,
            None if series_id is None else str(series_id),
            rounds,
            round_minutes,
            tables,
            str(channel_id),
            *time_cells(starts_at, timezone),
            *time_cells(ended_at, timezone),
            len(present),
            present.count(CafeRole.HOST),
            *time_cells(created_at, timezone),
        )


def round_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`CAFE_ROUNDS` from the stored rows (storage.exports.cafes.round_batches):
    every round the café has, seated or not; people who opted out are not counted."""
    namer = scope.namer
    for cafe_id, rounds, questions, tables, seats in stored:
        tables_by_round = dict(tables)
        seated: Counter[int] = Counter()
        hosts: Counter[int] = Counter()
        for round_number, user_id, is_host in seats:
            if namer.is_absent(user_id):
                continue
            seated[round_number] += 1
            hosts[round_number] += is_host
        # A café's rounds are 1..rounds; one seated beyond them (never expected) still shows.
        for round_number in sorted({*range(1, rounds + 1), *tables_by_round, *seated}):
            yield (
                str(cafe_id),
                round_number,
                questions[round_number - 1] if round_number <= len(questions) else None,
                tables_by_round.get(round_number, 0),
                seated[round_number],
                hosts[round_number],
            )


def seat_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`CAFE_SEATS` from the stored rows (storage.exports.cafes.seat_batches),
    the seats of people who opted out left out."""
    namer = scope.namer
    for cafe_id, round_number, table_number, user_id, is_host, thread_id, posted in stored:
        if namer.is_absent(user_id):
            continue
        yield (
            str(cafe_id),
            round_number,
            table_number,
            namer.person(user_id),
            _role(is_host),
            None if thread_id is None else str(thread_id),
            posted,
        )


def note_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`CAFE_NOTES` from the stored rows (storage.exports.cafes.note_batches).
    Notes of people who opted out are left out, and so are those whose author was forgotten
    (kept unnamed for the café's own harvest, not handed on in exports)."""
    namer, timezone = scope.namer, scope.timezone
    for cafe_id, round_number, table_number, kind, author_id, text, created_at in stored:
        if author_id is None or namer.is_absent(author_id):
            continue
        yield (
            str(cafe_id),
            round_number,
            table_number,
            NOTE_KIND_NAMES[NoteKind(kind)],
            namer.person(author_id),
            text,
            *time_cells(created_at, timezone),
        )


SOURCE = KindSource(
    (
        TableSource(CAFES, cafe_batches, cafe_rows),
        TableSource(CAFE_ROUNDS, round_batches, round_rows),
        TableSource(CAFE_SEATS, seat_batches, seat_rows),
        TableSource(CAFE_NOTES, note_batches, note_rows),
    ),
    rows_are="rows",
)
