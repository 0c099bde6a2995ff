"""A sample export table with every column type, and rows for it, for the writer tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.exports.cells import Cell, ColumnType, time_cells
from bot.exports.tables import Column, Table

ZONE = "Europe/Amsterdam"

SAMPLE = Table(
    "contributions",
    (
        Column("message", ColumnType.ID, "The message's key.", "msg-0123456789abcdef"),
        Column("author", ColumnType.ID, "Who posted it.", "m-3f9a1c2b7d4e"),
        Column("posted_at", ColumnType.TIMESTAMP, "When, in UTC.", "2026-12-07T09:30:00Z"),
        Column(
            "posted_at_local", ColumnType.LOCAL_TIME, "When, locally.", "2026-12-07T10:30:00+01:00"
        ),
        Column("kind", ColumnType.TEXT, "What it was.", "reply"),
        Column("characters", ColumnType.INTEGER, "How long it was.", "120"),
        Column("score", ColumnType.NUMBER, "A number.", "-0.25"),
        Column("from_bot", ColumnType.BOOLEAN, "Posted by a bot.", "false"),
        Column("day", ColumnType.DATE, "The day, locally.", "2026-12-07"),
        Column("note", ColumnType.TEXT, "Tablecloth text.", "We share water data."),
    ),
)

MOMENT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
UTC_CELL, LOCAL_CELL = time_cells(MOMENT, ZONE)


def sample_row(
    note: Cell, *, message: Cell = "msg-0123456789abcdef", score: Cell = -0.25
) -> tuple[Cell, ...]:
    return (
        message,
        "m-3f9a1c2b7d4e",
        UTC_CELL,
        LOCAL_CELL,
        "reply",
        -3,
        score,
        False,
        date(2026, 12, 7),
        note,
    )
