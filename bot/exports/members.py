"""The ``members`` export: the member register, one row per person who was in the server at some
time in the period, present or gone, with the organisation they belonged to at its end."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from bot.exports.cells import ColumnType, time_cells
from bot.exports.sources import ExportScope, KindSource, TableSource
from bot.exports.tables import Column, Row, Table
from storage.exports.members import member_batches

TEXT, BOOLEAN = ColumnType.TEXT, ColumnType.BOOLEAN
TIMESTAMP, LOCAL = ColumnType.TIMESTAMP, ColumnType.LOCAL_TIME

MEMBERS = Table(
    "members",
    (
        Column(
            "member",
            TEXT,
            "The person: a pseudonym, or the name of someone who chose to be named.",
            "m-3f9a1c2b7d4e",
        ),
        Column(
            "organisation",
            TEXT,
            "The organisation they belonged to at the end of the period (empty: none).",
            "WaterAid",
        ),
        Column(
            "stakeholder_group",
            TEXT,
            "Their stakeholder group, as the register holds it now (empty: not given).",
            "civil society",
        ),
        Column(
            "level",
            TEXT,
            "The level they work at, as the register holds it now (empty: not given).",
            "national",
        ),
        Column("country", TEXT, "Their country, as they gave it (empty: not given).", "Kenya"),
        Column(
            "joined_at_utc",
            TIMESTAMP,
            "When they last joined the server, in UTC (empty: not known).",
            "2026-03-02T08:15:00Z",
        ),
        Column(
            "joined_at_local",
            LOCAL,
            "When they last joined the server, in the community's time zone.",
            "2026-03-02T09:15:00+01:00",
        ),
        Column(
            "left_at_utc",
            TIMESTAMP,
            "When they left the server, in UTC (empty: still there).",
            "2026-11-20T16:40:00Z",
        ),
        Column(
            "left_at_local",
            LOCAL,
            "When they left the server, in the community's time zone.",
            "2026-11-20T17:40:00+01:00",
        ),
        Column(
            "present",
            BOOLEAN,
            "Whether they were still in the server at the end of the period.",
            "true",
        ),
    ),
)


def present_at_end(left_at: datetime | None, end: datetime | None) -> bool:
    """Still in the server at the end of the period [.., end): not gone, or gone at or after
    ``end``; with no ``end`` (up to now), not gone."""
    return left_at is None or (end is not None and left_at >= end)


def member_rows(stored: Iterable[Sequence[Any]], scope: ExportScope) -> Iterator[Row]:
    """Rows of :data:`MEMBERS` from the stored rows (storage.exports.members), the people who
    opted out left out."""
    namer, timezone, end = scope.namer, scope.timezone, scope.end
    for user_id, organisation, stakeholder, level, country, joined_at, left_at in stored:
        if namer.is_absent(user_id):
            continue
        yield (
            namer.person(user_id),
            organisation,
            stakeholder,
            level,
            country,
            *time_cells(joined_at, timezone),
            *time_cells(left_at, timezone),
            present_at_end(left_at, end),
        )


SOURCE = KindSource((TableSource(MEMBERS, member_batches, member_rows),), rows_are="members")
